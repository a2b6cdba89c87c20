"""`edcat crawl` and `edcat changes` end to end: the real command in a subprocess (one crawl
per process: Twisted's reactor cannot restart) against fixture sites served on 127.0.0.1
(tests/crawl_sites.py, tests/fixtures/sites/)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from crawl_sites import serve, tools_csv

pytestmark = pytest.mark.slow

# Local servers are private addresses; politeness delays would only slow the tests down
# (test_default_politeness_is_in_force crawls with the defaults).
FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--format", "json"]
LOCAL = ["--allow-private", *FAST]


def import_sites(edcat, tmp_path: Path, db: Path | None = None, **sites) -> Path:
    """Import one tool per server (name -> server) into the catalogue; returns the CSV."""
    csv = tools_csv(
        tmp_path / f"tools-{'-'.join(sites)}.csv",
        {name: server.url() for name, server in sites.items()},
    )
    edcat("tools", "import", str(csv), db=db)
    return csv


def crawl(edcat, *args: str, db: Path | None = None, check: bool = True) -> dict:
    result = edcat("crawl", *args, db=db, check=check)
    return json.loads(result.stdout) if result.stdout.strip() else {"stderr": result.stderr}


def query(db: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def pages(db: Path) -> dict[str, tuple]:
    rows = query(db, "SELECT url, kind, http_status, content_hash, text FROM pages")
    return {url: rest for url, *rest in rows}


def facts(db: Path) -> set[tuple]:
    return set(
        query(
            db,
            "SELECT source_url, field, value, evidence FROM facts "
            "WHERE retracted_at IS NULL AND origin = 'crawl'",
        )
    )


def runs(db: Path) -> list[tuple[str, dict]]:
    return [
        (status, json.loads(stats))
        for status, stats in query(db, "SELECT status, stats FROM crawl_runs ORDER BY id")
    ]


def paths_of(server) -> list[str]:
    return [p for p in server.paths() if p != "/robots.txt"]


# --- a real site and a small vendor site ------------------------------------------------------


def test_crawl_follows_buyer_links_within_budget(edcat, tmp_path, db_path):
    with serve("sugarlabs", "quizzly-v1") as (sugar, quizzly):
        import_sites(edcat, tmp_path, Sugarlabs=sugar, Quizzly=quizzly)
        summary = crawl(edcat, "--all", *LOCAL)
        shown = json.loads(edcat("tools", "show", "quizzly", "--format", "json").stdout)

    assert summary["status"] == "finished" and summary["tools_visited"] == 2
    stored = pages(db_path)
    q = {
        url.removeprefix(quizzly.url("")): kind
        for url, (kind, *_) in stored.items()
        if url.startswith(quizzly.url(""))
    }
    assert q == {
        "/": "home",
        "/features": "features",
        "/pricing": "pricing",
        "/privacy": "privacy",
        "/terms": "terms",
        "/about": "about",
        "/for-teachers": "features",
    }
    assert "/blog" not in quizzly.paths() and "/login" not in quizzly.paths()
    assert len(shown["pages"]) == 7

    s = {
        url.removeprefix(sugar.url("")): kind
        for url, (kind, *_) in stored.items()
        if url.startswith(sugar.url(""))
    }
    assert s["/"] == "home" and s["/about-us"] == "about" and s["/students"] == "features"
    assert len(paths_of(sugar)) == 8  # the page budget, home page included
    assert summary["failed"] == {"http-404": 2}  # /products and /turtle-blocks-js are missing

    for server in (sugar, quizzly):
        # One request at a time per host, even with DOWNLOAD_DELAY=0 (crawler/downloader.py)
        assert server.httpd.max_in_flight == 1
        assert server.paths()[0] == "/robots.txt"
        assert all(hit.user_agent.startswith("edcat/") for hit in server.hits)
        assert all(count == 1 for count in Counter(server.paths()).values())

    found = {
        (url.removeprefix(quizzly.url("")), field, value) for url, field, value, _ in facts(db_path)
    }
    assert {
        ("/privacy", "gdpr", "yes"),
        ("/privacy", "data_location", "uk"),
        ("/pricing", "price", "gbp 2/pupil/year"),
        ("/pricing", "pricing_model", "freemium"),
        ("/features", "integration", "google-classroom"),
    } <= found


# --- a site that fights back ------------------------------------------------------------------


def test_hostile_site_every_case_ends_in_a_recorded_outcome(edcat, tmp_path, db_path):
    with serve("hostile") as (site,):
        import_sites(edcat, tmp_path, Hostile=site)
        summary = crawl(
            edcat,
            "--all",
            "--max-pages",
            "20",
            "--set",
            "DOWNLOAD_TIMEOUT=1",
            "--set",
            "RETRY_TIMES=1",
            *LOCAL,
        )
    assert summary["status"] == "finished"
    assert summary["failed"] == {
        "http-404": 1,  # /pricing
        "http-500": 1,  # /features, after one retry
        "timeout": 1,  # /privacy sleeps 3 s; DOWNLOAD_TIMEOUT=1
        "redirect-loop": 1,  # /about -> /about-us -> /about
        "too-many-redirects": 1,  # /trust -> /r/1 -> /r/2 -> ...
        "off-site-redirect": 1,  # /terms -> http://localhost:<port>/terms-of-use
        "too-large": 2,  # /for-schools (Content-Length), /for-parents (no length)
        "not-html": 1,  # /product-tour.html is a PNG
        "robots-disallowed": 1,  # /plans, for edcat only
    }
    stored = {url.removeprefix(site.url("")): rest for url, rest in pages(db_path).items()}
    assert set(stored) == {
        "/",
        "/security",
        "/for-teachers",
        "/ai",
        "/data-protection",
        "/features/page/1",
        "/features/page/2",
    }
    assert all(status == 200 for _, status, *_ in stored.values())
    assert not stored["/ai"][3] and summary["without_text"] == 1  # JS-only: stored, no text
    assert "Données hébergées en Europe" in stored["/security"][3]  # cp1252 read right
    assert "secondary school teachers and sixth form" in stored["/for-teachers"][3]  # malformed

    requested = site.paths()
    assert "/plans" not in requested  # robots.txt obeyed: never requested
    assert not any(hit.host.startswith("localhost") for hit in site.hits)  # never left the site
    assert not any(p.startswith("/events") for p in requested)  # calendar trap never entered
    assert "/features/page/3" not in requested  # the chain stops at depth 2
    assert requested.count("/features") == 2  # retried once
    assert "/r/6" not in requested  # REDIRECT_MAX_TIMES=5

    failures = runs(db_path)[0][1]["failures"]
    listed = {(f["url"].removeprefix(site.url("")), f["reason"]) for f in failures}
    assert ("/terms", "off-site-redirect") in listed and ("/about", "redirect-loop") in listed
    found = {
        (url.removeprefix(site.url("")), field, value) for url, field, value, _ in facts(db_path)
    }
    assert {
        ("/security", "gdpr", "yes"),
        ("/security", "certification", "iso-27001"),
        ("/data-protection", "dpa_offered", "yes"),
    } <= found


def test_default_politeness_is_in_force(edcat, tmp_path, db_path, monkeypatch):
    """No --set: robots.txt first, one request at a time, a delay between requests, and the
    identifying user agent."""
    monkeypatch.delenv("EDCAT_USER_AGENT", raising=False)
    with serve("polite") as (site,):
        import_sites(edcat, tmp_path, Polite=site)
        result = edcat("crawl", "--all", "--allow-private")
    assert "3 pages fetched" in result.stdout
    hits = sorted(site.hits, key=lambda hit: hit.started)
    assert [hit.path for hit in hits][0] == "/robots.txt"
    assert sorted(hit.path for hit in hits[1:]) == ["/", "/features", "/pricing"]
    assert site.httpd.max_in_flight == 1
    gaps = [b.started - a.ended for a, b in zip(hits, hits[1:], strict=False)]
    assert min(gaps) >= 0.45  # DOWNLOAD_DELAY 1 s, jitter 0.5x-1.5x
    assert {hit.user_agent for hit in hits} == {"edcat/0.1.0 (+https://github.com/edcat/edcat)"}


def test_private_addresses_are_refused_without_allow_private(edcat, tmp_path):
    with serve("polite") as (site,):
        import_sites(edcat, tmp_path, Polite=site)
        result = edcat("crawl", "--all", *FAST, check=False)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "error: nothing could be fetched (private-address 1)"
    )
    assert json.loads(result.stdout)["failed"] == {"private-address": 1}
    assert site.hits == []  # not even robots.txt


# --- changes over crawls ----------------------------------------------------------------------


def test_recrawl_shows_changed_pages_and_new_ai_feature(edcat, tmp_path):
    with serve("quizzly-v1") as (site,):
        import_sites(edcat, tmp_path, Quizzly=site)
        first = crawl(edcat, "--all", *LOCAL)
        site.switch("quizzly-v2")
        second = crawl(edcat, "--all", *LOCAL)
    assert first["new"] == 7 and second["new"] == 1  # /ai
    assert second["changed"] >= 1 and second["unchanged"] >= 5

    report = json.loads(edcat("changes", "--format", "json").stdout)
    (tool,) = report["tools"]
    assert tool["name"] == "Quizzly" and not tool["first_crawl"]
    changed = {(p["url"].removeprefix(site.url("")), p["change"]) for p in tool["pages"]}
    assert {("/ai", "new"), ("/features", "changed")} <= changed
    assert ("/pricing", "changed") not in changed
    appeared = {(f["field"], f["value"]): f for f in tool["ai_appeared"]}
    assert set(appeared) == {
        ("ai_chatbot", "yes"),
        ("ai_generative", "yes"),
        ("ai_provider", "openai"),
    }
    assert "AI tutor powered by OpenAI GPT-4o" in appeared["ai_provider", "openai"]["evidence"]
    assert ("trains_on_user_data", "no") in {(f["field"], f["value"]) for f in tool["facts_added"]}

    table = edcat("changes").stdout
    assert "1 tools changed since" in table and "ai_provider=openai" in table
    assert "Now with an AI tutor powered by OpenAI GPT-4o" in table
    assert "0 tools changed" in edcat("changes", "--since", "2999-01-01").stdout


# --- archive, replay, resume ------------------------------------------------------------------


def test_archive_then_replay_gives_the_same_pages_and_facts(edcat, tmp_path, db_path):
    archive = tmp_path / "crawl.warc.gz"
    replayed_db = tmp_path / "replayed.db"
    with serve("sugarlabs", "quizzly-v2") as (sugar, quizzly):
        tools = import_sites(edcat, tmp_path, Sugarlabs=sugar, Quizzly=quizzly)
        original = crawl(edcat, "--all", "--archive", str(archive), *LOCAL)
    # The servers are gone: the replay can only use the archive. No --allow-private needed,
    # and extraction runs in a worker process here, inline above: same results either way.
    edcat("tools", "import", str(tools), db=replayed_db)
    replayed = crawl(
        edcat,
        "--all",
        "--replay",
        str(archive),
        *FAST,
        "--set",
        "EDCAT_EXTRACT_WORKERS=1",
        db=replayed_db,
    )

    assert original["pages"] == replayed["pages"] == 14  # 6 Sugar Labs (+2 missing), 8 Quizzly
    assert replayed["failed"] == original["failed"]

    def strip(stored: dict) -> dict:
        return {url: (kind, status, digest) for url, (kind, status, digest, _) in stored.items()}

    assert strip(pages(replayed_db)) == strip(pages(db_path))
    assert facts(replayed_db) == facts(db_path) and len(facts(db_path)) > 20


def test_interrupted_crawl_resumes_without_refetching_or_losing_pages(edcat, tmp_path, db_path):
    full_db = tmp_path / "full.db"
    with serve("sugarlabs", "quizzly-v1") as (sugar, quizzly):
        import_sites(edcat, tmp_path, Sugarlabs=sugar, Quizzly=quizzly)
        import_sites(edcat, tmp_path, db=full_db, Sugarlabs=sugar, Quizzly=quizzly)
        full = crawl(edcat, "--all", *LOCAL, db=full_db)
        sugar.reset()
        quizzly.reset()

        # Stop after 5 responses; with CONCURRENT_REQUESTS=1 the rest waits in the frontier
        # (a stop lets the requests already handed to the downloader finish).
        stopped = crawl(
            edcat,
            "--all",
            *LOCAL,
            "--set",
            "CLOSESPIDER_PAGECOUNT=5",
            "--set",
            "CONCURRENT_REQUESTS=1",
        )
        job = db_path.with_name(db_path.name + ".crawl-job")
        assert stopped["status"] == "interrupted" and stopped["resumable"] and job.is_dir()
        assert 0 < stopped["pages"] < full["pages"]
        resumed = crawl(edcat, "--resume", *LOCAL)

    assert resumed["status"] == "finished" and not job.exists()
    for server in (sugar, quizzly):  # robots.txt is read again by the second process
        twice = [p for p, n in Counter(paths_of(server)).items() if n > 1]
        assert twice == []

    def strip(stored: dict) -> dict:
        return {url: (kind, digest) for url, (kind, _, digest, _) in stored.items()}

    assert strip(pages(db_path)) == strip(pages(full_db))
    assert facts(db_path) == facts(full_db)
    assert [status for status, _ in runs(db_path)] == ["finished"]  # one run, carried on
    assert resumed["pages"] == full["pages"] and resumed["failed"] == full["failed"]

    again = edcat("crawl", "--resume", check=False)
    assert again.returncode == 1 and "no interrupted crawl to resume" in again.stderr


# --- user errors ------------------------------------------------------------------------------


def test_user_errors_are_one_line(edcat, small_catalogue):
    cases = [
        (["crawl"], "name the tools to crawl with --tool NAME"),
        (["crawl", "--tool", "no-such-tool"], "no tool 'no-such-tool'"),
        (["crawl", "--resume"], "no interrupted crawl to resume"),
        (["crawl", "--all", "--replay", "missing.warc.gz"], "no archive to replay"),
        (["crawl", "--all", "--set", "delay"], "--set expects SETTING=VALUE"),
        (["changes"], "no crawl has run on this catalogue yet"),
    ]
    for args, message in cases:
        result = edcat(*args, check=False, db=small_catalogue.path)
        assert result.returncode == 1, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], args


def test_bad_replay_archive_or_set_value_is_one_line_and_leaves_nothing_to_resume(
    edcat, small_catalogue, tmp_path
):
    """A --replay file that is not a WARC, an --archive path that cannot be a file and a
    --set value Scrapy cannot read are each one line naming the culprit, before any job
    state is written: no traceback, and `--resume` has nothing to repeat."""
    from crawler.warc import WarcWriter

    readme = Path(__file__).parent.parent / "README.md"
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    offline = tmp_path / "offline.warc.gz"  # a valid archive: no case can reach the network
    WarcWriter(offline).close()
    replay = ["--replay", str(offline)]
    cases = [
        (["--replay", str(readme)], f"{readme} is not a WARC archive (Unknown archive format"),
        (["--replay", str(empty)], f"{empty} is not a WARC archive (it is empty)"),
        (["--archive", str(tmp_path), *replay], f"--archive {tmp_path} is a folder"),
        (["--archive", f"{readme}/crawl.warc.gz", *replay], f"{readme} is not a folder"),
        (["--set", "DOWNLOAD_DELAY=abc", *replay], "DOWNLOAD_DELAY must be a number"),
        (["--set", "AUTOTHROTTLE_ENABLED=maybe", *replay], "AUTOTHROTTLE_ENABLED must be True"),
        (["--set", "EDCAT_MAX_DEPTH=two", *replay], "EDCAT_MAX_DEPTH must be a whole number"),
        (["--set", "DOWNLOADER_MIDDLEWARES=x", *replay], "DOWNLOADER_MIDDLEWARES must be a JSON"),
        (["--set", f"EDCAT_REPLAY={readme}"], f"{readme} is not a WARC archive"),
    ]
    job_dir = small_catalogue.path.with_name(small_catalogue.path.name + ".crawl-job")
    for args, message in cases:
        result = edcat("crawl", "--all", *args, check=False, db=small_catalogue.path)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1, args
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], (
            args, result.stderr)
        assert "Traceback" not in result.stderr and not job_dir.exists(), args
    resumed = edcat("crawl", "--resume", check=False, db=small_catalogue.path)
    assert resumed.returncode == 1 and "no interrupted crawl to resume" in resumed.stderr


def test_crawl_that_fails_to_start_leaves_nothing_to_resume(edcat, small_catalogue, tmp_path):
    """A failure inside Scrapy's start-up (here a middleware that does not exist) is still
    reported, and the new crawl's job state goes, so `--resume` does not repeat it."""
    from crawler.warc import WarcWriter

    offline = tmp_path / "offline.warc.gz"
    WarcWriter(offline).close()
    result = edcat(
        "crawl", "--all", "--replay", str(offline),
        "--set", 'DOWNLOADER_MIDDLEWARES={"no_such_module.Middleware": 100}',
        check=False, db=small_catalogue.path,
    )
    assert result.returncode == 1
    assert "error: the crawl did not start; see the log above" in result.stderr.splitlines()
    assert not small_catalogue.path.with_name(small_catalogue.path.name + ".crawl-job").exists()
    resumed = edcat("crawl", "--resume", check=False, db=small_catalogue.path)
    assert resumed.returncode == 1 and "no interrupted crawl to resume" in resumed.stderr


def test_mapped_host_keeps_real_urls_through_archive_and_replay(edcat, tmp_path, db_path):
    """--map-host fetches www.sugarlabs.org from a local copy; pages, facts and the archive
    keep the real URLs, so the archive replays for the real catalogue entry."""
    tools = tmp_path / "real.csv"
    tools.write_text("name,url\nSugar Labs,https://www.sugarlabs.org/\n")
    archive = tmp_path / "sugar.warc.gz"
    edcat("tools", "import", str(tools))
    with serve("sugarlabs") as (sugar,):
        recorded = crawl(
            edcat,
            "--all",
            "--archive",
            str(archive),
            *LOCAL,
            "--map-host",
            f"www.sugarlabs.org=http://127.0.0.1:{sugar.port}",
        )
    stored = pages(db_path)
    assert recorded["pages"] >= 5
    assert all(url.startswith("https://www.sugarlabs.org/") for url in stored)
    assert "https://www.sugarlabs.org/" in stored
    replayed_db = tmp_path / "replayed.db"
    edcat("tools", "import", str(tools), db=replayed_db)
    replayed = crawl(edcat, "--all", "--replay", str(archive), *FAST, db=replayed_db)
    assert replayed["pages"] == recorded["pages"]
    assert pages(replayed_db).keys() == stored.keys()
    assert facts(replayed_db) == facts(db_path)


def test_map_host_rejects_malformed_pairs(edcat):
    result = edcat("crawl", "--all", "--map-host", "nonsense", check=False)
    assert result.returncode == 1 and "--map-host expects HOST=http(s)://ADDRESS" in result.stderr


@pytest.mark.parametrize("damage", [b'{"tools": ["a"', b"\xff\xfe", b"[1, 2]", b'{"colour": 1}'])
def test_resume_with_damaged_recorded_options_is_one_line(edcat, small_catalogue, damage):
    """A crawl killed while recording its options, or a job file edited by hand, must not
    make `--resume` crash: it names the file and says how to go on."""
    from crawler.run import OPTIONS_FILE, job_dir_for

    job_dir = job_dir_for(small_catalogue.path)
    job_dir.mkdir(parents=True)
    (job_dir / OPTIONS_FILE).write_bytes(damage)
    resumed = edcat("crawl", "--resume", check=False, db=small_catalogue.path)
    assert resumed.returncode == 1, resumed.stderr
    (line,) = resumed.stderr.strip().splitlines()
    assert line.startswith(f"error: cannot resume: {job_dir / OPTIONS_FILE} is damaged")

