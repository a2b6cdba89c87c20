"""Opening a catalogue file: connection settings, schema version, upgrades and search index.

The schema version is SQLite's `user_version`. A catalogue made by an older release is refused
by ordinary commands with a message naming `edcat upgrade`, which backs the file up and applies
every migration in one transaction, so a failed upgrade leaves the catalogue as it was.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import ExceptionContext
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, SQLModel

from catalogue import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from catalogue.errors import (
    CatalogueBusy,
    CatalogueDamaged,
    CatalogueError,
    CatalogueNotFound,
    CatalogueReadOnly,
    NotACatalogue,
    SchemaVersionError,
)
from catalogue.identity import match_name
from catalogue.query import FTS_TABLE
from catalogue.settings import LIMITS

SCHEMA_VERSION = 8

# MIGRATIONS[n] upgrades a catalogue from version n - 1 to n. Each runs inside the upgrade's
# single transaction; add one here (and bump SCHEMA_VERSION) for every schema change.
Migration = Callable[[Connection], None]


def _add_tables(*names: str) -> Migration:
    """A migration that creates new tables (and their indexes) exactly as the models define."""

    def migrate(conn: Connection) -> None:
        tables = [SQLModel.metadata.tables[name] for name in names]
        SQLModel.metadata.create_all(conn, tables=tables)

    return migrate


def _pages_keyed_by_tool(conn: Connection) -> None:
    """v3: pages unique by (tool_id, url) instead of url alone.

    SQLite cannot drop a UNIQUE constraint, so the table is rebuilt inside the upgrade's
    transaction: rows copied aside, the table dropped and re-created from the model, rows put
    back with their ids. Foreign keys from page_versions and facts are deferred meanwhile, and
    hold again at commit because every page id comes back.
    """
    old = _column_names(conn, "pages")  # later versions' columns are not there yet
    columns = ", ".join(c.name for c in SQLModel.metadata.tables["pages"].columns if c.name in old)
    conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    conn.exec_driver_sql(f"CREATE TEMP TABLE pages_v2 AS SELECT {columns} FROM pages")
    conn.exec_driver_sql("DROP TABLE pages")
    SQLModel.metadata.tables["pages"].create(conn)
    conn.exec_driver_sql(f"INSERT INTO pages ({columns}) SELECT {columns} FROM temp.pages_v2")
    conn.exec_driver_sql("DROP TABLE temp.pages_v2")


def _web_catalogue(conn: Connection) -> None:
    """v4: users and web_sessions tables, and the active-facts index."""
    _add_tables("users", "web_sessions")(conn)
    for index in SQLModel.metadata.tables["facts"].indexes:
        if index.name == "ix_facts_active_field_value_tool":
            index.create(conn, checkfirst=True)


def _column_names(conn: Connection, table: str) -> set[str]:
    return {row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({table})")}


def _page_validators(conn: Connection) -> None:
    """v5: each page keeps its ETag and Last-Modified for conditional recrawls. (A v3
    rebuilt from the current model by an upgrade from v2 has them already.)"""
    existing = _column_names(conn, "pages")
    for column in ("etag", "last_modified"):
        if column not in existing:
            conn.exec_driver_sql(f"ALTER TABLE pages ADD COLUMN {column} VARCHAR")


def _add_indexes(*names: str) -> Migration:
    """A migration that creates new indexes exactly as the models define them."""

    def migrate(conn: Connection) -> None:
        wanted = set(names)
        for table in SQLModel.metadata.tables.values():
            for index in table.indexes:
                if index.name in wanted:
                    index.create(conn, checkfirst=True)
                    wanted.discard(index.name)
        if wanted:  # pragma: no cover - a typo in MIGRATIONS
            raise RuntimeError(f"no model defines the indexes {sorted(wanted)}")

    return migrate


def _drop_indexes(*names: str) -> Migration:
    """A migration that drops indexes a model no longer defines."""

    def migrate(conn: Connection) -> None:
        for name in names:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")

    return migrate


def _in_order(*steps: Migration) -> Migration:
    """One migration made of several steps."""

    def migrate(conn: Connection) -> None:
        for step in steps:
            step(conn)

    return migrate


def _tool_match_names(conn: Connection) -> None:
    """v8: every tool's name as duplicate matching compares it, filled in batches by id, then
    indexed (the index is built once, after the column is full)."""
    if "match_name" not in _column_names(conn, "tools"):
        conn.exec_driver_sql("ALTER TABLE tools ADD COLUMN match_name VARCHAR")
    last = 0
    while rows := conn.exec_driver_sql(
        "SELECT id, name FROM tools WHERE id > ? ORDER BY id LIMIT 1000", (last,)
    ).all():
        conn.exec_driver_sql(
            "UPDATE tools SET match_name = ? WHERE id = ?",
            [(match_name(name), tool_id) for tool_id, name in rows],
        )
        last = rows[-1][0]
    _add_indexes("ix_tools_match_name")(conn)


MIGRATIONS: dict[int, Migration] = {
    # v2 (edcat 0.2): people's answers to the DPIA questions, and shortlists.
    2: _add_tables("reviews", "shortlists", "shortlist_tools"),
    # v3: pages keyed by (tool, url), so tools sharing a host each keep their own pages.
    3: _pages_keyed_by_tool,
    # v4: local accounts and sessions of the web catalogue (`edcat serve`), and a covering
    # index of active facts for filters and facet counts.
    4: _web_catalogue,
    # v5: pages keep their ETag / Last-Modified (conditional requests on recrawl).
    5: _page_validators,
    # v6: indexes for the lookups that grew with the catalogue (facts by page, by date;
    # fetches by date). catalogue/hot_queries.py lists every query they serve.
    6: _in_order(
        _drop_indexes("ix_facts_retracted_at"),
        _add_indexes(
            "ix_facts_page_active",
            "ix_facts_first_observed_at",
            "ix_facts_retracted_at_set",
            "ix_page_versions_fetched_at",
        ),
    ),
    # v7: the case-blind index on tool names, which new catalogues had from the start, for
    # upgraded ones too: the name sort walks it and a tool page finds its tool by name with it.
    7: lambda conn: conn.exec_driver_sql(NAME_NOCASE_DDL),
    # v8: tools keep their normalised name, indexed: an import matches each batch of records
    # against the stored tools by index lookups (catalogue/importer.py).
    8: _tool_match_names,
}

# Sorting by name walks this index and stops at --limit instead of sorting every match.
NAME_NOCASE_DDL = (
    "CREATE INDEX IF NOT EXISTS ix_tools_name_nocase ON tools (name COLLATE NOCASE, id)"
)
EXTRA_DDL = (NAME_NOCASE_DDL,)

FTS_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} "
    "USING fts5(name, description, page_text, tokenize='porter unicode61')"
)


# Connections opened for writing carry this execution option; `_begin` reads it.
WRITE_OPTION = "edcat_write"


def _configure_connection(dbapi_connection: sqlite3.Connection, _record) -> None:
    # Autocommit at the driver level; SQLAlchemy issues BEGIN itself (see _begin), so DDL and
    # DML share one real transaction.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute(f"PRAGMA busy_timeout = {LIMITS.busy_timeout_ms}")
    cursor.execute("PRAGMA journal_mode = WAL")  # a reader can query while a crawl writes
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _begin(conn: Connection) -> None:
    """Start a transaction: a writer's as `BEGIN IMMEDIATE`, a reader's as a query-only one.

    A deferred `BEGIN` that reads and then writes fails with "database is locked" when another
    process committed in between (its snapshot is stale), and `busy_timeout` cannot wait that
    out. Taking the write lock first means nothing is read until this writer holds it. Readers
    are query-only, so a write that forgot `Catalogue.writing()` fails at once in the tests
    instead of racing other processes in production.
    """
    raw = conn.connection.driver_connection
    if conn.get_execution_options().get(WRITE_OPTION):
        raw.execute("PRAGMA query_only = 0")
        _begin_immediate(raw, conn.engine.url.database or "the catalogue")
    else:
        raw.execute("PRAGMA query_only = 1")
        raw.execute("BEGIN")


def _begin_immediate(raw: sqlite3.Connection, path: str) -> None:
    """`BEGIN IMMEDIATE`, retried with jittered exponential backoff while another writer holds
    the lock (each attempt already waits `busy_timeout`). Raises CatalogueBusy when exhausted:
    nothing of this transaction has run, and what earlier transactions committed stays."""
    attempts = LIMITS.write_attempts
    for attempt in range(1, attempts + 1):
        try:
            raw.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.Error as exc:
            if not _is_busy(exc):
                raise _catalogue_error(exc, path, writing=True) or exc from None
        if attempt < attempts:
            delay = LIMITS.write_backoff_s * 2 ** (attempt - 1)
            time.sleep(delay * random.uniform(0.5, 1.5))
    waited = attempts * LIMITS.busy_timeout_ms / 1000
    raise CatalogueBusy(
        f"{path} stayed locked by another edcat process ({attempts} tries over at least "
        f"{waited:g} s); this step wrote nothing, earlier steps are saved: try again"
    )


def _is_busy(exc: sqlite3.Error) -> bool:
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(exc)


def _catalogue_error(exc: sqlite3.Error, path: str, writing: bool) -> Exception | None:
    """The one-line CatalogueError for a damaged, locked or read-only file; None for anything
    else (a bug, such as SQL the schema no longer matches), which keeps its traceback."""
    message = str(exc)
    name = getattr(exc, "sqlite_errorname", "") or ""
    if _is_busy(exc):
        return CatalogueBusy(f"{path} is locked by another edcat process; try again")
    if name.startswith("SQLITE_READONLY") or "readonly database" in message:
        if not writing:
            return None  # a write inside a read session: a bug in edcat
        return CatalogueReadOnly(
            f"{path} is read-only (check the permissions of the file and its folder); "
            "nothing was changed"
        )
    if name.startswith("SQLITE_NOTADB") or "file is not a database" in message:
        return NotACatalogue(f"{path} is not an edcat catalogue ({message})")
    if name.startswith("SQLITE_CORRUPT") or "malformed" in message:
        return CatalogueDamaged(
            f"{path} is damaged ({message}); restore it from a backup "
            "(`edcat upgrade` keeps one as <name>.v<N>.bak)"
        )
    if message.startswith("no such table"):
        return CatalogueDamaged(
            f"{path} is not a complete edcat catalogue ({message}); restore it from a backup"
        )
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        return CatalogueError(f"{path}: disk error ({message}); this step saved nothing")
    if name.startswith("SQLITE_CANTOPEN") or "unable to open database" in message:
        return CatalogueReadOnly(
            f"cannot open {path} ({message}); check the permissions of the file and its folder"
        )
    return None


def catalogue_error(exc: sqlite3.Error, path: str, writing: bool) -> Exception | None:
    """The one-line CatalogueError for a sqlite3 error, or None (for readers outside
    SQLAlchemy, such as the plain-sqlite3 list path in catalogue.query)."""
    return _catalogue_error(exc, path, writing)


def _one_line_error(context: ExceptionContext) -> None:
    """SQLAlchemy's handle_error hook: raise the one-line CatalogueError, if there is one."""
    original = context.original_exception
    if not isinstance(original, sqlite3.Error):
        return
    path = (context.engine.url.database if context.engine else None) or "the catalogue"
    conn = context.connection
    writing = bool(conn is not None and conn.get_execution_options().get(WRITE_OPTION))
    error = _catalogue_error(original, path, writing)
    if error is not None:
        raise error from None


def make_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _configure_connection)
    event.listen(engine, "begin", _begin)
    event.listen(engine, "handle_error", _one_line_error)
    return engine


@dataclass
class Catalogue:
    """An open catalogue file. Use `open_catalogue` to get one."""

    path: Path
    engine: Engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A read-only session (one consistent snapshot). Write with `writing()` instead: a
        write here fails ("attempt to write a readonly database")."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session
            session.commit()  # ends the snapshot without expiring the objects read

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """The one way to write: a session in a `BEGIN IMMEDIATE` transaction (see `_begin`),
        committed together at the end or not at all. Raises CatalogueBusy if another process
        keeps the write lock past the retries."""
        with Session(writer(self.engine), expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """Like `session()`, for SQLAlchemy Core statements: one read-only snapshot, without
        a session's bookkeeping (what the tool page reads on every uncached visit)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """Like `writing()`, for SQLAlchemy Core statements (bulk inserts)."""
        with writer(self.engine).begin() as conn:
            yield conn

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql("PRAGMA user_version").scalar_one()

    def close(self) -> None:
        self.engine.dispose()


def writer(engine: Engine) -> Engine:
    """The engine with its transactions started as writers (`BEGIN IMMEDIATE`, retried)."""
    return engine.execution_options(**{WRITE_OPTION: True})


def open_catalogue(path: str | Path, *, create: bool = False) -> Catalogue:
    """Open the catalogue at `path`, creating it when `create` is true and it does not exist.

    Raises CatalogueNotFound, NotACatalogue or SchemaVersionError with a message a user can act on.
    """
    path = Path(path).expanduser()
    if not path.exists():
        if not create:
            raise CatalogueNotFound(
                f"no catalogue at {path}; create one with `edcat tools import FILE` "
                "or point --db / EDCAT_DB at an existing one"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(path)
    catalogue = Catalogue(path=path, engine=engine)
    try:
        _prepare(catalogue)
    except DatabaseError as exc:
        engine.dispose()
        raise NotACatalogue(f"{path} is not an edcat catalogue ({exc.orig})") from None
    except BaseException:
        engine.dispose()
        raise
    return catalogue


def _prepare(catalogue: Catalogue) -> None:
    with catalogue.engine.connect() as conn:
        version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
        tables = _table_names(conn)
    if version == 0 and not tables:
        _create_schema(catalogue.engine)
        return
    if version == 0 or "tools" not in tables:
        raise NotACatalogue(f"{catalogue.path} is an SQLite file but not an edcat catalogue")
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{catalogue.path} was made by a newer edcat (schema version {version}; this edcat "
            f"reads up to {SCHEMA_VERSION}); upgrade edcat to open it"
        )
    if version < SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{catalogue.path} is at schema version {version}, this edcat needs {SCHEMA_VERSION}; "
            f"run `edcat --db {catalogue.path} upgrade` (it keeps a backup)"
        )


def _table_names(conn: Connection) -> set[str]:
    rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {row[0] for row in rows}


def _create_schema(engine: Engine) -> None:
    with writer(engine).begin() as conn:
        SQLModel.metadata.create_all(conn)
        for ddl in (*EXTRA_DDL, FTS_DDL):
            conn.exec_driver_sql(ddl)
        conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")


def upgrade_catalogue(path: str | Path) -> tuple[int, int, Path | None]:
    """Bring an older catalogue up to SCHEMA_VERSION. Returns (from, to, backup path).

    The file is copied to `<name>.v<from>.bak` first, and all migrations run in one
    transaction: if any fails, nothing changes.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise CatalogueNotFound(f"no catalogue at {path}")
    engine = make_engine(path)
    try:
        with engine.connect() as conn:
            version = conn.exec_driver_sql("PRAGMA user_version").scalar_one()
        if version == SCHEMA_VERSION:
            return version, version, None
        if version > SCHEMA_VERSION or version < 1:
            raise SchemaVersionError(f"{path}: cannot upgrade from schema version {version}")
        backup = path.with_name(f"{path.name}.v{version}.bak")
        _backup(path, backup)
        with writer(engine).begin() as conn:
            for target in range(version + 1, SCHEMA_VERSION + 1):
                MIGRATIONS[target](conn)
            conn.exec_driver_sql(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return version, SCHEMA_VERSION, backup
    except DatabaseError as exc:
        raise NotACatalogue(f"{path} is not an edcat catalogue ({exc.orig})") from None
    finally:
        engine.dispose()


def _backup(path: Path, backup: Path) -> None:
    """A consistent copy even in WAL mode (sqlite3's online backup, not a file copy)."""
    source = sqlite3.connect(path)
    try:
        target = sqlite3.connect(backup)
        with target:
            source.backup(target)
        target.close()
    finally:
        source.close()
    if not backup.exists():  # pragma: no cover - sqlite3 always writes the file
        shutil.copy2(path, backup)


def refresh_search_index(conn: Connection, tool_ids: Iterable[int] | None = None) -> None:
    """Rebuild the full-text rows of the given tools (all tools when None).

    The index holds the tool's name, description and the text of its crawled pages, so a search
    finds a tool by what its own site says.
    """
    select_rows = (
        "SELECT t.id, t.name, coalesce(t.description, ''), "
        "coalesce((SELECT group_concat(coalesce(p.title, '') || ' ' || coalesce(p.text, ''), ' ') "
        "FROM pages p WHERE p.tool_id = t.id), '') FROM tools t"
    )
    if tool_ids is None:
        conn.exec_driver_sql(f"DELETE FROM {FTS_TABLE}")
        conn.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE}(rowid, name, description, page_text) {select_rows}"
        )
        return
    ids = sorted(set(tool_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        conn.exec_driver_sql(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({marks})", tuple(chunk))
        conn.exec_driver_sql(
            f"INSERT INTO {FTS_TABLE}(rowid, name, description, page_text) "
            f"{select_rows} WHERE t.id IN ({marks})",
            tuple(chunk),
        )


def execute_sql(catalogue: Catalogue, sql: str, params: dict | None = None) -> list[tuple]:
    """Run read-only SQL (used by `edcat info` and tests)."""
    with catalogue.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql), params or {})]
