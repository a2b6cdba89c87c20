"""Defaults and limits in one place, each with the reason for its value."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DB_ENV = "EDCAT_DB"


def default_db_path() -> Path:
    """`$EDCAT_DB`, else `$XDG_DATA_HOME/edcat/catalogue.db` (~/.local/share/edcat/...)."""
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV]).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "edcat" / "catalogue.db"


STALE_ENV = "EDCAT_STALE_DAYS"
# A vendor's pages change; a fact not re-observed for six months should be re-checked before a
# DPIA relies on it.
DEFAULT_STALE_DAYS = 180


def stale_after_days(override: int | None = None) -> int:
    """`override`, else `$EDCAT_STALE_DAYS`, else 180."""
    from catalogue.errors import CatalogueError

    if override is None:
        raw = os.environ.get(STALE_ENV) or str(DEFAULT_STALE_DAYS)
        try:
            override = int(raw)
        except ValueError:
            raise CatalogueError(
                f"${STALE_ENV} must be a whole number of days, got {raw!r}"
            ) from None
    if override < 0:
        raise CatalogueError(f"the stale age must be 0 days or more, got {override}")
    return override


@dataclass(frozen=True)
class Limits:
    """Every limit on writing and on input, in one table. Error messages name the field
    (`limit max_text_chars=20000`), so a user can find the reason here."""

    # Each `BEGIN IMMEDIATE` waits this long for another writer (SQLite's busy handler)...
    busy_timeout_ms: int = 5000
    # ...and is tried this many times, sleeping write_backoff_s, doubling, between tries: a
    # crawl batch or an import holds the lock for well under a second, so 6 tries of 5 s
    # outlast any normal writer, and a stuck one ends the command in about half a minute.
    write_attempts: int = 6
    write_backoff_s: float = 0.05
    # Input files (tool imports in CSV or JSON Lines, label files): an input bigger than this
    # is not a tool list; reading it whole would only exhaust memory.
    max_file_bytes: int = 200 * 1024 * 1024
    max_rows: int = 100_000  # 100 times the bundled list of 1,032 tools
    max_name_chars: int = 200  # the longest bundled name is 45
    max_url_chars: int = 2048  # the most the sitemaps.org protocol allows
    # Any other field (descriptions, sources, facts as JSON): the longest bundled one is
    # about 3,200; `tools show` and search stay fast below this.
    max_text_chars: int = 20_000
    max_list_items: int = 200  # facts or sources in one row


LIMITS = Limits()
