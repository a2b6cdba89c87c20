"""Deleting a tool or a shortlist, withdrawing a review, unsetting a label.

A tool is deleted with every row that refers to it, found from the schema's foreign keys
(pages, their versions and facts, classifications, labels, reviews, shortlist entries, and any
table added later), plus its search-index row, in one transaction: all or nothing, and no row
is left pointing at a tool that is gone. Reviews and labels are people's history, so
"deleting" one marks it no longer current, as a newer one would.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection

from catalogue.cards import find_tool
from catalogue.db import Catalogue
from catalogue.errors import CatalogueError
from catalogue.models import utcnow
from catalogue.query import FTS_TABLE, stored_datetime
from catalogue.vocabulary import DIMENSIONS


@dataclass
class Deleted:
    """What a deletion removed (or, with `dry_run`, would remove): rows per table."""

    what: str
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def summary(self) -> str:
        parts = [f"{n} {table}" for table, n in self.rows.items() if n]
        return f"{self.what}: " + (", ".join(parts) or "nothing")


def _references(conn: Connection) -> dict[str, list[tuple[str, str, str]]]:
    """{parent table: [(child table, child column, parent column)]} from the foreign keys."""
    tables = [
        row[0]
        for row in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    references: dict[str, list[tuple[str, str, str]]] = {}
    for table in tables:
        for key in conn.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")'):
            parent, child_column, parent_column = key[2], key[3], key[4] or "id"
            references.setdefault(parent, []).append((table, child_column, parent_column))
    return references


def _delete_where(
    conn: Connection,
    references: dict[str, list[tuple[str, str, str]]],
    table: str,
    where: str,
    params: tuple,
    counts: dict[str, int],
) -> None:
    """Delete the rows of `table` matching `where`, children first (depth-first)."""
    for child, child_column, parent_column in references.get(table, []):
        if child == table:
            raise CatalogueError(f"cannot cascade a delete through {table}, which refers to itself")
        _delete_where(
            conn,
            references,
            child,
            f'"{child_column}" IN (SELECT "{parent_column}" FROM "{table}" WHERE {where})',
            params,
            counts,
        )
    deleted = conn.exec_driver_sql(f'DELETE FROM "{table}" WHERE {where}', params).rowcount
    counts[table] = counts.get(table, 0) + deleted


class _RollBack(Exception):
    """Raised inside a dry run's transaction so that it rolls back."""


def _cascade(
    catalogue: Catalogue, what: str, table: str, where: str, params: tuple, dry_run: bool
) -> Deleted:
    result = Deleted(what)
    try:
        with catalogue.write_connection() as conn:  # counted and deleted under the write lock
            _delete_where(conn, _references(conn), table, where, params, result.rows)
            if table == "tools":
                conn.exec_driver_sql(f"DELETE FROM {FTS_TABLE} WHERE rowid = ?", params)
            if dry_run:
                raise _RollBack
    except _RollBack:
        pass
    return result


def delete_tool(catalogue: Catalogue, ref: str | int, dry_run: bool = False) -> Deleted:
    """Delete a tool and everything that refers to it; `dry_run` only counts the rows."""
    tool = find_tool(catalogue, ref)
    return _cascade(
        catalogue,
        f"{tool.name} ({tool.slug}, id {tool.id})",
        "tools",
        "id = ?",
        (tool.id,),
        dry_run,
    )


def delete_shortlist(catalogue: Catalogue, name: str, dry_run: bool = False) -> Deleted:
    """Delete a shortlist and its entries (the tools stay)."""
    name = name.strip()
    with catalogue.engine.connect() as conn:
        found = conn.exec_driver_sql("SELECT id FROM shortlists WHERE name = ?", (name,)).first()
    if found is None:
        raise CatalogueError(f"no shortlist {name!r}; `edcat shortlist show` lists them")
    return _cascade(catalogue, f"shortlist {name!r}", "shortlists", "id = ?", (found[0],), dry_run)


def _no_longer_current(
    catalogue: Catalogue, table: str, where: str, params: tuple, tool_id: int
) -> int:
    """Mark matching current rows not current and the tool changed; returns how many."""
    with catalogue.write_connection() as conn:
        changed = conn.exec_driver_sql(
            f"UPDATE {table} SET is_current = 0 WHERE is_current = 1 AND {where}", params
        ).rowcount
        if changed:
            conn.exec_driver_sql(
                "UPDATE tools SET updated_at = ? WHERE id = ?",
                (stored_datetime(utcnow()), tool_id),
            )
    return changed


def withdraw_review(catalogue: Catalogue, ref: str | int, number: int) -> str:
    """Withdraw the current review of question `number`: the risk card falls back to the
    vendor's pages. Returns the tool's name; raises when there is no review to withdraw."""
    from catalogue.risk import question

    question(number)
    tool = find_tool(catalogue, ref)
    if not _no_longer_current(
        catalogue, "reviews", "tool_id = ? AND question = ?", (tool.id, number), tool.id
    ):
        raise CatalogueError(f"{tool.name} has no review of question {number} to delete")
    return tool.name


def unset_label(catalogue: Catalogue, ref: str | int, dimension: str) -> str:
    """Unset a tool's current label on one dimension: its tag falls back to the model's
    prediction. Returns the label that was unset; raises when there was none."""
    if dimension not in DIMENSIONS:
        raise CatalogueError(
            f"unknown dimension {dimension!r}; valid values: {', '.join(DIMENSIONS)}"
        )
    tool = find_tool(catalogue, ref)
    with catalogue.engine.connect() as conn:
        current = conn.exec_driver_sql(
            "SELECT label FROM labels WHERE tool_id = ? AND dimension = ? AND is_current = 1",
            (tool.id, dimension),
        ).first()
    if current is None:
        raise CatalogueError(f"{tool.name} has no {dimension} label to unset")
    _no_longer_current(
        catalogue, "labels", "tool_id = ? AND dimension = ?", (tool.id, dimension), tool.id
    )
    return current[0]
