"""`edcat stats`: what the catalogue holds, by tag and by the facts procurement filters on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import distinct, func, select

from catalogue.db import Catalogue
from catalogue.models import Fact, Page, Tool
from catalogue.query import ToolQuery, build_select
from catalogue.vocabulary import AI_FIELDS, PHASES, PRICING_MODELS, PRIVACY_FIELDS


@dataclass
class CatalogueStats:
    tools: int = 0
    crawled_tools: int = 0
    pages: int = 0
    facts: int = 0
    purpose_by_pedagogy: dict[str, dict[str, int]] = field(default_factory=dict)
    pricing: dict[str, int] = field(default_factory=dict)
    phase: dict[str, int] = field(default_factory=dict)
    with_privacy_facts: int = 0
    with_ai_facts: int = 0

    @property
    def privacy_share(self) -> float:
        return self.with_privacy_facts / self.tools if self.tools else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "privacy_share": round(self.privacy_share, 4)}


def catalogue_stats(catalogue: Catalogue) -> CatalogueStats:
    stats = CatalogueStats()
    tags = build_select(ToolQuery(limit=None)).subquery()
    with catalogue.engine.connect() as conn:
        stats.tools = conn.execute(select(func.count()).select_from(Tool)).scalar_one()
        stats.crawled_tools = conn.execute(
            select(func.count()).where(Tool.last_crawled.is_not(None))
        ).scalar_one()
        stats.pages = conn.execute(select(func.count()).select_from(Page)).scalar_one()
        stats.facts = conn.execute(
            select(func.count()).where(Fact.retracted_at.is_(None))
        ).scalar_one()
        for purpose, pedagogy, count in conn.execute(
            select(tags.c.purpose, tags.c.pedagogy, func.count()).group_by(
                tags.c.purpose, tags.c.pedagogy
            )
        ):
            stats.purpose_by_pedagogy.setdefault(purpose, {})[pedagogy] = count
        stats.pricing = _fact_counts(conn, "pricing_model", PRICING_MODELS, stats.tools)
        stats.phase = _fact_counts(conn, "phase", PHASES, stats.tools)
        stats.with_privacy_facts = _tools_with(conn, PRIVACY_FIELDS)
        stats.with_ai_facts = _tools_with(conn, AI_FIELDS)
    return stats


def _fact_counts(conn, field_name: str, values: tuple[str, ...], total: int) -> dict[str, int]:
    """Tools per value (a tool can count under several), plus 'unknown' for tools with none."""
    rows = dict(
        conn.execute(
            select(Fact.value, func.count(distinct(Fact.tool_id)))
            .where(Fact.field == field_name, Fact.retracted_at.is_(None))
            .group_by(Fact.value)
        ).all()
    )
    counts = {value: rows.get(value, 0) for value in values}
    known = _tools_with(conn, (field_name,))
    counts["unknown"] = total - known
    return counts


def _tools_with(conn, fields: tuple[str, ...]) -> int:
    return conn.execute(
        select(func.count(distinct(Fact.tool_id))).where(
            Fact.field.in_(fields), Fact.retracted_at.is_(None)
        )
    ).scalar_one()
