"""Side-by-side comparison of tools for `edcat tools compare`: unknowns shown as unknown."""

from __future__ import annotations

from dataclasses import dataclass

from catalogue.cards import ToolCard, tool_card
from catalogue.db import Catalogue
from catalogue.errors import CatalogueError
from catalogue.settings import stale_after_days
from catalogue.vocabulary import AI_FIELDS, DIMENSIONS, PRIVACY_FIELDS

UNKNOWN = "unknown"
OFFER_FIELDS = ("audience", "phase", "subject", "pricing_model", "price", "integration")


@dataclass
class Comparison:
    tools: list[str]
    rows: list[tuple[str, list[str]]]  # (attribute, one cell per tool)
    stale_days: int


def compare_tools(
    catalogue: Catalogue, refs: list[str], stale_days: int | None = None
) -> Comparison:
    if len(refs) < 2:
        raise CatalogueError("compare needs at least two tools")
    days = stale_after_days(stale_days)
    cards = list({c.tool["id"]: c for c in (tool_card(catalogue, r, days) for r in refs)}.values())
    if len(cards) < 2:
        raise CatalogueError("compare needs at least two different tools")
    rows: list[tuple[str, list[str]]] = [
        ("homepage", [c.tool.get("homepage") or UNKNOWN for c in cards])
    ]
    rows += [(dimension, [_tag(c, dimension) for c in cards]) for dimension in DIMENSIONS]
    for name in (*OFFER_FIELDS, *PRIVACY_FIELDS, *AI_FIELDS):
        rows.append((name, [_facts(c, name) for c in cards]))
    rows.append(("last crawled", [_date(c.tool.get("last_crawled")) for c in cards]))
    return Comparison([c.tool["name"] for c in cards], rows, days)


def _tag(card: ToolCard, dimension: str) -> str:
    for label in card.labels:
        if label["dimension"] == dimension:
            return f"{label['label']} (label)"
    for c in card.classifications:
        if c["dimension"] == dimension:
            state = "uncertain: " if c["uncertain"] else ""
            return f"{state}{c['label']} ({c['confidence']:.2f}, {_date(c['created_at'])})"
    return UNKNOWN


def _facts(card: ToolCard, name: str) -> str:
    values = [
        f["value"] + (" (stale)" if f["stale"] else "") for f in card.facts if f["field"] == name
    ]
    return ", ".join(sorted(set(values))) if values else UNKNOWN


def _date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else UNKNOWN
