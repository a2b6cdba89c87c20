"""What crawls changed: pages new or changed, facts added or removed, AI that appeared.

Trusts are asked to re-audit tools they already use for newly added AI (recommendation 12
of the 2024 trusts' report); `edcat changes` is that audit list. It reads the history the
crawler keeps: `page_versions.changed` per fetch, and facts' `first_observed_at` /
`retracted_at`.

Facts are compared per tool, not per page: a fact that moves from one page to another is no
change, and "AI appeared" means the tool states an AI fact (ai_generative / ai_chatbot /
ai_adaptive = yes, or an ai_provider) that it did not state at `since`. Only facts found on
the vendor's pages count (origin "crawl"), not those imported from source lists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from catalogue.db import Catalogue
from catalogue.errors import CatalogueError
from catalogue.models import CrawlRun, Fact, Page, PageVersion, Tool
from catalogue.vocabulary import AI_FIELDS


@dataclass(frozen=True)
class PageChange:
    url: str
    kind: str
    change: str  # "new" | "changed"
    fetched_at: datetime


@dataclass(frozen=True)
class FactChange:
    field: str
    value: str
    change: str  # "added" | "removed"
    evidence: str | None
    source_url: str | None
    at: datetime


@dataclass
class ToolChanges:
    tool_id: int
    slug: str
    name: str
    homepage: str | None
    first_crawl: bool  # no page of this tool was fetched before `since`
    pages: list[PageChange] = field(default_factory=list)
    facts_added: list[FactChange] = field(default_factory=list)
    facts_removed: list[FactChange] = field(default_factory=list)

    @property
    def ai_appeared(self) -> list[FactChange]:
        return [f for f in self.facts_added if is_ai_feature(f.field, f.value)]


@dataclass
class ChangeReport:
    since: datetime
    tools: list[ToolChanges]

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since,
            "tools": [
                {**asdict(t), "ai_appeared": [asdict(f) for f in t.ai_appeared]} for t in self.tools
            ],
        }


def is_ai_feature(field_name: str, value: str) -> bool:
    return field_name in AI_FIELDS and (field_name == "ai_provider" or value == "yes")


def changes_since(catalogue: Catalogue, since: date | datetime | None = None) -> ChangeReport:
    """Tools that changed on or after `since` (UTC; default: the start of the last crawl run),
    those where AI appeared first, then by name."""
    start = _as_utc(since) if since is not None else last_crawl_start(catalogue)
    with catalogue.session() as session:
        pages, seen_before = _page_changes(session, start)
        facts_by_tool = _fact_history(session, start)
        tool_ids = set(pages) | set(facts_by_tool)
        tools = {t.id: t for t in session.exec(select(Tool).where(Tool.id.in_(tool_ids))).scalars()}
    report = []
    for tool_id in tool_ids:
        added, removed = _fact_changes(facts_by_tool.get(tool_id, []), start)
        if not (pages.get(tool_id) or added or removed):
            continue
        tool = tools[tool_id]
        report.append(
            ToolChanges(
                tool.id,
                tool.slug,
                tool.name,
                tool.homepage,
                first_crawl=tool_id not in seen_before,
                pages=sorted(pages.get(tool_id, []), key=lambda p: p.url),
                facts_added=added,
                facts_removed=removed,
            )
        )
    report.sort(key=lambda t: (not t.ai_appeared, t.name.lower()))
    return ChangeReport(since=start, tools=report)


def last_crawl_start(catalogue: Catalogue) -> datetime:
    with catalogue.session() as session:
        started = (
            session.exec(
                select(CrawlRun.started_at).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc())
            )
            .scalars()
            .first()
        )
    if started is None:
        raise CatalogueError("no crawl has run on this catalogue yet; run `edcat crawl` first")
    return _as_utc(started)


def _as_utc(moment: date | datetime) -> datetime:
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _page_changes(session, since: datetime) -> tuple[dict[int, list[PageChange]], set[int]]:
    """Pages fetched with new content since `since`, per tool; and the tools that had any
    page fetched before it."""
    rows = session.exec(fetches_since(since)).all()
    earlier = session.exec(
        select(Page.tool_id, Page.id)
        .join(PageVersion, PageVersion.page_id == Page.id)
        .where(PageVersion.fetched_at < since)
        .distinct()
    ).all()
    pages_before = {page_id for _, page_id in earlier}
    changes: dict[int, dict[int, PageChange]] = defaultdict(dict)
    for tool_id, page_id, url, kind, fetched_at in rows:
        change = "changed" if page_id in pages_before else "new"
        changes[tool_id].setdefault(page_id, PageChange(url, kind, change, fetched_at))
    return {t: list(p.values()) for t, p in changes.items()}, {t for t, _ in earlier}


def fetches_since(since: datetime):
    """Fetches since `since` that found new content (page_versions has an index by date)."""
    return (
        select(Page.tool_id, Page.id, Page.url, Page.kind, PageVersion.fetched_at)
        .join(PageVersion, PageVersion.page_id == Page.id)
        .where(PageVersion.fetched_at >= since, PageVersion.changed.is_(True))
        .order_by(PageVersion.fetched_at)
    )


def facts_touched_since(since: datetime):
    """All crawl facts of the tools with a fact first observed or retracted since `since`."""
    touched = select(Fact.tool_id).where(
        Fact.origin == "crawl",
        (Fact.first_observed_at >= since) | (Fact.retracted_at >= since),
    )
    return select(Fact).where(Fact.origin == "crawl", Fact.tool_id.in_(touched))


def _fact_history(session, since: datetime) -> dict[int, list[Fact]]:
    """All crawl facts of the tools with a fact first observed or retracted since `since`."""
    facts = session.exec(facts_touched_since(since)).scalars()
    by_tool: dict[int, list[Fact]] = defaultdict(list)
    for fact in facts:
        by_tool[fact.tool_id].append(fact)
    return by_tool


def _fact_changes(facts: list[Fact], since: datetime) -> tuple[list[FactChange], list[FactChange]]:
    """(added, removed) (field, value) pairs of one tool between `since` and now."""
    before: dict[tuple[str, str], Fact] = {}
    now: dict[tuple[str, str], Fact] = {}
    for fact in sorted(facts, key=lambda f: f.first_observed_at):
        key = (fact.field, fact.value)
        if fact.first_observed_at < since and (
            fact.retracted_at is None or fact.retracted_at >= since
        ):
            before.setdefault(key, fact)
        if fact.retracted_at is None:
            now.setdefault(key, fact)
    added = [_change(now[k], "added", now[k].first_observed_at) for k in now if k not in before]
    removed = [
        _change(before[k], "removed", before[k].retracted_at) for k in before if k not in now
    ]
    return sorted(added, key=_order), sorted(removed, key=_order)


def _change(fact: Fact, change: str, at: datetime | None) -> FactChange:
    return FactChange(fact.field, fact.value, change, fact.evidence, fact.source_url, at)


def _order(change: FactChange) -> tuple[str, str]:
    return change.field, change.value
