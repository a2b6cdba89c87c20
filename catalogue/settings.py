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
