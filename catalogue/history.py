"""One tool's change history, newest first: facts that appeared or went, pages that changed.

The tool page of the web catalogue shows it ("AI feature appeared on ..."), answering the
trusts' request to re-audit tools already in use when they add AI (`edcat changes` is the
catalogue-wide view of the same records).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, bindparam, select

from catalogue.changes import is_ai_feature
from catalogue.db import Catalogue
from catalogue.models import Fact, Page, PageVersion

MAX_EVENTS = 200


@dataclass(frozen=True)
class HistoryEvent:
    at: datetime
    kind: str  # "fact added" | "fact removed" | "page changed" | "page first fetched"
    subject: str  # "field = value" or a page URL
    source_url: str | None = None
    ai_feature: bool = False


def tool_history(catalogue: Catalogue, tool_id: int, limit: int = MAX_EVENTS) -> list[HistoryEvent]:
    """What changed for one tool, newest first, at most `limit` events."""
    with catalogue.read_connection() as connection:
        return tool_history_in(connection, tool_id, limit)


_FACTS, _PAGES, _VERSIONS = Fact.__table__.c, Page.__table__.c, PageVersion.__table__.c
_TOOL_ID = bindparam("tool_id")
# Built once, on the tables' columns (Core rows, no ORM objects): the tool page runs them.
CRAWLED_FACTS_OF_TOOL = select(
    _FACTS.field, _FACTS.value, _FACTS.first_observed_at, _FACTS.retracted_at, _FACTS.source_url
).where(_FACTS.tool_id == _TOOL_ID, _FACTS.origin == "crawl")
CHANGED_VERSIONS_OF_TOOL = (
    select(_VERSIONS.fetched_at, _PAGES.url)
    .join(Page.__table__, _PAGES.id == _VERSIONS.page_id)
    .where(_PAGES.tool_id == _TOOL_ID, _VERSIONS.changed.is_(True))
)


def tool_history_in(
    connection: Connection, tool_id: int, limit: int = MAX_EVENTS
) -> list[HistoryEvent]:
    """`tool_history` within an open connection."""
    params = {"tool_id": tool_id}
    facts = connection.execute(CRAWLED_FACTS_OF_TOOL, params).all()
    events = [event for fact in facts for event in _fact_events(fact)]
    versions = connection.execute(CHANGED_VERSIONS_OF_TOOL, params).all()
    first_seen: dict[str, datetime] = {}
    for at, url in versions:
        if url not in first_seen or at < first_seen[url]:
            first_seen[url] = at
    for at, url in versions:
        kind = "page first fetched" if at == first_seen[url] else "page changed"
        events.append(HistoryEvent(at, kind, url, url))
    events.sort(key=lambda e: (_sortable(e.at), e.subject), reverse=True)
    return events[:limit]


def _fact_events(fact) -> list[HistoryEvent]:
    """The events of one row of CRAWLED_FACTS_OF_TOOL."""
    subject = f"{fact.field} = {fact.value}"
    ai = is_ai_feature(fact.field, fact.value)
    events = [HistoryEvent(fact.first_observed_at, "fact added", subject, fact.source_url, ai)]
    if fact.retracted_at is not None:
        events.append(HistoryEvent(fact.retracted_at, "fact removed", subject, fact.source_url, ai))
    return events


def _sortable(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
