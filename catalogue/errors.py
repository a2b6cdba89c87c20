"""Typed errors. The CLI turns each into one line on stderr and exit code 1."""

from __future__ import annotations


class EdcatError(Exception):
    """Base class for every error a user can cause and fix, in any edcat package.

    The CLI prints these as one line on stderr and exits 1; anything else is a bug and keeps
    its traceback.
    """


class CatalogueError(EdcatError):
    pass


class CatalogueNotFound(CatalogueError):
    pass


class NotACatalogue(CatalogueError):
    pass


class SchemaVersionError(CatalogueError):
    pass


class CatalogueBusy(CatalogueError):
    """Another process held the write lock past every retry; this write did nothing."""


class CatalogueReadOnly(CatalogueError):
    pass


class CatalogueDamaged(CatalogueError):
    """A corrupted file, or one missing a table edcat needs."""


class InvalidInput(CatalogueError):
    """Bad rows in an input file; `problems` lists every one (file, row, field, message)."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{path}: {len(problems)} bad row(s), nothing imported:\n{shown}{more}")


class InvalidFilter(CatalogueError):
    pass


class ToolNotFound(CatalogueError):
    pass


class ShortlistNotFound(CatalogueError):
    pass
