"""Adding one tool by its URL (`edcat tools add`): validated and stored as an import of a
one-row file would be; a tool already at that address is returned as it is, not duplicated
(and not overwritten with the blanks of a one-field record)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from catalogue.db import Catalogue
from catalogue.errors import InvalidInput
from catalogue.importer import import_tools, validate_record
from catalogue.urls import canonical_url, domain_of, is_http_url


@dataclass
class AddedTool:
    tool_id: int
    name: str
    added: bool  # False: a tool with this address was already there


def add_tool(catalogue: Catalogue, url: str, name: str | None = None) -> AddedTool:
    """Add the tool at `url` (named `name`, else by its host); return its id."""
    url = url.strip()
    if not is_http_url(url):
        raise InvalidInput("tools add", [f"URL {url!r} is not an http(s) URL"])
    raw = {"name": name or domain_of(url), "url": url, "source": "edcat tools add"}
    record, problems = validate_record(1, raw, "argument")
    if record is None:
        raise InvalidInput("tools add", problems)
    existing = _tool_at(catalogue, record.homepage)
    if existing is not None:
        return AddedTool(existing[0], existing[1], False)
    result = import_tools(catalogue, "tools add", [record])
    return AddedTool(result.tool_ids[0], record.name, bool(result.added))


def _site_key(url: str) -> tuple[str, str]:
    """An address as (host without www., path and query): http or https
    and www. or not are one site."""
    parts = urlsplit(canonical_url(url))
    return (parts.hostname or "").removeprefix("www."), parts.path.rstrip("/") + parts.query


def _tool_at(catalogue: Catalogue, homepage: str | None) -> tuple[int, str] | None:
    """(id, name) of the tool whose home page is this address, if there is one."""
    if not homepage:
        return None
    with catalogue.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, name, homepage FROM tools WHERE domain = ?", (domain_of(homepage),)
        ).all()
    wanted = _site_key(homepage)
    return next(((i, n) for i, n, h in rows if h and _site_key(h) == wanted), None)
