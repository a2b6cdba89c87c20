"""All filtering of tools happens here: `ToolQuery` describes a filter, `query_tools` runs it.

A tool's `purpose` and `pedagogy` are its *current tags*: a person's label when there is one,
otherwise the current model prediction, or `uncertain` when the model's confidence was below its
threshold. Repeated filters on single-valued attributes (purpose, pedagogy, pricing) match any of
the values; on multi-valued facts (audience, phase, subject, --fact) a tool must have all of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, case, column, func, literal, literal_column, select, table
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


class CurrentTag(NamedTuple):
    """A tool's current tag on one dimension: the joins it needs and its expressions."""

    joins: list
    value: Any
    confidence: Any
    source: Any
    model: Any  # the joined classification (its model_version)


def _current_tag(dimension: str) -> CurrentTag:
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
    return CurrentTag(joins, value, confidence, source, model)


def _active_fact(field_name: str, value_param: str, *, any_of: bool = False):
    """Tools with an active fact `field_name` = the value bound to `value_param` (any of the
    values, bound as a list, when `any_of`)."""
    value = bindparam(value_param, expanding=any_of)
    matches = Fact.value.in_(value) if any_of else Fact.value == value
    return Tool.id.in_(
        select(Fact.tool_id).where(Fact.field == field_name, matches, Fact.retracted_at.is_(None))
    )


# --- statements, built once per query shape -----------------------------------------------------
# A query's *shape* is which filters it uses (and how many values the multi-valued ones
# have), its sort and whether it has a limit; its values are bound at execution. Building a
# statement costs more than running it on a small catalogue, so each shape is built once.

MULTI_VALUED = ("audience", "phase", "subject")  # each value one condition: all must hold


class Shape(NamedTuple):
    """What decides a query's SQL: which filters it uses, not their values."""

    purpose: bool
    pedagogy: bool
    min_confidence: bool
    multi_valued: tuple[int, ...]  # values per MULTI_VALUED filter
    fact_fields: tuple[str, ...]
    pricing: bool
    search: bool
    shortlist: bool
    changed_since: bool
    sort: str
    limited: bool

    @property
    def purpose_confidence(self) -> bool:
        """--min-confidence applies to the filtered dimensions; to both when neither is."""
        return self.min_confidence and (self.purpose or not self.pedagogy)

    @property
    def pedagogy_confidence(self) -> bool:
        return self.min_confidence and (self.pedagogy or not self.purpose)


def query_shape(query: ToolQuery) -> Shape:
    """The shape of a validated query."""
    return Shape(
        purpose=bool(query.purpose),
        pedagogy=bool(query.pedagogy),
        min_confidence=query.min_confidence is not None,
        multi_valued=tuple(len(getattr(query, name)) for name in MULTI_VALUED),
        fact_fields=tuple(f.partition("=")[0] for f in query.facts),
        pricing=bool(query.pricing),
        search=bool(query.search),
        shortlist=query.shortlist is not None,
        changed_since=query.changed_since is not None,
        sort=query.sort or ("relevance" if query.search else "name"),
        limited=query.limit is not None,
    )


def query_params(query: ToolQuery) -> dict[str, Any]:
    """The values of a validated query, by the names its shape's statement binds."""
    params: dict[str, Any] = {
        "purpose": query.purpose,
        "pedagogy": query.pedagogy,
        "min_confidence": query.min_confidence,
        "pricing": query.pricing,
        "shortlist": query.shortlist,
        "changed_since": _since(query.changed_since),
        "limit": query.limit,
        "offset": query.offset,
    }
    for name in ("audience", "phase", "subject"):
        params.update({f"{name}_{n}": value for n, value in enumerate(getattr(query, name))})
    params.update({f"fact_{n}": f.partition("=")[2] for n, f in enumerate(query.facts)})
    if query.search:
        params["search"] = fts_query(query.search)
        if not params["search"]:
            raise InvalidFilter("--search needs at least one word")
    return {k: v for k, v in params.items() if v is not None and v != []}


def _since(moment: date | datetime | None) -> datetime | None:
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@lru_cache(maxsize=256)
def _shaped(shape: Shape, count: bool):
    """The statement for one query shape: the rows, or only how many there are."""
    purpose = _current_tag("purpose")
    pedagogy = _current_tag("pedagogy")
    if count:
        stmt = select(func.count(Tool.id)).select_from(Tool)
        joins = (purpose.joins if shape.purpose or shape.purpose_confidence else []) + (
            pedagogy.joins if shape.pedagogy or shape.pedagogy_confidence else []
        )
    else:
        stmt = select(*_columns(purpose, pedagogy)).select_from(Tool)
        joins = purpose.joins + pedagogy.joins
    for target, condition in joins:
        stmt = stmt.outerjoin(target, condition)
    rank = None
    if shape.search:
        stmt, rank = _matching_search(stmt)
    conditions = _tag_conditions(shape, purpose, pedagogy) + _fact_conditions(shape)
    if shape.shortlist:
        conditions.append(_on_shortlist())
    if shape.changed_since:
        conditions.append(Tool.updated_at >= bindparam("changed_since"))
    if conditions:
        stmt = stmt.where(and_(*conditions))
    if count:
        return stmt
    stmt = stmt.order_by(*_order(shape.sort, rank, purpose.confidence))
    if shape.limited:
        stmt = stmt.limit(bindparam("limit")).offset(bindparam("offset"))
    return stmt


def _matching_search(stmt):
    """Join the full-text matches of the bound `search`; returns the statement and bm25 rank."""
    fts = (
        select(_FTS.c.rowid, func.bm25(literal_column(FTS_TABLE)).label("rank"))
        .where(literal_column(FTS_TABLE).op("MATCH")(bindparam("search")))
        .subquery("search")
    )
    return stmt.join(fts, fts.c.rowid == Tool.id), fts.c.rank


def _tag_conditions(shape: Shape, purpose: CurrentTag, pedagogy: CurrentTag) -> list:
    conditions = []
    if shape.purpose:
        conditions.append(purpose.value.in_(bindparam("purpose", expanding=True)))
    if shape.pedagogy:
        conditions.append(pedagogy.value.in_(bindparam("pedagogy", expanding=True)))
    if shape.purpose_confidence:
        conditions.append(purpose.confidence >= bindparam("min_confidence"))
    if shape.pedagogy_confidence:
        conditions.append(pedagogy.confidence >= bindparam("min_confidence"))
    return conditions


def _columns(purpose: CurrentTag, pedagogy: CurrentTag) -> list:
    return [
        Tool.id,
        Tool.name,
        Tool.slug,
        Tool.homepage,
        Tool.domain,
        Tool.category,
        Tool.description,
        purpose.value.label("purpose"),
        purpose.confidence.label("purpose_confidence"),
        purpose.source.label("purpose_source"),
        pedagogy.value.label("pedagogy"),
        pedagogy.confidence.label("pedagogy_confidence"),
        pedagogy.source.label("pedagogy_source"),
        purpose.model.model_version.label("model_version"),
        Tool.first_seen,
        Tool.last_crawled,
        Tool.updated_at,
    ]


def _fact_conditions(shape: Shape) -> list:
    conditions = []
    for name, count in zip(MULTI_VALUED, shape.multi_valued, strict=True):
        conditions += [_active_fact(name, f"{name}_{n}") for n in range(count)]
    if shape.pricing:
        conditions.append(_active_fact("pricing_model", "pricing", any_of=True))
    conditions += [_active_fact(name, f"fact_{n}") for n, name in enumerate(shape.fact_fields)]
    return conditions


def _on_shortlist():
    return Tool.id.in_(
        select(ShortlistTool.tool_id)
        .join(Shortlist, Shortlist.id == ShortlistTool.shortlist_id)
        .where(Shortlist.name == bindparam("shortlist"))
    )


def statement(query: ToolQuery):
    """The (cached) statement of a validated query, without its values: run it with
    `query_params(query)`."""
    return _shaped(query_shape(query), False)


def count_statement(query: ToolQuery):
    """The (cached) statement counting a validated query's matches: only the joins its
    filters need, no columns, no order, no limit."""
    return _shaped(query_shape(query), True)


def build_select(query: ToolQuery):
    """The statement of a validated query with its values bound (for the benchmark, tests
    and callers that embed it, such as stats)."""
    return statement(query).params(query_params(query))


def _order(sort: str, rank, purpose_conf) -> list:
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
    query.validated()
    with catalogue.engine.connect() as conn:
        rows = conn.execute(statement(query), query_params(query))
        return [dict(row._mapping) for row in rows]


def count_tools(catalogue: Catalogue, query: ToolQuery, page_rows: int | None = None) -> int:
    """How many tools match, ignoring limit and offset.

    `page_rows`: how many rows the query itself returned, when the caller ran it. A page
    shorter than the limit is the end of the matches, so the count needs no query.
    """
    query.validated()
    page_was_short = page_rows is not None and (query.limit is None or page_rows < query.limit)
    if page_was_short and (page_rows or not query.offset):  # past the end: a count is needed
        return query.offset + page_rows
    with catalogue.engine.connect() as conn:
        return conn.execute(count_statement(query), query_params(query)).scalar_one()
