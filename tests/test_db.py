from __future__ import annotations

import dataclasses
import re
import sqlite3
import threading

import pytest
import sqlalchemy
from sqlalchemy.exc import OperationalError

import catalogue.db as db
from catalogue import (
    CatalogueNotFound,
    NotACatalogue,
    SchemaVersionError,
    import_tools,
    open_catalogue,
    upgrade_catalogue,
)
from catalogue.db import execute_sql
from catalogue.errors import CatalogueBusy, CatalogueDamaged, CatalogueReadOnly
from catalogue.models import Tool
from catalogue.risk import review_answer
from tests.conftest import REPO, TOOLS


def test_new_catalogue_records_schema_version_and_uses_wal(db_path):
    catalogue = open_catalogue(db_path, create=True)
    assert catalogue.schema_version() == db.SCHEMA_VERSION
    assert execute_sql(catalogue, "PRAGMA journal_mode") == [("wal",)]


def test_missing_catalogue_is_not_created_by_readers(db_path):
    with pytest.raises(CatalogueNotFound, match="no catalogue at"):
        open_catalogue(db_path)
    assert not db_path.exists()


def test_corrupt_file_is_refused(tmp_path):
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(NotACatalogue, match="is not an edcat catalogue"):
        open_catalogue(path)


def test_other_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (id INTEGER)")
    with pytest.raises(NotACatalogue, match="not an edcat catalogue"):
        open_catalogue(path)


def test_newer_catalogue_is_refused(db_path):
    open_catalogue(db_path, create=True).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    with pytest.raises(SchemaVersionError, match="made by a newer edcat"):
        open_catalogue(db_path)


@pytest.fixture
def next_version(monkeypatch):
    """Pretend this edcat is one schema version ahead, with a real migration to get there."""

    def add_vendor_country(conn):
        conn.exec_driver_sql("ALTER TABLE tools ADD COLUMN vendor_country VARCHAR")
        conn.exec_driver_sql("UPDATE tools SET vendor_country = 'unknown'")

    target = db.SCHEMA_VERSION + 1
    monkeypatch.setattr(db, "SCHEMA_VERSION", target)
    monkeypatch.setitem(db.MIGRATIONS, target, add_vendor_country)
    return target


def make_old_catalogue(path):
    catalogue = open_catalogue(path, create=True)
    import_tools(catalogue, TOOLS / "small.csv")
    catalogue.close()


def test_older_catalogue_asks_for_upgrade_then_upgrades_without_loss(db_path, next_version):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "SCHEMA_VERSION", next_version - 1)
        make_old_catalogue(db_path)
    with pytest.raises(SchemaVersionError, match="edcat --db .* upgrade"):
        open_catalogue(db_path)
    old, new, backup = upgrade_catalogue(db_path)
    assert (old, new) == (next_version - 1, next_version)
    assert backup.exists()
    catalogue = open_catalogue(db_path)
    assert execute_sql(catalogue, "SELECT count(*), min(vendor_country) FROM tools") == [
        (4, "unknown")
    ]
    assert execute_sql(catalogue, "SELECT count(*) FROM facts")[0][0] > 0


def test_failed_upgrade_changes_nothing(db_path, next_version, monkeypatch):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "SCHEMA_VERSION", next_version - 1)
        make_old_catalogue(db_path)

    def broken(conn):
        conn.exec_driver_sql("ALTER TABLE tools ADD COLUMN half_done VARCHAR")
        raise RuntimeError("migration bug")

    monkeypatch.setitem(db.MIGRATIONS, next_version, broken)
    with pytest.raises(RuntimeError):
        upgrade_catalogue(db_path)
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == next_version - 1
        columns = [row[1] for row in conn.execute("PRAGMA table_info(tools)")]
        assert "half_done" not in columns
        assert conn.execute("SELECT count(*) FROM tools").fetchone()[0] == 4


def test_reader_can_query_while_a_writer_holds_a_transaction(small_catalogue):
    """WAL: a crawl writing does not block `edcat tools list`."""
    writer = sqlite3.connect(small_catalogue.path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE tools SET description = 'changing' WHERE id = 1")
    reader = open_catalogue(small_catalogue.path)
    assert execute_sql(reader, "SELECT count(*) FROM tools") == [(6,)]
    writer.execute("ROLLBACK")
    writer.close()


def test_real_v1_catalogue_upgrades_to_current(tmp_path, edcat):
    """tests/fixtures/catalogues/v1.db was made by edcat 0.1 (commit 6636c01)."""
    import shutil

    from tests.conftest import FIXTURES

    path = tmp_path / "old.db"
    shutil.copy(FIXTURES / "catalogues" / "v1.db", path)
    refused = edcat("tools", "list", check=False, db=path)
    assert refused.returncode == 1
    assert "schema version 1" in refused.stderr and "upgrade" in refused.stderr
    assert "upgraded" in edcat("upgrade", db=path).stdout
    listing = edcat("tools", "list", "--pricing", "freemium", "--format", "csv", db=path)
    assert "Kahoot!" in listing.stdout and "Padlet" in listing.stdout
    assert (tmp_path / "old.db.v1.bak").exists()
    catalogue = open_catalogue(path)
    assert catalogue.schema_version() == db.SCHEMA_VERSION
    assert execute_sql(catalogue, "SELECT count(*) FROM reviews") == [(0,)]


def test_real_v2_catalogue_upgrades_to_v3_keeping_pages_facts_and_history(tmp_path, edcat):
    """tests/fixtures/catalogues/v2.db was made by the schema-2 edcat, with a crawled page,
    a fact, page history and a review; v3 re-keys pages by (tool, url)."""
    import shutil

    from tests.conftest import FIXTURES

    path = tmp_path / "v2.db"
    shutil.copy(FIXTURES / "catalogues" / "v2.db", path)
    with sqlite3.connect(path) as conn:
        before = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("tools", "pages", "page_versions", "facts", "reviews")
        }
    assert "upgraded" in edcat("upgrade", db=path).stdout
    catalogue = open_catalogue(path)
    for table, count in before.items():
        assert execute_sql(catalogue, f"SELECT count(*) FROM {table}") == [(count,)], table
    assert execute_sql(catalogue, "PRAGMA foreign_key_check") == []
    risk = edcat("tools", "risk", "padlet", "--format", "json", db=path).stdout
    assert '"We comply with UK GDPR."' in risk and '"INSET done"' in risk
    # the same URL can now be a page of two tools
    from catalogue.cards import find_tool
    from catalogue.store import FactRecord, PageRecord, record_page

    kahoot = find_tool(catalogue, "kahoot").id
    page = PageRecord("https://padlet.com/privacy", kind="privacy", text="We comply with UK GDPR.")
    record_page(catalogue, kahoot, page, [FactRecord("gdpr", "yes", "We comply with UK GDPR.")])
    assert execute_sql(
        catalogue, "SELECT count(*) FROM pages WHERE url = 'https://padlet.com/privacy'"
    ) == [(2,)]


# --- writers: BEGIN IMMEDIATE with a bounded retry; readers cannot write -----------------------


def test_a_writer_waits_for_another_and_both_commit(small_catalogue, monkeypatch):
    """The stale-snapshot case: a writer that read before another committed. With a deferred
    BEGIN its first write fails "database is locked" at once; as a writer it takes the lock
    first, so it waits instead and reads the committed state."""
    monkeypatch.setattr(db, "LIMITS", dataclasses.replace(db.LIMITS, busy_timeout_ms=100))
    small_catalogue.engine.dispose()
    other = sqlite3.connect(small_catalogue.path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE tools SET category = 'held' WHERE id = 1")
    released = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    released.start()
    with small_catalogue.writing() as session:
        category = session.get(Tool, 1).category
        session.get(Tool, 1).description = f"seen {category}"
    released.join()
    other.close()
    assert execute_sql(small_catalogue, "SELECT description FROM tools WHERE id = 1") == [
        ("seen held",)
    ]


def test_a_writer_locked_out_past_every_retry_stops_with_one_line_and_keeps_earlier_work(
    small_catalogue, monkeypatch
):
    limits = dataclasses.replace(
        db.LIMITS, busy_timeout_ms=20, write_attempts=3, write_backoff_s=0.01
    )
    monkeypatch.setattr(db, "LIMITS", limits)
    small_catalogue.engine.dispose()  # new connections take the shorter busy_timeout
    review_answer(small_catalogue, 1, 1, "committed before the lock")
    holder = sqlite3.connect(small_catalogue.path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(CatalogueBusy, match="3 tries.*wrote nothing, earlier steps are saved"):
            review_answer(small_catalogue, 1, 2, "never written")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    answers = execute_sql(small_catalogue, "SELECT question, answer FROM reviews")
    assert answers == [(1, "committed before the lock")]
    review_answer(small_catalogue, 1, 2, "written once the lock is free")
    assert len(execute_sql(small_catalogue, "SELECT id FROM reviews")) == 2


def test_a_write_inside_a_read_session_fails_loudly(small_catalogue):
    with pytest.raises(OperationalError, match="readonly"), small_catalogue.session() as session:
        session.get(Tool, 1).description = "written without writing()"
        session.flush()


def test_every_write_in_the_packages_goes_through_the_writer():
    """No module opens its own transaction: `engine.begin()` and `Session(` only in
    catalogue/db.py (others write through `Catalogue.writing()` or `db.writer(engine)`)."""
    own_transaction = re.compile(r"\bengine\.begin\(|(?<!Web)\bSession\(")
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for package in ("catalogue", "crawler", "classifier", "cli", "web")
        for path in sorted((REPO / package).rglob("*.py"))
        if path.name != "db.py" or path.parent.name != "catalogue"
        for n, line in enumerate(path.read_text().splitlines(), start=1)
        if own_transaction.search(line)
    ]
    assert offenders == []


# --- damaged and read-only files: one line each ------------------------------------------------


def test_missing_table_is_one_line(small_catalogue):
    with sqlite3.connect(small_catalogue.path) as conn:
        conn.execute("DROP TABLE reviews")
    with pytest.raises(CatalogueDamaged, match="not a complete edcat catalogue.*reviews"):
        review_answer(small_catalogue, 1, 1, "x")


def test_corrupted_pages_are_one_line(small_catalogue, edcat, db_path):
    small_catalogue.close()
    _corrupt_pages_after_the_schema(db_path)
    for args in (
        ("tools", "list"),
        ("tools", "show", "1"),
        ("tools", "import", str(TOOLS / "small.jsonl")),
    ):
        result = edcat(*args, check=False)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        # the damaged page may hold rows or, with more indexes, part of the schema
        assert result.stderr.startswith(f"error: {db_path} is damaged (")
        assert result.stderr.count("\n") == 1


def _corrupt_pages_after_the_schema(path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for page in range(2, len(data) // page_size):
        start = page * page_size
        data[start + 8 : start + page_size - 100] = b"\xff" * (page_size - 108)
    path.write_bytes(bytes(data))


def test_read_only_catalogue_reads_but_refuses_writes_in_one_line(small_catalogue, monkeypatch):
    small_catalogue.close()
    read_only = f"file:{small_catalogue.path}?mode=ro"
    monkeypatch.setattr(
        db,
        "create_engine",
        lambda _url: sqlalchemy.create_engine(f"sqlite:///{read_only}&uri=true"),
    )
    catalogue = open_catalogue(small_catalogue.path)
    try:
        assert execute_sql(catalogue, "SELECT count(*) FROM tools") == [(6,)]
        with pytest.raises(CatalogueReadOnly, match="is read-only.*nothing was changed"):
            review_answer(catalogue, 1, 1, "x")
    finally:
        catalogue.close()


def test_v4_upgrade_adds_web_accounts_and_the_active_facts_index(tmp_path, edcat):
    """From the real v2 fixture to the current schema: the web tables and the covering index
    of active facts exist afterwards, and an account can be created and used."""
    import shutil

    from catalogue.users import add_user, sign_in
    from tests.conftest import FIXTURES

    path = tmp_path / "v2.db"
    shutil.copy(FIXTURES / "catalogues" / "v2.db", path)
    edcat("upgrade", db=path)
    catalogue = open_catalogue(path)
    names = {row[0] for row in execute_sql(catalogue, "SELECT name FROM sqlite_master")}
    assert {"users", "web_sessions", "ix_facts_active_field_value_tool"} <= names
    add_user(catalogue, "dpo", "a long enough password")
    token, session = sign_in(catalogue, "dpo", "a long enough password")
    assert token and session.user == "dpo"
    catalogue.close()
