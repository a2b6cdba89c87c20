"""Incremental recrawl end to end: stored ETag / Last-Modified sent back, 304 re-observes a
page without re-extraction, `--stale-days` revisits only old pages, and redirects through
pages end in a recorded reason. Plus the schema upgrade (v5) that added the validators."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from crawl_servers import SiteState, import_tools, tool_sites

from catalogue import open_catalogue
from catalogue.db import SCHEMA_VERSION, upgrade_catalogue

FIXTURES = Path(__file__).parent / "fixtures"
LOCAL = ["--allow-private", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False",
         "--format", "json"]


def query(db: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def crawl(edcat, *args: str) -> dict:
    return json.loads(edcat("crawl", "--all", *LOCAL, *args).stdout)


def fact_dates(db: Path) -> dict[tuple, tuple]:
    rows = query(db, "SELECT source_url, field, value, first_observed_at, observed_at "
                     "FROM facts WHERE retracted_at IS NULL AND origin = 'crawl'")
    return {(url, field, value): (first, seen) for url, field, value, first, seen in rows}


@pytest.mark.slow
def test_unchanged_recrawl_is_answered_304_and_reobserves_pages_and_facts(
    edcat, tmp_path, db_path
):
    with tool_sites() as site:
        homes = [f"http://127.0.0.1:{site.server_port}/t{n}/" for n in range(2)]
        import_tools(edcat, tmp_path, homes)
        first = crawl(edcat)
        before = fact_dates(db_path)
        site.reset()
        second = crawl(edcat)
        answered_304 = site.not_modified
        site.state.versions["/t0/pricing"] += 1  # the vendor edits one page
        third = crawl(edcat)

    assert first["new"] == first["pages"] == 16 and first["not_modified"] == 0
    assert query(db_path, "SELECT count(*) FROM pages WHERE etag IS NULL OR last_modified IS NULL"
                 ) == [(0,)]
    assert answered_304 == 16 == second["not_modified"] == second["unchanged"] == second["pages"]
    assert second["failed"] == {} and second["new"] == second["changed"] == 0
    # re-observed, not re-extracted: the same facts, first seen as before, seen again later
    after = fact_dates(db_path)
    assert set(after) == set(before) and len(before) >= 16
    assert all(after[k][0] == before[k][0] and after[k][1] > before[k][1] for k in before)
    versions = query(db_path, "SELECT http_status, changed, count(*) FROM page_versions "
                              "WHERE crawl_run_id = 2 GROUP BY 1, 2")
    assert versions == [(304, 0, 16)]
    assert third["changed"] == 1 and third["not_modified"] == 15


@pytest.mark.slow
def test_stale_days_revisits_only_pages_not_seen_for_that_long(edcat, tmp_path, db_path):
    with tool_sites() as site:
        import_tools(edcat, tmp_path, [f"http://127.0.0.1:{site.server_port}/t0/"])
        crawl(edcat)
        query(db_path, "UPDATE pages SET fetched_at = datetime(fetched_at, '-10 days') "
                       "WHERE url LIKE '%/pricing' OR url LIKE '%/privacy'")
        site.reset()
        stale = crawl(edcat, "--stale-days", "5")
        revisited = sorted(site.pages())
        site.reset()
        fresh = crawl(edcat, "--stale-days", "5")
    assert revisited == ["/t0/pricing", "/t0/privacy"]
    assert stale["pages"] == stale["not_modified"] == 2 and stale["skipped_fresh"] == 6
    assert site.pages() == [] and fresh["pages"] == 0 and fresh["skipped_fresh"] == 8
    assert fresh["status"] == "finished"


@pytest.mark.slow
def test_redirect_to_a_fetched_page_and_a_meta_refresh_loop_are_recorded(
    edcat, tmp_path, db_path
):
    with tool_sites(SiteState(tricky=True)) as site:
        home = f"http://127.0.0.1:{site.server_port}/t0/"
        import_tools(edcat, tmp_path, [home])
        summary = crawl(edcat, "--max-pages", "12")
    assert summary["failed"] == {"redirect-loop": 1, "redirect-to-fetched": 1}
    listed = {f["url"].rsplit("/", 1)[1]: f for f in last_run_failures(db_path)}
    assert listed["ai"]["reason"] == "redirect-loop"
    assert listed["plans"]["reason"] == "redirect-to-fetched"
    assert listed["plans"]["detail"].endswith("/t0/plans -> " + home.replace("/t0/", "/t0/pricing"))
    assert summary["pages"] == 7


def last_run_failures(db: Path) -> list[dict]:
    (stats,) = query(db, "SELECT stats FROM crawl_runs ORDER BY id DESC LIMIT 1")[0]
    return json.loads(stats)["failures"]


def test_v3_catalogue_upgrades_with_empty_validators(tmp_path):
    path = tmp_path / "v3.db"
    open_catalogue(path, create=True).close()
    with sqlite3.connect(path) as conn:  # the v3 pages table: no validators
        conn.execute("ALTER TABLE pages DROP COLUMN etag")
        conn.execute("ALTER TABLE pages DROP COLUMN last_modified")
        conn.execute("PRAGMA user_version = 3")
    assert upgrade_catalogue(path)[:2] == (3, SCHEMA_VERSION)
    columns = {row[1] for row in query(path, "PRAGMA table_info(pages)")}
    assert {"etag", "last_modified"} <= columns


def test_real_v2_catalogue_upgrades_keeping_its_page(tmp_path):
    path = tmp_path / "v2.db"
    shutil.copy(FIXTURES / "catalogues" / "v2.db", path)
    before = query(path, "SELECT id, url, content_hash FROM pages")
    assert upgrade_catalogue(path)[:2] == (2, SCHEMA_VERSION)
    after = query(path, "SELECT id, url, content_hash, etag, last_modified FROM pages")
    assert after == [(*row, None, None) for row in before] and before
