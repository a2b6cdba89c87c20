"""The spider: each tool's home page, then the same-site pages a buyer needs.

Parsing is the pure extraction layer (`crawler.extract`, `crawler.facts`,
`crawler.page_kinds`, run through `crawler.analysis`, inline or in worker processes); the
link policy is `crawler.frontier`. The spider only wires them to
Scrapy: it yields a `PageItem` per page (a `PageReobservedItem` for a 304), a `FailureItem`
per page that could not be had, and requests for the next pages, committing each claim to
the durable frontier (`FrontierStore`) before the item reaches the pipeline. Storing is the
pipeline's job.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure

from catalogue.models import utcnow
from catalogue.urls import canonical_url
from crawler.analysis import Analyser, worker_count
from crawler.failures import failure_reason
from crawler.frontier import FRONTIER_FILE, Entry, FrontierStore, ToolFrontier
from crawler.items import FailureItem, PageItem, PageReobservedItem
from crawler.page_kinds import buyer_link_priority, page_kind
from crawler.recrawl import (
    NOT_MODIFIED,
    KnownPages,
    is_fresh,
    load_known_pages,
    stale_cutoff,
    stored_outcomes,
)

ENTRY = "edcat_entry"  # request meta: the frontier entry's URL (kept through redirects)
KNOWN_PAGE_PRIORITY = 50  # a known page that no buyer-link rule ranks


@dataclass(frozen=True)
class ToolTarget:
    """A tool to crawl: its catalogue id and home page."""

    tool_id: int
    name: str
    homepage: str


class ToolSpider(scrapy.Spider):
    """Crawls the sites of the given tools (spider argument `targets`).

    Per-tool progress lives in a `FrontierStore` in the crawl's job directory
    (EDCAT_JOB_DIR), so `edcat crawl --resume` continues where a crawl stopped, however it
    stopped. Without a job directory (unit tests) the store is in memory.
    """

    name = "edcat-tools"

    def __init__(self, targets: list[ToolTarget], **kwargs: Any):
        super().__init__(**kwargs)
        self.targets = list(targets)
        self.analyser = Analyser(0)
        self.store = FrontierStore()
        self._frontiers: dict[int, ToolFrontier] = {}
        self.known_pages: KnownPages = {}
        self.fresh_after = None  # --stale-days: pages fetched since then are not revisited

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> ToolSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        workers = worker_count(settings.get("EDCAT_EXTRACT_WORKERS"), len(spider.targets))
        spider.analyser = Analyser(workers)
        crawler.signals.connect(spider.analyser.close, signal=signals.spider_closed)
        crawler.signals.connect(spider.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(spider.store.close, signal=signals.engine_stopped)
        spider.open_frontier(settings)
        return spider

    def open_frontier(self, settings) -> None:
        """The durable frontier of this crawl; a resumed one is first checked against what
        the catalogue stored, and the catalogue's pages of these tools are read once."""
        job_dir, db_path = settings.get("EDCAT_JOB_DIR"), settings.get("EDCAT_DB")
        if job_dir:
            self.store.close()
            self.store = FrontierStore(Path(job_dir) / FRONTIER_FILE)
        if db_path and self.store.run_id is not None:
            requeued = self.store.reconcile(stored_outcomes(db_path, self.store.run_id))
            self.logger.info("resuming: %d fetched pages were not stored and go back", requeued)
        self._frontiers = self.store.load()
        if db_path and not settings.get("EDCAT_REPLAY"):
            self.known_pages = load_known_pages(db_path, [t.tool_id for t in self.targets])
        stale_days = settings.get("EDCAT_STALE_DAYS")
        self.fresh_after = stale_cutoff(float(stale_days) if stale_days else None)

    @property
    def max_pages(self) -> int:
        return self.settings.getint("EDCAT_MAX_PAGES")

    @property
    def max_depth(self) -> int:
        return self.settings.getint("EDCAT_MAX_DEPTH")

    def frontiers(self) -> dict[int, ToolFrontier]:
        return self._frontiers

    async def start(self):
        for entry in self.store.pending():  # a resumed crawl's queue
            yield self._request(self._frontiers[entry.tool_id], entry)
        claims = [self._first_claims(t) for t in self.targets if t.tool_id not in self._frontiers]
        self.store.claim(claims)
        for frontier, queued, _ in claims:
            self._frontiers[frontier.tool_id] = frontier
            for entry in queued:
                yield self._request(frontier, entry)

    def _first_claims(self, target: ToolTarget) -> tuple[ToolFrontier, list[Entry], list[Entry]]:
        """A new tool's first entries: its home page, unless --stale-days finds the home
        page fresh: then the tool's known pages that are stale, the others counted as fresh."""
        frontier = ToolFrontier(target.tool_id, target.homepage, self.max_pages)
        known = self.known_pages.get(target.tool_id, {})
        home = known.get(canonical_url(target.homepage))
        if not is_fresh(home, self.fresh_after):
            frontier.claim_home()
            return frontier, [Entry(target.tool_id, target.homepage, "", 0, -1)], []
        claimed = frontier.claim_urls([target.homepage, *(p.url for p in known.values() if p.live)])
        queued, fresh = [], []
        for url in claimed:
            (fresh if is_fresh(known.get(canonical_url(url)), self.fresh_after) else queued).append(
                self._known_entry(target.tool_id, url, depth=1)
            )
        return frontier, queued, fresh

    def _known_entry(self, tool_id: int, url: str, depth: int) -> Entry:
        priority = buyer_link_priority(url, "")
        return Entry(tool_id, url, "", depth, KNOWN_PAGE_PRIORITY if priority is None else priority)

    def _request(self, frontier: ToolFrontier, entry: Entry) -> scrapy.Request:
        meta: dict[str, Any] = {
            "edcat_tool": frontier.tool_id,
            "edcat_anchor": entry.anchor,
            ENTRY: entry.url,
            "depth": entry.depth,
        }
        if entry.depth > 0:  # the home page may redirect anywhere; later pages keep to its site
            meta["edcat_sites"] = sorted((site.host, site.port) for site in frontier.sites)
        return scrapy.Request(
            entry.url,
            callback=self.parse_page,
            errback=self.on_failure,
            meta=meta,
            priority=-(10 * entry.depth + entry.priority),  # home pages first, then buyer order
        )

    async def parse_page(
        self, response: Response
    ) -> AsyncIterator[PageItem | PageReobservedItem | scrapy.Request]:
        if response.status == NOT_MODIFIED:
            for output in self._not_modified(response):
                yield output
            return
        tool_id = response.meta["edcat_tool"]
        depth = response.meta.get("depth", 0)
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        page = await self.analyser.analyse(response.body, response.url, content_type)
        frontier = self._frontiers[tool_id]
        self._landed(frontier, response.url, depth)
        links = []
        if depth < self.max_depth:
            claimed = frontier.claim_links(page.links, site_lang=page.lang[:2])
            links = [Entry(tool_id, link.url, link.anchor, depth + 1, link.priority)
                     for link in claimed]
        queued = self._commit_fetch(frontier, response, links)
        anchor = response.meta.get("edcat_anchor", "")
        yield PageItem(
            tool_id=tool_id,
            url=response.url,
            kind="home" if depth == 0 else page_kind(response.url, page.title, anchor),
            status=response.status,
            title=page.title,
            meta_description=page.meta_description,
            text=page.text,
            fetched_at=response.meta.get("edcat_fetched_at") or utcnow(),  # replay: WARC-Date
            depth=depth,
            facts=page.facts,
            requested_url=response.meta.get(ENTRY, response.url),
            **_validators(response),
        )
        for entry in queued:
            yield self._request(frontier, entry)

    def _not_modified(self, response: Response) -> Iterator[PageReobservedItem | scrapy.Request]:
        """A 304: the page is re-observed, and instead of its links (not downloaded) the
        tool's other known pages are followed."""
        tool_id, depth = response.meta["edcat_tool"], response.meta.get("depth", 0)
        frontier = self._frontiers[tool_id]
        self._landed(frontier, response.url, depth)
        links = []
        if depth < self.max_depth:
            known = [p.url for p in self.known_pages.get(tool_id, {}).values() if p.live]
            links = [self._known_entry(tool_id, url, depth + 1)
                     for url in frontier.claim_urls(known)]
        queued = self._commit_fetch(frontier, response, links)
        yield PageReobservedItem(
            tool_id=tool_id,
            url=response.url,
            fetched_at=utcnow(),
            requested_url=response.meta.get(ENTRY, response.url),
            depth=depth,
            **_validators(response),
        )
        for entry in queued:
            yield self._request(frontier, entry)

    def _landed(self, frontier: ToolFrontier, url: str, depth: int) -> None:
        if depth == 0:
            frontier.home_landed(url)
        else:
            frontier.fetched(url)

    def _commit_fetch(
        self, frontier: ToolFrontier, response: Response, links: list[Entry]
    ) -> list[Entry]:
        """Commit the page's claims (--stale-days: fresh ones apart); the entries to request."""
        known = self.known_pages.get(frontier.tool_id, {})
        fresh = [e for e in links if is_fresh(known.get(canonical_url(e.url)), self.fresh_after)]
        queued = [e for e in links if e not in fresh]
        self.store.page_fetched(
            frontier, response.meta.get(ENTRY, response.url), response.url, queued, fresh
        )
        return queued

    def on_failure(self, failure: Failure) -> Iterator[FailureItem]:
        request = failure.request
        reason, detail = failure_reason(failure)
        first_url = request.meta.get(ENTRY) or request.meta.get("redirect_urls", [request.url])[0]
        tool_id = request.meta.get("edcat_tool")
        if tool_id is not None:
            self.store.failed(tool_id, first_url, reason, detail)
        yield FailureItem(
            tool_id=tool_id,
            url=first_url,
            reason=reason,
            detail=detail,
            depth=request.meta.get("depth", 0),
        )

    def request_dropped(self, request: scrapy.Request) -> None:
        """Scrapy's duplicate filter dropped a request, which has no errback: in practice a
        redirect (3xx or meta refresh) to a page this tool already fetched. Recorded, so no
        page vanishes without a reason."""
        tool_id, entry = request.meta.get("edcat_tool"), request.meta.get(ENTRY)
        if tool_id is None or entry is None:
            return
        chain = [*request.meta.get("redirect_urls", []), request.url]
        self.store.failed(tool_id, entry, "redirect-to-fetched", " -> ".join(chain))


def _validators(response: Response) -> dict[str, str | None]:
    """The response's ETag and Last-Modified, for the next crawl's conditional request."""
    values = {}
    for name, header in (("etag", b"ETag"), ("last_modified", b"Last-Modified")):
        value = response.headers.get(header)
        values[name] = value.decode("latin-1")[:300] if value else None
    return values
