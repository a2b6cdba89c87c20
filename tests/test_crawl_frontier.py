"""The durable frontier without a crawl: what survives a kill, and how a resumed crawl
squares it with what the catalogue stored."""

from __future__ import annotations

from catalogue.urls import canonical_url
from crawler.frontier import Entry, FrontierStore, PageOutcome, ToolFrontier

HOME = "http://s.example/"


def _entry(path: str, depth: int = 1, priority: int = 3) -> Entry:
    return Entry(1, HOME + path, path.title(), depth, priority)


def _crawl_until_killed(path) -> ToolFrontier:
    """Home stored; /pricing fetched (not yet stored); /features stored; /privacy queued."""
    store = FrontierStore(path)
    frontier = ToolFrontier(1, HOME, 8)
    frontier.claim_home()
    store.claim([(frontier, [Entry(1, HOME, "", 0, -1)], [])])
    links = [_entry("pricing"), _entry("features"), _entry("privacy")]
    frontier.claim_urls(e.url for e in links)
    store.page_fetched(frontier, HOME, HOME, links)
    store.pages_stored([(1, HOME, PageOutcome("new", 4, False))])
    store.page_fetched(frontier, HOME + "pricing", HOME + "pricing/", [])
    store.page_fetched(frontier, HOME + "features", HOME + "features", [])
    store.pages_stored([(1, HOME + "features", PageOutcome("changed", 2, True))])
    store.run_id = 7
    return frontier  # no close(): the process "dies" here


def test_a_killed_crawls_frontier_is_all_there_when_reopened(tmp_path):
    _crawl_until_killed(tmp_path / "frontier.sqlite")
    store = FrontierStore(tmp_path / "frontier.sqlite")
    assert store.run_id == 7
    (frontier,) = store.load().values()
    assert frontier.issued == 4 and frontier.remaining == 4
    assert canonical_url(HOME + "pricing/") in frontier.seen  # where it landed, too
    assert [e.url for e in store.pending()] == [HOME + "privacy"]


def test_reconcile_trusts_the_catalogue_both_ways(tmp_path):
    _crawl_until_killed(tmp_path / "frontier.sqlite")
    store = FrontierStore(tmp_path / "frontier.sqlite")
    # The catalogue has home and /pricing (stored just before the kill, never marked), but
    # lost /features (a power cut took its last commit).
    in_catalogue = {
        (1, canonical_url(HOME)): PageOutcome("new", 4, False),
        (1, canonical_url(HOME + "pricing/")): PageOutcome("unchanged", 1, False),
    }
    assert store.reconcile(in_catalogue) == 1
    assert sorted(e.url for e in store.pending()) == [HOME + "features", HOME + "privacy"]
    tally = store.tally()
    assert (tally["pages"], tally["new"], tally["unchanged"], tally["changed"]) == (2, 1, 1, 0)
    assert tally["facts"] == 5 and tally["tools_visited"] == [1]


def test_failures_and_fresh_pages_are_counted(tmp_path):
    store = FrontierStore()
    frontier = ToolFrontier(1, HOME, 8)
    store.claim([(frontier, [_entry("pricing")], [_entry("terms")])])
    store.failed(1, HOME + "pricing", "timeout", "took 20 s")
    store.failed(1, HOME + "old", "redirect-to-fetched", "/old -> /")  # not an entry yet
    tally = store.tally()
    assert tally["failed"] == {"redirect-to-fetched": 1, "timeout": 1}
    assert tally["skipped_fresh"] == 1 and tally["pages"] == 0
    assert {f["url"] for f in tally["failures"]} == {HOME + "pricing", HOME + "old"}
    assert store.pending() == []


def test_a_new_crawl_records_the_killed_run_it_replaces(catalogue, db_path):
    from catalogue.models import CrawlRun
    from catalogue.store import start_crawl_run
    from crawler.frontier import FRONTIER_FILE
    from crawler.run import _close_replaced_run, job_dir_for

    run_id = start_crawl_run(catalogue, {})
    job_dir = job_dir_for(db_path)
    job_dir.mkdir()
    _crawl_until_killed(job_dir / FRONTIER_FILE)
    store = FrontierStore(job_dir / FRONTIER_FILE)
    store.run_id = run_id
    store.close()
    _close_replaced_run(db_path, job_dir)
    with catalogue.session() as session:
        run = session.get(CrawlRun, run_id)
        assert run.status == "interrupted" and run.stats["pages"] == 2
        assert run.stats["close_reason"] == "killed"


def test_reconcile_queues_pages_locked_out_of_the_catalogue_again(tmp_path):
    """A crawl stopped because another process kept the catalogue locked: its locked-out
    pages are fetched again by `--resume`; other failures stay failures."""
    _crawl_until_killed(tmp_path / "frontier.sqlite")
    store = FrontierStore(tmp_path / "frontier.sqlite")
    store.failed(1, HOME + "pricing", "catalogue-busy", "stayed locked")
    store.failed(1, HOME + "privacy", "timeout", "took 20 s")
    in_catalogue = {
        (1, canonical_url(HOME)): PageOutcome("new", 4, False),
        (1, canonical_url(HOME + "features")): PageOutcome("changed", 2, True),
    }
    assert store.reconcile(in_catalogue) == 1
    assert [e.url for e in store.pending()] == [HOME + "pricing"]
    tally = store.tally()
    assert tally["failed"] == {"timeout": 1} and tally["pages"] == 2
