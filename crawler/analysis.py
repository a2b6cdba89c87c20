"""One fetched page -> what the spider needs from it, inline or in worker processes.

Extraction (trafilatura, extruct, the fact rules) costs 5-40 ms of CPU per real page, several
times what Scrapy spends fetching it. Polite crawls (one request per second per site) never
notice, but a big crawl, a cached or a replayed one is CPU-bound, so `Analyser` can run
`analyse_page` in worker processes (EDCAT_EXTRACT_WORKERS) while the crawling process keeps
downloading and storing. The result is the same either way: `analyse_page` is a pure function.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection

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
WORKER_EXIT_SECONDS = 5.0
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


class WorkerGone(Exception):
    """An extraction worker exited (killed, out of memory) with pages still to answer."""


# Each message on a worker's pipes: its length as 8 bytes, then a pickle. Requests are
# (body, url, content_type); answers ("ok", PageAnalysis) or ("error", exception).
_HEADER = struct.Struct("!Q")
_STOP = b""  # an empty request: the worker exits


def _own_fd(connection: Connection) -> int:
    """The connection's pipe as a plain file descriptor (the connection is closed)."""
    fd = os.dup(connection.fileno())
    connection.close()
    return fd


def _serve(requests_end: Connection, answers_end: Connection, parent_pid: int) -> None:
    """A worker's whole life: analyse the requests in order and send back the answers.

    Two threads move the messages, so that pages wait here rather than in the pipes: the
    crawl's event loop, busy downloading, refills a pipe or reads one only now and then, and
    the worker must neither run out of pages nor stop while its answers are not yet read.
    """
    _warm_up(parent_pid)
    requests: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    answers: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    reading = threading.Thread(target=_read_requests, args=(_own_fd(requests_end), requests))
    writing = threading.Thread(target=_write_answers, args=(_own_fd(answers_end), answers))
    reading.start()
    writing.start()
    while (message := requests.get()) is not None:
        answers.put(_answer(*pickle.loads(message)))
    answers.put(None)
    writing.join()


def _read_requests(fd: int, requests: queue.SimpleQueue) -> None:
    with os.fdopen(fd, "rb") as pipe:
        while len(header := pipe.read(_HEADER.size)) == _HEADER.size:
            message = pipe.read(_HEADER.unpack(header)[0])
            if not message:
                break  # the crawl's stop message
            requests.put(message)
    requests.put(None)  # the crawl closed the pipe or said stop


def _write_answers(fd: int, answers: queue.SimpleQueue) -> None:
    with os.fdopen(fd, "wb") as pipe:
        while (answer := answers.get()) is not None:
            pipe.write(_HEADER.pack(len(answer)) + answer)
            pipe.flush()


def _answer(body: bytes, url: str, content_type: str | None) -> bytes:
    try:
        return pickle.dumps(("ok", analyse_page(body, url, content_type)), pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # the page fails, as it would inline; the worker carries on
        try:
            return pickle.dumps(("error", exc), pickle.HIGHEST_PROTOCOL)
        except Exception:  # an exception that cannot be pickled
            return pickle.dumps(("error", RuntimeError(repr(exc))), pickle.HIGHEST_PROTOCOL)


class _Worker:
    """One spawned extraction process, driven from the crawl's event loop.

    The pages go down one pipe and the answers come back up another, through asyncio's
    non-blocking pipe transports: no threads in the crawling process. (A process pool
    feeds and reads its workers from two threads of its own, which take the GIL from the
    event loop for every page.) The worker answers in order, so the futures waiting for
    its answers form a queue.
    """

    def __init__(self, context, parent_pid: int):
        # multiprocessing's pipes, because spawn hands their child ends to the new process
        requests_read, requests_write = context.Pipe(duplex=False)
        answers_read, answers_write = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_serve,
            args=(requests_read, answers_write, parent_pid),
            name="edcat-extract",
            daemon=True,
        )
        self.process.start()
        self._requests_write, self._answers_read = _own_fd(requests_write), _own_fd(answers_read)
        requests_read.close()
        answers_write.close()
        self.waiting: deque[asyncio.Future] = deque()
        self._writer: asyncio.WriteTransport | None = None
        self._answers: asyncio.ReadTransport | None = None
        self._reader: asyncio.Task | None = None
        self._connected: asyncio.Future | None = None
        self.gone = False

    async def analyse(self, body: bytes, url: str, content_type: str | None) -> PageAnalysis:
        if self._connected is None:  # the first page: attach the pipes to the event loop
            self._connected = asyncio.ensure_future(self._connect())
        await asyncio.shield(self._connected)
        if self.gone or self._writer.is_closing():
            raise WorkerGone(f"extraction worker {self.process.pid} is gone")
        answer = asyncio.get_running_loop().create_future()
        self.waiting.append(answer)
        message = pickle.dumps((body, url, content_type), pickle.HIGHEST_PROTOCOL)
        self._writer.write(_HEADER.pack(len(message)) + message)
        status, value = await answer
        if status == "error":
            raise value
        return value

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        self._answers, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(self._answers_read, "rb", 0)
        )
        self._writer, _ = await loop.connect_write_pipe(
            _WriteProtocol, os.fdopen(self._requests_write, "wb", 0)
        )
        self._reader = loop.create_task(self._read_answers(reader))

    async def _read_answers(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                header = await reader.readexactly(_HEADER.size)
                answer = pickle.loads(await reader.readexactly(_HEADER.unpack(header)[0]))
                waiting = self.waiting.popleft()
                if not waiting.done():
                    waiting.set_result(answer)
        except (asyncio.IncompleteReadError, OSError):
            self._lost()

    def _lost(self) -> None:
        self.gone = True
        while self.waiting:
            waiting = self.waiting.popleft()
            if not waiting.done():
                waiting.set_exception(WorkerGone(f"extraction worker {self.process.pid} died"))

    def close(self) -> None:
        """Tell the worker to stop, wait for it briefly, then make sure it is gone."""
        if self._writer is None or self._answers is None:  # never used: the pipes are ours
            for fd in (self._requests_write, self._answers_read):  # end of file: it stops
                with contextlib.suppress(OSError):
                    os.close(fd)
        else:
            if not self._writer.is_closing():
                # Written at once (nothing is queued when the crawl ends); closing the
                # transport would only close the pipe on a later turn of the event loop.
                self._writer.write(_HEADER.pack(len(_STOP)))
            self._writer.close()
            self._answers.close()
            if self._reader is not None:
                self._reader.cancel()
        self.process.join(timeout=WORKER_EXIT_SECONDS)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class _WriteProtocol(asyncio.Protocol):
    """The request pipe needs no callbacks: a dead worker shows as the answers' end of file."""


class Analyser:
    """Runs `analyse_page` inline (workers=0) or in spawned worker processes."""

    def __init__(self, workers: int = 0):
        self.workers = workers
        # spawn, not fork: the crawling process runs threads (DNS, rich, Twisted).
        context = multiprocessing.get_context("spawn")
        # started now, while robots.txt is fetched
        self._workers = [_Worker(context, os.getpid()) for _ in range(workers)]

    async def analyse(self, body: bytes, url: str, content_type: str | None) -> PageAnalysis:
        live = [worker for worker in self._workers if not worker.gone]
        if not live:
            return analyse_page(body, url, content_type)
        worker = min(live, key=lambda w: len(w.waiting))
        try:
            return await worker.analyse(body, url, content_type)
        except WorkerGone:  # carry on inline
            logger.error("extraction worker died; extracting in the crawling process")
            return analyse_page(body, url, content_type)

    def close(self) -> None:
        workers, self._workers = self._workers, []
        for worker in workers:
            worker.close()
