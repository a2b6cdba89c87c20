"""Cost as the catalogue grows: the same work at 100,000 tools as in a small catalogue.

    python -m bench.bench_scale [--tools 100000] [--sites 100] [--repeat 9]
                                [--parts queries,export,crawl] [--reuse CATALOGUE]

One catalogue of generated tools (bench.bench_catalogue: 10 facts each, a prediction on both
dimensions) is built, then, each against a baseline measured in the same run:

- crawl: `edcat crawl` of SITES local sites (bench.bench_crawl's pages, politeness delays 0)
  into that catalogue, against the same crawl into an empty one (aim: within 1.3x);
- list and search: `query_tools` plus `count_tools` (what `edcat tools list` runs for
  "N of M") against the same SQL and a count run through plain sqlite3 (aim: within 2x);
- export: `edcat export --format parquet` against a plain sqlite3 + pyarrow script writing
  the same tools with their tags, one column per fact field and the facts as JSON (not the
  DPIA answers, label details or evidence terms, which need edcat's code), each in its own
  process, in turn, best of --export-repeat: wall and CPU time and peak resident memory of
  that process (aim: under 400 MB, within 2x of the plain writer).
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_catalogue import CASES, add_classifications, generate, median_ms
from bench.bench_crawl import BENCH_SETTINGS, start_servers, tool_urls

# Hand-written counts for bench_catalogue.CASES: the plain baseline of "N of M".
TAG_JOIN = (
    "LEFT JOIN labels lp ON lp.tool_id = t.id AND lp.dimension = '{d}' AND lp.is_current = 1 "
    "LEFT JOIN classifications cp ON cp.tool_id = t.id AND cp.dimension = '{d}' "
    "AND cp.is_current = 1 "
)
TAG = (
    "coalesce(lp.label, CASE WHEN cp.uncertain THEN 'uncertain' ELSE cp.label END, 'unclassified')"
)
FACT = "t.id IN (SELECT tool_id FROM facts WHERE field = ? AND value = ? AND retracted_at IS NULL)"
SEARCH = "JOIN (SELECT rowid FROM tools_fts WHERE tools_fts MATCH '{m}') s ON s.rowid = t.id "
PURPOSE_JOIN, PEDAGOGY_JOIN = TAG_JOIN.format(d="purpose"), TAG_JOIN.format(d="pedagogy")
COUNTS = [
    f"SELECT count(*) FROM tools t {PURPOSE_JOIN} WHERE {TAG} = 'teaching-learning' "
    f"AND {FACT} AND {FACT}",
    f"SELECT count(*) FROM tools t {PEDAGOGY_JOIN} WHERE {TAG} = 'social-constructivist' "
    f"AND CASE WHEN lp.label IS NOT NULL THEN 1.0 ELSE cp.confidence END >= 0.8 "
    f"AND {FACT} AND {FACT}",
    "SELECT count(*) FROM tools t " + SEARCH.format(m='"adaptive" AND "phonics"*'),
    f"SELECT count(*) FROM tools t {PURPOSE_JOIN}"
    + SEARCH.format(m='"debate"*')
    + f"WHERE {TAG} = 'teaching-learning' AND {FACT}",
]

PEAK_RSS = """
import os
from pathlib import Path
peak = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM"))
times = os.times()
print(times.user + times.system, int(peak.split()[1]) / 1024)
"""
PLAIN_EXPORT = (
    """
import sqlite3, sys
import pyarrow as pa, pyarrow.parquet as pq
FACT_FIELDS = sys.argv[3].split(",")
conn = sqlite3.connect(sys.argv[1])
fact = lambda f: (f"(SELECT group_concat(value, '; ') FROM facts WHERE tool_id = t.id "
                  f"AND field = '{f}' AND retracted_at IS NULL)")
tag = lambda d: (f"(SELECT label FROM classifications WHERE tool_id = t.id AND dimension = '{d}' "
                 f"AND is_current = 1)")
sql = ("SELECT t.id, t.name, t.slug, t.homepage, t.domain, t.category, t.description, "
       "t.first_seen, t.updated_at, t.provenance, " + tag("purpose") + ", " + tag("pedagogy") +
       "".join(", " + fact(f) for f in FACT_FIELDS) +
       "".join(", " + fact(f) for f in FACT_FIELDS) +
       ", (SELECT json_group_array(json_object('field', field, 'value', value, 'evidence', "
       "evidence, 'source_url', source_url, 'observed_at', observed_at)) FROM facts "
       "WHERE tool_id = t.id AND retracted_at IS NULL) FROM tools t "
       "ORDER BY t.name COLLATE NOCASE, t.id")
names = ["id", "name", "slug", "homepage", "domain", "category", "description", "first_seen",
         "updated_at", "provenance_json", "purpose", "pedagogy",
         *[f"fact_{f}" for f in FACT_FIELDS], "facts_json"]
schema = pa.schema([(n, pa.int64() if n == "id" else pa.string()) for n in names])
cursor = conn.execute(sql)
with pq.ParquetWriter(sys.argv[2], schema) as writer:
    while rows := cursor.fetchmany(1000):
        columns = list(zip(*rows))
        writer.write_batch(pa.RecordBatch.from_arrays(
            [pa.array(c, type=f.type) for c, f in zip(columns, schema)], schema=schema))
"""
    + PEAK_RSS
)
EDCAT_EXPORT = (
    """
import sys
from catalogue import open_catalogue
from catalogue.export import export_catalogue
export_catalogue(open_catalogue(sys.argv[1]), sys.argv[2], "parquet")
"""
    + PEAK_RSS
)


def build_catalogue(path: Path, tools: int, workdir: Path) -> None:
    from catalogue import import_tools, open_catalogue

    data = workdir / "tools.jsonl"
    generate(data, tools, 10)
    catalogue = open_catalogue(path, create=True)
    import_tools(catalogue, data)
    catalogue.close()
    add_classifications(path)
    data.unlink()


def add_sites(path: Path, homes: list[str], workdir: Path) -> list[int]:
    """Import the local sites as tools; their ids."""
    from catalogue import import_tools, open_catalogue

    sites = workdir / "sites.csv"
    with sites.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "url"])
        writer.writerows([f"Local site {n}", url] for n, url in enumerate(homes))
    catalogue = open_catalogue(path, create=True)
    ids = import_tools(catalogue, sites).tool_ids
    catalogue.close()
    return ids


def crawl_seconds(db: Path, ids: list[int]) -> tuple[float, int]:
    sets = [arg for k, v in BENCH_SETTINGS.items() for arg in ("--set", f"{k}={v}")]
    tools = [arg for tool_id in ids for arg in ("--tool", str(tool_id))]
    result = subprocess.run(
        [sys.executable, "-m", "cli", "--db", str(db), "crawl", "--allow-private",
         "--format", "json", *tools, *sets],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    summary = json.loads(result.stdout)
    return summary["elapsed_seconds"], summary["pages"]


def bench_crawl(big: Path, workdir: Path, sites: int, repeat: int) -> None:
    server, hosts = start_servers(10)
    try:
        homes = tool_urls(hosts, sites)
        results: dict[str, list[tuple[float, int]]] = {"empty": [], "100k": []}
        templates = {"empty": workdir / "empty.db", "100k": big}
        ids = {name: add_sites(path, homes, workdir) for name, path in templates.items()}
        for _ in range(repeat):
            for name, template in templates.items():
                copy = workdir / f"crawl-{name}.db"
                shutil.copy(template, copy)
                results[name].append(crawl_seconds(copy, ids[name]))
                copy.unlink()
    finally:
        server.terminate()
    best = {name: min(runs) for name, runs in results.items()}
    for name, (seconds, pages) in best.items():
        print(f"crawl {sites} sites into the {name:5} catalogue: {pages} pages in {seconds:.2f} s")
    print(f"ratio {best['100k'][0] / best['empty'][0]:.2f}x (aim: within 1.3x)")


def bench_queries(db: Path, repeat: int) -> None:
    from catalogue import ToolQuery, count_tools, open_catalogue, query_tools

    catalogue = open_catalogue(db)
    conn = sqlite3.connect(db)

    def edcat(query: ToolQuery):
        rows = query_tools(catalogue, query)
        return rows, count_tools(catalogue, query, len(rows))

    def plain(sql: str, count_sql: str, params: tuple):
        rows = conn.execute(sql, params).fetchall()
        return rows, conn.execute(count_sql, params[: count_sql.count("?")]).fetchone()[0]

    print(f"\n{'list + count':45} {'edcat ms':>9} {'plain ms':>9} {'ratio':>6} {'count':>6}")
    for (name, query, sql, params), count_sql in zip(CASES, COUNTS, strict=True):
        edcat_ms, _ = median_ms(lambda q=query: edcat(q), repeat)
        plain_ms, _ = median_ms(lambda s=sql, c=count_sql, p=params: plain(s, c, p), repeat)
        count, plain_count = edcat(query)[1], plain(sql, count_sql, params)[1]
        flag = "" if count == plain_count else f"  (plain counted {plain_count})"
        print(f"{name:45} {edcat_ms:9.2f} {plain_ms:9.2f} {edcat_ms / plain_ms:6.2f} "
              f"{count:6}{flag}")  # fmt: skip
    conn.close()
    catalogue.close()


def run_measured(script: str, *args: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak resident MB (the process's own VmHWM, which, unlike
    a child's ru_maxrss, does not start from the parent's size) of a Python process running
    `script`."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", script, *args], check=True,
                            capture_output=True, text=True)  # fmt: skip
    cpu, peak = result.stdout.split()[-2:]
    return time.perf_counter() - started, float(cpu), float(peak)


def bench_export(db: Path, workdir: Path, repeat: int) -> None:
    """edcat's export and the plain writer, run in turn `repeat` times: the best time of each
    (on a shared machine the slowest runs measure the other jobs) and the highest peak."""
    from catalogue.vocabulary import FACT_FIELDS

    fields = ",".join(FACT_FIELDS)
    runs: dict[str, list[tuple[float, float, float]]] = {"edcat": [], "plain": []}
    for _ in range(repeat):
        runs["edcat"].append(run_measured(EDCAT_EXPORT, str(db), str(workdir / "edcat.parquet")))
        runs["plain"].append(
            run_measured(PLAIN_EXPORT, str(db), str(workdir / "plain.parquet"), fields)
        )
    (edcat_s, edcat_cpu, edcat_mb), (plain_s, plain_cpu, plain_mb) = (
        (
            min(r[0] for r in runs[name]),
            min(r[1] for r in runs[name]),
            max(r[2] for r in runs[name]),
        )
        for name in ("edcat", "plain")
    )
    print(f"\nexport parquet (best of {repeat}): edcat {edcat_s:.1f} s ({edcat_cpu:.1f} s CPU), "
          f"peak {edcat_mb:.0f} MB; plain sqlite3 + pyarrow {plain_s:.1f} s ({plain_cpu:.1f} s "
          f"CPU), peak {plain_mb:.0f} MB; ratio {edcat_s / plain_s:.2f}x time, "
          f"{edcat_cpu / plain_cpu:.2f}x CPU (aim: within 2x, under 400 MB)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=9, help="query repeats (median)")
    parser.add_argument("--crawl-repeat", type=int, default=2, help="crawls each (best)")
    parser.add_argument("--export-repeat", type=int, default=3, help="exports each (best)")
    parser.add_argument("--parts", default="queries,export,crawl", help="which to run")
    parser.add_argument("--reuse", type=Path, help="a catalogue this benchmark built before")
    args = parser.parse_args()
    parts = args.parts.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        big = workdir / "big.db"
        started = time.perf_counter()
        if args.reuse:
            shutil.copy(args.reuse, big)
        else:
            build_catalogue(big, args.tools, workdir)
        print(f"built a catalogue of {args.tools:,} tools with {args.tools * 10:,} facts "
              f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
        if "queries" in parts:
            bench_queries(big, args.repeat)
        if "export" in parts:
            bench_export(big, workdir, args.export_repeat)
        if "crawl" in parts:
            bench_crawl(big, workdir, args.sites, args.crawl_repeat)


if __name__ == "__main__":
    main()
