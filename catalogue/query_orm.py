"""The SQLAlchemy form of a tool filter: the statement `catalogue.stats` groups by, and the
reference the plain-SQL path of `catalogue.query` is tested against (same rows, same order).

Importing this module costs SQLAlchemy and the models (about a second); `edcat tools list`
goes through `catalogue.query`'s plain sqlite3 path instead.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import and_, case, column, func, literal, literal_column, or_, select, table
from sqlalchemy.orm import aliased

from catalogue.errors import InvalidFilter
from catalogue.models import Classification, Fact, Label, Shortlist, ShortlistTool, Tool
from catalogue.query import FTS_TABLE, ToolQuery, fts_query

_FTS = table(FTS_TABLE, column("rowid"))


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
    stmt = stmt.order_by(*_order(query, rank, purpose, pedagogy, purpose_conf, pedagogy_conf))
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


def _order(query: ToolQuery, rank, purpose, pedagogy, purpose_conf, pedagogy_conf) -> list:
    """ORDER BY as catalogue.query writes it: the sort, then name (case-insensitive) and id."""
    sort, descending = query.order()
    expressions = {
        "name": Tool.name.collate("NOCASE"),
        "id": Tool.id,
        "domain": Tool.domain.collate("NOCASE"),
        "purpose": purpose,
        "pedagogy": pedagogy,
        "confidence": purpose_conf,
        "pedagogy-confidence": pedagogy_conf,
        "updated": Tool.updated_at,
        "first-seen": Tool.first_seen,
        "crawled": Tool.last_crawled,
        "relevance": rank,
    }
    first = expressions[sort].desc() if descending else expressions[sort].asc()
    if sort == "name":
        return [first, Tool.id.desc() if descending else Tool.id]
    return [first, Tool.name.collate("NOCASE"), Tool.id]
