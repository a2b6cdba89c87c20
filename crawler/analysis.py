"""One fetched page -> what the spider needs from it, inline or in worker processes.

Extraction (trafilatura, extruct, the fact rules) costs 5-40 ms of CPU per real page, several
times what Scrapy spends fetching it. Polite crawls (one request per second per site) never
notice, but a big crawl, a cached or a replayed one is CPU-bound, so `Analyser` can run
`analyse_page` in worker processes (EDCAT_EXTRACT_WORKERS) while the crawling process keeps
downloading and storing. The result is the same either way: `analyse_page` is a pure function.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from crawler.extract import extract_page
from crawler.facts import Fact, extract_facts

logger = logging.getLogger(__name__)

# Below this many tools a worker's start-up (~1.5 s to import the extraction libraries)
# costs more than it saves.
AUTO_WORKERS_MIN_TOOLS = 20


@dataclass(frozen=True)
class PageAnalysis:
    title: str
    meta_description: str
    text: str
    lang: str
    links: list[tuple[str, str]]
    facts: list[Fact]


def analyse_page(body: bytes, url: str, content_type: str | None = None) -> PageAnalysis:
    content = extract_page(body, url, content_type=content_type)
    return PageAnalysis(
        title=content.title,
        meta_description=content.meta_description,
        text=content.main_text,
        lang=content.lang,
        links=content.links,
        facts=extract_facts(content, url),
    )


def worker_count(setting: str | int | None, tools: int) -> int:
    """EDCAT_EXTRACT_WORKERS: a number, or "auto" / None: one per spare core (at most 4)
    for crawls of AUTO_WORKERS_MIN_TOOLS tools or more, else 0 (inline)."""
    if setting not in (None, "", "auto"):
        return max(0, int(setting))
    if tools < AUTO_WORKERS_MIN_TOOLS:
        return 0
    return max(0, min(4, (os.cpu_count() or 1) - 1))


PARENT_CHECK_SECONDS = 1.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _warm_up(parent_pid: int) -> None:
    """Runs in each worker at start: die with the crawling process, leave Ctrl-C to it
    (it stops gracefully and still needs us), and pay the imports before the first page."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    analyse_page(b"<html><body><p>warm-up</p></body></html>", "http://localhost/")


def _die_with_parent(parent_pid: int) -> None:
    """A worker must not outlive a crawl killed with SIGKILL (which runs no clean-up): on
    Linux the kernel sends us SIGKILL when the parent dies (PR_SET_PDEATHSIG); everywhere a
    thread also checks every second that the parent is still ours, for a parent gone before
    the prctl or a system without it."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)  # the crawl is gone: nobody will read our results


class Analyser:
    """Runs `analyse_page` inline (workers=0) or in a pool of spawned worker processes."""

    def __init__(self, workers: int = 0):
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        if workers > 0:
            # spawn, not fork: the crawling process runs threads (DNS, rich, Twisted).
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_warm_up,
                initargs=(os.getpid(),),
            )
            for _ in range(workers):  # start them now, while robots.txt is fetched
                self._pool.submit(int)

    async def analyse(self, body: bytes, url: str, content_type: str | None) -> PageAnalysis:
        if self._pool is None:
            return analyse_page(body, url, content_type)
        try:
            future = self._pool.submit(analyse_page, body, url, content_type)
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:  # a worker died (killed, out of memory): carry on inline
            logger.error("extraction worker died; extracting in the crawling process")
            self._pool = None
            return analyse_page(body, url, content_type)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
