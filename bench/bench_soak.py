"""Soak: N reader and N writer processes on one catalogue for a fixed time; nothing may be lost.

    python -m bench.bench_soak [--readers 3] [--writers 3] [--seconds 20] [--tools 300]

Writers cycle through the catalogue's real write paths, each a separate transaction: crawl
pages (`record_pages`, as the crawl pipeline stores a batch), DPIA reviews (`review_answer`),
labels (`add_labels`) and one-row tool imports (`import_tools`). A writer notes a write's key
only after the function returned, that is after its commit; at the end every noted key must
be in the catalogue. Readers run `tools list` style queries, searches and risk cards. Prints
operations per second by kind, errors and lost writes; exits 1 if anything was lost.

The same workers serve tests/test_concurrency.py (`--worker KIND`), writing during a crawl.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

WRITE_KINDS = ("pages", "review", "label", "import")
PAGES_PER_WRITE = 10


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv if argv is not None else sys.argv[1:])
    if args.worker:
        result = run_worker(Path(args.db), args.worker, args.seconds, args.index, args.stop_file)
        print(json.dumps(result))
        return 0
    with tempfile.TemporaryDirectory() as folder:
        db = Path(args.db) if args.db else Path(folder) / "soak.db"
        prepare_catalogue(db, args.tools, Path(folder))
        report = soak(db, args.readers, args.writers, args.seconds)
    print_report(report, args)
    return 1 if report["lost"] else 0


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=3)
    parser.add_argument("--writers", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--tools", type=int, default=300)
    parser.add_argument("--db", help="catalogue to soak (default: a new temporary one)")
    parser.add_argument("--worker", choices=(*WRITE_KINDS, "read"), help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--stop-file", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def prepare_catalogue(db: Path, tools: int, folder: Path) -> None:
    """A catalogue of `tools` generated tools, each with a home page."""
    from catalogue import import_tools, open_catalogue

    rows = ["name,url,description"] + [
        f"Soak tool {n},https://soak-{n}.example/,Generated tool {n} for maths and reading"
        for n in range(tools)
    ]
    source = folder / "soak-tools.csv"
    source.write_text("\n".join(rows) + "\n")
    catalogue = open_catalogue(db, create=True)
    try:
        import_tools(catalogue, source)
    finally:
        catalogue.close()


def soak(db: Path, readers: int, writers: int, seconds: float) -> dict:
    """Run the processes; return counts by kind, errors and the writes that went missing."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(readers + writers) as pool:
        jobs = [("read", n) for n in range(readers)]
        jobs += [(WRITE_KINDS[n % len(WRITE_KINDS)], n) for n in range(writers)]
        results = pool.starmap(run_worker, [(db, kind, seconds, n, None) for kind, n in jobs])
    done, errors = Counter(), Counter()
    written: dict[str, list[str]] = {kind: [] for kind in WRITE_KINDS}
    for (kind, _), result in zip(jobs, results, strict=True):
        done[kind] += result["done"]
        errors.update(result["errors"])
        written.get(kind, []).extend(result.get("keys", []))
    lost = missing_writes(db, written)
    return {"done": dict(done), "errors": dict(errors), "lost": lost, "seconds": seconds}


def run_worker(
    db: Path, kind: str, seconds: float, index: int, stop_file: str | None = None
) -> dict:
    """One process's loop: do `kind` operations until `seconds` pass (or `stop_file` exists).
    Returns {"done": n, "errors": {message: n}, "keys": [one per committed write]}."""
    from catalogue import open_catalogue

    catalogue = open_catalogue(db)
    operation = _read_once if kind == "read" else WRITERS[kind]
    deadline = time.monotonic() + seconds
    done, errors, keys = 0, Counter(), []
    try:
        while time.monotonic() < deadline and not (stop_file and Path(stop_file).exists()):
            key = f"w{index}-{kind}-{done + sum(errors.values())}"
            try:
                operation(catalogue, key, done)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                errors[f"{type(exc).__name__}: {str(exc)[:120]}"] += 1
                continue
            done += 1
            if kind != "read":
                keys.append(key)
    finally:
        catalogue.close()
    return {"done": done, "errors": dict(errors), "keys": keys}


def _tool_count(catalogue) -> int:
    from catalogue.db import execute_sql

    return execute_sql(catalogue, "SELECT max(id) FROM tools")[0][0]


def _write_pages(catalogue, key: str, n: int) -> None:
    from catalogue.store import PageRecord, record_pages

    tool_id = 1 + n % min(_tool_count(catalogue), 50)
    records = [
        (tool_id, PageRecord(url=f"https://soak.example/{key}/{p}", text=f"page {p} of {key}"), [])
        for p in range(PAGES_PER_WRITE)
    ]
    record_pages(catalogue, records)


def _write_review(catalogue, key: str, n: int) -> None:
    from catalogue.risk import review_answer

    tool_id = 1 + n % min(_tool_count(catalogue), 50)
    review_answer(catalogue, tool_id, 1 + n % 7, f"answer {key}", reviewer="soak")


def _write_label(catalogue, key: str, n: int) -> None:
    from catalogue.store import LabelRecord, add_labels

    label = ("teaching-learning", "workflow-productivity")[n % 2]
    tool_id = 1 + n % min(_tool_count(catalogue), 50)
    add_labels(catalogue, [LabelRecord("purpose", label, tool_id=tool_id, note=key)])


def _write_import(catalogue, key: str, n: int) -> None:
    from catalogue import import_tools

    source = Path(tempfile.gettempdir()) / f"edcat-soak-{key}.csv"
    source.write_text(f"name,url,description\n{key},https://{key}.example/,Imported {key}\n")
    try:
        import_tools(catalogue, source)
    finally:
        source.unlink(missing_ok=True)


WRITERS = {
    "pages": _write_pages,
    "review": _write_review,
    "label": _write_label,
    "import": _write_import,
}


def _read_once(catalogue, _key: str, n: int) -> None:
    from catalogue import ToolQuery, query_tools
    from catalogue.risk import risk_card

    query_tools(catalogue, ToolQuery(search="maths", limit=20))
    query_tools(catalogue, ToolQuery(sort="name", limit=50))
    risk_card(catalogue, 1 + n % min(_tool_count(catalogue), 50))


# Where each kind's key is stored, so a committed write can be found again.
KEY_QUERIES = {
    "pages": "SELECT url FROM pages WHERE url LIKE 'https://soak.example/%'",
    "review": "SELECT substr(answer, 8) FROM reviews WHERE answer LIKE 'answer %'",
    "label": "SELECT note FROM labels WHERE note IS NOT NULL",
    "import": "SELECT name FROM tools",
}


def missing_writes(db: Path, written: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per kind, the keys a writer saw committed that the catalogue does not hold (for pages:
    a write whose every one of its PAGES_PER_WRITE pages is not there)."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        stored = {kind: [r[0] for r in conn.execute(sql)] for kind, sql in KEY_QUERIES.items()}
    finally:
        conn.close()
    page_counts = Counter(url.split("/")[3] for url in stored.pop("pages"))
    present = {kind: set(values) for kind, values in stored.items()}
    present["pages"] = {key for key, count in page_counts.items() if count == PAGES_PER_WRITE}
    missing = {kind: sorted(set(keys) - present[kind]) for kind, keys in written.items()}
    return {kind: keys for kind, keys in missing.items() if keys}


def print_report(report: dict, args: argparse.Namespace) -> None:
    seconds = report["seconds"]
    print(
        f"soak: {args.readers} readers, {args.writers} writers, {seconds:g} s, {args.tools} tools"
    )
    for kind, count in sorted(report["done"].items()):
        unit = f" ({count * PAGES_PER_WRITE} pages)" if kind == "pages" else ""
        print(f"  {kind:<7} {count:>7} operations{unit}  {count / seconds:8.1f}/s")
    errors = sum(report["errors"].values())
    print(f"  errors  {errors:>7}")
    for message, count in report["errors"].items():
        print(f"    {count} x {message}")
    lost = sum(len(keys) for keys in report["lost"].values())
    print(f"  lost    {lost:>7}" + (f"  {report['lost']}" if lost else "  (the bar: zero)"))


if __name__ == "__main__":
    sys.exit(main())
