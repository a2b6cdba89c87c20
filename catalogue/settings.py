"""Defaults and limits in one place, each with the reason for its value."""

from __future__ import annotations

import os
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
