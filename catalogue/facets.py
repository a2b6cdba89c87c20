"""Facet counts for a filter: how many of the matching tools each further choice would keep.

Facets whose values are alternatives (purpose, pedagogy, pricing: a tool matches any chosen
value) are counted with their own choice taken out, so every alternative keeps its count. Facets
that narrow (audience, phase, subject, AI and privacy facts: a tool must have all chosen values)
are counted within the current matches. Both use `build_select`, the one filter implementation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import func, select

from catalogue.db import Catalogue
from catalogue.models import Fact
from catalogue.query import ToolQuery, build_select
from catalogue.vocabulary import AUDIENCES, DIMENSIONS, PHASES, PRICING_MODELS, SUBJECTS

# Yes/no facts offered as check boxes: (fact expression, what a person reads).
AI_CHOICES = (
    ("ai_generative=yes", "generative AI"),
    ("ai_chatbot=yes", "chatbot"),
    ("ai_adaptive=yes", "adaptive"),
)
PRIVACY_CHOICES = (
    ("gdpr=yes", "GDPR stated"),
    ("dpa_offered=yes", "DPA offered"),
    ("coppa=yes", "COPPA stated"),
    ("ferpa=yes", "FERPA stated"),
    ("trains_on_user_data=no", "does not train on user data"),
)


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str  # the query parameter: purpose, pedagogy, audience, phase, subject, pricing, fact
    title: str
    values: list[FacetValue]


def facet_counts(catalogue: Catalogue, query: ToolQuery) -> list[Facet]:
    """Every facet with a count per value, for `query` (validated here)."""
    query = replace(query.validated(), limit=None, offset=0, sort=None)
    with catalogue.engine.connect() as conn:
        return [
            _tag_facet(conn, query, "purpose"),
            _tag_facet(conn, query, "pedagogy"),
            _fact_facet(conn, query, "audience", "audience", AUDIENCES, "audience"),
            _fact_facet(conn, query, "phase", "phase", PHASES, "phase"),
            _fact_facet(conn, query, "subject", "subject", SUBJECTS, "subject"),
            _fact_facet(conn, query, "pricing", "pricing_model", PRICING_MODELS, "pricing"),
            _choice_facet(conn, query, "AI features", AI_CHOICES),
            _choice_facet(conn, query, "privacy", PRIVACY_CHOICES),
        ]


def _matching(query: ToolQuery):
    return build_select(query).subquery()


def _tag_facet(conn, query: ToolQuery, dimension: str) -> Facet:
    chosen = getattr(query, dimension)
    base = _matching(replace(query, **{dimension: []}))
    counts = dict(
        conn.execute(select(base.c[dimension], func.count()).group_by(base.c[dimension])).all()
    )
    values = [*DIMENSIONS[dimension], "uncertain", "unclassified"]
    return Facet(
        dimension,
        dimension,
        [FacetValue(v, v, counts.get(v, 0), v in chosen) for v in values],
    )


def _fact_facet(conn, query, name, field_name, vocabulary, title) -> Facet:
    chosen = getattr(query, name)
    alternatives = name == "pricing"  # pricing values are alternatives, the others narrow
    base = _matching(replace(query, pricing=[]) if alternatives else query)
    counts = dict(
        conn.execute(
            select(Fact.value, func.count(func.distinct(Fact.tool_id)))
            .where(
                Fact.field == field_name,
                Fact.retracted_at.is_(None),
                Fact.tool_id.in_(select(base.c.id)),
            )
            .group_by(Fact.value)
        ).all()
    )
    return Facet(name, title, [FacetValue(v, v, counts.get(v, 0), v in chosen) for v in vocabulary])


def _choice_facet(conn, query: ToolQuery, title: str, choices) -> Facet:
    base = _matching(query)
    values = []
    for expression, label in choices:
        field_name, _, value = expression.partition("=")
        count = conn.execute(
            select(func.count(func.distinct(Fact.tool_id))).where(
                Fact.field == field_name,
                Fact.value == value,
                Fact.retracted_at.is_(None),
                Fact.tool_id.in_(select(base.c.id)),
            )
        ).scalar_one()
        values.append(FacetValue(expression, label, count, expression in query.facts))
    return Facet("fact", title, values)
