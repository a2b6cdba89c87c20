"""The item pipeline: stores pages and facts in the catalogue and keeps the crawl run's tally.

One `CataloguePipeline` per crawl opens the catalogue once, starts a `crawl_runs` row (or,
for a resumed crawl, carries on the interrupted one, whose id the frontier keeps), stores
`PageItem`s through `catalogue.store.record_pages` (record_page in batches: upsert by
canonical URL, a page_versions row, facts confirmed / added / retracted) and counts
`FailureItem`s by reason; a `PageReobservedItem` (a 304) re-confirms a stored page. When the
spider closes it writes the tally to the run row with a status: finished, interrupted
(stopped early; `--resume` continues it) or failed (nothing fetched).

Storing runs on a thread of its own (`StoreWorker`, with its own catalogue connection), so
fetching never waits on SQLite, nor on another process writing the catalogue (a large
`tools import` holds the write lock for a minute) until EDCAT_STORE_QUEUE pages wait; only
a lock held past EDCAT_STORE_PATIENCE stops the crawl. That thread only writes to the
catalogue: what became of each page comes back to the crawl's thread, where the frontier (a
sqlite3 connection made there), Scrapy's stats and the decision to stop the crawl live.

The tally is not kept here but in the spider's durable frontier (`spider.store`): the
pipeline marks each page stored there after the catalogue has committed it, so the figures
of a crawl killed and resumed are those of all its parts. The run id is kept there too.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

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
from crawler import settings as edcat_settings
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


@dataclass(frozen=True)
class StoreLimits:
    """How a crawl batches and queues its storing (the EDCAT_STORE_* settings)."""

    batch_size: int = edcat_settings.EDCAT_STORE_BATCH  # pages per transaction
    batch_seconds: float = edcat_settings.EDCAT_STORE_SECONDS  # ... or what arrived in this time
    queue_size: int = edcat_settings.EDCAT_STORE_QUEUE  # waiting before the crawl waits too
    # how long a catalogue another process keeps locked is waited out before the crawl stops
    patience_seconds: float = edcat_settings.EDCAT_STORE_PATIENCE

    @classmethod
    def from_settings(cls, settings) -> StoreLimits:
        return cls(
            settings.getint("EDCAT_STORE_BATCH", cls.batch_size),
            settings.getfloat("EDCAT_STORE_SECONDS", cls.batch_seconds),
            settings.getint("EDCAT_STORE_QUEUE", cls.queue_size),
            settings.getfloat("EDCAT_STORE_PATIENCE", cls.patience_seconds),
        )


StoredItem = PageItem | PageReobservedItem


@dataclass(frozen=True)
class Stored:
    """One page handed to the worker: its outcome, or (None) why it was not stored."""

    item: StoredItem
    outcome: PageOutcome | None
    problem: str = ""


@dataclass(frozen=True)
class StoredBatch:
    """What became of the pages of one transaction (or of its retry page by page)."""

    done: list[Stored]


@dataclass(frozen=True)
class Busy:
    """Pages not stored (none, for a gone page) because another process kept the catalogue
    locked past every retry: nothing of them was written."""

    items: list[StoredItem]
    error: CatalogueBusy


@dataclass(frozen=True)
class WorkerStopped:
    """The storing thread ended with an exception (a bug); `items` were in its hands."""

    items: list[StoredItem]
    error: BaseException


StoreResult = StoredBatch | Busy | WorkerStopped
_STOP = object()  # queued by `StoreWorker.close`: store what is left, then end
T = TypeVar("T")


class StoreWorkerStopped(RuntimeError):
    """The storing thread is no longer running; nothing more can be handed to it."""


class StoreWorker:
    """Stores a crawl's pages on a thread of its own, with its own catalogue connection.

    Items (pages, 304s, and 404/410 failures of stored pages, kept in order) arrive through a
    bounded queue. Pages are stored in batches, one transaction each, of `batch_size` pages
    or whatever arrived within `batch_seconds`. The thread calls only the catalogue's store
    functions: results go to `results()`, read on the crawl's thread, and `wake` (if given)
    is called from this thread after each one so the crawl can read them without polling.
    `queue.join()` returns once everything handed over so far has been dealt with.

    A transaction locked out by another process (CatalogueBusy, after the catalogue's own
    bounded retry) is tried again, with a growing pause, for up to `patience_seconds` of the
    catalogue staying locked: meanwhile the queue fills and then the crawl waits for room.
    Once patience has run out, or `stop_waiting` was called, each transaction gets one try
    and a locked-out one is reported `Busy`.
    """

    BUSY_PAUSE_SECONDS = (0.5, 5.0)  # first and longest pause between locked-out tries

    def __init__(self, catalogue: Catalogue, run_id: int | None,
                 limits: StoreLimits | None = None,
                 wake: Callable[[], None] | None = None):  # fmt: skip
        self.catalogue = catalogue
        self.run_id = run_id
        self.limits = limits or StoreLimits()
        self.queue: queue.Queue = queue.Queue(maxsize=max(1, self.limits.queue_size))
        self._results: queue.SimpleQueue[StoreResult] = queue.SimpleQueue()
        self._wake = wake
        self._batch: list[StoredItem] = []
        self.error: BaseException | None = None  # what ended the thread, if not `close`
        self._locked_since: float | None = None  # when a try was first locked out, if still
        self._impatient = threading.Event()  # set: locked-out tries are not repeated
        self._thread = threading.Thread(target=self._run, name="edcat-store", daemon=True)
        self._thread.start()

    def offer(self, item: StoredItem | FailureItem) -> bool:
        """Queue an item if there is room (False if not, so the crawl can wait)."""
        self._check_running()
        try:
            self.queue.put_nowait(item)
        except queue.Full:
            return False
        return True

    def put(self, item: StoredItem | FailureItem) -> None:
        """Queue an item, waiting for room as long as the thread runs."""
        while not self.offer(item):
            time.sleep(0.01)

    def _check_running(self) -> None:
        if not self._thread.is_alive():
            raise StoreWorkerStopped("the storing thread has stopped (its error is logged)")

    def results(self) -> list[StoreResult]:
        """What the thread finished since the last call, in order."""
        done = []
        while True:
            try:
                done.append(self._results.get_nowait())
            except queue.Empty:
                return done

    def stop_waiting(self) -> None:
        """Give up waiting for a locked catalogue (the crawl is being stopped): a try that is
        locked out is reported `Busy` at once."""
        self._impatient.set()

    def close(self) -> list[StoredItem | FailureItem]:
        """Store everything queued, end the thread and close its catalogue. Returns what a
        thread that had stopped left in the queue (nothing, normally)."""
        while self._thread.is_alive():
            try:
                self.queue.put(_STOP, timeout=0.1)
                break
            except queue.Full:
                continue
        self._thread.join()
        self.catalogue.close()
        left = []
        while True:
            try:
                item = self.queue.get_nowait()
            except queue.Empty:
                return [i for i in left if i is not _STOP]
            left.append(item)

    # --- on the storing thread -------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._serve()
        except BaseException as exc:  # a bug: say so, and hand back what was not stored
            logger.exception("the storing thread stopped")
            self.error = exc
            batch, self._batch = self._batch, []
            self._report(WorkerStopped(batch, exc))

    def _serve(self) -> None:
        deadline = None
        while True:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                item = self.queue.get(timeout=timeout)
            except queue.Empty:
                item = None
            if item is _STOP:
                self._flush()
                self.queue.task_done()
                return
            if isinstance(item, FailureItem):
                self._flush()  # the page may be in this batch: stored first, then gone
                self._record_gone(item)
                self.queue.task_done()
            elif item is not None:
                self._batch.append(item)
                deadline = deadline or time.monotonic() + self.limits.batch_seconds
            if len(self._batch) >= self.limits.batch_size or (
                deadline is not None and time.monotonic() >= deadline
            ):
                self._flush()
            if not self._batch:
                deadline = None

    def _report(self, result: StoreResult) -> None:
        self._results.put(result)
        if self._wake is not None:
            self._wake()

    def _flush(self) -> None:
        """Store the buffered pages, 304s apart, one transaction each."""
        batch = self._batch  # kept until reported, so a crash hands it back
        pages = [item for item in batch if isinstance(item, PageItem)]
        seen = [item for item in batch if isinstance(item, PageReobservedItem)]
        results = [self._store_pages(pages)] if pages else []
        results += [self._store_reobserved(seen)] if seen else []
        self._batch = []
        for result in results:
            self._report(result)
        for _ in batch:
            self.queue.task_done()

    def _patiently(self, store: Callable[[], T]) -> T:
        """`store()` (one transaction), tried again while another process keeps the
        catalogue locked, until it has been locked for `patience_seconds`. Each try that is
        locked out wrote nothing, so trying again cannot store anything twice."""
        pause = self.BUSY_PAUSE_SECONDS[0]
        while True:
            try:
                result = store()
            except CatalogueBusy as exc:
                if self._impatient.is_set():
                    raise
                waited = self._locked_out()
                left = self.limits.patience_seconds - waited
                if left <= 0:
                    self._impatient.set()  # the crawl stops: what is left gets one try each
                    raise self._out_of_patience(waited) from exc
                if self._impatient.wait(min(pause, left)):  # woken: the crawl is stopping
                    raise
                pause = min(2 * pause, self.BUSY_PAUSE_SECONDS[1])
                continue
            self._unlocked()
            return result

    def _locked_out(self) -> float:
        """Seconds the catalogue has been locked for this crawl; warns once as it starts."""
        now = time.monotonic()
        if self._locked_since is None:
            self._locked_since = now
            if self.limits.patience_seconds > 0:
                logger.warning(
                    "another process is writing %s: waiting up to %g s for it "
                    "(EDCAT_STORE_PATIENCE) with %d page(s) to store; fetching goes on "
                    "until %d are waiting", self.catalogue.path,
                    self.limits.patience_seconds, len(self._batch), self.limits.queue_size,
                )  # fmt: skip
        return now - self._locked_since

    def _unlocked(self) -> None:
        if self._locked_since is not None:
            waited = time.monotonic() - self._locked_since
            logger.info("the catalogue is free again: stored after waiting %.0f s", waited)
            self._locked_since = None

    def _out_of_patience(self, waited: float) -> CatalogueBusy:
        return CatalogueBusy(
            f"{self.catalogue.path} stayed locked by another process for {waited:.0f} s, "
            f"longer than the crawl's patience (EDCAT_STORE_PATIENCE="
            f"{self.limits.patience_seconds:g}); what is stored stays stored: "
            "`edcat crawl --resume` carries on"
        )

    def _store_pages(self, batch: list[PageItem]) -> StoreResult:
        records = [(item.tool_id, *page_record(item)) for item in batch]
        try:
            outcomes = self._patiently(lambda: record_pages(self.catalogue, records, self.run_id))
        except CatalogueBusy as exc:
            return Busy(list(batch), exc)
        except CatalogueError:  # one bad page fails the batch: store the others one by one
            return self._store_one_by_one(batch, records)
        except Exception as exc:
            return _batch_failed(batch, exc)
        return StoredBatch([Stored(i, o) for i, o in zip(batch, outcomes, strict=True)])

    def _store_one_by_one(self, batch: list[PageItem], records: list) -> StoreResult:
        done = []
        for item, record in zip(batch, records, strict=True):
            try:
                outcome = self._patiently(
                    lambda record=record: record_pages(self.catalogue, [record], self.run_id)[0]
                )
                done.append(Stored(item, outcome))
            except CatalogueBusy as exc:
                self._report(StoredBatch(done))
                return Busy(batch[len(done):], exc)
            except CatalogueError as exc:  # a bug in extraction, not the site's fault: say so
                logger.error("could not store %s: %s", item.url, exc)
                done.append(Stored(item, None, str(exc)))
            except Exception as exc:
                done += _batch_failed([item], exc).done
        return StoredBatch(done)

    def _store_reobserved(self, batch: list[PageReobservedItem]) -> StoreResult:
        records = [
            ReobservedPage(i.tool_id, i.url, i.fetched_at, i.etag, i.last_modified) for i in batch
        ]
        try:
            outcomes = self._patiently(
                lambda: record_pages_reobserved(self.catalogue, records, self.run_id)
            )
        except CatalogueBusy as exc:
            return Busy(list(batch), exc)
        except Exception as exc:
            return _batch_failed(batch, exc)
        return StoredBatch([
            Stored(item, outcome, "" if outcome else "a 304 for a page the catalogue does not have")
            for item, outcome in zip(batch, outcomes, strict=True)
        ])

    def _record_gone(self, item: FailureItem) -> None:
        try:
            gone = GONE_REASONS[item.reason]
            self._patiently(lambda: record_page_gone(
                self.catalogue, item.tool_id, item.url, gone, self.run_id
            ))  # fmt: skip
        except CatalogueBusy as exc:
            self._report(Busy([], exc))
        except Exception:  # the failure itself is recorded; its facts stay until next time
            logger.exception("could not record %s as gone", item.url)


def _batch_failed(batch: list[StoredItem], exc: Exception) -> StoredBatch:
    """The catalogue failed in a way no retry fixes (disk full, a bug): every page of the
    batch is a failure with the reason, and the log has the traceback."""
    logger.exception("could not store %d page(s)", len(batch))
    return StoredBatch([Stored(item, None, f"{type(exc).__name__}: {exc}") for item in batch])


class CataloguePipeline:
    """Hands pages to a `StoreWorker` (EDCAT_STORE_BATCH pages per transaction, or whatever
    arrived within EDCAT_STORE_SECONDS; at most EDCAT_STORE_QUEUE waiting, after which the
    crawl waits for room: no item is dropped) and settles what it reports on the crawl's
    thread: pages marked stored in the frontier, failures recorded, and a crawl stopped
    whose catalogue another process kept locked for longer than EDCAT_STORE_PATIENCE."""

    ROOM_POLL_SECONDS = 0.01  # how often a crawl waiting for room in the queue looks again

    def __init__(self, db_path: Path, options: dict[str, Any], stats,
                 limits: StoreLimits | None = None):  # fmt: skip
        self.db_path = db_path
        self.options = options
        self.stats = stats
        self.limits = limits or StoreLimits()
        self.catalogue: Catalogue | None = None
        self.worker: StoreWorker | None = None
        self.run_id: int | None = None
        self.crawler = None
        self.reactor = None  # the crawl's reactor: results are read as they come, waits yield
        self._kept: list[StoredItem] = []  # locked out: tried once more at close
        self._stopping = False
        self._closing = False

    @classmethod
    def from_crawler(cls, crawler):
        from twisted.internet import reactor

        settings = crawler.settings
        if not settings.get("EDCAT_DB"):
            raise NotConfigured("EDCAT_DB is not set")
        pipeline = cls(
            Path(settings.get("EDCAT_DB")),
            settings.getdict("EDCAT_CRAWL_OPTIONS"),
            crawler.stats,
            StoreLimits.from_settings(settings),
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        pipeline.crawler = crawler
        pipeline.reactor = reactor
        return pipeline

    @property
    def frontier(self) -> frontier.FrontierStore:
        return self.crawler.spider.store

    def open_spider(self) -> None:
        self.catalogue = open_catalogue(self.db_path)
        self.run_id = self._start_or_resume_run()
        self.stats.set_value("edcat/crawl_run_id", self.run_id)
        wake = self._results_ready if self.reactor is not None else None
        # its own engine and connection, used on its thread only
        self.worker = StoreWorker(open_catalogue(self.db_path), self.run_id, self.limits, wake)

    def _results_ready(self) -> None:
        """Called on the storing thread: the results are read on the crawl's thread."""
        self.reactor.callFromThread(self.take_results)

    def _start_or_resume_run(self) -> int:
        run_id = self.frontier.run_id
        if run_id is not None and resume_crawl_run(self.catalogue, run_id) is not None:
            return run_id
        run_id = start_crawl_run(self.catalogue, self.options)
        self.frontier.run_id = run_id
        return run_id

    def process_item(self, item: Any) -> Any:
        self.take_results()
        if isinstance(item, FailureItem):  # the spider recorded it in the frontier
            self.stats.inc_value(f"edcat/failed/{item.reason}")
            if item.reason not in GONE_REASONS or item.tool_id is None:
                return item  # else its facts go with it, in order with the pages
        elif not isinstance(item, (PageItem, PageReobservedItem)):
            return item
        if self._hand_over(item):
            return item
        return self._wait_for_room(item)

    def _hand_over(self, item: StoredItem | FailureItem) -> bool:
        """Queue the item for the worker; False when its queue is full."""
        try:
            return self.worker.offer(item)
        except StoreWorkerStopped as exc:
            self._not_stored([item], self.worker.error or exc)
            return True

    def _wait_for_room(self, item: StoredItem | FailureItem):
        """Back-pressure: the item waits for room in the queue, and with it the crawl (Scrapy
        takes no new response while its items are in the pipeline)."""
        if self.reactor is None:  # no event loop to return to: wait here
            while not self._hand_over(item):
                time.sleep(self.ROOM_POLL_SECONDS)
                self.take_results()
            return item
        from twisted.internet import task

        def again():
            self.take_results()
            if self._hand_over(item):
                return item
            return task.deferLater(self.reactor, self.ROOM_POLL_SECONDS, again)

        return task.deferLater(self.reactor, self.ROOM_POLL_SECONDS, again)

    def take_results(self) -> None:
        """Settle what the worker finished, on the crawl's thread."""
        if self.worker is None:
            return
        for result in self.worker.results():
            if isinstance(result, StoredBatch):
                self._settle(result.done)
            elif isinstance(result, Busy):
                self._stop_while_locked(result.items, result.error)
            else:
                self._not_stored(result.items, result.error)

    def _settle(self, done: list[Stored]) -> None:
        for stored in done:
            if stored.outcome is None:
                item = stored.item
                self.frontier.failed(item.tool_id, _requested(item), "store-error", stored.problem)
        self._mark_stored([s.item for s in done], [s.outcome for s in done])

    def _not_stored(self, items: list, error: BaseException) -> None:
        """The storing thread stopped on a bug: its pages are failures and the crawl stops
        (each further page would fail the same way)."""
        detail = f"the storing thread stopped: {type(error).__name__}: {error}"
        for item in items:
            logger.error("could not store %s: %s", item.url, detail)
            if not isinstance(item, FailureItem):  # a gone page's failure is recorded already
                self.frontier.failed(item.tool_id, _requested(item), "store-error", detail)
        self._stop_crawl("store-error")

    def _stop_while_locked(self, batch: list[StoredItem], exc: CatalogueBusy) -> None:
        """Keep the batch for one last try when the spider closes, and stop the crawl: what
        is committed stays, the frontier still has these pages queued for a resume, and
        nothing is dropped without a recorded reason."""
        if self.crawler is None or self._closing:  # the last try failed too: record it
            logger.error("could not store %d page(s): %s", len(batch), exc)
            for item in batch:
                self.frontier.failed(item.tool_id, _requested(item), "catalogue-busy", str(exc))
            return
        if not self._stopping:
            logger.error("stopping the crawl: %s", exc)
        self._kept += batch
        self._stop_crawl("catalogue-busy")

    def _stop_crawl(self, reason: str) -> None:
        if self._stopping or self._closing or self.crawler is None:
            return
        self._stopping = True
        from scrapy.utils.defer import deferred_from_coro

        deferred_from_coro(self.crawler.engine.close_spider_async(reason=reason))

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
        if self.worker is not None:
            if reason != "finished":  # stopped early (Ctrl-C...): no waiting out a lock
                self.worker.stop_waiting()
            self._finish_storing()
        status = "finished" if reason == "finished" else "interrupted"
        tally = self.frontier.tally()
        if tally["pages"] == 0 and not tally["skipped_fresh"] and status == "finished":
            status = "failed"
        stats = {**tally, "close_reason": reason}
        try:
            finish_crawl_run(self.catalogue, self.run_id, status, stats)
        except CatalogueBusy as exc:  # still locked: the next crawl records it interrupted
            logger.error("could not record the end of crawl run %s: %s", self.run_id, exc)
        finally:
            self.catalogue.close()
            self.catalogue = None

    def _finish_storing(self) -> None:
        """Give pages kept back by a locked catalogue their last try, store everything still
        queued, end the worker and settle all it reports."""
        self.take_results()  # a batch locked out before the close is kept for its last try
        self._closing = True
        kept, self._kept = self._kept, []
        for item in kept:
            try:
                self.worker.put(item)
            except StoreWorkerStopped as exc:
                self._not_stored([item], self.worker.error or exc)
        left = self.worker.close()
        self.take_results()
        if left:
            self._not_stored(left, self.worker.error or StoreWorkerStopped("it stopped"))
        self.worker = None


def _requested(item: PageItem | PageReobservedItem) -> str:
    return item.requested_url or item.url


def _frontier_outcome(item, outcome: PageOutcome) -> frontier.PageOutcome:
    if isinstance(item, PageReobservedItem):
        return frontier.PageOutcome("not-modified")
    kind = "new" if outcome.new else "changed" if outcome.changed else "unchanged"
    return frontier.PageOutcome(kind, len(item.facts), not item.text.strip())
