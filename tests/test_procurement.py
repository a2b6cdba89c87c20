"""Risk cards, reviews, comparison, freshness and shortlists (issue 5), over the catalogue API.

The end-to-end version, crawling a local fixture site, is in tests/test_procurement_e2e.py.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from catalogue import CatalogueError, ToolNotFound, import_tools
from catalogue.cards import find_tool, tool_card
from catalogue.compare import compare_tools
from catalogue.export import export_catalogue
from catalogue.risk import (
    NOT_CRAWLED,
    NOT_STATED,
    REVIEWED,
    VENDOR_STATED,
    review_answer,
    risk_card,
    risk_markdown,
)
from catalogue.shortlists import (
    add_to_shortlist,
    create_shortlist,
    shortlist_csv,
    shortlist_markdown,
    shortlist_view,
)
from catalogue.store import FactRecord, PageRecord, record_page

PRIVACY_URL = "https://padlet.com/privacy"
STATEMENTS = {
    "gdpr": "We comply with UK GDPR.",
    "data_location": "All data is hosted in the UK.",
    "dpa_offered": "A data processing agreement is available on request.",
    "ai_provider": "Our AI features are powered by OpenAI.",
}


@pytest.fixture
def crawled(small_catalogue):
    """Padlet's privacy page states four things; Kahoot has no privacy page."""
    padlet = find_tool(small_catalogue, "padlet").id
    facts = [
        FactRecord("gdpr", "yes", STATEMENTS["gdpr"], PRIVACY_URL),
        FactRecord("data_location", "uk", STATEMENTS["data_location"], PRIVACY_URL),
        FactRecord("dpa_offered", "yes", STATEMENTS["dpa_offered"], PRIVACY_URL),
        FactRecord("ai_provider", "openai", STATEMENTS["ai_provider"], PRIVACY_URL),
    ]
    page = PageRecord(
        PRIVACY_URL, kind="privacy", title="Privacy", text=" ".join(STATEMENTS.values())
    )
    record_page(small_catalogue, padlet, page, facts)
    return small_catalogue


def statuses(risk) -> dict[int, str]:
    return {a.question.number: a.status for a in risk.answers}


def test_vendor_statements_answer_their_questions_with_quotes(crawled):
    risk = risk_card(crawled, "padlet")
    assert statuses(risk) == {
        1: VENDOR_STATED,
        2: VENDOR_STATED,
        3: NOT_STATED,
        4: NOT_STATED,
        5: NOT_STATED,
        6: NOT_STATED,
        7: VENDOR_STATED,
    }
    found = {f["field"]: f for a in risk.answers for f in a.facts}
    assert set(found) == set(STATEMENTS)
    for field, quote in STATEMENTS.items():
        assert found[field]["evidence"] == quote
        assert found[field]["source_url"] == PRIVACY_URL
        assert found[field]["observed_at"].date() == datetime.now(UTC).date()


def test_an_uncrawled_tool_is_not_crawled_never_guessed(crawled):
    risk = risk_card(crawled, "kahoot")
    assert set(statuses(risk).values()) == {NOT_CRAWLED}
    assert all(a.facts == [] for a in risk.answers)
    # Facts a source list gave (audience, pricing) are not vendor statements.
    assert any(f["origin"] == "import" for f in risk.card.facts)


def test_not_crawled_and_not_stated_are_told_apart_in_every_format(crawled, edcat, tmp_path):
    padlet = find_tool(crawled, "padlet").id
    record_page(crawled, padlet, PageRecord("https://padlet.com/", kind="home", text="Boards."))
    kahoot = risk_card(crawled, "kahoot").as_dict()
    assert kahoot["crawled_pages"] == 0 and kahoot["crawl_command"] == "edcat crawl --tool kahoot"
    assert {a["status"] for a in kahoot["answers"]} == {NOT_CRAWLED}
    assert all(a["crawl_command"] == "edcat crawl --tool kahoot" for a in kahoot["answers"])
    padlet_card = risk_card(crawled, "padlet")
    q4 = padlet_card.answers[3]
    assert (q4.status, q4.summary, q4.crawl_command) == (
        NOT_STATED,
        "not stated on 2 crawled pages",
        None,
    )
    markdown = risk_markdown(risk_card(crawled, "kahoot"))
    assert "Status: **not crawled**" in markdown and "`edcat crawl --tool kahoot`" in markdown
    assert "not stated" not in markdown.lower()
    assert "Not stated on 2 crawled pages." in risk_markdown(padlet_card)
    db = ["--db", str(crawled.path)]
    text = edcat(*db, "tools", "risk", "kahoot").stdout
    assert text.count("crawl it: edcat crawl --tool kahoot") == 7 and "not stated" not in text
    assert "not stated on 2 crawled pages" in edcat(*db, "tools", "risk", "padlet").stdout
    out = tmp_path / "export.jsonl"
    export_catalogue(crawled, out, "jsonl")
    rows = {r["name"]: r for r in map(json.loads, out.open())}
    assert rows["Kahoot!"]["dpia_q4"] == NOT_CRAWLED and rows["Padlet"]["dpia_q4"] == NOT_STATED
    assert rows["Padlet"]["dpia_q1"] == VENDOR_STATED


def test_a_tool_without_a_homepage_is_not_crawled_without_a_command(catalogue, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("name\nChalkboard Helper\n")
    import_tools(catalogue, path)
    [answer, *_] = risk_card(catalogue, "chalkboard-helper").answers
    assert (answer.status, answer.crawl_command) == (NOT_CRAWLED, None)
    assert "no homepage is recorded" in answer.summary


def test_review_overrides_and_is_exported(crawled, tmp_path):
    review_answer(
        crawled,
        "padlet",
        1,
        "DPO checked the DPA: signed 2026-11-01",
        "https://trust.example/dpa.pdf",
        reviewer="dpo@trust",
    )
    risk = risk_card(crawled, "padlet")
    assert statuses(risk)[1] == REVIEWED
    assert risk.answers[0].review["reviewer"] == "dpo@trust"
    assert "DPO checked the DPA" in risk_markdown(risk)
    review_answer(crawled, "padlet", 1, "Superseded answer", reviewer="dpo@trust")
    assert risk_card(crawled, "padlet").answers[0].review["answer"] == "Superseded answer"
    out = tmp_path / "export.jsonl"
    export_catalogue(crawled, out, "jsonl")
    padlet = next(json.loads(line) for line in out.open() if '"Padlet"' in line)
    assert padlet["dpia_q1"] == REVIEWED and padlet["dpia_q2"] == VENDOR_STATED
    assert json.loads(padlet["dpia_reviews_json"])["1"]["answer"] == "Superseded answer"


def test_review_rejects_bad_question_and_unknown_tool(crawled):
    with pytest.raises(CatalogueError, match="question must be 1 to 7"):
        review_answer(crawled, "padlet", 8, "x")
    with pytest.raises(ToolNotFound):
        review_answer(crawled, "no-such-tool", 1, "x")


def test_markdown_starter_has_identity_facts_and_open_questions(crawled):
    text = risk_markdown(risk_card(crawled, "padlet"))
    assert text.startswith("# DPIA starter: Padlet")
    assert '"All data is hosted in the UK."' in text and PRIVACY_URL in text
    assert "## Open questions for the supplier" in text
    assert "4. What training or guidance" in text


def test_old_facts_are_flagged_stale_everywhere(crawled, tmp_path):
    padlet = find_tool(crawled, "padlet").id
    old = datetime.now(UTC) - timedelta(days=400)
    page = PageRecord(
        "https://padlet.com/pricing", kind="pricing", text="Free plan.", fetched_at=old
    )
    record_page(crawled, padlet, page, [FactRecord("price", "usd 0", "Free plan.")])
    card = tool_card(crawled, "padlet")
    stale = {f["field"]: f["stale"] for f in card.facts}
    assert stale["price"] is True and stale["gdpr"] is False
    assert tool_card(crawled, "padlet", stale_days=1000).facts[0]["stale"] is False
    comparison = compare_tools(crawled, ["padlet", "kahoot"])
    assert dict(comparison.rows)["price"] == ["usd 0 (stale)", "unknown"]
    out = tmp_path / "export.csv"
    export_catalogue(crawled, out, "csv")
    row = next(r for r in csv.DictReader(out.open()) if r["name"] == "Padlet")
    assert row["stale_facts"] == "1"


def test_compare_shows_unknown_as_unknown(crawled):
    comparison = compare_tools(crawled, ["padlet", "kahoot", "arbor mis"])
    rows = dict(comparison.rows)
    assert comparison.tools == ["Padlet", "Kahoot!", "Arbor MIS"]
    assert rows["gdpr"] == ["yes", "unknown", "unknown"]
    assert rows["pricing_model"] == ["freemium", "freemium", "quote-only"]
    assert rows["purpose"] == ["unknown"] * 3
    with pytest.raises(CatalogueError, match="at least two"):
        compare_tools(crawled, ["padlet"])


@pytest.mark.parametrize(
    ("answer", "source", "message"),
    [
        ("ok\x00", None, "the answer: contains U+0000"),
        ("Trust INSET \u202eon 3 Jan", None, "the answer: contains U+202E"),
        ("ok", "javascript:alert(1)", "the source must be an http(s) address"),
        ("ok", "https://intranet.example/a b", "the source: contains U+0020 (space)"),
    ],
)
def test_review_text_meets_the_import_rules(crawled, answer, source, message):
    """A review reaches the DPIA files and the web page as vendor text does."""
    with pytest.raises(CatalogueError, match=re.escape(message)):
        review_answer(crawled, "padlet", 1, answer, source_url=source)
    kept = review_answer(crawled, "padlet", 1, "Signed.\nSee the file.", source_url=" ")
    assert kept.answer == "Signed.\nSee the file." and kept.source_url is None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("KS2/KS3", "cannot contain '/'"),
        ("a\x00b", "contains U+0000"),
        ("x" * 201, "over the limit max_name_chars"),
    ],
)
def test_a_shortlist_name_must_make_a_web_address(crawled, name, message):
    with pytest.raises(CatalogueError, match=re.escape(message)):
        create_shortlist(crawled, name)


def test_shortlist_pack(crawled):
    create_shortlist(crawled, "KS3 2027")
    with pytest.raises(CatalogueError, match="already exists"):
        create_shortlist(crawled, "KS3 2027")
    with pytest.raises(ToolNotFound):
        add_to_shortlist(crawled, "KS3 2027", ["padlet", "nope"])
    assert shortlist_view(crawled, "KS3 2027").tools == []  # all or none
    assert add_to_shortlist(crawled, "KS3 2027", ["padlet", "kahoot", "padlet"]) == 2
    rows = list(csv.DictReader(io.StringIO(shortlist_csv(crawled, "KS3 2027"))))
    assert [(r["name"], r["q1"], r["q4"]) for r in rows] == [
        ("Kahoot!", NOT_CRAWLED, NOT_CRAWLED),
        ("Padlet", VENDOR_STATED, NOT_STATED),
    ]
    pack = shortlist_markdown(crawled, "KS3 2027")
    assert pack.startswith("# Shortlist: KS3 2027")
    assert pack.count("DPIA starter:") == 2


def test_procurement_commands_end_to_end(crawled, edcat, tmp_path):
    db = ["--db", str(crawled.path)]
    risk = json.loads(edcat(*db, "tools", "risk", "padlet", "--format", "json").stdout)
    assert [a["status"] for a in risk["answers"]][:2] == [VENDOR_STATED, VENDOR_STATED]
    edcat(
        *db,
        "tools",
        "review",
        "padlet",
        "--question",
        "5",
        "--answer",
        "Letter to parents",
        "--source",
        "https://trust.example/letter",
        "--reviewer",
        "lead",
    )
    markdown = edcat(*db, "tools", "risk", "padlet", "--format", "markdown").stdout
    assert "Letter to parents" in markdown and "Status: **reviewed**" in markdown
    rows = list(
        csv.reader(
            io.StringIO(
                edcat(*db, "tools", "compare", "padlet", "kahoot", "--format", "csv").stdout
            )
        )
    )
    assert rows[0] == ["", "Padlet", "Kahoot!"]
    assert ["ai_provider", "openai", "unknown"] in rows
    edcat(*db, "shortlist", "create", "S")
    edcat(*db, "shortlist", "add", "S", "padlet", "kahoot")
    pack = tmp_path / "pack.md"
    edcat(*db, "shortlist", "export", "S", "--format", "markdown", "--out", str(pack))
    assert pack.read_text().count("DPIA starter:") == 2
    bad = edcat(*db, "tools", "review", "padlet", "--question", "9", "--answer", "x", check=False)
    assert bad.returncode == 1 and "question must be 1 to 7" in bad.stderr


def test_review_findings_edge_cases(crawled, tmp_path, monkeypatch):
    from catalogue import InvalidFilter, ToolQuery, query_tools
    from catalogue.settings import stale_after_days

    with pytest.raises(InvalidFilter, match="the limit must be between"):
        query_tools(crawled, ToolQuery(limit=10**20))
    with pytest.raises(ToolNotFound):
        find_tool(crawled, "99999999999999999999")
    with pytest.raises(ToolNotFound):
        find_tool(crawled, "²")
    monkeypatch.setenv("EDCAT_STALE_DAYS", "abc")
    with pytest.raises(CatalogueError, match="whole number of days"):
        stale_after_days()
    with pytest.raises(CatalogueError, match="0 days or more"):
        stale_after_days(-5)
    monkeypatch.delenv("EDCAT_STALE_DAYS")
    with pytest.raises(CatalogueError, match="two different tools"):
        compare_tools(crawled, ["padlet", "Padlet"])
    create_shortlist(crawled, "  Spaced  ")
    assert add_to_shortlist(crawled, " Spaced ", ["padlet"]) == 1
    pack = shortlist_markdown(crawled, "Spaced")
    assert "\n## DPIA starter: Padlet" in pack and "\n# DPIA starter" not in pack
    with pytest.raises(CatalogueError, match="is a directory"):
        export_catalogue(crawled, tmp_path, "csv")
