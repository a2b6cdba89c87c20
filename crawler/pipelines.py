"""The item pipeline: stores pages and facts in the catalogue and keeps the crawl run's tally.

One `CataloguePipeline` per crawl opens the catalogue once, starts a `crawl_runs` row (or,
for a resumed crawl, carries on the interrupted one, whose id is kept in JOBDIR), stores
`PageItem`s through `catalogue.store.record_pages` (record_page in batches: upsert by
canonical URL, a page_versions row, facts confirmed / added / retracted) and counts
`FailureItem`s by reason. When the
spider closes it writes the tally to the run row with a status: finished, interrupted
(stopped early; `--resume` continues it) or failed (nothing fetched).
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

from catalogue import open_catalogue
from catalogue.db import Catalogue
from catalogue.errors import CatalogueBusy, CatalogueError
from catalogue.store import (
    FactRecord,
    PageOutcome,
    PageRecord,
    finish_crawl_run,
    record_page_gone,
    record_pages,
    resume_crawl_run,
    start_crawl_run,
)
from crawler.items import FailureItem, PageItem

logger = logging.getLogger(__name__)

RUN_FILE = "edcat-run.json"  # in JOBDIR: the crawl run a resumed crawl carries on
MAX_LISTED_FAILURES = 500
GONE_REASONS = {"http-404": 404, "http-410": 410}  # failures that mean the page no longer exists


@dataclass
class CrawlTally:
    """What a crawl did so far; saved as crawl_runs.stats (JSON)."""

    tools_visited: set[int] = field(default_factory=set)
    pages: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    without_text: int = 0
    facts: int = 0
    failed: Counter = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)

    def page(self, item: PageItem, outcome: PageOutcome) -> None:
        self.tools_visited.add(item.tool_id)
        self.pages += 1
        self.facts += len(item.facts)
        self.without_text += not item.text.strip()
        if outcome.new:
            self.new += 1
        elif outcome.changed:
            self.changed += 1
        else:
            self.unchanged += 1

    def failure(self, item: FailureItem) -> None:
        self.failed[item.reason] += 1
        if len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append(
                {
                    "tool_id": item.tool_id,
                    "url": item.url,
                    "reason": item.reason,
                    "detail": item.detail,
                }
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "tools_visited": sorted(self.tools_visited),
            "pages": self.pages,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "without_text": self.without_text,
            "facts": self.facts,
            "failed": dict(sorted(self.failed.items())),
            "failures": self.failures,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CrawlTally:
        counts = {
            k: data.get(k, 0)
            for k in ("pages", "new", "changed", "unchanged", "without_text", "facts")
        }
        return cls(
            tools_visited=set(data.get("tools_visited", [])),
            failed=Counter(data.get("failed", {})),
            failures=list(data.get("failures", [])),
            **counts,
        )


def page_record(item: PageItem) -> tuple[PageRecord, list[FactRecord]]:
    page = PageRecord(
        url=item.url,
        kind=item.kind,
        http_status=item.status,
        title=item.title or None,
        meta_description=item.meta_description or None,
        text=item.text or None,
        fetched_at=item.fetched_at,
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
        jobdir: str | None,
        stats,
        batch_size: int = 50,
        batch_seconds: float = 1.0,
    ):
        self.db_path = db_path
        self.options = options
        self.jobdir = Path(jobdir) if jobdir else None
        self.stats = stats
        self.batch_size = batch_size
        self.batch_seconds = batch_seconds
        self.catalogue: Catalogue | None = None
        self.run_id: int | None = None
        self.tally = CrawlTally()
        self._batch: list[PageItem] = []
        self._batch_started = 0.0
        self.crawler = None
        self._closing = False

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.get("EDCAT_DB"):
            raise NotConfigured("EDCAT_DB is not set")
        pipeline = cls(
            Path(settings.get("EDCAT_DB")),
            settings.getdict("EDCAT_CRAWL_OPTIONS"),
            job_dir(settings),
            crawler.stats,
            batch_size=settings.getint("EDCAT_STORE_BATCH", 50),
            batch_seconds=settings.getfloat("EDCAT_STORE_SECONDS", 1.0),
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self) -> None:
        self.catalogue = open_catalogue(self.db_path)
        self.run_id, previous = self._start_or_resume_run()
        self.tally = CrawlTally.from_dict(previous)
        self.stats.set_value("edcat/crawl_run_id", self.run_id)

    def _start_or_resume_run(self) -> tuple[int, dict[str, Any]]:
        run_file = self.jobdir / RUN_FILE if self.jobdir else None
        if run_file is not None and run_file.exists():
            run_id = json.loads(run_file.read_text())["crawl_run_id"]
            previous = resume_crawl_run(self.catalogue, run_id)
            if previous is not None:
                return run_id, previous
        run_id = start_crawl_run(self.catalogue, self.options)
        if run_file is not None:
            run_file.write_text(json.dumps({"crawl_run_id": run_id}))
        return run_id, {}

    def process_item(self, item: Any) -> Any:
        if isinstance(item, PageItem):
            if not self._batch:
                self._batch_started = time.monotonic()
            self._batch.append(item)
            if (
                len(self._batch) >= self.batch_size
                or time.monotonic() - self._batch_started >= self.batch_seconds
            ):
                self.flush()
        elif isinstance(item, FailureItem):
            self.tally.failure(item)
            self.stats.inc_value(f"edcat/failed/{item.reason}")
            if item.reason in GONE_REASONS and item.tool_id is not None:  # its facts go with it
                try:
                    gone = GONE_REASONS[item.reason]
                    record_page_gone(self.catalogue, item.tool_id, item.url, gone, self.run_id)
                except CatalogueBusy as exc:
                    self._stop_while_locked([], exc)
        return item

    def flush(self) -> None:
        """Store the buffered pages in one transaction (one by one if that fails)."""
        batch, self._batch = self._batch, []
        if not batch:
            return
        records = [(item.tool_id, *page_record(item)) for item in batch]
        try:
            outcomes = record_pages(self.catalogue, records, self.run_id)
        except CatalogueBusy as exc:  # another process kept the lock past every retry
            self._stop_while_locked(batch, exc)
            return
        except CatalogueError:
            pairs = zip(batch, records, strict=True)
            outcomes = [self._store_one(item, record) for item, record in pairs]
        for item, outcome in zip(batch, outcomes, strict=True):
            if outcome is not None:
                self.tally.page(item, outcome)
                self.stats.inc_value("edcat/pages")

    def _stop_while_locked(self, batch: list[PageItem], exc: CatalogueBusy) -> None:
        """Keep the batch for one last try when the spider closes, and stop the crawl: what
        is committed stays, and nothing is dropped without a recorded reason."""
        if self.crawler is None or self._closing:  # the last try failed too: record it
            logger.error("could not store %d page(s): %s", len(batch), exc)
            for item in batch:
                self.tally.failure(FailureItem(item.tool_id, item.url, "catalogue-busy", str(exc)))
            return
        logger.error("stopping the crawl: %s", exc)
        self._batch = batch + self._batch
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(self.crawler.engine.close_spider_async(reason="catalogue-busy"))

    def _store_one(self, item: PageItem, record) -> PageOutcome | None:
        try:
            return record_pages(self.catalogue, [record], self.run_id)[0]
        except CatalogueError as exc:  # a bug in extraction, not the site's fault: say so
            logger.error("could not store %s: %s", item.url, exc)
            self.tally.failure(FailureItem(item.tool_id, item.url, "store-error", str(exc)))
            return None

    def spider_closed(self, reason: str) -> None:
        if self.catalogue is None:
            return
        self._closing = True
        self.flush()
        status = "finished" if reason == "finished" else "interrupted"
        if self.tally.pages == 0 and status == "finished":
            status = "failed"
        stats = {**self.tally.as_dict(), "close_reason": reason}
        finish_crawl_run(self.catalogue, self.run_id, status, stats)
        self.catalogue.close()
        self.catalogue = None
