"""Caches for the pages many visitors open: library results (`ResultCache`) and whole
anonymous responses (`PageCache`).

An entry is valid while the catalogue file is unchanged: the key includes the size and
modification time of the database and its write-ahead log, which every commit (a crawl, an
import, a review) changes. Entries also expire after `MAX_AGE` seconds, so a change the file
times cannot show (two commits in one clock tick) is seen within that time at worst.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

MAX_ENTRIES = 512
MAX_AGE = 30.0


def catalogue_generation(path: Path) -> tuple[int, ...]:
    """Changes whenever a transaction commits to the catalogue at `path`."""
    stamp: list[int] = []
    for suffix in ("", "-wal"):
        try:
            info = os.stat(f"{path}{suffix}")
        except FileNotFoundError:
            stamp += [0, 0]
        else:
            stamp += [info.st_size, info.st_mtime_ns]
    return tuple(stamp)


class ResultCache:
    def __init__(self, path: Path, max_entries: int = MAX_ENTRIES, max_age: float = MAX_AGE):
        self.path = path
        self.max_entries = max_entries
        self.max_age = max_age
        self._entries: OrderedDict[Hashable, tuple[tuple, float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        """The cached value for `key` if the catalogue is unchanged, else `compute()`.

        Requests for the same key wait for one computation instead of all running it.
        """
        with self._lock:
            key_lock = self._computing.setdefault(key, threading.Lock())
        with key_lock:
            generation = catalogue_generation(self.path)
            now = time.monotonic()
            with self._lock:
                entry = self._entries.get(key)
                if entry and entry[0] == generation and now - entry[1] < self.max_age:
                    self._entries.move_to_end(key)
                    return entry[2]
            value = compute()
            with self._lock:
                self._entries[key] = (generation, now, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    old_key, _ = self._entries.popitem(last=False)
                    self._computing.pop(old_key, None)
            return value


MAX_PAGE_BYTES = 64 * 2**20  # per worker process
MAX_PAGE_SIZE = 2**20  # a larger page is served but not kept
CACHE_HEADER = b"x-edcat-cache"


def _is_page(path: str) -> bool:
    """The read-only HTML pages worth keeping: browse, overview, compare, one tool's page."""
    if path in ("/", "/overview", "/compare"):
        return True
    return path.startswith("/tools/") and "/" not in path[len("/tools/") :]


def _header(scope, name: bytes) -> bytes:
    return b", ".join(value for key, value in scope["headers"] if key == name)


class PageCache:
    """ASGI middleware keeping whole responses of anonymous GETs of the read-only pages.

    The key is the path and query string; an entry is served while the catalogue file is
    unchanged (`catalogue_generation`) and for at most `max_age` seconds. A request carrying
    a session cookie is never answered from the cache and its response never kept (a signed-in
    page holds the user's name and CSRF token), nor is a response that sets a cookie or is not
    a 200. `Cache-Control: no-cache` from the client (a forced reload) renders afresh.
    Concurrent misses for one key wait for a single render.
    """

    def __init__(
        self,
        app,
        path: Path,
        session_cookie: str,
        max_bytes: int = MAX_PAGE_BYTES,
        max_age: float = MAX_AGE,
    ):
        self.app = app
        self.path = path
        self.cookie = session_cookie.encode() + b"="
        self.max_bytes = max_bytes
        self.max_age = max_age
        self.size = 0
        self._entries: OrderedDict[tuple, tuple[tuple, float, dict, bytes]] = OrderedDict()
        self._rendering: dict[tuple, asyncio.Event] = {}

    def cacheable(self, scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and _is_page(scope["path"])
            and self.cookie not in _header(scope, b"cookie")
        )

    async def __call__(self, scope, receive, send) -> None:
        if not self.cacheable(scope):
            return await self.app(scope, receive, send)
        key = (scope["path"], scope["query_string"])
        forced = b"no-cache" in _header(scope, b"cache-control")
        while not forced and key in self._rendering:
            await self._rendering[key].wait()
        generation = catalogue_generation(self.path)
        entry = None if forced else self._fresh(key, generation)
        if entry is not None:
            return await _replay(send, entry[2], entry[3], b"hit")
        self._rendering[key] = done = asyncio.Event()
        try:
            await self._render(scope, receive, send, key, generation)
        finally:
            if self._rendering.get(key) is done:
                del self._rendering[key]
            done.set()

    def _fresh(self, key: tuple, generation: tuple):
        entry = self._entries.get(key)
        if entry and entry[0] == generation and time.monotonic() - entry[1] < self.max_age:
            self._entries.move_to_end(key)
            return entry
        return None

    async def _render(self, scope, receive, send, key, generation) -> None:
        start: dict = {}
        chunks: list[bytes] = []

        async def capture(message) -> None:
            if message["type"] == "http.response.start":
                start.update(message, headers=[*message["headers"], (CACHE_HEADER, b"miss")])
                message = start
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    self._keep(key, generation, start, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, capture)

    def _keep(self, key: tuple, generation: tuple, start: dict, body: bytes) -> None:
        headers = [(k, v) for k, v in start.get("headers", []) if k != CACHE_HEADER]
        if start.get("status") != 200 or len(body) > MAX_PAGE_SIZE:
            return
        if any(k.lower() == b"set-cookie" for k, _ in headers):
            return
        old = self._entries.pop(key, None)
        if old:
            self.size -= len(old[3])
        self._entries[key] = (generation, time.monotonic(), {**start, "headers": headers}, body)
        self.size += len(body)
        while self.size > self.max_bytes:
            _, (_, _, _, dropped) = self._entries.popitem(last=False)
            self.size -= len(dropped)


async def _replay(send, start: dict, body: bytes, state: bytes) -> None:
    await send({**start, "headers": [*start["headers"], (CACHE_HEADER, state)]})
    await send({"type": "http.response.body", "body": body})
