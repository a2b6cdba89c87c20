"""Writing to the catalogue: the API the crawler and the classifier use.

Each function takes an open `Catalogue` and does its work in one transaction. Nothing here knows
about Scrapy or scikit-learn: callers hand in plain records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, tuple_, update
from sqlmodel import Session

from catalogue.db import Catalogue, refresh_search_index
from catalogue.errors import CatalogueError, InvalidInput
from catalogue.models import (
    Classification,
    CrawlRun,
    Fact,
    Label,
    ModelVersion,
    Page,
    PageVersion,
    Tool,
    utcnow,
)
from catalogue.urls import canonical_url
from catalogue.vocabulary import DIMENSIONS, FACT_FIELDS, PAGE_KINDS


@dataclass(frozen=True)
class PageRecord:
    url: str
    kind: str = "other"
    http_status: int | None = 200
    title: str | None = None
    meta_description: str | None = None
    text: str | None = None
    fetched_at: datetime | None = None
    etag: str | None = None  # the server's validators, for a conditional recrawl
    last_modified: str | None = None

    @property
    def content_hash(self) -> str:
        """Hash of what edcat keeps of the page (title and text), so markup churn is no change."""
        content = f"{self.title or ''}\n{self.text or ''}"
        return hashlib.sha256(content.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class FactRecord:
    field: str
    value: str
    evidence: str | None = None
    source_url: str | None = None


@dataclass(frozen=True)
class PageOutcome:
    page_id: int
    new: bool
    changed: bool


@dataclass(frozen=True)
class ClassificationRecord:
    tool_id: int
    dimension: str
    label: str
    confidence: float
    model_version: str
    uncertain: bool = False
    probabilities: dict[str, float] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class LabelRecord:
    dimension: str
    label: str
    tool_id: int | None = None
    name: str | None = None
    text: str | None = None
    annotator: str = "unknown"
    note: str | None = None
    source: str | None = None


# --- crawl runs -------------------------------------------------------------------------------


def start_crawl_run(catalogue: Catalogue, options: dict[str, Any]) -> int:
    with catalogue.writing() as session:
        run = CrawlRun(options=options)
        session.add(run)
        session.flush()
        return run.id


def finish_crawl_run(catalogue: Catalogue, run_id: int, status: str, stats: dict[str, Any]) -> None:
    with catalogue.writing() as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            raise CatalogueError(f"no crawl run {run_id}")
        run.status, run.stats, run.finished_at = status, stats, utcnow()


def resume_crawl_run(catalogue: Catalogue, run_id: int) -> dict[str, Any] | None:
    """Mark an interrupted run running again (`edcat crawl --resume`); its stats so far, or
    None if there is no such run."""
    with catalogue.writing() as session:
        run = session.get(CrawlRun, run_id)
        if run is None:
            return None
        run.status, run.finished_at = "running", None
        return dict(run.stats or {})


# --- pages and facts --------------------------------------------------------------------------


def record_page(
    catalogue: Catalogue,
    tool_id: int,
    page: PageRecord,
    facts: Sequence[FactRecord] = (),
    crawl_run_id: int | None = None,
) -> PageOutcome:
    """Store one fetched page and the facts found on it, keeping history.

    The page is keyed by canonical URL. Every fetch adds a `page_versions` row. Facts already
    known from this page are confirmed (observed_at moves on); new ones are added; ones this
    page stated before but no longer does are retracted. The tool's `updated_at` moves only
    when something really changed.
    """
    return record_pages(catalogue, [(tool_id, page, facts)], crawl_run_id)[0]


def record_pages(
    catalogue: Catalogue,
    pages: Sequence[tuple[int, PageRecord, Sequence[FactRecord]]],
    crawl_run_id: int | None = None,
) -> list[PageOutcome]:
    """`record_page` for many (tool_id, page, facts) in one transaction, refreshing the
    search index once per tool: what a crawl uses (one transaction per page is ~10x slower).

    Everything is checked before anything is written, so a bad page fails the whole batch
    (CatalogueError) and the caller can retry the rest one by one. The writes are a handful
    of statements per batch, each over every page in it, each lookup served by an index
    (see catalogue/hot_queries.py).
    """
    for _, page, facts in pages:
        if page.kind not in PAGE_KINDS:
            raise CatalogueError(f"unknown page kind {page.kind!r}")
        for fact in facts:
            _check_fact(fact)
    outcomes: list[PageOutcome] = []
    with catalogue.write_connection() as conn:
        for run in _without_repeats(pages):
            outcomes += _store_batch(conn, run, crawl_run_id)
        refresh_search_index(conn, {tool_id for tool_id, _, _ in pages})
    return outcomes


@dataclass
class _Fetched:
    """One page of a batch on its way into the catalogue."""

    tool_id: int
    url: str
    page: PageRecord
    facts: Sequence[FactRecord]
    now: datetime
    page_id: int | None = None
    new: bool = False
    changed: bool = False


def _without_repeats(pages: Sequence[tuple[int, PageRecord, Sequence[FactRecord]]]):
    """Consecutive runs of the batch in which no (tool, canonical URL) occurs twice: a
    second fetch of a page (two links redirecting to one URL) must see the first stored."""
    run: list[_Fetched] = []
    keys: set[tuple[int, str]] = set()
    for tool_id, page, facts in pages:
        fetched = _Fetched(
            tool_id, canonical_url(page.url), page, facts, page.fetched_at or utcnow()
        )
        if (tool_id, fetched.url) in keys:
            yield run
            run, keys = [], set()
        run.append(fetched)
        keys.add((tool_id, fetched.url))
    if run:
        yield run


def pages_of_tools(tool_ids: Iterable[int]):
    """The stored pages of some tools, to match a batch of fetches against."""
    pages = Page.__table__.c
    return select(pages.id, pages.tool_id, pages.url, pages.content_hash, pages.http_status).where(
        pages.tool_id.in_(sorted(set(tool_ids)))
    )


def _store_batch(conn, batch: list[_Fetched], crawl_run_id: int | None) -> list[PageOutcome]:
    stored = {
        (row.tool_id, row.url): row
        for row in conn.execute(pages_of_tools(f.tool_id for f in batch))
    }
    for fetched in batch:
        row = stored.get((fetched.tool_id, fetched.url))
        fetched.new = row is None
        fetched.changed = row is None or row.content_hash != fetched.page.content_hash
        fetched.page_id = None if row is None else row.id
    _write_pages(conn, batch, crawl_run_id)
    facts_changed = _sync_facts(conn, batch, crawl_run_id)
    _touch_tools(conn, batch, facts_changed)
    return [PageOutcome(page_id=f.page_id, new=f.new, changed=f.changed) for f in batch]


def _page_values(fetched: _Fetched, crawl_run_id: int | None) -> dict[str, Any]:
    page = fetched.page
    values = {
        "kind": page.kind,
        "fetched_at": fetched.now,
        "http_status": page.http_status,
        "crawl_run_id": crawl_run_id,
        "etag": page.etag,  # the validators a conditional recrawl sends back
        "last_modified": page.last_modified,
    }
    if fetched.changed:
        values.update(
            content_hash=page.content_hash,
            title=page.title,
            meta_description=page.meta_description,
            text=page.text,
            changed_at=fetched.now,
        )
    return values


def _write_pages(conn, batch: list[_Fetched], crawl_run_id: int | None) -> None:
    """Insert new pages (one statement returning their ids in order), update the others in
    two executemany statements (content changed or not), add a page_versions row each."""
    table = Page.__table__
    new = [f for f in batch if f.new]
    if new:
        rows = [{"tool_id": f.tool_id, "url": f.url, **_page_values(f, crawl_run_id)} for f in new]
        returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        for fetched, page_id in zip(new, conn.execute(returning, rows).scalars(), strict=True):
            fetched.page_id = page_id
    for changed in (True, False):
        rows = [
            {"page": f.page_id, **_page_values(f, crawl_run_id)}
            for f in batch
            if not f.new and f.changed is changed
        ]
        if rows:
            conn.execute(update(table).where(table.c.id == bindparam("page")), rows)
    conn.execute(
        insert(PageVersion.__table__),
        [
            {
                "page_id": f.page_id,
                "crawl_run_id": crawl_run_id,
                "fetched_at": f.now,
                "http_status": f.page.http_status,
                "content_hash": f.page.content_hash,
                "changed": f.changed,
            }
            for f in batch
        ],
    )


def active_facts_of_pages(page_ids: Iterable[int]):
    """The crawl facts some pages stated at their last fetch and still state."""
    facts = Fact.__table__.c
    return select(facts.id, facts.page_id, facts.field, facts.value, facts.evidence).where(
        facts.page_id.in_(sorted(set(page_ids))),
        facts.retracted_at.is_(None),
        facts.origin == "crawl",
    )


def _sync_facts(conn, batch: list[_Fetched], crawl_run_id: int | None) -> set[int]:
    """Confirm the facts each page still states, add new ones, retract the ones it no longer
    states. Returns the ids of the pages whose facts changed."""
    active: dict[int, dict[tuple[str, str], Any]] = {}
    known = [f.page_id for f in batch if not f.new]
    for row in conn.execute(active_facts_of_pages(known)) if known else ():
        active.setdefault(row.page_id, {})[(row.field, row.value)] = row
    added, confirmed, retracted, changed = [], [], [], set()
    for fetched in batch:
        current = active.get(fetched.page_id, {})
        found: dict[tuple[str, str], FactRecord] = {}
        for fact in fetched.facts:
            found.setdefault((fact.field, fact.value.lower()), fact)
        for key, fact in found.items():
            row = current.get(key)
            if row is None:
                added.append(_new_fact(fetched, key, fact, crawl_run_id))
                changed.add(fetched.page_id)
                continue
            evidence = fact.evidence or row.evidence
            confirmed.append(
                {
                    "fact": row.id,
                    "observed_at": fetched.now,
                    "crawl_run_id": crawl_run_id,
                    "evidence": evidence,
                }
            )
        for key, row in current.items():
            if key not in found:
                retracted.append({"fact": row.id, "retracted_at": fetched.now})
                changed.add(fetched.page_id)
    _write_facts(conn, added, confirmed, retracted)
    return changed


def _new_fact(fetched: _Fetched, key: tuple[str, str], fact: FactRecord, crawl_run_id) -> dict:
    return {
        "tool_id": fetched.tool_id,
        "field": key[0],
        "value": key[1],
        "evidence": fact.evidence,
        "source_url": fact.source_url or fetched.url,
        "page_id": fetched.page_id,
        "origin": "crawl",
        "crawl_run_id": crawl_run_id,
        "first_observed_at": fetched.now,
        "observed_at": fetched.now,
        "retracted_at": None,
    }


def _write_facts(conn, added: list[dict], confirmed: list[dict], retracted: list[dict]) -> None:
    table = Fact.__table__
    by_id = table.c.id == bindparam("fact")
    if added:
        conn.execute(insert(table), added)
    if confirmed:
        conn.execute(update(table).where(by_id), confirmed)
    if retracted:
        conn.execute(update(table).where(by_id), retracted)


def _touch_tools(conn, batch: list[_Fetched], facts_changed: set[int]) -> None:
    """Each tool was crawled at its last fetch in the batch; it was updated at its last
    fetch that changed the page or its facts."""
    crawled: dict[int, datetime] = {}
    updated: dict[int, datetime] = {}
    for fetched in batch:
        crawled[fetched.tool_id] = fetched.now
        if fetched.changed or fetched.page_id in facts_changed:
            updated[fetched.tool_id] = fetched.now
    table = Tool.__table__
    by_id = table.c.id == bindparam("tool")
    conn.execute(
        update(table).where(by_id).values(last_crawled=bindparam("crawled")),
        [{"tool": tool_id, "crawled": moment} for tool_id, moment in crawled.items()],
    )
    if updated:
        conn.execute(
            update(table).where(by_id).values(updated_at=bindparam("updated")),
            [{"tool": tool_id, "updated": moment} for tool_id, moment in updated.items()],
        )


@dataclass(frozen=True)
class ReobservedPage:
    """A stored page that answered 304 Not Modified: it says what it said before."""

    tool_id: int
    url: str
    observed_at: datetime
    etag: str | None = None  # a 304 may bring new validators
    last_modified: str | None = None


def record_pages_reobserved(
    catalogue: Catalogue, pages: Sequence[ReobservedPage], crawl_run_id: int | None = None
) -> list[PageOutcome | None]:
    """Re-confirm unchanged pages in one transaction: the fetch is recorded (a page_versions
    row with status 304, unchanged), the page and its current facts are observed again, and
    nothing is re-extracted. None for a page the catalogue does not have. Set-based (a few
    statements per batch): an unchanged recrawl is mostly this."""
    keys = [(seen.tool_id, canonical_url(seen.url)) for seen in pages]
    with catalogue.writing() as session:
        conn = session.connection()
        found = {
            (tool_id, url): (page_id, content_hash)
            for page_id, tool_id, url, content_hash in conn.execute(
                select(Page.id, Page.tool_id, Page.url, Page.content_hash).where(
                    tuple_(Page.tool_id, Page.url).in_(set(keys))
                )
            )
        }
        rows = [(seen, found[key]) for seen, key in zip(pages, keys, strict=True) if key in found]
        if rows:
            _reobserve(conn, rows, crawl_run_id)
    return [
        PageOutcome(page_id=found[key][0], new=False, changed=False) if key in found else None
        for key in keys
    ]


def _reobserve(conn, rows: list[tuple[ReobservedPage, tuple[int, str | None]]], run_id) -> None:
    pages = Page.__table__
    conn.execute(
        update(pages)
        .where(pages.c.id == bindparam("pid"))
        .values(
            fetched_at=bindparam("seen_at"),
            crawl_run_id=run_id,
            etag=func.coalesce(bindparam("new_etag"), pages.c.etag),
            last_modified=func.coalesce(bindparam("new_lm"), pages.c.last_modified),
        ),
        [
            {"pid": page_id, "seen_at": seen.observed_at, "new_etag": seen.etag,
             "new_lm": seen.last_modified}
            for seen, (page_id, _) in rows
        ],
    )
    conn.execute(
        insert(PageVersion.__table__),
        [
            {"page_id": page_id, "crawl_run_id": run_id, "fetched_at": seen.observed_at,
             "http_status": 304, "content_hash": content_hash, "changed": False}
            for seen, (page_id, content_hash) in rows
        ],
    )
    facts = Fact.__table__
    conn.execute(
        update(facts)
        .where(
            facts.c.page_id == bindparam("pid"),
            facts.c.retracted_at.is_(None),
            facts.c.origin == "crawl",
        )
        .values(observed_at=bindparam("seen_at"), crawl_run_id=run_id),
        [{"pid": page_id, "seen_at": seen.observed_at} for seen, (page_id, _) in rows],
    )
    last_seen: dict[int, datetime] = {}
    for seen, _ in rows:
        previous = last_seen.get(seen.tool_id, seen.observed_at)
        last_seen[seen.tool_id] = max(seen.observed_at, previous)
    conn.execute(
        update(Tool.__table__)
        .where(Tool.__table__.c.id == bindparam("tid"))
        .values(last_crawled=bindparam("seen_at")),
        [{"tid": tool_id, "seen_at": seen} for tool_id, seen in last_seen.items()],
    )


def record_page_gone(
    catalogue: Catalogue,
    tool_id: int,
    url: str,
    http_status: int,
    crawl_run_id: int | None = None,
) -> bool:
    """A page stored earlier now answers 404/410: record the fetch, and retract the facts it
    stated (the vendor no longer says them there). Returns False for a page never stored."""
    gone = PageRecord(url=url, http_status=http_status, fetched_at=utcnow())
    fetched = _Fetched(tool_id, canonical_url(url), gone, (), gone.fetched_at)
    with catalogue.write_connection() as conn:
        row = next(
            (r for r in conn.execute(pages_of_tools([tool_id])) if r.url == fetched.url), None
        )
        if row is None:
            return False
        fetched.page_id, fetched.changed = row.id, row.http_status != http_status
        _mark_gone(conn, fetched, crawl_run_id)
        facts_changed = _sync_facts(conn, [fetched], crawl_run_id)
        if fetched.changed or facts_changed:
            conn.execute(
                update(Tool.__table__)
                .where(Tool.__table__.c.id == tool_id)
                .values(updated_at=fetched.now)
            )
        return True


def _mark_gone(conn, fetched: _Fetched, crawl_run_id: int | None) -> None:
    """A gone page keeps its last content; only its status and fetch are recorded."""
    table = Page.__table__
    values = {
        "http_status": fetched.page.http_status,
        "fetched_at": fetched.now,
        "crawl_run_id": crawl_run_id,
    }
    if fetched.changed:
        values["changed_at"] = fetched.now
    conn.execute(update(table).where(table.c.id == fetched.page_id).values(values))
    conn.execute(
        insert(PageVersion.__table__).values(
            page_id=fetched.page_id,
            crawl_run_id=crawl_run_id,
            fetched_at=fetched.now,
            http_status=fetched.page.http_status,
            content_hash=None,
            changed=fetched.changed,
        )
    )


def _check_fact(fact: FactRecord) -> None:
    if fact.field not in FACT_FIELDS:
        raise CatalogueError(f"unknown fact field {fact.field!r}")
    allowed = FACT_FIELDS[fact.field]
    if allowed is not None and fact.value.lower() not in allowed:
        raise CatalogueError(f"unknown value {fact.value!r} for fact {fact.field}")


# --- classifications and labels ----------------------------------------------------------------


def record_classifications(catalogue: Catalogue, records: Iterable[ClassificationRecord]) -> int:
    """Store predictions; each becomes the tool's current one for its dimension."""
    records = list(records)
    now = utcnow()
    with catalogue.writing() as session:
        for record in records:
            if record.label not in DIMENSIONS.get(record.dimension, ()):
                raise CatalogueError(f"unknown {record.dimension} label {record.label!r}")
        for chunk in _chunks(records, 500):
            _touch_changed_tags(session, chunk, now)
            for dimension in {r.dimension for r in chunk}:
                ids = [r.tool_id for r in chunk if r.dimension == dimension]
                session.exec(
                    update(Classification)
                    .where(
                        Classification.tool_id.in_(ids),
                        Classification.dimension == dimension,
                        Classification.is_current.is_(True),
                    )
                    .values(is_current=False)
                )
            session.add_all(
                Classification(**record.__dict__, created_at=now, is_current=True)
                for record in chunk
            )
    return len(records)


def _touch_changed_tags(session: Session, chunk: list[ClassificationRecord], now) -> None:
    """Move `updated_at` of tools whose current tag (label or uncertain flag) changes, so
    --changed-since and exports' `updated_at` notice a new prediction, not a re-run."""
    current = {
        (c.tool_id, c.dimension): (c.label, c.uncertain)
        for c in session.exec(
            select(Classification).where(
                Classification.tool_id.in_({r.tool_id for r in chunk}),
                Classification.is_current.is_(True),
            )
        ).scalars()
    }
    changed = {
        r.tool_id for r in chunk if current.get((r.tool_id, r.dimension)) != (r.label, r.uncertain)
    }
    if changed:
        session.exec(update(Tool).where(Tool.id.in_(changed)).values(updated_at=now))


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def add_labels(catalogue: Catalogue, records: Sequence[LabelRecord], source: str = "") -> int:
    """Add people's labels, all or none; a new label replaces the tool's current one."""
    problems = [
        f"label {n}: unknown {r.dimension} label {r.label!r} "
        f"(valid: {', '.join(DIMENSIONS.get(r.dimension, ()))})"
        for n, r in enumerate(records, start=1)
        if r.label not in DIMENSIONS.get(r.dimension, ())
    ]
    if problems:
        raise InvalidInput(source or "labels", problems)
    now = utcnow()
    with catalogue.writing() as session:
        for record in records:
            if record.tool_id is not None:
                session.exec(
                    update(Label)
                    .where(
                        Label.tool_id == record.tool_id,
                        Label.dimension == record.dimension,
                        Label.is_current.is_(True),
                    )
                    .values(is_current=False)
                )
            session.add(Label(**record.__dict__, created_at=now, is_current=True))
            session.flush()
        tool_ids = {r.tool_id for r in records if r.tool_id is not None}
        if tool_ids:
            session.exec(update(Tool).where(Tool.id.in_(tool_ids)).values(updated_at=now))
    return len(records)


# --- model versions ---------------------------------------------------------------------------


def register_model(
    catalogue: Catalogue,
    version: str,
    path: str,
    metrics: dict[str, Any],
    data_hash: str | None = None,
    make_default: bool = False,
) -> None:
    """Record a trained model (idempotent by version)."""
    with catalogue.writing() as session:
        model = _model_version(session, version) or ModelVersion(version=version, path=path)
        model.path, model.metrics, model.data_hash = path, metrics, data_hash
        session.add(model)
        session.flush()
        if make_default or _no_default(session):
            _set_default(session, version)


def _model_version(session: Session, version: str) -> ModelVersion | None:
    stmt = select(ModelVersion).where(ModelVersion.version == version)
    return session.exec(stmt).scalars().first()


def _no_default(session: Session) -> bool:
    count = session.exec(
        select(func.count()).select_from(ModelVersion).where(ModelVersion.is_default.is_(True))
    ).scalar_one()
    return count == 0


def _set_default(session: Session, version: str) -> None:
    session.exec(update(ModelVersion).values(is_default=False))
    session.exec(
        update(ModelVersion).where(ModelVersion.version == version).values(is_default=True)
    )


def set_default_model(catalogue: Catalogue, version: str) -> None:
    with catalogue.writing() as session:
        if _model_version(session, version) is None:
            raise CatalogueError(f"no model version {version!r} in this catalogue")
        _set_default(session, version)
