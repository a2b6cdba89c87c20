"""All filtering of tools happens here: `ToolQuery` describes a filter, `query_tools` runs it.

A tool's `purpose` and `pedagogy` are its *current tags*: a person's label when there is one,
otherwise the current model prediction, or `uncertain` when the model's confidence was below its
threshold. Repeated filters on single-valued attributes (purpose, pedagogy, pricing) match any of
the values; on multi-valued facts (audience, phase, subject, --fact) a tool must have all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import and_, case, column, func, literal, literal_column, or_, select, table
from sqlalchemy.orm import aliased

from catalogue.db import FTS_TABLE, Catalogue, fts_query
from catalogue.errors import InvalidFilter
from catalogue.models import Classification, Fact, Label, Shortlist, ShortlistTool, Tool
from catalogue.vocabulary import (
    AUDIENCES,
    DIMENSIONS,
    FACT_FIELDS,
    PHASES,
    PRICING_MODELS,
    SUBJECTS,
)

TAG_STATES = ("uncertain", "unclassified")
SORTS = ("name", "updated", "first-seen", "confidence", "relevance")
DEFAULT_LIMIT = 50
MAX_LIMIT = 2**62  # SQLite integers are 64-bit
_FTS = table(FTS_TABLE, column("rowid"))


@dataclass
class ToolQuery:
    purpose: list[str] = field(default_factory=list)
    pedagogy: list[str] = field(default_factory=list)
    min_confidence: float | None = None
    audience: list[str] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    subject: list[str] = field(default_factory=list)
    pricing: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # "FIELD=VALUE"
    search: str | None = None
    changed_since: date | datetime | None = None
    shortlist: str | None = None
    sort: str | None = None  # default: relevance with --search, else name
    limit: int | None = DEFAULT_LIMIT
    offset: int = 0

    def validated(self) -> ToolQuery:
        """Normalise values; raise InvalidFilter naming the valid values for anything unknown."""
        self.purpose = _check_all("purpose", self.purpose, DIMENSIONS["purpose"] + TAG_STATES)
        self.pedagogy = _check_all("pedagogy", self.pedagogy, DIMENSIONS["pedagogy"] + TAG_STATES)
        self.audience = _check_all("audience", self.audience, AUDIENCES)
        self.phase = _check_all("phase", self.phase, PHASES)
        self.subject = _check_all("subject", self.subject, SUBJECTS)
        self.pricing = _check_all("pricing", self.pricing, PRICING_MODELS)
        self.facts = [_check_fact(f) for f in self.facts]
        if self.min_confidence is not None and not 0 <= self.min_confidence <= 1:
            raise InvalidFilter("--min-confidence must be between 0 and 1")
        if self.sort is not None and self.sort not in SORTS:
            raise InvalidFilter(f"unknown sort {self.sort!r}; valid values: {', '.join(SORTS)}")
        if self.sort == "relevance" and not self.search:
            raise InvalidFilter("--sort relevance needs --search")
        if self.limit is not None and not 1 <= self.limit <= MAX_LIMIT:
            raise InvalidFilter(f"--limit must be between 1 and {MAX_LIMIT}")
        return self


def _check_all(kind: str, values: list[str], allowed: tuple[str, ...]) -> list[str]:
    checked = []
    for value in values:
        normalised = value.strip().lower()
        if normalised not in allowed:
            raise InvalidFilter(f"unknown {kind} {value!r}; valid values: {', '.join(allowed)}")
        checked.append(normalised)
    return checked


def _check_fact(expression: str) -> str:
    name, sep, value = expression.partition("=")
    name, value = name.strip().lower(), value.strip().lower()
    if not sep or not name or not value:
        raise InvalidFilter(f"--fact takes FIELD=VALUE, got {expression!r}")
    if name not in FACT_FIELDS:
        raise InvalidFilter(f"unknown fact field {name!r}; valid fields: {', '.join(FACT_FIELDS)}")
    allowed = FACT_FIELDS[name]
    if allowed is not None and value not in allowed:
        raise InvalidFilter(
            f"unknown value {value!r} for fact {name}; valid values: {', '.join(allowed)}"
        )
    return f"{name}={value}"


def _current_tag(dimension: str):
    """Columns for a tool's current tag on one dimension (label beats model)."""
    label = aliased(Label, name=f"label_{dimension}")
    model = aliased(Classification, name=f"model_{dimension}")
    joins = [
        (
            label,
            and_(
                label.tool_id == Tool.id,
                label.dimension == dimension,
                label.is_current.is_(True),
            ),
        ),
        (
            model,
            and_(
                model.tool_id == Tool.id,
                model.dimension == dimension,
                model.is_current.is_(True),
            ),
        ),
    ]
    value = case(
        (label.label.is_not(None), label.label),
        (model.uncertain.is_(True), literal("uncertain")),
        (model.label.is_not(None), model.label),
        else_=literal("unclassified"),
    )
    confidence = case((label.label.is_not(None), literal(1.0)), else_=model.confidence)
    source = case(
        (label.label.is_not(None), literal("label")),
        (model.label.is_not(None), literal("model")),
        else_=literal(None),
    )
    return joins, value, confidence, source, model


def _active_fact(field_name: str, value: str):
    return Tool.id.in_(
        select(Fact.tool_id).where(
            Fact.field == field_name, Fact.value == value, Fact.retracted_at.is_(None)
        )
    )


def build_select(query: ToolQuery):
    """The SQLAlchemy statement for a validated query (exposed for the benchmark and tests)."""
    purpose_joins, purpose, purpose_conf, purpose_src, purpose_model = _current_tag("purpose")
    pedagogy_joins, pedagogy, pedagogy_conf, pedagogy_src, _ = _current_tag("pedagogy")
    columns = [
        Tool.id,
        Tool.name,
        Tool.slug,
        Tool.homepage,
        Tool.domain,
        Tool.category,
        Tool.description,
        purpose.label("purpose"),
        purpose_conf.label("purpose_confidence"),
        purpose_src.label("purpose_source"),
        pedagogy.label("pedagogy"),
        pedagogy_conf.label("pedagogy_confidence"),
        pedagogy_src.label("pedagogy_source"),
        purpose_model.model_version.label("model_version"),
        Tool.first_seen,
        Tool.last_crawled,
        Tool.updated_at,
    ]
    stmt = select(*columns).select_from(Tool)
    for target, condition in purpose_joins + pedagogy_joins:
        stmt = stmt.outerjoin(target, condition)
    conditions = _conditions(query, purpose, pedagogy, purpose_conf, pedagogy_conf)
    rank = None
    if query.search:
        match = fts_query(query.search)
        if not match:
            raise InvalidFilter("--search needs at least one word")
        fts = (
            select(_FTS.c.rowid, func.bm25(literal_column(FTS_TABLE)).label("rank"))
            .where(literal_column(FTS_TABLE).op("MATCH")(match))
            .subquery("search")
        )
        stmt = stmt.join(fts, fts.c.rowid == Tool.id)
        rank = fts.c.rank
    if conditions:
        stmt = stmt.where(and_(*conditions))
    stmt = stmt.order_by(*_order(query, rank, purpose_conf))
    if query.limit is not None:
        stmt = stmt.limit(query.limit).offset(query.offset)
    return stmt


def _conditions(query: ToolQuery, purpose, pedagogy, purpose_conf, pedagogy_conf) -> list:
    conditions = []
    if query.purpose:
        conditions.append(purpose.in_(query.purpose))
    if query.pedagogy:
        conditions.append(pedagogy.in_(query.pedagogy))
    if query.min_confidence is not None:
        # Applies to whichever dimensions are filtered; to both when neither is.
        if query.purpose or not query.pedagogy:
            conditions.append(purpose_conf >= query.min_confidence)
        if query.pedagogy or not query.purpose:
            conditions.append(pedagogy_conf >= query.min_confidence)
    for field_name, values in (
        ("audience", query.audience),
        ("phase", query.phase),
        ("subject", query.subject),
    ):
        conditions.extend(_active_fact(field_name, v) for v in values)
    if query.pricing:
        conditions.append(or_(*[_active_fact("pricing_model", v) for v in query.pricing]))
    for expression in query.facts:
        name, _, value = expression.partition("=")
        conditions.append(_active_fact(name, value))
    if query.shortlist is not None:
        conditions.append(
            Tool.id.in_(
                select(ShortlistTool.tool_id)
                .join(Shortlist, Shortlist.id == ShortlistTool.shortlist_id)
                .where(Shortlist.name == query.shortlist)
            )
        )
    if query.changed_since is not None:
        since = query.changed_since
        if not isinstance(since, datetime):
            since = datetime(since.year, since.month, since.day)
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        conditions.append(Tool.updated_at >= since)
    return conditions


def _order(query: ToolQuery, rank, purpose_conf) -> list:
    sort = query.sort or ("relevance" if query.search else "name")
    if sort == "relevance":
        return [rank, Tool.name]
    if sort == "confidence":
        return [purpose_conf.desc().nulls_last(), Tool.name]
    if sort == "updated":
        return [Tool.updated_at.desc(), Tool.name]
    if sort == "first-seen":
        return [Tool.first_seen.desc(), Tool.name]
    return [Tool.name.collate("NOCASE"), Tool.id]


def result_columns() -> list[str]:
    """The names of the columns `query_tools` returns, in order."""
    return [column.name for column in build_select(ToolQuery(limit=None)).selected_columns]


def query_tools(catalogue: Catalogue, query: ToolQuery) -> list[dict[str, Any]]:
    """Run a filter and return one dict per tool (see `build_select` for the columns)."""
    stmt = build_select(query.validated())
    with catalogue.engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def count_tools(catalogue: Catalogue, query: ToolQuery) -> int:
    """How many tools match, ignoring limit and offset."""
    query.validated()
    unlimited = ToolQuery(**{**query.__dict__, "limit": None, "offset": 0})
    stmt = select(func.count()).select_from(build_select(unlimited).subquery())
    with catalogue.engine.connect() as conn:
        return conn.execute(stmt).scalar_one()
