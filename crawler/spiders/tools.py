"""The spider: each tool's home page, then the same-site pages a buyer needs.

Parsing is the pure extraction layer (`crawler.extract`, `crawler.facts`,
`crawler.page_kinds`, run through `crawler.analysis`, inline or in worker processes); the
link policy is `crawler.frontier`. The spider only wires them to
Scrapy: it yields a `PageItem` per page, a `FailureItem` per page that could not be had, and
requests for the next pages. Storing is the pipeline's job.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import scrapy
from scrapy import signals
from scrapy.http import Response
from twisted.python.failure import Failure

from catalogue.models import utcnow
from crawler.analysis import Analyser, worker_count
from crawler.failures import failure_reason
from crawler.frontier import Link, ToolFrontier
from crawler.items import FailureItem, PageItem
from crawler.page_kinds import page_kind


@dataclass(frozen=True)
class ToolTarget:
    """A tool to crawl: its catalogue id and home page."""

    tool_id: int
    name: str
    homepage: str


class ToolSpider(scrapy.Spider):
    """Crawls the sites of the given tools (spider argument `targets`).

    Per-tool progress lives in `self.state["frontiers"]`, which Scrapy's SpiderState
    extension saves in JOBDIR, so `edcat crawl --resume` continues where a crawl stopped.
    """

    name = "edcat-tools"

    def __init__(self, targets: list[ToolTarget], **kwargs: Any):
        super().__init__(**kwargs)
        self.targets = list(targets)
        self.analyser = Analyser(0)

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> ToolSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        workers = worker_count(crawler.settings.get("EDCAT_EXTRACT_WORKERS"), len(spider.targets))
        spider.analyser = Analyser(workers)
        crawler.signals.connect(spider.analyser.close, signal=signals.spider_closed)
        return spider

    @property
    def max_pages(self) -> int:
        return self.settings.getint("EDCAT_MAX_PAGES")

    @property
    def max_depth(self) -> int:
        return self.settings.getint("EDCAT_MAX_DEPTH")

    def frontiers(self) -> dict[int, ToolFrontier]:
        if not hasattr(self, "state"):  # no JOBDIR: SpiderState is not enabled
            self.state: dict[str, Any] = {}
        return self.state.setdefault("frontiers", {})

    async def start(self):
        frontiers = self.frontiers()
        for target in self.targets:
            frontier = frontiers.get(target.tool_id)
            if frontier is None:
                frontier = ToolFrontier(target.tool_id, target.homepage, self.max_pages)
                frontiers[target.tool_id] = frontier
            if frontier.claim_home():  # False when resuming: requested before the stop
                yield self._request(frontier, Link(target.homepage, "", -1), depth=0)

    def _request(self, frontier: ToolFrontier, link: Link, depth: int) -> scrapy.Request:
        meta: dict[str, Any] = {"edcat_tool": frontier.tool_id, "edcat_anchor": link.anchor}
        if depth > 0:  # the home page may redirect anywhere; later pages keep to its site
            meta["edcat_sites"] = sorted((site.host, site.port) for site in frontier.sites)
        return scrapy.Request(
            link.url,
            callback=self.parse_page,
            errback=self.on_failure,
            meta=meta,
            priority=-(10 * depth + link.priority),  # home pages first, then buyer order
        )

    async def parse_page(self, response: Response) -> AsyncIterator[PageItem | scrapy.Request]:
        tool_id = response.meta["edcat_tool"]
        depth = response.meta.get("depth", 0)
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        page = await self.analyser.analyse(response.body, response.url, content_type)
        frontier = self.frontiers()[tool_id]
        if depth == 0:
            frontier.home_landed(response.url)
        else:
            frontier.fetched(response.url)
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
        )
        if depth < self.max_depth:
            for link in frontier.claim_links(page.links, site_lang=page.lang[:2]):
                yield self._request(frontier, link, depth + 1)

    def on_failure(self, failure: Failure) -> Iterator[FailureItem]:
        request = failure.request
        reason, detail = failure_reason(failure)
        first_url = request.meta.get("redirect_urls", [request.url])[0]  # the link followed
        yield FailureItem(
            tool_id=request.meta.get("edcat_tool"),
            url=first_url,
            reason=reason,
            detail=detail,
            depth=request.meta.get("depth", 0),
        )
