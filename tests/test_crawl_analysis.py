"""crawler.analysis: extraction in worker processes gives what extraction inline gives,
and a crawl carries on inline when a worker dies."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from crawler.analysis import Analyser, analyse_page

HTML = Path(__file__).parent / "fixtures" / "html"
PAGES = [
    (path.read_bytes(), f"https://example.org/{path.stem}")
    for path in sorted((HTML / "sugarlabs_www").glob("*.html"))
]


async def analyse_all(analyser: Analyser, pages: list[tuple[bytes, str]]) -> list:
    return await asyncio.gather(*(analyser.analyse(body, url, "text/html") for body, url in pages))


def test_workers_give_the_inline_results_in_order_and_die_without_losing_a_page(caplog):
    inline = [analyse_page(body, url, "text/html") for body, url in PAGES]
    analyser = Analyser(2)
    workers = list(analyser._workers)

    async def crawl() -> tuple[list, list]:
        try:
            first = await analyse_all(analyser, PAGES)
            workers[0].process.kill()  # pages it was to answer are extracted inline instead
            second = await analyse_all(analyser, PAGES * 2)
        finally:
            analyser.close()  # as at the end of a crawl, on its event loop
        return first, second

    with caplog.at_level(logging.ERROR, logger="crawler.analysis"):
        first, second = asyncio.run(crawl())
    assert first == inline
    assert second == inline * 2
    assert "extraction worker died" in caplog.text
    assert all(worker.process.exitcode is not None for worker in workers)


def test_a_page_that_fails_in_a_worker_fails_as_it_would_inline():
    with pytest.raises(TypeError):
        analyse_page(None, "https://example.org/", None)  # type: ignore[arg-type]
    analyser = Analyser(1)
    (worker,) = analyser._workers

    async def crawl() -> list:
        try:
            with pytest.raises(TypeError):
                await analyser.analyse(None, "https://example.org/", None)  # type: ignore[arg-type]
            return await analyse_all(analyser, PAGES[:2])  # the worker carries on
        finally:
            analyser.close()

    after = asyncio.run(crawl())
    assert after == [analyse_page(body, url, "text/html") for body, url in PAGES[:2]]
    assert worker.process.exitcode == 0


def test_closing_unused_workers_ends_them():
    analyser = Analyser(1)
    (worker,) = analyser._workers
    analyser.close()
    assert worker.process.exitcode == 0
