"""Every hot query (catalogue/hot_queries.py) is answered from an index, never a table scan."""

from __future__ import annotations

import re
import shutil

import pytest
from sqlalchemy import event

from catalogue import open_catalogue, upgrade_catalogue
from catalogue.hot_queries import LARGE_TABLES, hot_queries
from tests.conftest import FIXTURES

# "SCAN facts" reads the table; "SCAN tools USING INDEX ..." walks an index in order.
TABLE_SCAN = re.compile(r"^SCAN (\w+)$")
# An index searched only by a column most rows share (every active fact has retracted_at
# NULL) reads about as much as a scan.
# Walking the partial index of active facts (schema v4) reads every active fact too.
ACTIVE_FACTS_WALK = re.compile(r"^SCAN (\w+) USING (?:COVERING )?INDEX ix_facts_active_\w+$")
UNSELECTIVE_SEARCH = re.compile(r"^SEARCH (\w+) USING .*\((retracted_at|is_current|origin)=\?\)$")


def plans(catalogue) -> dict[str, list[str]]:
    """EXPLAIN QUERY PLAN of the SQL each hot query really sends to SQLite."""
    sent: list[tuple[str, tuple]] = []

    def capture(conn, cursor, sql, params, context, executemany):
        sent.append((sql, params))

    event.listen(catalogue.engine, "before_cursor_execute", capture)
    try:
        found = {}
        with catalogue.engine.connect() as conn:
            for name, build in hot_queries().items():
                sent.clear()
                built = build()
                if isinstance(built, tuple):  # plain SQL, as catalogue.query sends it
                    sql, params = built[0], tuple(built[1])
                else:
                    conn.execute(built).all()
                    sql, params = sent[-1]
                rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
                found[name] = [row[-1] for row in rows]
        return found
    finally:
        event.remove(catalogue.engine, "before_cursor_execute", capture)


def scans_of_large_tables(plan: list[str], aliases: dict[str, str]) -> list[str]:
    scans = []
    for step in plan:
        match = (
            TABLE_SCAN.match(step)
            or UNSELECTIVE_SEARCH.match(step)
            or ACTIVE_FACTS_WALK.match(step)
        )
        if match and aliases.get(match.group(1), match.group(1)) in LARGE_TABLES:
            scans.append(step)
    return scans


ALIASES = {
    "label_purpose": "labels",
    "label_pedagogy": "labels",
    "model_purpose": "classifications",
    "model_pedagogy": "classifications",
}


def assert_indexed(catalogue) -> None:
    found = plans(catalogue)
    assert len(found) >= 15
    for name, plan in found.items():
        assert not scans_of_large_tables(plan, ALIASES), f"{name}: {plan}"


def test_every_hot_query_uses_an_index(catalogue):
    assert_indexed(catalogue)


def test_the_check_catches_a_missing_index(catalogue):
    """Without the v4 index on facts by page, storing a page would read every active fact."""
    with catalogue.write_connection() as conn:
        conn.exec_driver_sql("DROP INDEX ix_facts_page_active")
    plan = plans(catalogue)["store: active facts of the pages in a batch"]
    (scan,) = scans_of_large_tables(plan, ALIASES)
    assert scan.startswith("SCAN facts")


def test_the_check_catches_the_index_that_walks_every_active_fact(catalogue):
    """The full index on retracted_at (schema v3) is what SQLite picked for the page lookup."""
    with catalogue.write_connection() as conn:
        conn.exec_driver_sql("DROP INDEX ix_facts_page_active")
        conn.exec_driver_sql("CREATE INDEX ix_facts_retracted_at ON facts (retracted_at)")
    plan = plans(catalogue)["store: active facts of the pages in a batch"]
    assert scans_of_large_tables(plan, ALIASES) == [
        "SEARCH facts USING INDEX ix_facts_retracted_at (retracted_at=?)"
    ]


@pytest.mark.parametrize("version", [1, 2])
def test_an_upgraded_catalogue_gets_the_indexes(tmp_path, version):
    path = tmp_path / f"v{version}.db"
    shutil.copy(FIXTURES / "catalogues" / f"v{version}.db", path)
    upgrade_catalogue(path)
    upgraded = open_catalogue(path)
    try:
        names = {
            row[0]
            for row in upgraded.engine.connect().exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'"
            )
        }
        assert {
            "ix_facts_page_active",
            "ix_facts_first_observed_at",
            "ix_page_versions_fetched_at",
        } <= names
        assert_indexed(upgraded)
    finally:
        upgraded.close()
