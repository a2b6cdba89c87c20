"""The item pipeline: stores pages and facts in the catalogue and keeps the crawl run's tally.

One `CataloguePipeline` per crawl opens the catalogue once, starts a `crawl_runs` row (or,
for a resumed crawl, carries on the interrupted one, whose id is kept in JOBDIR), stores
`PageItem`s through `catalogue.store.record_pages` (record_page in batches: upsert by
canonical URL, a page_versions row, facts confirmed / added / retracted) on a thread of its
own (`StoreWorker`), and counts `FailureItem`s by reason. When the
spider closes it writes the tally to the run row with a status: finished, interrupted
(stopped early; `--resume` continues it) or failed (nothing fetched).
"""

from __future__ import annotations

import json
import logging
import queue
import threading
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
from catalogue.errors import CatalogueError
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


@dataclass(frozen=True)
class StoreLimits:
    """How a crawl's storing batches and queues (EDCAT_STORE_* settings)."""

    batch_size: int = 50  # pages per transaction
    batch_seconds: float = 1.0  # ... or whatever arrived within this time
    queue_size: int = 1000  # items waiting to be stored before the crawl waits too

    @classmethod
    def from_settings(cls, settings) -> StoreLimits:
        return cls(
            settings.getint("EDCAT_STORE_BATCH", 50),
            settings.getfloat("EDCAT_STORE_SECONDS", 1.0),
            settings.getint("EDCAT_STORE_QUEUE", 1000),
        )


_STOP = object()  # put on the queue by `StoreWorker.close`: store what is left, then end


class StoreWorker:
    """Stores a crawl's items on a thread of its own, with its own catalogue connection, so
    the crawl's event loop never waits on SQLite.

    Items arrive through a bounded queue (a crawl far ahead of its storing waits for it
    rather than filling memory). Pages are stored in batches, one transaction each, of
    `batch_size` pages or whatever arrived within `batch_seconds`. A page that cannot be
    stored becomes a `store-error` failure in the tally, logged, never silently dropped;
    `close` stores everything still queued before it returns.
    """

    def __init__(self, catalogue: Catalogue, run_id: int, tally: CrawlTally, stats,
                 limits: StoreLimits | None = None):  # fmt: skip
        self.catalogue = catalogue
        self.run_id = run_id
        self.tally = tally
        self.stats = stats
        self.limits = limits or StoreLimits()
        self.queue: queue.Queue = queue.Queue(maxsize=self.limits.queue_size)
        self._batch: list[PageItem] = []
        self._thread = threading.Thread(target=self._run, name="edcat-store", daemon=True)
        self._thread.start()

    def put(self, item: PageItem | FailureItem) -> None:
        if not self._thread.is_alive():
            raise RuntimeError("the catalogue writer has stopped; see the error logged above")
        self.queue.put(item)

    def close(self) -> None:
        """Store everything queued, then stop the thread and close its catalogue."""
        if self._thread.is_alive():
            self.queue.put(_STOP)
            self._thread.join()
        self.catalogue.close()

    def _run(self) -> None:
        deadline = None
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = self.queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is _STOP:
                self._flush()
                return
            if item is not None:
                self._take(item)
                if self._batch and deadline is None:
                    deadline = time.monotonic() + self.limits.batch_seconds
            if len(self._batch) >= self.limits.batch_size or (
                deadline is not None and time.monotonic() >= deadline
            ):
                self._flush()
            if not self._batch:
                deadline = None

    def _take(self, item: PageItem | FailureItem) -> None:
        if isinstance(item, PageItem):
            self._batch.append(item)
            return
        self.tally.failure(item)
        self.stats.inc_value(f"edcat/failed/{item.reason}")
        if item.reason in GONE_REASONS and item.tool_id is not None:  # its facts go with it
            self._flush()  # a page stored earlier in this batch is gone after it
            try:
                record_page_gone(
                    self.catalogue, item.tool_id, item.url, GONE_REASONS[item.reason], self.run_id
                )
            except Exception:
                logger.exception("could not record %s as gone", item.url)

    def _flush(self) -> None:
        """Store the buffered pages in one transaction (one by one if that fails)."""
        batch, self._batch = self._batch, []
        if not batch:
            return
        records = [(item.tool_id, *page_record(item)) for item in batch]
        try:
            outcomes = record_pages(self.catalogue, records, self.run_id)
        except CatalogueError:
            pairs = zip(batch, records, strict=True)
            outcomes = [self._store_one(item, record) for item, record in pairs]
        except Exception as exc:  # the catalogue itself failed (disk full, locked too long)
            logger.exception("could not store %d pages", len(batch))
            outcomes = [self._failed(item, f"{type(exc).__name__}: {exc}") for item in batch]
        for item, outcome in zip(batch, outcomes, strict=True):
            if outcome is not None:
                self.tally.page(item, outcome)
                self.stats.inc_value("edcat/pages")

    def _store_one(self, item: PageItem, record) -> PageOutcome | None:
        try:
            return record_pages(self.catalogue, [record], self.run_id)[0]
        except CatalogueError as exc:  # a bug in extraction, not the site's fault: say so
            logger.error("could not store %s: %s", item.url, exc)
            return self._failed(item, str(exc))

    def _failed(self, item: PageItem, detail: str) -> None:
        self.tally.failure(FailureItem(item.tool_id, item.url, "store-error", detail))
        self.stats.inc_value("edcat/failed/store-error")


class CataloguePipeline:
    """Hands items to a `StoreWorker` (EDCAT_STORE_BATCH pages per transaction, or whatever
    arrived within EDCAT_STORE_SECONDS; at most EDCAT_STORE_QUEUE items waiting)."""

    def __init__(self, db_path: Path, options: dict[str, Any], jobdir: str | None, stats,
                 limits: StoreLimits | None = None):  # fmt: skip
        self.db_path = db_path
        self.options = options
        self.jobdir = Path(jobdir) if jobdir else None
        self.stats = stats
        self.limits = limits or StoreLimits()
        self.catalogue: Catalogue | None = None
        self.run_id: int | None = None
        self.tally = CrawlTally()
        self.worker: StoreWorker | None = None

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
            StoreLimits.from_settings(settings),
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        self.catalogue = open_catalogue(self.db_path)
        self.run_id, previous = self._start_or_resume_run()
        self.tally = CrawlTally.from_dict(previous)
        self.stats.set_value("edcat/crawl_run_id", self.run_id)
        self.worker = StoreWorker(
            open_catalogue(self.db_path),  # its own engine and connection, used on its thread
            self.run_id,
            self.tally,
            self.stats,
            self.limits,
        )

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
        if isinstance(item, PageItem | FailureItem):
            self.worker.put(item)
        return item

    def spider_closed(self, reason: str) -> None:
        if self.catalogue is None:
            return
        if self.worker is not None:
            self.worker.close()
            self.worker = None
        status = "finished" if reason == "finished" else "interrupted"
        if self.tally.pages == 0 and status == "finished":
            status = "failed"
        stats = {**self.tally.as_dict(), "close_reason": reason}
        finish_crawl_run(self.catalogue, self.run_id, status, stats)
        self.catalogue.close()
        self.catalogue = None
