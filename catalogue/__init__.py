"""The edcat catalogue: SQLModel tables over SQLite and the functions that read and write them.

The common entry points are exported here. Other packages also use the public functions of
its modules: `store` (what the crawler and classifier write), `documents` (tool text for the
classifier), `cards`, `labels`, `risk`, `compare`, `shortlists`, `export`, `stats`, `changes`,
`files`, `vocabulary`. Nothing outside this package uses a name starting with `_`.

The exports are loaded on first use (PEP 562), so `from catalogue import ToolQuery` does not
import SQLAlchemy: `edcat --help` and `edcat tools list` start without it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from catalogue.errors import (
    CatalogueError,
    CatalogueNotFound,
    EdcatError,
    InvalidFilter,
    InvalidInput,
    NotACatalogue,
    SchemaVersionError,
    ShortlistNotFound,
    ToolNotFound,
)
from catalogue.query import ToolQuery, count_tools, query_tools

if TYPE_CHECKING:
    from catalogue.db import Catalogue, open_catalogue, upgrade_catalogue
    from catalogue.importer import ImportResult, import_tools

_LAZY = {
    "Catalogue": "catalogue.db",
    "open_catalogue": "catalogue.db",
    "upgrade_catalogue": "catalogue.db",
    "ImportResult": "catalogue.importer",
    "import_tools": "catalogue.importer",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'catalogue' has no attribute {name!r}")


__all__ = [
    "Catalogue",
    "CatalogueError",
    "CatalogueNotFound",
    "EdcatError",
    "ImportResult",
    "InvalidFilter",
    "InvalidInput",
    "NotACatalogue",
    "SchemaVersionError",
    "ShortlistNotFound",
    "ToolNotFound",
    "ToolQuery",
    "count_tools",
    "import_tools",
    "open_catalogue",
    "query_tools",
    "upgrade_catalogue",
]
