"""Several processes writing one catalogue at once lose nothing: a crawl with concurrent
review, label, import and page writers (the real `edcat crawl` against fixture sites), and a
short soak of readers and writers (bench/bench_soak.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
import subprocess
import sys
import threading

import pytest
from crawl_sites import serve
from test_crawl_e2e import LOCAL, crawl, facts, import_sites, pages, query

import catalogue.db as db
from bench.bench_soak import WRITE_KINDS, missing_writes, prepare_catalogue, soak
from catalogue.models import utcnow
from tests.conftest import REPO

SITES = {
    "Sugar": "sugarlabs",
    "Quizzly": "quizzly-v1",
    "Tutor": "trusted-tutor",
    "Polite": "polite",
    "Bare": "no-privacy",
}
ONE_PAGE_PER_TRANSACTION = ["--set", "EDCAT_STORE_BATCH=1"]


def start_writers(db, stop_file) -> list[tuple[str, subprocess.Popen]]:
    return [
        (
            kind,
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "bench.bench_soak",
                    "--worker",
                    kind,
                    "--db",
                    str(db),
                    "--seconds",
                    "240",
                    "--index",
                    str(n),
                    "--stop-file",
                    str(stop_file),
                ],
                stdout=subprocess.PIPE,
                text=True,
                cwd=REPO,
            ),
        )
        for n, kind in enumerate(WRITE_KINDS)
    ]


@pytest.mark.slow
def test_crawl_with_concurrent_writers_loses_no_page_review_label_or_import(
    edcat, tmp_path, db_path
):
    with serve(*SITES.values()) as servers:
        sites = dict(zip(SITES, servers, strict=True))
        baseline = tmp_path / "baseline.db"  # the same crawl with nothing else writing
        import_sites(edcat, tmp_path, db=baseline, **sites)
        crawl(edcat, "--all", *LOCAL, db=baseline)
        import_sites(edcat, tmp_path, **sites)
        stop = tmp_path / "stop"
        writers = start_writers(db_path, stop)
        summary = {}
        crawling = threading.Thread(
            target=lambda: summary.update(crawl(edcat, "--all", *LOCAL, *ONE_PAGE_PER_TRANSACTION))
        )
        crawling.start()
        for question in (1, 2, 3):  # people reviewing while the crawl stores pages
            edcat(
                "tools",
                "review",
                "Quizzly",
                "--question",
                str(question),
                "--answer",
                f"cli {question}",
            )
        crawling.join()
        stop.touch()
        results = {
            kind: json.loads(process.communicate(timeout=120)[0]) for kind, process in writers
        }

    assert summary["status"] == "finished"
    assert not {"store-error", "catalogue-busy"} & set(summary["failed"])
    crawled = {url for url in pages(db_path) if "soak.example" not in url}
    assert crawled == set(pages(baseline)) and summary["pages"] == len(crawled)
    assert facts(db_path) == facts(baseline)
    assert {kind: r["errors"] for kind, r in results.items()} == dict.fromkeys(WRITE_KINDS, {})
    assert all(r["done"] > 0 for r in results.values()), results
    keys = {kind: r["keys"] for kind, r in results.items()}
    assert missing_writes(db_path, keys) == {}
    cli_answers = query(db_path, "SELECT answer FROM reviews WHERE answer LIKE 'cli %'")
    assert sorted(a for (a,) in cli_answers) == ["cli 1", "cli 2", "cli 3"]


@pytest.mark.slow
def test_short_soak_of_readers_and_writers_loses_nothing(tmp_path):
    db = tmp_path / "soak.db"
    prepare_catalogue(db, 60, tmp_path)
    report = soak(db, readers=2, writers=4, seconds=4)
    assert report["lost"] == {} and report["errors"] == {}
    assert set(report["done"]) == {"read", *WRITE_KINDS}
    assert all(count > 0 for count in report["done"].values())


class _Stats:
    def set_value(self, *_args) -> None: ...

    def inc_value(self, *_args) -> None: ...


class _Engine:
    def __init__(self):
        self.close_reasons: list[str] = []

    async def close_spider_async(self, *, reason: str) -> None:
        self.close_reasons.append(reason)


def test_a_crawl_locked_out_stops_and_stores_its_batch_as_it_closes(
    small_catalogue, db_path, monkeypatch
):
    """The pipeline side of a busy catalogue: no page dropped, the crawl asked to stop."""
    import scrapy.utils.defer

    from crawler.frontier import FrontierStore
    from crawler.items import PageItem
    from crawler.pipelines import CataloguePipeline, StoreLimits

    limits = dataclasses.replace(db.LIMITS, busy_timeout_ms=20, write_attempts=2)
    monkeypatch.setattr(db, "LIMITS", limits)
    monkeypatch.setattr(scrapy.utils.defer, "deferred_from_coro", asyncio.run)  # no reactor here
    no_patience = StoreLimits(batch_size=1, patience_seconds=0)  # stop at the first lockout
    pipeline = CataloguePipeline(db_path, {}, _Stats(), no_patience)
    spider = type("Spider", (), {"store": FrontierStore()})()
    pipeline.crawler = type("Crawler", (), {"engine": _Engine(), "spider": spider})()
    pipeline.open_spider()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    page = PageItem(1, "https://kahoot.com/", "home", 200, "Kahoot", "", "Quizzes", utcnow())
    pipeline.process_item(page)
    pipeline.worker.queue.join()  # the storing thread tried, and was locked out
    pipeline.take_results()
    holder.execute("ROLLBACK")
    holder.close()
    assert pipeline.crawler.engine.close_reasons == ["catalogue-busy"]
    pipeline.spider_closed("catalogue-busy")
    assert query(db_path, "SELECT url FROM pages") == [("https://kahoot.com/",)]
    assert query(db_path, "SELECT status FROM crawl_runs") == [("interrupted",)]
