"""Replayed pages and their facts are dated when the archive recorded them (WARC-Date), so a
DPIA's "seen" dates and stale flags stay true; a live crawl dates them now."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from crawl_sites import serve, tools_csv
from warcio.archiveiterator import ArchiveIterator

from crawler.warc import _warc_date
from tests.conftest import REPO

pytestmark = pytest.mark.slow
ARCHIVE = REPO / "data" / "archive" / "demo-sites.warc.gz"
FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False"]


def recorded_dates() -> dict[str, datetime]:
    with ARCHIVE.open("rb") as handle:
        return {
            record.rec_headers.get_header("WARC-Target-URI"): _warc_date(
                record.rec_headers.get_header("WARC-Date")
            )
            for record in ArchiveIterator(handle)
            if record.rec_type == "response"
        }


def stored_dates(db) -> tuple[list[tuple], list[tuple], list[str]]:
    with sqlite3.connect(db) as conn:
        pages = conn.execute("SELECT id, url, fetched_at FROM pages").fetchall()
        facts = conn.execute(
            "SELECT page_id, observed_at, first_observed_at FROM facts WHERE origin = 'crawl'"
        ).fetchall()
        crawled = [r[0] for r in conn.execute("SELECT last_crawled FROM tools") if r[0]]
    return pages, facts, crawled


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


def test_warc_date_parses_to_an_aware_utc_datetime():
    assert _warc_date("2026-11-23T15:31:41Z") == datetime(2026, 11, 23, 15, 31, 41, tzinfo=UTC)
    assert _warc_date("2026-11-23T15:31:41.250Z").microsecond == 250000
    assert _warc_date("yesterday") is None and _warc_date(None) is None


def test_replayed_pages_and_facts_carry_the_archive_date(edcat, db_path):
    edcat("tools", "import", str(REPO / "data" / "archive" / "tools.csv"))
    edcat("crawl", "--all", "--replay", str(ARCHIVE))
    pages, facts, crawled = stored_dates(db_path)
    recorded = recorded_dates()
    assert len(pages) >= 10 and len(facts) >= 20
    for _, url, fetched_at in pages:
        assert parse(fetched_at) == recorded[url], url
    fetched = {page_id: parse(at) for page_id, _, at in pages}
    assert all(parse(seen) == parse(first) == fetched[pid] for pid, seen, first in facts)
    assert max(parse(c) for c in crawled) <= max(recorded.values())
    assert max(recorded.values()) < datetime.now(UTC) - timedelta(days=1)  # truly not today


def test_a_live_crawl_dates_pages_now(edcat, tmp_path, db_path):
    with serve("polite") as (site,):
        edcat("tools", "import", str(tools_csv(tmp_path / "t.csv", {"Polite": site.url()})))
        before = datetime.now(UTC) - timedelta(seconds=1)
        edcat("crawl", "--all", "--allow-private", *FAST)
        after = datetime.now(UTC) + timedelta(seconds=1)
    pages, facts, _ = stored_dates(db_path)
    assert pages and all(before <= parse(at) <= after for _, _, at in pages)
    assert all(before <= parse(seen) <= after for _, seen, _ in facts)
