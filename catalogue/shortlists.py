"""Shortlists: named sets of tools a procurement lead carries through to a governors' pack."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, select

from catalogue.cards import find_tool
from catalogue.db import Catalogue
from catalogue.errors import CatalogueError, ShortlistNotFound
from catalogue.escaping import csv_row, markdown_text
from catalogue.input_limits import checked_text
from catalogue.models import Shortlist, ShortlistTool
from catalogue.query import ToolQuery, query_tools
from catalogue.risk import QUESTIONS, risk_card, risk_markdown


@dataclass
class ShortlistView:
    name: str
    created_at: datetime
    tools: list[dict]


def create_shortlist(catalogue: Catalogue, name: str) -> None:
    name = checked_text("a shortlist name", name, "name")
    if not name:
        raise CatalogueError("a shortlist needs a name")
    if "/" in name:  # the name is a segment of its web address
        raise CatalogueError(f"a shortlist name cannot contain '/': {name!r}")
    with catalogue.writing() as session:
        if _find(session, name, required=False) is not None:
            raise CatalogueError(f"shortlist {name!r} already exists")
        session.add(Shortlist(name=name))


def add_to_shortlist(catalogue: Catalogue, name: str, refs: list[str]) -> int:
    """Add tools (by name, slug or id); all are resolved first, so one unknown adds none."""
    tool_ids = [find_tool(catalogue, ref).id for ref in refs]
    with catalogue.writing() as session:
        shortlist = _find(session, name)
        present = set(
            session.exec(
                select(ShortlistTool.tool_id).where(ShortlistTool.shortlist_id == shortlist.id)
            ).scalars()
        )
        new = [tid for tid in dict.fromkeys(tool_ids) if tid not in present]
        session.add_all(ShortlistTool(shortlist_id=shortlist.id, tool_id=tid) for tid in new)
        return len(new)


def remove_from_shortlist(catalogue: Catalogue, name: str, refs: list[str]) -> int:
    tool_ids = [find_tool(catalogue, ref).id for ref in refs]
    with catalogue.writing() as session:
        shortlist = _find(session, name)
        result = session.exec(
            delete(ShortlistTool).where(
                ShortlistTool.shortlist_id == shortlist.id, ShortlistTool.tool_id.in_(tool_ids)
            )
        )
        return result.rowcount


def shortlist_view(catalogue: Catalogue, name: str) -> ShortlistView:
    with catalogue.session() as session:
        shortlist = _find(session, name)
    tools = query_tools(catalogue, ToolQuery(shortlist=name, limit=None))
    return ShortlistView(shortlist.name, shortlist.created_at, tools)


def list_shortlists(catalogue: Catalogue) -> list[str]:
    with catalogue.session() as session:
        return list(session.exec(select(Shortlist.name).order_by(Shortlist.name)).scalars())


def shortlist_csv(catalogue: Catalogue, name: str) -> str:
    """One row per tool: tags, homepage and the status of each of the seven questions."""
    view = shortlist_view(catalogue, name)
    out = io.StringIO()
    fields = [
        "name",
        "homepage",
        "purpose",
        "purpose_confidence",
        "pedagogy",
        "pedagogy_confidence",
        "last_crawled",
    ] + [f"q{q.number}" for q in QUESTIONS]
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    for tool in view.tools:
        risk = risk_card(catalogue, tool["id"])
        row = {k: tool.get(k) for k in fields[:7]}
        row.update({f"q{a.question.number}": a.status for a in risk.answers})
        writer.writerow(csv_row(row))
    return out.getvalue()


def shortlist_markdown(catalogue: Catalogue, name: str) -> str:
    """A pack for governors: a summary table, then one risk card per tool."""
    view = shortlist_view(catalogue, name)
    cards = [risk_card(catalogue, tool["id"]) for tool in view.tools]
    header = "| tool | purpose | pedagogy | " + " | ".join(f"Q{q.number}" for q in QUESTIONS) + " |"
    lines = [
        f"# Shortlist: {markdown_text(view.name)}",
        "",
        f"{len(cards)} tools; prepared with edcat on "
        f"{datetime.now(UTC).strftime('%Y-%m-%d')}. Status per key risk question: "
        "vendor-stated, not stated on the crawled pages (ask the supplier), not crawled "
        "(crawl the site first) or reviewed.",
        "",
        header,
        "|---|---|---|" + "---|" * len(QUESTIONS),
    ]
    for tool, card in zip(view.tools, cards, strict=True):
        lines.append(
            f"| {markdown_text(tool['name'])} | {markdown_text(tool['purpose'])} | "
            f"{markdown_text(tool['pedagogy'])} | "
            + " | ".join(a.status for a in card.answers)
            + " |"
        )
    lines.append("")
    for card in cards:
        lines += ["---", "", "#" + risk_markdown(card)]  # each card one level below the pack
    return "\n".join(lines)


def _find(session, name: str, required: bool = True) -> Shortlist | None:
    name = name.strip()
    shortlist = session.exec(select(Shortlist).where(Shortlist.name == name)).scalars().first()
    if shortlist is None and required:
        raise ShortlistNotFound(f"no shortlist {name!r}")
    return shortlist
