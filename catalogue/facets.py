"""Facet counts for a filter: how many of the matching tools each further choice would keep.

Facets whose values are alternatives (purpose, pedagogy, pricing: a tool matches any chosen
value) are counted with their own choice taken out, so every alternative keeps its count. Facets
that narrow (audience, phase, subject, AI and privacy facts: a tool must have all chosen values)
are counted within the current matches. Both run the list's own SQL (`catalogue.query`), the
one filter implementation.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, replace

from catalogue.db import Catalogue
from catalogue.query import ToolQuery, tag_rows_sql
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
    """Every facet with a count per value, for `query` (validated here).

    One pass over the matching tools gives their tags and ids, and one grouped query over the
    index of active facts counts every fact facet. A facet of alternatives that
    has a choice made needs one more pass without that choice.
    """
    query = replace(query.validated(), limit=None, offset=0, sort=None)
    with catalogue.engine.connect() as conn:
        matches = _matches(conn, query)
        facts = _fact_counts(conn, [m[0] for m in matches], FACT_FACET_FIELDS)
        tags = {}
        for dimension, position in (("purpose", 1), ("pedagogy", 2)):
            rows = matches
            if getattr(query, dimension):
                rows = _matches(conn, replace(query, **{dimension: []}))
            tags[dimension] = Counter(row[position] for row in rows)
        pricing = facts
        if query.pricing:
            unpriced = _matches(conn, replace(query, pricing=[]))
            pricing = _fact_counts(conn, [m[0] for m in unpriced], ("pricing_model",))
    return [
        _tag_facet(query, "purpose", tags["purpose"]),
        _tag_facet(query, "pedagogy", tags["pedagogy"]),
        _fact_facet(query, "audience", AUDIENCES, facts.get("audience", {})),
        _fact_facet(query, "phase", PHASES, facts.get("phase", {})),
        _fact_facet(query, "subject", SUBJECTS, facts.get("subject", {})),
        _fact_facet(query, "pricing", PRICING_MODELS, pricing.get("pricing_model", {})),
        _choice_facet(query, "AI features", AI_CHOICES, facts),
        _choice_facet(query, "privacy", PRIVACY_CHOICES, facts),
    ]


FACT_FACET_FIELDS = tuple(
    dict.fromkeys(
        ["audience", "phase", "subject", "pricing_model"]
        + [choice.partition("=")[0] for choice, _ in AI_CHOICES + PRIVACY_CHOICES]
    )
)


def _matches(conn, query: ToolQuery) -> list[tuple[int, str, str]]:
    """(id, purpose, pedagogy) of every tool the query matches (the same SQL as the list)."""
    sql, params = tag_rows_sql(query)
    return [tuple(row) for row in conn.exec_driver_sql(sql, tuple(params))]


def _fact_counts(conn, tool_ids: list[int], fields: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """{field: {value: tools}} among `tool_ids`, through the covering index of active facts.

    The ids travel as one JSON array (`json_each`): readers are query-only, so no temporary
    table, and one statement whatever the number of matches."""
    if not tool_ids:
        return {}
    placeholders = ", ".join("?" for _ in fields)
    rows = conn.exec_driver_sql(
        "SELECT field, value, COUNT(DISTINCT tool_id) FROM facts "
        "INDEXED BY ix_facts_active_field_value_tool "
        f"WHERE retracted_at IS NULL AND field IN ({placeholders}) "
        "AND tool_id IN (SELECT value FROM json_each(?)) GROUP BY field, value",
        (*fields, json.dumps(tool_ids)),
    )
    counts: dict[str, dict[str, int]] = {}
    for field_name, value, count in rows:
        counts.setdefault(field_name, {})[value] = count
    return counts


def _tag_facet(query: ToolQuery, dimension: str, counts: Counter) -> Facet:
    chosen = getattr(query, dimension)
    values = [*DIMENSIONS[dimension], "uncertain", "unclassified"]
    return Facet(
        dimension, dimension, [FacetValue(v, v, counts.get(v, 0), v in chosen) for v in values]
    )


def _fact_facet(query: ToolQuery, name: str, vocabulary, counts: dict[str, int]) -> Facet:
    chosen = getattr(query, name)
    return Facet(name, name, [FacetValue(v, v, counts.get(v, 0), v in chosen) for v in vocabulary])


def _choice_facet(query: ToolQuery, title: str, choices, facts) -> Facet:
    values = []
    for expression, label in choices:
        field_name, _, value = expression.partition("=")
        count = facts.get(field_name, {}).get(value, 0)
        values.append(FacetValue(expression, label, count, expression in query.facts))
    return Facet("fact", title, values)
