"""Incremental recrawl: what the catalogue already knows about the pages a crawl will visit.

A page stored by an earlier crawl keeps the validators its server sent (ETag, Last-Modified).
`ConditionalRequestMiddleware` sends them back (If-None-Match, If-Modified-Since); a page
that answers 304 Not Modified is re-observed (its facts re-confirmed with a new observed
date) without being downloaded or extracted again, and the spider follows the tool's other
known pages instead of the links it would have read from the page. With `--stale-days N`
(EDCAT_STALE_DAYS) pages fetched within the last N days are not requested at all.

Everything here reads the catalogue once, when the crawl starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from scrapy.exceptions import NotConfigured
from scrapy.http import Request
from sqlalchemy import func, select

from catalogue import open_catalogue
from catalogue.models import Fact, Page, PageVersion, utcnow
from catalogue.urls import canonical_url
from crawler.frontier import PageOutcome

NOT_MODIFIED = 304


@dataclass(frozen=True)
class KnownPage:
    """A page of a tool as the catalogue has it."""

    url: str
    fetched_at: datetime
    http_status: int | None
    etag: str | None
    last_modified: str | None

    @property
    def live(self) -> bool:
        """The page answered last time (it is worth revisiting)."""
        return self.http_status == 200


KnownPages = dict[int, dict[str, KnownPage]]  # tool id -> canonical URL -> page


def load_known_pages(db_path: str | Path, tool_ids: list[int]) -> KnownPages:
    """The stored pages of these tools, by tool and canonical URL."""
    known: KnownPages = {tool_id: {} for tool_id in tool_ids}
    catalogue = open_catalogue(db_path)
    try:
        with catalogue.session() as session:
            for chunk in _chunks(tool_ids, 500):
                rows = session.exec(
                    select(
                        Page.tool_id, Page.url, Page.fetched_at, Page.http_status,
                        Page.etag, Page.last_modified,
                    ).where(Page.tool_id.in_(chunk))
                )
                for tool_id, url, *rest in rows:
                    known[tool_id][url] = KnownPage(url, *rest)
    finally:
        catalogue.close()
    return known


def stale_cutoff(days: float | None, now: datetime | None = None) -> datetime | None:
    """Pages fetched at or after this moment are fresh (None: every page is stale)."""
    if days is None:
        return None
    return (now or utcnow()) - timedelta(days=days)


def is_fresh(page: KnownPage | None, cutoff: datetime | None) -> bool:
    return page is not None and cutoff is not None and page.live and page.fetched_at >= cutoff


def stored_outcomes(db_path: str | Path, run_id: int) -> dict[tuple[int, str], PageOutcome]:
    """(tool id, canonical URL) -> outcome for every page the catalogue stored in this crawl
    run: what a resumed crawl checks its frontier against (see FrontierStore.reconcile)."""
    catalogue = open_catalogue(db_path)
    try:
        with catalogue.session() as session:
            earlier = (
                select(PageVersion.page_id)
                .where(PageVersion.crawl_run_id != run_id)
                .distinct()
                .subquery()
            )
            not_modified = (
                select(PageVersion.page_id)
                .where(
                    PageVersion.crawl_run_id == run_id, PageVersion.http_status == NOT_MODIFIED
                )
                .distinct()
                .subquery()
            )
            facts = (
                select(Fact.page_id, func.count().label("n"))
                .where(Fact.crawl_run_id == run_id, Fact.retracted_at.is_(None))
                .group_by(Fact.page_id)
                .subquery()
            )
            rows = session.exec(
                select(
                    Page.tool_id, Page.url, Page.http_status, not_modified.c.page_id.is_not(None),
                    Page.text, Page.changed_at >= Page.fetched_at,
                    earlier.c.page_id.is_not(None), func.coalesce(facts.c.n, 0),
                )
                .outerjoin(earlier, earlier.c.page_id == Page.id)
                .outerjoin(not_modified, not_modified.c.page_id == Page.id)
                .outerjoin(facts, facts.c.page_id == Page.id)
                .where(Page.crawl_run_id == run_id)
            )
            return {
                (tool_id, url): PageOutcome(
                    _outcome(was_304, changed, seen_before), facts_count, not (text or "").strip()
                )
                for tool_id, url, status, was_304, text, changed, seen_before, facts_count in rows
                if status == 200
            }
    finally:
        catalogue.close()


def _outcome(not_modified: bool, changed: bool, seen_before: bool) -> str:
    if not_modified:
        return "not-modified"
    if not seen_before:
        return "new"
    return "changed" if changed else "unchanged"


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ConditionalRequestMiddleware:
    """Sends a stored page's validators with its request, and lets a 304 reach the spider.

    Reads the validators of the crawled tools' pages once (EDCAT_DB). Off when replaying an
    archive (it answers with what was recorded) or when EDCAT_CONDITIONAL is False.
    """

    def __init__(self, known: KnownPages):
        self.known = known

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if (
            not settings.getbool("EDCAT_CONDITIONAL")
            or settings.get("EDCAT_REPLAY")
            or not settings.get("EDCAT_DB")
        ):
            raise NotConfigured
        return cls(getattr(crawler.spider, "known_pages", {}))

    def process_request(self, request: Request) -> None:
        tool_id = request.meta.get("edcat_tool")
        page = self.known.get(tool_id, {}).get(canonical_url(request.url))
        if page is None or not page.live or not (page.etag or page.last_modified):
            return None
        if page.etag:
            request.headers[b"If-None-Match"] = page.etag
        if page.last_modified:
            request.headers[b"If-Modified-Since"] = page.last_modified
        allowed = list(request.meta.get("handle_httpstatus_list", []))
        request.meta["handle_httpstatus_list"] = [*allowed, NOT_MODIFIED]
        return None
