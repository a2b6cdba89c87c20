"""A small cache of library results for the pages many visitors open with the same filters.

An entry is valid while the catalogue file is unchanged: the key includes the size and
modification time of the database and its write-ahead log, which every commit (a crawl, an
import, a review) changes. Entries also expire after `MAX_AGE` seconds, so a change the file
times cannot show (two commits in one clock tick) is seen within that time at worst.
"""

from __future__ import annotations

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
