"""The storing side of a crawl: `CataloguePipeline` hands pages to a `StoreWorker`, which
stores them in batches on a thread of its own; what became of them is settled on the crawl's
thread (frontier, stats, stopping). Nothing handed over is lost: a page that cannot be stored
is a recorded failure, and a crawl far ahead of its storing waits for it."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
import scrapy.utils.defer
from twisted.internet.task import Clock

from catalogue.db import execute_sql
from catalogue.errors import CatalogueBusy
from catalogue.models import utcnow
from crawler import pipelines
from crawler.facts import Fact
from crawler.frontier import Entry, FrontierStore, ToolFrontier
from crawler.items import FailureItem, PageItem, PageReobservedItem
from crawler.pipelines import CataloguePipeline, StoreLimits

TOOL = 1  # a tool of the small catalogue
HOME = "https://tool.example/"


class Stats(dict):
    """Scrapy's stats collector, as much as the pipeline uses of it."""

    def inc_value(self, key, count=1):
        self[key] = self.get(key, 0) + count

    def set_value(self, key, value):
        self[key] = value


class Engine:
    def __init__(self):
        self.close_reasons: list[str] = []

    async def close_spider_async(self, *, reason: str) -> None:
        self.close_reasons.append(reason)


class Crawler:
    """What the pipeline uses of a crawler: the spider's frontier and the engine to stop."""

    def __init__(self):
        self.engine = Engine()
        self.spider = type("Spider", (), {"store": FrontierStore()})()


class Reactor(Clock):
    """The crawl's reactor, as the pipeline uses it: time, and calls handed over from other
    threads (kept to be run by the test, as the reactor would run them on its thread)."""

    def __init__(self):
        super().__init__()
        self.from_threads: list[tuple[str, object]] = []

    def callFromThread(self, call, *args):  # noqa: N802 - Twisted's name
        self.from_threads.append((threading.current_thread().name, call))


class ThreadedFrontier(FrontierStore):
    """A frontier that notes the thread each change is made on (sqlite3 objects made on one
    thread refuse others anyway; this says which change was tried where)."""

    def __init__(self):
        super().__init__()
        self.threads: set[str] = set()

    def pages_stored(self, stored):
        self.threads.add(threading.current_thread().name)
        super().pages_stored(stored)

    def failed(self, *args, **kwargs):
        self.threads.add(threading.current_thread().name)
        super().failed(*args, **kwargs)


def page(n: int, facts=()) -> PageItem:
    return PageItem(TOOL, f"{HOME}p{n}", "other", 200, f"Page {n}", "", f"text {n}", utcnow(),
                    facts=list(facts))  # fmt: skip


@pytest.fixture
def pipeline_for(small_catalogue, monkeypatch):
    """A pipeline opened as a crawl opens it, its frontier holding the pages p0..p19."""
    monkeypatch.setattr(scrapy.utils.defer, "deferred_from_coro", asyncio.run)  # no reactor
    opened = []

    def make(frontier=None, reactor=None, **limits) -> CataloguePipeline:
        pipeline = CataloguePipeline(small_catalogue.path, {}, Stats(), StoreLimits(**limits))
        pipeline.crawler, pipeline.reactor = Crawler(), reactor
        if frontier is not None:
            pipeline.crawler.spider.store = frontier
        entries = [Entry(TOOL, f"{HOME}p{n}", "", 1, 0) for n in range(20)]
        pipeline.frontier.claim([(ToolFrontier(TOOL, HOME, 20), entries, [])])
        pipeline.open_spider()
        opened.append(pipeline)
        return pipeline

    yield make
    for pipeline in opened:  # a test that failed half-way leaves no thread running
        if pipeline.worker is not None:
            pipeline.worker.close()


def stored_urls(catalogue) -> list[str]:
    return [url for (url,) in execute_sql(catalogue, "SELECT url FROM pages ORDER BY url")]


def run_row(catalogue) -> tuple[str, str]:
    return execute_sql(catalogue, "SELECT status, stats FROM crawl_runs")[0]


def test_pages_are_stored_in_batches_on_another_thread(small_catalogue, pipeline_for,
                                                        monkeypatch):  # fmt: skip
    batches = []
    real = pipelines.record_pages

    def recording(catalogue, records, run_id):
        batches.append((threading.current_thread().name, len(records)))
        return real(catalogue, records, run_id)

    monkeypatch.setattr(pipelines, "record_pages", recording)
    frontier = ThreadedFrontier()
    pipeline = pipeline_for(frontier, batch_size=3, batch_seconds=60)
    for n in range(7):
        assert pipeline.process_item(page(n)) is not None
    pipeline.spider_closed("finished")
    assert batches == [("edcat-store", 3), ("edcat-store", 3), ("edcat-store", 1)]  # 1 at close
    assert frontier.threads == {threading.current_thread().name}
    tally = frontier.tally()
    assert tally["pages"] == 7 and tally["new"] == 7 and tally["failed"] == {}
    assert pipeline.stats["edcat/pages"] == 7
    assert len(stored_urls(small_catalogue)) == 7
    status, stats = run_row(small_catalogue)
    assert status == "finished" and '"pages": 7' in stats


def test_a_batch_is_stored_when_its_time_is_up(small_catalogue, pipeline_for):
    pipeline = pipeline_for(batch_size=100, batch_seconds=0.05)
    pipeline.process_item(page(0))
    pipeline.worker.queue.join()  # returns once the batch is stored: the crawl goes on
    assert stored_urls(small_catalogue) == [f"{HOME}p0"]
    assert pipeline.frontier.tally()["pages"] == 0  # not settled yet: that is the crawl's job
    pipeline.process_item(FailureItem(TOOL, f"{HOME}p9", "timeout"))
    assert pipeline.frontier.tally()["pages"] == 1
    pipeline.spider_closed("finished")


def test_the_reactor_is_woken_from_the_storing_thread(pipeline_for):
    """In a crawl, results are read on the crawl's thread as soon as a batch is stored."""
    reactor = Reactor()
    pipeline = pipeline_for(reactor=reactor, batch_size=1)
    pipeline.process_item(page(0))
    pipeline.worker.queue.join()
    assert [name for name, _ in reactor.from_threads] == ["edcat-store"]
    assert pipeline.frontier.tally()["pages"] == 0
    reactor.from_threads[0][1]()  # what the reactor runs on the crawl's thread
    assert pipeline.frontier.tally()["pages"] == 1
    pipeline.spider_closed("finished")


def test_a_page_that_cannot_be_stored_is_a_failure_and_the_rest_are_stored(
    small_catalogue, pipeline_for, caplog
):
    pipeline = pipeline_for(batch_size=10)
    bad = Fact("no_such_field", "x", "quote", f"{HOME}p1")
    for item in (page(0), page(1, [bad]), page(2)):
        pipeline.process_item(item)
    with caplog.at_level(logging.ERROR, logger="crawler.pipelines"):
        pipeline.spider_closed("finished")
    assert stored_urls(small_catalogue) == [f"{HOME}p0", f"{HOME}p2"]
    tally = pipeline_frontier_tally(pipeline)
    assert tally["pages"] == 2 and tally["failed"] == {"store-error": 1}
    assert tally["failures"][0]["url"] == f"{HOME}p1"
    assert "no_such_field" in tally["failures"][0]["detail"]
    assert f"could not store {HOME}p1" in caplog.text


def pipeline_frontier_tally(pipeline: CataloguePipeline) -> dict:
    return pipeline.crawler.spider.store.tally()


def test_a_failing_catalogue_makes_every_page_a_failure_with_the_reason(
    small_catalogue, pipeline_for, monkeypatch, caplog
):
    def full(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(pipelines, "record_pages", full)
    pipeline = pipeline_for(batch_size=2)
    for n in range(3):
        pipeline.process_item(page(n))
    with caplog.at_level(logging.ERROR, logger="crawler.pipelines"):
        pipeline.spider_closed("finished")
    tally = pipeline_frontier_tally(pipeline)
    assert tally["pages"] == 0 and tally["failed"] == {"store-error": 3}
    assert {f["detail"] for f in tally["failures"]} == {"OSError: disk full"}
    assert "could not store 2 page(s)" in caplog.text and "could not store 1 page(s)" in caplog.text
    assert run_row(small_catalogue)[0] == "failed"


def test_a_storing_thread_that_dies_fails_its_pages_and_stops_the_crawl(
    pipeline_for, monkeypatch, caplog
):
    def broken(_item):
        raise ValueError("a bug")

    monkeypatch.setattr(pipelines, "page_record", broken)  # outside every store call's guard
    pipeline = pipeline_for(batch_size=1)
    with caplog.at_level(logging.ERROR, logger="crawler.pipelines"):
        pipeline.process_item(page(0))
        pipeline.worker._thread.join(5)
        pipeline.process_item(page(1))  # handed to a thread that is gone: a failure too
        pipeline.spider_closed("store-error")
    tally = pipeline_frontier_tally(pipeline)
    assert tally["failed"] == {"store-error": 2}
    assert all("the storing thread stopped: ValueError: a bug" in f["detail"]
               for f in tally["failures"])  # fmt: skip
    assert pipeline.crawler.engine.close_reasons == ["store-error"]
    assert "the storing thread stopped" in caplog.text and "Traceback" in caplog.text


def test_a_gone_page_is_recorded_after_the_pages_before_it(small_catalogue, pipeline_for):
    pipeline = pipeline_for(batch_size=10)
    pipeline.process_item(page(0))
    pipeline.process_item(FailureItem(TOOL, f"{HOME}p0", "http-404"))
    pipeline.spider_closed("finished")
    # stored first, then recorded gone: the 404 comes after the page in the queue
    assert execute_sql(small_catalogue, "SELECT http_status FROM pages") == [(404,)]
    assert pipeline.stats["edcat/failed/http-404"] == 1


def test_a_304_for_a_page_the_catalogue_lacks_is_a_failure(pipeline_for):
    pipeline = pipeline_for()
    pipeline.process_item(PageReobservedItem(TOOL, f"{HOME}p3", utcnow()))
    pipeline.spider_closed("finished")
    tally = pipeline_frontier_tally(pipeline)
    assert tally["failed"] == {"store-error": 1}
    assert "a 304 for a page the catalogue does not have" in tally["failures"][0]["detail"]


def test_a_locked_catalogue_stops_the_crawl_and_the_last_try_is_recorded(
    small_catalogue, pipeline_for, monkeypatch
):
    tries = []

    def locked(_catalogue, records, _run_id):
        tries.append(len(records))
        raise CatalogueBusy("catalogue.db stayed locked by another edcat process")

    monkeypatch.setattr(pipelines, "record_pages", locked)
    pipeline = pipeline_for(batch_size=2, patience_seconds=0)  # no waiting: stops at once
    for n in range(4):
        pipeline.process_item(page(n))
    pipeline.worker.queue.join()
    pipeline.take_results()
    assert pipeline.crawler.engine.close_reasons == ["catalogue-busy"]  # asked once
    assert pipeline_frontier_tally(pipeline)["failed"] == {}  # kept for one more try
    pipeline.spider_closed("catalogue-busy")
    assert tries == [2, 2, 2, 2]  # each batch twice: as it came, and at the close
    tally = pipeline_frontier_tally(pipeline)
    assert tally["failed"] == {"catalogue-busy": 4}
    assert run_row(small_catalogue)[0] == "interrupted"


class Release(threading.Event):
    storing: threading.Event  # set once the storing thread is in a transaction


def slow_storing(monkeypatch) -> Release:
    """Storing that holds each batch until the returned event is set."""
    release, real = Release(), pipelines.record_pages
    release.storing = threading.Event()

    def slow(*args):
        release.storing.set()
        release.wait(5)
        return real(*args)

    monkeypatch.setattr(pipelines, "record_pages", slow)
    return release


def test_a_gone_page_the_locked_catalogue_cannot_record_stops_the_crawl(
    pipeline_for, monkeypatch
):
    def locked(*_args):
        raise CatalogueBusy("catalogue.db stayed locked by another edcat process")

    monkeypatch.setattr(pipelines, "record_page_gone", locked)
    pipeline = pipeline_for(patience_seconds=0)
    pipeline.frontier.failed(TOOL, f"{HOME}p0", "http-410")  # as the spider records it
    pipeline.process_item(FailureItem(TOOL, f"{HOME}p0", "http-410"))
    pipeline.worker.queue.join()
    pipeline.take_results()
    assert pipeline.crawler.engine.close_reasons == ["catalogue-busy"]
    pipeline.spider_closed("catalogue-busy")
    assert pipeline_frontier_tally(pipeline)["failed"] == {"http-410": 1}  # its one reason


def test_a_crawl_far_ahead_of_storing_waits_for_it(pipeline_for, monkeypatch):
    release = slow_storing(monkeypatch)
    pipeline = pipeline_for(batch_size=1, queue_size=2)
    pipeline.process_item(page(0))
    release.storing.wait(5)
    for n in (1, 2):  # one being stored, two queued: the queue is full
        pipeline.process_item(page(n))
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()
    pipeline.process_item(page(3))  # without a reactor to return to, it waits in place
    assert release.is_set() and time.monotonic() - started >= 0.25
    pipeline.spider_closed("finished")
    assert pipeline_frontier_tally(pipeline)["pages"] == 4


def test_in_a_crawl_a_full_queue_returns_a_deferred_that_fires_once_there_is_room(
    pipeline_for, monkeypatch
):
    release = slow_storing(monkeypatch)
    clock = Reactor()
    pipeline = pipeline_for(reactor=clock, batch_size=1, queue_size=1)
    results = [pipeline.process_item(page(0))]
    release.storing.wait(5)
    results += [pipeline.process_item(page(n)) for n in (1, 2)]
    assert [type(r).__name__ for r in results] == ["PageItem", "PageItem", "Deferred"]
    fired = []
    results[2].addCallback(fired.append)
    clock.advance(1)
    assert fired == []  # still no room: it looks again later
    release.set()
    pipeline.worker.queue.join()
    for _ in range(3):  # room now: the next look hands the page over
        clock.advance(1)
        pipeline.worker.queue.join()
    assert [item.url for item in fired] == [f"{HOME}p2"]
    pipeline.spider_closed("finished")
    assert pipeline_frontier_tally(pipeline)["pages"] == 3


class Lock:
    """Another process's write lock, as the store functions meet it: every try raises
    CatalogueBusy until `release()`; `tried` is set at the first try."""

    def __init__(self, monkeypatch, name="record_pages"):
        self.tries = 0
        self.tried, self.released = threading.Event(), threading.Event()
        real = getattr(pipelines, name)

        def locked(*args):
            self.tries += 1
            self.tried.set()
            if not self.released.is_set():
                raise CatalogueBusy("catalogue.db stayed locked by another edcat process")
            return real(*args)

        monkeypatch.setattr(pipelines, name, locked)
        monkeypatch.setattr(pipelines.StoreWorker, "BUSY_PAUSE_SECONDS", (0.01, 0.02))

    def release(self) -> None:
        self.released.set()


def test_a_crawl_waits_out_a_locked_catalogue_with_a_bounded_queue_and_stores_every_page(
    small_catalogue, pipeline_for, monkeypatch, caplog
):
    lock = Lock(monkeypatch)
    clock = Reactor()
    pipeline = pipeline_for(reactor=clock, batch_size=1, queue_size=2, patience_seconds=60)
    with caplog.at_level(logging.INFO, logger="crawler.pipelines"):
        results = [pipeline.process_item(page(0))]
        lock.tried.wait(5)
        results += [pipeline.process_item(page(n)) for n in (1, 2, 3)]
        # one page in the worker's hands, two queued: the fourth waits, and the crawl with it
        assert [type(r).__name__ for r in results] == ["PageItem"] * 3 + ["Deferred"]
        assert pipeline.worker.queue.qsize() == 2
        time.sleep(0.2)  # several locked-out tries
        assert lock.tries > 2 and pipeline.crawler.engine.close_reasons == []
        lock.release()
        fired = []
        results[3].addCallback(fired.append)
        while not fired:
            pipeline.worker.queue.join()
            clock.advance(1)
        pipeline.spider_closed("finished")
    assert stored_urls(small_catalogue) == [f"{HOME}p{n}" for n in range(4)]
    tally = pipeline_frontier_tally(pipeline)
    assert tally["pages"] == 4 and tally["failed"] == {}
    assert run_row(small_catalogue)[0] == "finished"
    waiting = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(waiting) == 1, "one warning for the whole wait, not one per try"
    assert "another process is writing" in waiting[0].getMessage()
    assert "waiting up to 60 s" in waiting[0].getMessage()


def test_patience_running_out_stops_the_crawl_and_keeps_the_frontier(
    small_catalogue, pipeline_for, monkeypatch, caplog
):
    lock = Lock(monkeypatch)
    pipeline = pipeline_for(batch_size=2, patience_seconds=0.2)
    with caplog.at_level(logging.ERROR, logger="crawler.pipelines"):
        for n in range(2):
            pipeline.process_item(page(n))
        pipeline.worker.queue.join()  # locked out for the whole patience
        pipeline.take_results()
        assert pipeline.crawler.engine.close_reasons == ["catalogue-busy"]
        tries = lock.tries
        started = time.monotonic()
        pipeline.spider_closed("catalogue-busy")
    assert time.monotonic() - started < 2  # patience is not waited out a second time
    assert tries > 2 and lock.tries == tries + 1  # the last try at the close: once
    (stopping,) = [r.getMessage() for r in caplog.records if "stopping" in r.getMessage()]
    assert "longer than the crawl's patience (EDCAT_STORE_PATIENCE=0.2)" in stopping
    assert "\n" not in stopping
    assert stored_urls(small_catalogue) == []
    tally = pipeline_frontier_tally(pipeline)
    assert tally["pages"] == 0 and tally["failed"] == {"catalogue-busy": 2}
    queued = {entry.url for entry in pipeline.frontier.pending()}
    assert queued == {f"{HOME}p{n}" for n in range(2, 20)}  # the rest waits for --resume
    assert run_row(small_catalogue)[0] == "interrupted"


def test_a_crawl_stopped_by_hand_does_not_wait_out_a_lock(pipeline_for, monkeypatch):
    lock = Lock(monkeypatch, "record_pages_reobserved")
    pipeline = pipeline_for(batch_size=1, patience_seconds=60)
    pipeline.process_item(PageReobservedItem(TOOL, f"{HOME}p0", utcnow()))
    lock.tried.wait(5)
    started = time.monotonic()
    pipeline.spider_closed("shutdown")  # Ctrl-C
    assert time.monotonic() - started < 2
    assert pipeline_frontier_tally(pipeline)["failed"] == {"catalogue-busy": 1}
