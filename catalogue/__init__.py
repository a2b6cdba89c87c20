"""The edcat catalogue: SQLModel tables over SQLite and the functions that read and write them.

The common entry points are exported here. Other packages also use the public functions of
its modules: `store` (what the crawler and classifier write), `documents` (tool text for the
classifier), `cards`, `labels`, `risk`, `compare`, `shortlists`, `export`, `stats`, `changes`,
`files`, `vocabulary`. Nothing outside this package uses a name starting with `_`.
"""

from catalogue.db import Catalogue, open_catalogue, upgrade_catalogue
from catalogue.errors import (
    CatalogueError,
    CatalogueNotFound,
    EdcatError,
    InvalidFilter,
    InvalidInput,
    NotACatalogue,
    SchemaVersionError,
    ToolNotFound,
)
from catalogue.importer import ImportResult, import_tools
from catalogue.query import ToolQuery, count_tools, query_tools

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
    "ToolNotFound",
    "ToolQuery",
    "count_tools",
    "import_tools",
    "open_catalogue",
    "query_tools",
    "upgrade_catalogue",
]
