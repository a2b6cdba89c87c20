"""The item pipeline: stores pages and facts in the catalogue and keeps the crawl run's tally.

One `CataloguePipeline` per crawl opens the catalogue once, starts a `crawl_runs` row (or,
for a resumed crawl, carries on the interrupted one, whose id the frontier keeps), stores
`PageItem`s through `catalogue.store.record_pages` (record_page in batches: upsert by
canonical URL, a page_versions row, facts confirmed / added / retracted) and counts
`FailureItem`s by reason; a `PageReobservedItem` (a 304) re-confirms a stored page. When the
spider closes it writes the tally to the run row with a status: finished, interrupted
(stopped early; `--resume` continues it) or failed (nothing fetched).

The tally is not kept here but in the spider's durable frontier (`spider.store`): the
pipeline marks each page stored there after the catalogue has committed it, so the figures
of a crawl killed and resumed are those of all its parts. The run id is kept there too.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured

from catalogue import open_catalogue
from catalogue.db import Catalogue
from catalogue.errors import CatalogueBusy, CatalogueError
from catalogue.store import (
    FactRecord,
    PageOutcome,
    PageRecord,
    ReobservedPage,
    finish_crawl_run,
    record_page_gone,
    record_pages,
    record_pages_reobserved,
    resume_crawl_run,
    start_crawl_run,
)
from crawler import frontier
from crawler.items import FailureItem, PageItem, PageReobservedItem

logger = logging.getLogger(__name__)

GONE_REASONS = {"http-404": 404, "http-410": 410}  # failures that mean the page no longer exists


def page_record(item: PageItem) -> tuple[PageRecord, list[FactRecord]]:
    page = PageRecord(
        url=item.url,
        kind=item.kind,
        http_status=item.status,
        title=item.title or None,
        meta_description=item.meta_description or None,
        text=item.text or None,
        fetched_at=item.fetched_at,
        etag=item.etag,
        last_modified=item.last_modified,
    )
    facts = [FactRecord(f.field, f.value, f.evidence, f.source_url) for f in item.facts]
    return page, facts


class CataloguePipeline:
    """Stores items in batches (EDCAT_STORE_BATCH pages, or whatever arrived within
    EDCAT_STORE_SECONDS): one transaction per batch, as SQLite wants."""

    def __init__(
        self,
        db_path: Path,
        options: dict[str, Any],
        stats,
        batch_size: int = 50,
        batch_seconds: float = 1.0,
    ):
        self.db_path = db_path
        self.options = options
        self.stats = stats
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.catalogue: Catalogue | None = None
        self.run_id: int | None = None
        self.crawler = None
        self._batch: list[PageItem | PageReobservedItem] = []
        self._batch_started = 0.0
        self._closing = False

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.get("EDCAT_DB"):
            raise NotConfigured("EDCAT_DB is not set")
        pipeline = cls(
            Path(settings.get("EDCAT_DB")),
            settings.getdict("EDCAT_CRAWL_OPTIONS"),
            crawler.stats,
            batch_size=settings.getint("EDCAT_STORE_BATCH", 50),
            batch_seconds=settings.getfloat("EDCAT_STORE_SECONDS", 1.0),
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        pipeline.crawler = crawler
        return pipeline

    @property
    def frontier(self) -> frontier.FrontierStore:
        return self.crawler.spider.store

    def open_spider(self) -> None:
        self.catalogue = open_catalogue(self.db_path)
        self.run_id = self._start_or_resume_run()
        self.stats.set_value("edcat/crawl_run_id", self.run_id)

    def _start_or_resume_run(self) -> int:
        run_id = self.frontier.run_id
        if run_id is not None and resume_crawl_run(self.catalogue, run_id) is not None:
            return run_id
        run_id = start_crawl_run(self.catalogue, self.options)
        self.frontier.run_id = run_id
        return run_id

    def process_item(self, item: Any) -> Any:
        if isinstance(item, (PageItem, PageReobservedItem)):
            if not self._batch:
                self._batch_started = time.monotonic()
            self._batch.append(item)
            if (
                len(self._batch) >= self.batch_size
                or time.monotonic() - self._batch_started >= self.batch_seconds
            ):
                self.flush()
        elif isinstance(item, FailureItem):  # the spider recorded it in the frontier
            self.stats.inc_value(f"edcat/failed/{item.reason}")
            if item.reason in GONE_REASONS and item.tool_id is not None:  # its facts go with it
                try:
                    gone = GONE_REASONS[item.reason]
                    record_page_gone(self.catalogue, item.tool_id, item.url, gone, self.run_id)
                except CatalogueBusy as exc:
                    self._stop_while_locked([], exc)
        return item

    def flush(self) -> None:
        """Store the buffered pages in one transaction (one by one if that fails), then
        mark them stored in the frontier."""
        batch, self._batch = self._batch, []
        pages = [item for item in batch if isinstance(item, PageItem)]
        if pages:
            self._mark_stored(pages, self._store_pages(pages))
        seen = [item for item in batch if isinstance(item, PageReobservedItem)]
        if seen:
            self._mark_stored(seen, self._store_reobserved(seen))

    def _store_pages(self, batch: list[PageItem]) -> list[PageOutcome | None]:
        records = [(item.tool_id, *page_record(item)) for item in batch]
        try:
            return record_pages(self.catalogue, records, self.run_id)
        except CatalogueBusy as exc:  # another process kept the lock past every retry
            return self._stop_while_locked(batch, exc)
        except CatalogueError:
            pairs = zip(batch, records, strict=True)
            return [self._store_one(item, record) for item, record in pairs]

    def _stop_while_locked(self, batch: list[PageItem], exc: CatalogueBusy) -> list[None]:
        """Keep the batch for one last try when the spider closes, and stop the crawl: what
        is committed stays, the frontier still has these pages queued for a resume, and
        nothing is dropped without a recorded reason."""
        if self.crawler is None or self._closing:  # the last try failed too: record it
            logger.error("could not store %d page(s): %s", len(batch), exc)
            for item in batch:
                self.frontier.failed(item.tool_id, _requested(item), "catalogue-busy", str(exc))
            return [None] * len(batch)
        logger.error("stopping the crawl: %s", exc)
        self._batch = batch + self._batch
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(self.crawler.engine.close_spider_async(reason="catalogue-busy"))
        return [None] * len(batch)

    def _store_one(self, item: PageItem, record) -> PageOutcome | None:
        try:
            return record_pages(self.catalogue, [record], self.run_id)[0]
        except CatalogueError as exc:  # a bug in extraction, not the site's fault: say so
            logger.error("could not store %s: %s", item.url, exc)
            self.frontier.failed(item.tool_id, _requested(item), "store-error", str(exc))
            return None

    # --- 304 Not Modified: re-observed, not re-extracted ------------------------------------

    def _store_reobserved(self, batch: list[PageReobservedItem]) -> list[PageOutcome | None]:
        records = [
            ReobservedPage(i.tool_id, i.url, i.fetched_at, i.etag, i.last_modified) for i in batch
        ]
        outcomes = record_pages_reobserved(self.catalogue, records, self.run_id)
        for item, outcome in zip(batch, outcomes, strict=True):
            if outcome is None:  # the page went from the catalogue meanwhile
                self.frontier.failed(item.tool_id, _requested(item), "store-error",
                                     "a 304 for a page the catalogue does not have")
        return outcomes

    def _mark_stored(self, batch: list, outcomes: list[PageOutcome | None]) -> None:
        stored = [
            (item.tool_id, _requested(item), _frontier_outcome(item, outcome))
            for item, outcome in zip(batch, outcomes, strict=True)
            if outcome is not None
        ]
        self.frontier.pages_stored(stored)
        self.stats.inc_value("edcat/pages", len(stored))

    def spider_closed(self, reason: str) -> None:
        if self.catalogue is None:
            return
        self._closing = True
        self.flush()
        status = "finished" if reason == "finished" else "interrupted"
        tally = self.frontier.tally()
        if tally["pages"] == 0 and not tally["skipped_fresh"] and status == "finished":
            status = "failed"
        stats = {**tally, "close_reason": reason}
        finish_crawl_run(self.catalogue, self.run_id, status, stats)
        self.catalogue.close()
        self.catalogue = None


def _requested(item: PageItem | PageReobservedItem) -> str:
    return item.requested_url or item.url


def _frontier_outcome(item, outcome: PageOutcome) -> frontier.PageOutcome:
    if isinstance(item, PageReobservedItem):
        return frontier.PageOutcome("not-modified")
    kind = "new" if outcome.new else "changed" if outcome.changed else "unchanged"
    return frontier.PageOutcome(kind, len(item.facts), not item.text.strip())
