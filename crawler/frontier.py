"""Which links of a tool's site to fetch, and how many: the crawl policy, without Scrapy.

A tool's crawl starts at its home page and follows same-site links a buyer needs (ranked by
`crawler.page_kinds.buyer_link_priority`), fetching at most `max_pages` pages in all. One
`ToolFrontier` per tool keeps what was already requested (by canonical URL, so `/about` and
`/about/` are one page). `FrontierStore` keeps every frontier in SQLite in the crawl's job
directory, committed as the crawl goes, so a crawl resumed after a stop, a kill -9 or a power
cut neither refetches what it stored nor loses what it had queued, nor exceeds the budget.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from catalogue.urls import canonical_url
from crawler.page_kinds import buyer_link_priority

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Site:
    """A vendor's site: a host (without `www.`) and its subdomains, on one explicit port.

    `https://www.example.com/` and `http://help.example.com/` are one site; a non-default
    port makes another site (local test servers run each site on its own port).
    """

    host: str
    port: int | None = None

    @classmethod
    def of(cls, url: str) -> Site | None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            return None
        host = parts.hostname.lower().removeprefix("www.")
        return cls(host, None if port in (None, DEFAULT_PORTS[parts.scheme]) else port)

    def contains(self, url: str) -> bool:
        other = Site.of(url)
        if other is None or other.port != self.port:
            return False
        return other.host == self.host or other.host.endswith("." + self.host)


@dataclass(frozen=True)
class Link:
    url: str
    anchor: str
    priority: int  # 0 = fetch first (see page_kinds.TOPICS)


@dataclass
class ToolFrontier:
    """The crawl state of one tool: its sites, the pages requested, the pages left."""

    tool_id: int
    home: str
    max_pages: int
    sites: set[Site] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    issued: int = 0

    def __post_init__(self) -> None:
        site = Site.of(self.home)
        if site is not None:
            self.sites.add(site)

    @property
    def remaining(self) -> int:
        return max(0, self.max_pages - self.issued)

    def claim_home(self) -> bool:
        """True the first time: the home page is the first page of the budget."""
        key = canonical_url(self.home)
        if key in self.seen or self.remaining == 0:
            return False
        self.seen.add(key)
        self.issued += 1
        return True

    def home_landed(self, url: str) -> None:
        """The home page answered from `url` (after redirects): that site is the tool's too."""
        self.seen.add(canonical_url(url))
        site = Site.of(url)
        if site is not None:
            self.sites.add(site)

    def fetched(self, url: str) -> None:
        self.seen.add(canonical_url(url))

    def in_scope(self, url: str) -> bool:
        return any(site.contains(url) for site in self.sites)

    def claim_urls(self, urls: Iterable[str]) -> list[str]:
        """The not-yet-requested URLs among `urls`, within the budget, in order; claims them."""
        chosen = []
        for url in urls:
            key = canonical_url(url)
            if key in self.seen or len(chosen) >= self.remaining:
                continue
            self.seen.add(key)
            chosen.append(url)
        self.issued += len(chosen)
        return chosen

    def claim_links(self, links: Iterable[tuple[str, str]], site_lang: str = "en") -> list[Link]:
        """The best not-yet-requested same-site buyer links, within the budget; claims them."""
        chosen = choose_links(links, self.in_scope, self.seen, self.remaining, site_lang)
        for link in chosen:
            self.seen.add(canonical_url(link.url))
        self.issued += len(chosen)
        return chosen


def choose_links(
    links: Iterable[tuple[str, str]],
    in_scope,
    seen: set[str],
    budget: int,
    site_lang: str = "en",
) -> list[Link]:
    """Up to `budget` links a buyer needs, best first (document order breaks ties).

    A link is skipped when it is off-site, already requested (by canonical URL), or of no use
    to a buyer (blogs, logins, files, other languages, dated paths: see buyer_link_priority).
    """
    if budget <= 0:
        return []
    found: dict[str, Link] = {}
    # Query-string variants of one page ("/pricing?currency=usd", "...=eur") would spend the
    # budget on copies: a path requested already takes no more variants, and one page's links
    # give each path one variant per kind of page ("index.php?page=privacy" and
    # "index.php?page=pricing" are two pages).
    seen_paths = {key.partition("?")[0] for key in seen}
    variants: set[tuple[str, int]] = set()
    for url, anchor in links:
        key = canonical_url(url)
        if key in seen or key in found or not in_scope(url):
            continue
        priority = buyer_link_priority(url, anchor, site_lang=site_lang or "en")
        if priority is None:
            continue
        path, query, _ = key.partition("?")
        if query and (path in seen_paths or (path, priority) in variants):
            continue
        variants.add((path, priority))
        found[key] = Link(url, anchor, priority)
    return sorted(found.values(), key=lambda link: link.priority)[:budget]


# --- the durable frontier ---------------------------------------------------------------------

FRONTIER_FILE = "frontier.sqlite"  # in the crawl's job directory

_FRONTIER_DDL = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)",
    "CREATE TABLE IF NOT EXISTS tools (tool_id INTEGER PRIMARY KEY, home TEXT NOT NULL, "
    "max_pages INTEGER NOT NULL, sites TEXT NOT NULL)",
    # state: queued (to fetch), fetched (answered; the page may or may not be stored yet),
    # stored, failed, fresh (--stale-days: seen recently, not fetched).
    "CREATE TABLE IF NOT EXISTS entries (tool_id INTEGER NOT NULL, key TEXT NOT NULL, "
    "url TEXT NOT NULL, anchor TEXT NOT NULL DEFAULT '', depth INTEGER NOT NULL, "
    "priority INTEGER NOT NULL, state TEXT NOT NULL, final_url TEXT, outcome TEXT, "
    "facts INTEGER NOT NULL DEFAULT 0, without_text INTEGER NOT NULL DEFAULT 0, "
    "reason TEXT, detail TEXT, PRIMARY KEY (tool_id, key))",
    "CREATE INDEX IF NOT EXISTS ix_entries_state ON entries (state)",
)


@dataclass(frozen=True)
class Entry:
    """A page a crawl has claimed for a tool: the request to make for it."""

    tool_id: int
    url: str
    anchor: str
    depth: int
    priority: int


@dataclass(frozen=True)
class PageOutcome:
    """What became of a stored page: new, changed, unchanged or not-modified (a 304)."""

    outcome: str
    facts: int = 0
    without_text: bool = False


class FrontierStore:
    """The frontier of one crawl, kept in SQLite in its job directory as the crawl goes.

    Scrapy's JOBDIR queue and spider state are written when a crawl stops cleanly, so a crawl
    killed with SIGKILL (or a power cut) resumed with an empty queue. Here every change is a
    transaction: a page's link claims are committed together with its "fetched" mark before
    its item reaches the pipeline, and the pipeline marks it "stored" after the catalogue
    commit. The catalogue stays the truth for what was stored: `reconcile` checks every
    fetched or stored entry against the pages the catalogue holds for this crawl run, so an
    entry whose page was lost is fetched again and a page stored just before the kill is not.
    """

    def __init__(self, path: str | Path = ":memory:"):
        import sqlite3

        self.path = str(path)
        self._db = sqlite3.connect(self.path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode = WAL")
        # NORMAL survives a killed process; a power cut may lose the last commits, which
        # `reconcile` then finds missing and fetches again (never the other way round).
        self._db.execute("PRAGMA synchronous = NORMAL")
        for statement in _FRONTIER_DDL:
            self._db.execute(statement)

    def close(self) -> None:
        self._db.close()

    def _transaction(self):
        return _Transaction(self._db)

    # run id and tools

    @property
    def run_id(self) -> int | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'run_id'").fetchone()
        return int(row[0]) if row else None

    @run_id.setter
    def run_id(self, value: int) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('run_id', ?)", (str(value),)
            )

    def load(self) -> dict[int, ToolFrontier]:
        """The tools' frontiers as they were last committed."""
        frontiers = {}
        for tool_id, home, max_pages, sites in self._db.execute(
            "SELECT tool_id, home, max_pages, sites FROM tools"
        ):
            frontier = ToolFrontier(tool_id, home, max_pages)
            frontier.sites |= {Site(host, port) for host, port in json.loads(sites)}
            frontiers[tool_id] = frontier
        for tool_id, key, final_url in self._db.execute(
            "SELECT tool_id, key, final_url FROM entries"
        ):
            frontier = frontiers[tool_id]
            frontier.seen.add(key)
            if final_url:
                frontier.seen.add(canonical_url(final_url))
            frontier.issued += 1
        return frontiers

    def pending(self) -> list[Entry]:
        """Entries still to fetch, best first."""
        rows = self._db.execute(
            "SELECT tool_id, url, anchor, depth, priority FROM entries WHERE state = 'queued' "
            "ORDER BY depth, priority, rowid"
        )
        return [Entry(*row) for row in rows]

    # changes, each one transaction

    def claim(self, claims: Iterable[tuple[ToolFrontier, list[Entry], list[Entry]]]) -> None:
        """Record tools with entries to fetch and (--stale-days) entries seen recently that
        are counted in the budget but not fetched: (frontier, queued, fresh), one
        transaction for all."""
        with self._transaction():
            for frontier, queued, fresh in claims:
                self._save_tool(frontier)
                for entry in queued:
                    self._insert(entry, "queued")
                for entry in fresh:
                    self._insert(entry, "fresh")

    def page_fetched(
        self,
        frontier: ToolFrontier,
        requested: str,
        final_url: str,
        links: Iterable[Entry],
        fresh: Iterable[Entry] = (),
    ) -> None:
        """A page answered: its links are claimed (--stale-days: the fresh ones apart) and
        it is marked fetched, in one transaction."""
        with self._transaction():
            self._save_tool(frontier)
            for entry in links:
                self._insert(entry, "queued")
            for entry in fresh:
                self._insert(entry, "fresh")
            self._db.execute(
                "UPDATE entries SET state = 'fetched', final_url = ? WHERE tool_id = ? AND key = ?",
                (final_url, frontier.tool_id, canonical_url(requested)),
            )

    def pages_stored(self, stored: Iterable[tuple[int, str, PageOutcome]]) -> None:
        """(tool_id, requested URL, outcome) for pages the catalogue has committed."""
        with self._transaction():
            self._db.executemany(
                "UPDATE entries SET state = 'stored', outcome = ?, facts = ?, without_text = ? "
                "WHERE tool_id = ? AND key = ?",
                [
                    (o.outcome, o.facts, int(o.without_text), tool_id, canonical_url(url))
                    for tool_id, url, o in stored
                ],
            )

    def failed(self, tool_id: int, requested: str, reason: str, detail: str = "") -> None:
        with self._transaction():
            cursor = self._db.execute(
                "UPDATE entries SET state = 'failed', reason = ?, detail = ? "
                "WHERE tool_id = ? AND key = ?",
                (reason, detail, tool_id, canonical_url(requested)),
            )
            if cursor.rowcount == 0:  # a request the frontier did not issue (a redirect)
                self._insert(Entry(tool_id, requested, "", 0, 0), "failed", reason, detail)

    def reconcile(self, stored_in_run: dict[tuple[int, str], PageOutcome]) -> int:
        """Make fetched and stored entries agree with the catalogue. `stored_in_run` maps
        (tool_id, canonical page URL) to the outcome of every page the catalogue holds for
        this crawl run. Pages fetched but locked out of the catalogue (`catalogue-busy`) are
        fetched again too. Returns how many entries go back to the queue."""
        requeue, confirm = [], []
        for tool_id, key, final_url, state in self._db.execute(
            "SELECT tool_id, key, final_url, state FROM entries "
            "WHERE state IN ('fetched', 'stored') "
            "OR (state = 'failed' AND reason = 'catalogue-busy')"
        ):
            found = stored_in_run.get((tool_id, canonical_url(final_url or key)))
            if found is None:
                requeue.append((tool_id, key))
            elif state != "stored":
                confirm.append((found.outcome, found.facts, int(found.without_text), tool_id, key))
        with self._transaction():
            self._db.executemany(
                "UPDATE entries SET state = 'queued', final_url = NULL, outcome = NULL, "
                "reason = NULL, detail = NULL WHERE tool_id = ? AND key = ?",
                requeue,
            )
            self._db.executemany(
                "UPDATE entries SET state = 'stored', outcome = ?, facts = ?, without_text = ?, "
                "reason = NULL, detail = NULL WHERE tool_id = ? AND key = ?",
                confirm,
            )
        return len(requeue)

    def tally(self, max_failures: int = 500) -> dict[str, Any]:
        """The crawl's figures so far, in the shape of crawl_runs.stats."""
        outcomes = Counter(
            dict(self._db.execute(
                "SELECT outcome, count(*) FROM entries WHERE state = 'stored' GROUP BY outcome"
            ).fetchall())
        )
        pages, facts, without_text = self._db.execute(
            "SELECT count(*), coalesce(sum(facts), 0), coalesce(sum(without_text), 0) "
            "FROM entries WHERE state = 'stored'"
        ).fetchone()
        tools = [row[0] for row in self._db.execute(
            "SELECT DISTINCT tool_id FROM entries WHERE state = 'stored' ORDER BY tool_id"
        )]
        failed = dict(self._db.execute(
            "SELECT reason, count(*) FROM entries WHERE state = 'failed' "
            "GROUP BY reason ORDER BY reason"
        ).fetchall())
        failures = [
            {"tool_id": t, "url": u, "reason": r, "detail": d or ""}
            for t, u, r, d in self._db.execute(
                "SELECT tool_id, url, reason, detail FROM entries WHERE state = 'failed' "
                "ORDER BY rowid LIMIT ?", (max_failures,)
            )
        ]
        fresh = self._db.execute("SELECT count(*) FROM entries WHERE state = 'fresh'").fetchone()
        return {
            "tools_visited": tools,
            "pages": pages,
            "new": outcomes["new"],
            "changed": outcomes["changed"],
            "unchanged": outcomes["unchanged"] + outcomes["not-modified"],
            "not_modified": outcomes["not-modified"],
            "skipped_fresh": fresh[0],
            "without_text": without_text,
            "facts": facts,
            "failed": failed,
            "failures": failures,
        }

    def _save_tool(self, frontier: ToolFrontier) -> None:
        sites = sorted([site.host, site.port] for site in frontier.sites)
        self._db.execute(
            "INSERT OR REPLACE INTO tools (tool_id, home, max_pages, sites) VALUES (?, ?, ?, ?)",
            (frontier.tool_id, frontier.home, frontier.max_pages, json.dumps(sites)),
        )

    def _insert(self, entry: Entry, state: str, reason: str | None = None, detail: str = ""):
        self._db.execute(
            "INSERT OR IGNORE INTO entries (tool_id, key, url, anchor, depth, priority, state, "
            "reason, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (entry.tool_id, canonical_url(entry.url), entry.url, entry.anchor, entry.depth,
             entry.priority, state, reason, detail),
        )


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error) on an autocommit sqlite3 connection."""

    def __init__(self, db):
        self._db = db

    def __enter__(self):
        self._db.execute("BEGIN IMMEDIATE")
        return self._db

    def __exit__(self, exc_type, *exc) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")
