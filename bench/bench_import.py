"""Import benchmark: `edcat tools import` time and peak memory, flat in the number of rows.

    python -m bench.bench_import [--sizes 10000,100000] [--facts-per-tool 10]

Generated JSON Lines files (bench.bench_catalogue's tools, 10 facts each) are imported, each
in a process of its own, into an empty catalogue and into one already holding as many tools as
the largest file (different tools), and the largest catalogue's own file is imported into it
again (every row matches a stored tool). The baseline, run alongside on the same files, is a
plain sqlite3 script streaming the same rows into the same schema with `executemany` in chunks
of 1,000 inside one transaction. Each line prints wall time and peak resident memory (VmHWM),
and the last lines the ratio of peak memory at the largest size to the smallest (flat: ~1x).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

from bench.bench_catalogue import generate
from bench.bench_scale import PEAK_RSS, run_measured

EDCAT_IMPORT = (
    """
import sys
from catalogue import import_tools, open_catalogue
import_tools(open_catalogue(sys.argv[1], create=True), sys.argv[2])
"""
    + PEAK_RSS
)
# Streams the rows: what a writer flat in memory costs with sqlite3 alone (no validation,
# matching, slugs or search-index text beyond name and description).
PLAIN_IMPORT = (
    """
import itertools, json, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
next_id = conn.execute("SELECT coalesce(max(id), 0) FROM tools").fetchone()[0] + 1
with open(sys.argv[2], encoding="utf-8") as lines:
    while chunk := [json.loads(line) for line in itertools.islice(lines, 1000)]:
        ids = range(next_id, next_id + len(chunk))
        next_id += len(chunk)
        conn.executemany(
            "INSERT INTO tools (id, slug, name, identity_key, homepage, domain, description, "
            "category, provenance, first_seen, updated_at) VALUES (?,?,?,?,?,?,?,?,'[]',"
            "datetime('now'),datetime('now'))",
            [(i, f"plain-{i}", r["name"], r["url"], r["url"], r["url"][8:-1], r["description"],
              r["category"]) for i, r in zip(ids, chunk)])
        conn.executemany(
            "INSERT INTO facts (tool_id, field, value, evidence, source_url, origin, "
            "first_observed_at, observed_at) VALUES (?,?,?,?,?,'import',datetime('now'),"
            "datetime('now'))",
            list({(i, f["field"], f["value"]): (i, f["field"], f["value"], f["evidence"],
                   f["source_url"]) for i, r in zip(ids, chunk) for f in r["facts"]}.values()))
        conn.executemany(
            "INSERT INTO tools_fts(rowid, name, description, page_text) VALUES (?,?,?,'')",
            [(i, r["name"], r["description"]) for i, r in zip(ids, chunk)])
conn.execute("COMMIT")
"""
    + PEAK_RSS
)


def other_tools(source: Path, target: Path) -> None:
    """`source`'s rows as different tools (other names and homepages), for a full catalogue
    that the imported files add to rather than update."""
    with source.open(encoding="utf-8") as rows, target.open("w", encoding="utf-8") as out:
        for line in rows:
            record = json.loads(line)
            record["name"] = "Stock " + record["name"]
            record["url"] = record["url"].replace("https://tool", "https://stock")
            out.write(json.dumps(record) + "\n")


def measure(
    label: str, template: Path | None, data: Path, workdir: Path, baseline: bool = True
) -> dict[str, float]:
    """Run edcat's import and (with `baseline`) the plain one on copies of `template` (None: a
    new catalogue); print and return their figures. edcat's catalogue is left at last.db."""
    figures = {"plain_s": float("nan"), "plain_mb": float("nan")}
    scripts = (
        {"edcat": EDCAT_IMPORT, "plain": PLAIN_IMPORT} if baseline else {"edcat": EDCAT_IMPORT}
    )
    for name, script in scripts.items():
        db = workdir / f"{name}.db"
        db.unlink(missing_ok=True)
        if template is not None:
            shutil.copy(template, db)
        elif name == "plain":  # the same empty schema edcat makes
            from catalogue import open_catalogue

            open_catalogue(db, create=True).close()
        figures[f"{name}_s"], figures[f"{name}_mb"] = run_measured(script, str(db), str(data))
    shutil.move(workdir / "edcat.db", workdir / "last.db")
    print(
        f"{label:34} {figures['edcat_s']:7.1f} {figures['edcat_mb']:7.0f} "
        f"{figures['plain_s']:7.1f} {figures['plain_mb']:7.0f} "
        f"{figures['edcat_s'] / figures['plain_s']:6.2f}x",
        flush=True,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="rows per file, smallest first")
    parser.add_argument("--facts-per-tool", type=int, default=10)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        files = {}
        for size in sizes:
            files[size] = workdir / f"tools-{size}.jsonl"
            generate(files[size], size, args.facts_per_tool)
        stock = workdir / "stock.jsonl"
        other_tools(files[sizes[-1]], stock)
        full = workdir / "full.db"
        print(f"{'':34} {'edcat s':>7} {'MB':>7} {'plain s':>7} {'MB':>7} {'time':>7}")
        peaks: dict[str, list[float]] = {"empty": [], "full": []}
        for size in sizes[:-1]:
            figures = measure(f"{size:,} rows into empty", None, files[size], workdir)
            peaks["empty"].append(figures["edcat_mb"])
        largest = measure(f"{sizes[-1]:,} rows into empty", None, stock, workdir)
        peaks["empty"].append(largest["edcat_mb"])
        shutil.move(workdir / "last.db", full)
        for size in sizes:
            label = f"{size:,} rows into {sizes[-1]:,} tools"
            peaks["full"].append(measure(label, full, files[size], workdir)["edcat_mb"])
        # No plain baseline: its rows would clash with the stored ones.
        measure(f"re-import of its {sizes[-1]:,} rows", full, stock, workdir, baseline=False)
        for name, values in peaks.items():
            print(
                f"peak memory at {sizes[-1]:,} rows / at {sizes[0]:,} rows, into {name}: "
                f"{values[-1] / values[0]:.2f}x"
            )


if __name__ == "__main__":
    sys.exit(main())
