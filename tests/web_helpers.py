"""A small catalogue for the web tests: the fixture tools plus one hostile crawled page."""

from __future__ import annotations

from pathlib import Path

from catalogue import Catalogue, import_tools, open_catalogue
from catalogue.cards import find_tool
from catalogue.store import FactRecord, PageRecord, record_page
from catalogue.users import add_user

TOOLS = Path(__file__).parent / "fixtures" / "tools"
PASSWORD = "correct horse battery"
HOSTILE_QUOTE = '<script>alert("x")</script><img src=x onerror="alert(1)"> We comply with GDPR.'
PRIVACY_URL = "https://padlet.com/privacy"


def build_web_catalogue(path: Path, classify: bool = False) -> Catalogue:
    """Six tools; Padlet has a privacy page whose text tries to inject script. With `classify`,
    the shipped model tags them (the browser tests' screenshots show real tags)."""
    catalogue = open_catalogue(path, create=True)
    import_tools(catalogue, TOOLS / "small.csv")
    import_tools(catalogue, TOOLS / "small.jsonl")
    padlet = find_tool(catalogue, "padlet").id
    facts = [
        FactRecord("gdpr", "yes", HOSTILE_QUOTE, PRIVACY_URL),
        FactRecord("dpa_offered", "yes", "A data processing agreement is offered.", PRIVACY_URL),
        FactRecord("ai_generative", "yes", "Generate a board with AI.", "javascript:alert(2)"),
    ]
    page = PageRecord(
        PRIVACY_URL, kind="privacy", title="<b>Privacy</b><script>x()</script>", text=HOSTILE_QUOTE
    )
    record_page(catalogue, padlet, page, facts)
    add_user(catalogue, "amira", PASSWORD)
    if classify:
        from classifier.predict import classify_catalogue

        classify_catalogue(catalogue)
    return catalogue
