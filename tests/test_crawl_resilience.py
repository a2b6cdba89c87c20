"""A crawl you can leave running: killed with SIGKILL and resumed, started twice at once, its
extraction workers gone with it, another process holding the catalogue's write lock. Real
`edcat crawl` subprocesses against generated sites (tests/crawl_servers.py) on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import REPO, edcat_command
from crawl_servers import SiteState, import_tools, tool_sites

pytestmark = pytest.mark.slow

FAST = ["--allow-private", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False",
        "--format", "json"]
TOOLS = 6
PAGES_PER_TOOL = 8


# `edcat` with the catalogue's write retry cut to 2 tries of 0.1 s (normally 6 of 5 s), so a
# lock held for seconds outlasts it as one held for minutes outlasts the real one.
SHORT_WRITE_RETRY = [sys.executable, "-c", (
    "import dataclasses; import catalogue.db as db; "
    "db.LIMITS = dataclasses.replace(db.LIMITS, busy_timeout_ms=100, write_attempts=2); "
    "from cli.main import app; app(prog_name='edcat')"
)]  # fmt: skip


def start_crawl(db: Path, *args: str, command: list[str] | None = None) -> subprocess.Popen:
    env = {**os.environ, "EDCAT_DB": str(db), "COLUMNS": "200"}
    return subprocess.Popen(
        [*(command or edcat_command()), "crawl", *args], cwd=REPO, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def hold_write_lock(db: Path, seconds: float) -> subprocess.Popen:
    """Another process taking the catalogue's write lock for `seconds` (as a large
    `tools import` does, writing its whole file in one transaction); returns once held."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sqlite3, sys, time\n"
        f"conn = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
        "conn.execute('BEGIN IMMEDIATE')\n"
        "print('held', flush=True)\n"
        f"time.sleep({seconds})\n"
        "conn.execute('COMMIT')\n"
    )], stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert holder.stdout.readline() == "held\n"
    return holder


def query(db: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def children_of(pid: int) -> set[int]:
    """Processes whose parent is `pid` (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_kill_9_mid_crawl_then_resume_fetches_exactly_what_is_missing(edcat, tmp_path, db_path):
    with tool_sites(SiteState(delay=0.08)) as site:
        homes = [f"http://127.0.0.1:{site.server_port}/t{n}/" for n in range(TOOLS)]
        import_tools(edcat, tmp_path, homes)
        crawl = start_crawl(db_path, "--all", *FAST, "--set", "EDCAT_EXTRACT_WORKERS=1",
                            "--set", "EDCAT_STORE_SECONDS=0.2")
        wait_for(lambda: len(site.pages()) >= 20, 60, "20 pages fetched")
        workers = children_of(crawl.pid)
        assert workers, "the extraction worker should be running"
        crawl.send_signal(signal.SIGKILL)
        crawl.wait()
        # (d) no child of the killed crawl lives on
        wait_for(lambda: not any(alive(pid) for pid in workers), 10, "the workers to exit")

        stored_before = {url for (url,) in query(db_path, "SELECT url FROM pages")}
        fetched_before = len(site.pages())
        assert 0 < len(stored_before) < TOOLS * PAGES_PER_TOOL
        site.reset()
        resumed = start_crawl(db_path, "--resume", *FAST)
        out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    summary = json.loads(out)
    again = [f"http://127.0.0.1:{site.server_port}{path}" for path in site.pages()]
    assert not set(again) & stored_before  # nothing stored before the kill is fetched again
    assert all(n == 1 for n in Counter(again).values())
    # at most the pages fetched but not yet stored when the kill came are fetched twice
    assert len(again) <= TOOLS * PAGES_PER_TOOL - len(stored_before)
    assert fetched_before + len(again) >= TOOLS * PAGES_PER_TOOL
    stored = query(db_path, "SELECT url FROM pages")
    assert len(stored) == TOOLS * PAGES_PER_TOOL  # nothing queued was lost
    assert summary["status"] == "finished" and summary["pages"] == TOOLS * PAGES_PER_TOOL
    assert summary["failed"] == {}
    (run,) = query(db_path, "SELECT status, stats FROM crawl_runs")
    assert run[0] == "finished" and json.loads(run[1])["pages"] == TOOLS * PAGES_PER_TOOL
    assert not db_path.with_name(db_path.name + ".crawl-job").exists()


def test_two_crawls_started_together_one_runs_one_is_refused(edcat, tmp_path, db_path):
    with tool_sites(SiteState(delay=0.1)) as site:
        homes = [f"http://127.0.0.1:{site.server_port}/t{n}/" for n in range(2)]
        import_tools(edcat, tmp_path, homes)
        first, second = (start_crawl(db_path, "--all", *FAST) for _ in range(2))
        results = [(p, *p.communicate(timeout=120)) for p in (first, second)]
    (winner, won_out, _), = [r for r in results if r[0].returncode == 0]
    (loser, _, lost_err), = [r for r in results if r[0].returncode != 0]
    assert lost_err.strip().splitlines()[-1] == (
        f"error: another crawl (process {winner.pid}) is running on this catalogue; "
        "wait for it to end or stop it"
    )
    assert json.loads(won_out)["pages"] == 2 * PAGES_PER_TOOL
    assert [status for (status,) in query(db_path, "SELECT status FROM crawl_runs")] == [
        "finished"
    ]
    assert Counter(site.pages()).most_common(1)[0][1] == 1  # no page fetched twice


def crawl_beside_a_write_lock(edcat, tmp_path, db: Path, site, hold: float, *args: str):
    """A crawl of the tools of `site` with the short write retry; once it has stored its
    first pages another process takes the write lock for `hold` seconds. Returns the crawl,
    the lock's holder and how many pages were fetched before the lock was taken."""
    homes = [f"http://127.0.0.1:{site.server_port}/t{n}/" for n in range(TOOLS)]
    import_tools(edcat, tmp_path, homes)
    crawl = start_crawl(db, "--all", *FAST, "--set", "EDCAT_STORE_SECONDS=0.1", *args,
                        command=SHORT_WRITE_RETRY)  # fmt: skip
    wait_for(lambda: query(db, "SELECT count(*) FROM pages")[0][0] > 0, 60,
             "the first pages stored")  # fmt: skip
    fetched = len(site.pages())
    return crawl, hold_write_lock(db, hold), fetched


def test_a_crawl_waits_out_a_write_lock_longer_than_its_retries_and_stores_every_page(
    edcat, tmp_path, db_path
):
    with tool_sites(SiteState(delay=0.05)) as site:
        crawl, holder, held_from = crawl_beside_a_write_lock(
            edcat, tmp_path, db_path, site, 4,  # 16 times the crawl's whole write retry
            "--set", "EDCAT_STORE_PATIENCE=60",
        )  # fmt: skip
        holder.wait(timeout=30)
        fetched_while_locked = len(site.pages()) - held_from
        out, err = crawl.communicate(timeout=120)
    assert crawl.returncode == 0, err
    summary = json.loads(out)
    assert summary["status"] == "finished", err
    assert summary["failed"] == {} and summary["pages"] == TOOLS * PAGES_PER_TOOL
    assert len(query(db_path, "SELECT url FROM pages")) == TOOLS * PAGES_PER_TOOL
    assert fetched_while_locked > 0  # fetching went on while the pages waited
    waits = [line for line in err.splitlines() if "another process is writing" in line]
    assert len(waits) == 1, err  # the crawl met the lock, and said so once (at LOG_LEVEL=ERROR)
    (run,) = query(db_path, "SELECT status FROM crawl_runs")
    assert run == ("finished",)


def test_a_crawl_out_of_patience_stops_in_one_line_and_resume_stores_every_page(
    edcat, tmp_path, db_path
):
    with tool_sites(SiteState(delay=0.05)) as site:
        crawl, holder, _ = crawl_beside_a_write_lock(  # held past the patience and the close
            edcat, tmp_path, db_path, site, 5, "--set", "EDCAT_STORE_PATIENCE=1"
        )
        out, err = crawl.communicate(timeout=120)
        stopped = json.loads(out)
        holder.wait(timeout=30)
        resumed = start_crawl(db_path, "--resume", *FAST)
        again, resume_err = resumed.communicate(timeout=120)
    assert crawl.returncode == 0, err
    log = " ".join(err.split())  # the log wraps long lines
    assert log.count("stopping the crawl") == 1
    assert "longer than the crawl's patience (EDCAT_STORE_PATIENCE=1)" in log
    assert "Traceback" not in err
    assert stopped["status"] == "interrupted" and stopped["resumable"]
    assert stopped["pages"] < TOOLS * PAGES_PER_TOOL
    assert resumed.returncode == 0, resume_err
    summary = json.loads(again)
    assert summary["status"] == "finished" and summary["failed"] == {}
    assert summary["pages"] == TOOLS * PAGES_PER_TOOL  # the locked-out pages fetched again
    assert len(query(db_path, "SELECT url FROM pages")) == TOOLS * PAGES_PER_TOOL
    assert query(db_path, "SELECT status FROM crawl_runs") == [("finished",)]
