"""`make demo` in a reduced form: the same code path (cli/demo.py) on a small seed, with the
bundled archive and the shipped model, so the demo cannot silently rot."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from tests.conftest import REPO, TOOLS


def test_demo_runs_every_step_offline(tmp_path):
    db = tmp_path / "demo.db"
    result = subprocess.run(
        [sys.executable, "-m", "cli.demo", "--db", str(db), "--seed", str(TOOLS / "small.jsonl")],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "120", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for step in range(1, 12):
        assert f"{step}. " in out, f"step {step} missing"
    assert "9 of 9 tools visited" in out  # every archived site replayed, none from the network
    assert "DPIA" in out and "ask the supplier" in out
    with sqlite3.connect(db) as conn:
        pages = conn.execute(
            "SELECT count(*) FROM pages WHERE url LIKE 'https://www.sugarlabs.org/%'"
        )
        assert pages.fetchone()[0] >= 5
        tagged = conn.execute("SELECT count(DISTINCT tool_id) FROM classifications").fetchone()[0]
        assert tagged == conn.execute("SELECT count(*) FROM tools").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM shortlist_tools").fetchone()[0] == 2
    assert (tmp_path / "edcat-export.parquet").exists()
    assert (tmp_path / "edcat-export.dictionary.md").exists()
