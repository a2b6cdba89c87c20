"""`make demo` in a reduced form: the same code path (cli/demo.py) on a small seed, with the
bundled archive and the shipped model, so the demo cannot silently rot."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from catalogue import open_catalogue
from classifier.labels import suggest
from cli.demo import ARCHIVE, ARCHIVE_TOOLS, LABELS, SEED, archived_tool_ids, import_steps, run
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
    assert "2b. Import the shipped hand labels" in out
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
        labels = conn.execute("SELECT count(*) FROM labels WHERE is_current").fetchone()[0]
        labelled = {r[0] for r in conn.execute("SELECT tool_id FROM labels WHERE is_current")}
    assert labels > 700 and f"{labels} labels" in out  # `edcat info` in step 5 shows them
    desmos = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "cli",
                "--db",
                str(db),
                "tools",
                "list",
                "--search",
                "desmos",
                "--format",
                "json",
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            check=True,
        ).stdout
    )[0]
    # a hand-labelled tool shows the person's label, not the model's tag
    assert (desmos["purpose_source"], desmos["pedagogy_source"]) == ("label", "label")
    catalogue = open_catalogue(db)
    try:
        _, suggestions = suggest(catalogue, n=50)
    finally:
        catalogue.close()
    assert suggestions and not {s.tool_id for s in suggestions} & labelled
    assert (tmp_path / "edcat-export.parquet").exists()
    assert (tmp_path / "edcat-export.dictionary.md").exists()


def test_the_archive_updates_seed_tools_and_the_labels_reach_them(tmp_path, edcat):
    """On the full bundled seed: the archive's sites (edX at www.edx.org/ while the seed has
    www.edx.org/professional-certificate) are updated, not added, and replaying them adds no
    tool; every starter label row finds its tool or is kept as free text."""
    db = tmp_path / "demo.db"
    for step in import_steps(SEED, ARCHIVE_TOOLS, LABELS):
        run(db, step)
    with sqlite3.connect(db) as conn:
        tools = conn.execute("SELECT count(*) FROM tools").fetchone()[0]
        edx = conn.execute("SELECT id, homepage FROM tools WHERE name = 'edX'").fetchall()
    seed_tools = len(SEED.read_text(encoding="utf-8").splitlines())
    assert tools == seed_tools + 1  # only Sugar Labs is new
    assert [homepage for _, homepage in edx] == ["https://www.edx.org/"]
    ids = archived_tool_ids(db, ARCHIVE_TOOLS)
    assert str(edx[0][0]) in ids and len(ids) == 9
    edcat("crawl", "--replay", str(ARCHIVE), "--tool", str(edx[0][0]), db=db)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM tools").fetchone()[0] == tools
        pages = conn.execute("SELECT count(*) FROM pages WHERE tool_id = ?", (edx[0][0],))
        assert pages.fetchone()[0] >= 1
