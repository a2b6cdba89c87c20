"""The storing side of a crawl: `StoreWorker` stores items off the crawl's thread, in
batches, surfacing every page it cannot store and losing nothing at close."""

from __future__ import annotations

import threading

import pytest

from catalogue import open_catalogue
from catalogue.db import execute_sql
from catalogue.models import utcnow
from crawler import pipelines
from crawler.facts import Fact
from crawler.items import FailureItem, PageItem
from crawler.pipelines import CrawlTally, StoreLimits, StoreWorker


class Stats(dict):
    def inc_value(self, key, count=1):
        self[key] = self.get(key, 0) + count


def page(tool_id: int, n: int, facts=()) -> PageItem:
    return PageItem(
        tool_id=tool_id,
        url=f"https://tool{tool_id}.example/p{n}",
        kind="other",
        status=200,
        title=f"Page {n}",
        meta_description="",
        text=f"text {n}",
        fetched_at=utcnow(),
        facts=list(facts),
    )


@pytest.fixture
def worker_for(small_catalogue):
    started = []

    def make(**options) -> StoreWorker:
        worker = StoreWorker(
            open_catalogue(small_catalogue.path),
            None,
            CrawlTally(),
            Stats(),
            StoreLimits(**options),
        )
        started.append(worker)
        return worker

    yield make
    for worker in started:
        worker.close()


def stored_pages(catalogue) -> int:
    return execute_sql(catalogue, "SELECT count(*) FROM pages")[0][0]


def test_pages_are_stored_in_batches_on_another_thread(small_catalogue, worker_for, monkeypatch):
    batches = []
    real = pipelines.record_pages

    def recording(catalogue, records, run_id):
        batches.append((threading.current_thread().name, len(records)))
        return real(catalogue, records, run_id)

    monkeypatch.setattr(pipelines, "record_pages", recording)
    worker = worker_for(batch_size=3, batch_seconds=60)
    for n in range(7):
        worker.put(page(1, n))
    worker.close()
    assert [size for _, size in batches] == [3, 3, 1]  # the last one stored at close
    assert {name for name, _ in batches} == {"edcat-store"}
    assert worker.tally.pages == 7 and worker.tally.new == 7
    assert stored_pages(small_catalogue) == 7


def test_a_batch_is_stored_when_its_time_is_up(small_catalogue, worker_for):
    worker = worker_for(batch_size=100, batch_seconds=0.05)
    worker.put(page(1, 0))
    for _ in range(100):
        if worker.tally.pages:
            break
        threading.Event().wait(0.02)
    assert worker.tally.pages == 1 and stored_pages(small_catalogue) == 1


def test_a_page_that_cannot_be_stored_is_a_failure_and_the_rest_are_stored(worker_for):
    worker = worker_for(batch_size=10)
    worker.put(page(1, 0))
    worker.put(page(1, 1, [Fact("no_such_field", "x", "quote", "https://tool1.example/p1")]))
    worker.put(page(1, 2))
    worker.close()
    assert worker.tally.pages == 2
    assert worker.tally.failed == {"store-error": 1}
    assert worker.tally.failures[0]["url"] == "https://tool1.example/p1"


def test_a_failing_catalogue_turns_every_page_into_a_failure(worker_for, monkeypatch):
    def locked(*args):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(pipelines, "record_pages", locked)
    worker = worker_for(batch_size=2)
    for n in range(3):
        worker.put(page(1, n))
    worker.close()
    assert worker.tally.pages == 0
    assert worker.tally.failed == {"store-error": 3}
    assert "database is locked" in worker.tally.failures[0]["detail"]


def test_failures_are_counted_in_order_with_the_pages(small_catalogue, worker_for):
    worker = worker_for(batch_size=10)
    worker.put(page(1, 0))
    worker.put(FailureItem(1, "https://tool1.example/p0", "http-404"))
    worker.close()
    assert worker.tally.failed == {"http-404": 1}
    # stored first, then recorded gone: the 404 comes after the page in the queue
    assert execute_sql(small_catalogue, "SELECT http_status FROM pages") == [(404,)]


def test_a_crawl_far_ahead_of_storing_waits_for_it(worker_for, monkeypatch):
    release = threading.Event()
    real = pipelines.record_pages

    def slow(*args):
        release.wait(5)
        return real(*args)

    monkeypatch.setattr(pipelines, "record_pages", slow)
    worker = worker_for(batch_size=1, queue_size=2)
    for n in range(3):  # one being stored, two queued: the queue is full
        worker.put(page(1, n))
    blocked = threading.Thread(target=worker.put, args=(page(1, 3),))
    blocked.start()
    blocked.join(0.2)
    assert blocked.is_alive()
    release.set()
    blocked.join(5)
    worker.close()
    assert worker.tally.pages == 4
