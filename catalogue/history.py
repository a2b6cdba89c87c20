"""One tool's change history, newest first: facts that appeared or went, pages that changed.

The tool page of the web catalogue shows it ("AI feature appeared on ..."), answering the
trusts' request to re-audit tools already in use when they add AI (`edcat changes` is the
catalogue-wide view of the same records).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

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
    with catalogue.session() as session:
        facts = session.exec(
            select(Fact).where(Fact.tool_id == tool_id, Fact.origin == "crawl")
        ).scalars()
        events = [event for fact in facts for event in _fact_events(fact)]
        versions = session.exec(
            select(PageVersion, Page.url)
            .join(Page, Page.id == PageVersion.page_id)
            .where(Page.tool_id == tool_id, PageVersion.changed.is_(True))
        ).all()
    first_seen: dict[str, datetime] = {}
    for version, url in versions:
        at = version.fetched_at
        if url not in first_seen or at < first_seen[url]:
            first_seen[url] = at
    for version, url in versions:
        kind = "page first fetched" if version.fetched_at == first_seen[url] else "page changed"
        events.append(HistoryEvent(version.fetched_at, kind, url, url))
    events.sort(key=lambda e: (_sortable(e.at), e.subject), reverse=True)
    return events[:limit]


def _fact_events(fact: Fact) -> list[HistoryEvent]:
    subject = f"{fact.field} = {fact.value}"
    ai = is_ai_feature(fact.field, fact.value)
    events = [HistoryEvent(fact.first_observed_at, "fact added", subject, fact.source_url, ai)]
    if fact.retracted_at is not None:
        events.append(HistoryEvent(fact.retracted_at, "fact removed", subject, fact.source_url, ai))
    return events


def _sortable(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
