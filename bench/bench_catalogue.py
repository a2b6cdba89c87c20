"""Catalogue benchmark: 100,000 generated tools and 1,000,000 facts.

    python -m bench.bench_catalogue [--tools 100000] [--facts-per-tool 10] [--repeat 15]

Measures, in the same run and on the same data:
- import rate: `edcat tools import` (validation, upsert, facts, search index) against plain
  `sqlite3.executemany` inserting the same rows into an identical schema;
- median latency of typical filtered lists and full-text searches through `query_tools` (the
  function behind `edcat tools list`) against hand-written SQL run with plain `sqlite3`.
Prints each figure and the ratio edcat / plain. Aim: queries within 2x and under 50 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from catalogue import ToolQuery, import_tools, open_catalogue, query_tools
from catalogue.vocabulary import AUDIENCES, PHASES, PRICING_MODELS

WORDS = (
    "adaptive maths reading quiz tutor collaborate discussion board phonics coding science "
    "feedback marking report timetable parents attendance lesson planning worksheet history "
    "geography simulation graphing flashcards spelling writing essay debate portfolio video "
    "assessment analytics safeguarding wellbeing language vocabulary revision homework"
).split()
FACT_VALUES = {
    "audience": AUDIENCES,
    "phase": PHASES,
    "pricing_model": PRICING_MODELS,
    "gdpr": ("yes",),
    "ai_provider": ("openai", "anthropic", "google", "meta", "mistral"),
    "integration": ("google-classroom", "microsoft-teams", "clever", "lti", "sso"),
}


def generate(path: Path, tools: int, facts_per_tool: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    fields = list(FACT_VALUES)
    with path.open("w", encoding="utf-8") as handle:
        for n in range(tools):
            facts = []
            for _ in range(facts_per_tool):
                field = rng.choice(fields)
                facts.append(
                    {
                        "field": field,
                        "value": rng.choice(FACT_VALUES[field]),
                        "evidence": "generated",
                        "source_url": f"https://t{n}.example/",
                    }
                )
            record = {
                "name": f"Tool {n} " + " ".join(rng.choices(WORDS, k=2)).title(),
                "url": f"https://tool{n}.example/",
                "description": " ".join(rng.choices(WORDS, k=20)),
                "category": rng.choice(WORDS),
                "facts": facts,
            }
            handle.write(json.dumps(record) + "\n")


def plain_import(path: Path, db: Path) -> float:
    """Insert the same rows with sqlite3 alone, one transaction, into an identical schema."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8")]
    started = time.perf_counter()
    conn = sqlite3.connect(db)
    with conn:
        conn.executemany(
            "INSERT INTO tools (slug, name, identity_key, homepage, domain, description, "
            "category, provenance, first_seen, updated_at) VALUES (?,?,?,?,?,?,?,'[]',"
            "datetime('now'),datetime('now'))",
            [
                (
                    f"t{n}",
                    r["name"],
                    r["url"],
                    r["url"],
                    r["url"][8:-1],
                    r["description"],
                    r["category"],
                )
                for n, r in enumerate(rows)
            ],
        )
        seen, facts = set(), []
        for n, r in enumerate(rows, start=1):
            for f in r["facts"]:
                if (n, f["field"], f["value"]) not in seen:
                    seen.add((n, f["field"], f["value"]))
                    facts.append((n, f["field"], f["value"], f["evidence"], f["source_url"]))
        conn.executemany(
            "INSERT INTO facts (tool_id, field, value, evidence, source_url, origin, "
            "first_observed_at, observed_at) VALUES (?,?,?,?,?,'import',datetime('now'),"
            "datetime('now'))",
            facts,
        )
        conn.execute(
            "INSERT INTO tools_fts(rowid, name, description, page_text) "
            "SELECT id, name, description, '' FROM tools"
        )
    conn.close()
    return time.perf_counter() - started


def add_classifications(db: Path, seed: int = 2) -> None:
    """Give every tool a current prediction on both dimensions (setup, not measured)."""
    rng = random.Random(seed)
    conn = sqlite3.connect(db)
    ids = [r[0] for r in conn.execute("SELECT id FROM tools")]
    purposes = ("teaching-learning", "workflow-productivity")
    pedagogies = ("behaviourist", "individual-constructivist", "social-constructivist", "none")
    with conn:
        conn.executemany(
            "INSERT INTO classifications (tool_id, dimension, label, confidence, uncertain, "
            "probabilities, evidence, model_version, created_at, is_current) "
            "VALUES (?,?,?,?,0,'{}','[]','bench',datetime('now'),1)",
            [
                row
                for tid in ids
                for row in (
                    (tid, "purpose", rng.choice(purposes), rng.uniform(0.4, 1.0)),
                    (tid, "pedagogy", rng.choice(pedagogies), rng.uniform(0.3, 1.0)),
                )
            ],
        )
    conn.close()


TAGS_SQL = """
SELECT t.id, t.name, t.slug, t.homepage, t.domain, t.category, t.description,
  coalesce(lp.label, CASE WHEN cp.uncertain THEN 'uncertain' ELSE cp.label END,
           'unclassified') AS purpose,
  CASE WHEN lp.label IS NOT NULL THEN 1.0 ELSE cp.confidence END AS purpose_confidence,
  coalesce(lg.label, CASE WHEN cg.uncertain THEN 'uncertain' ELSE cg.label END,
           'unclassified') AS pedagogy,
  CASE WHEN lg.label IS NOT NULL THEN 1.0 ELSE cg.confidence END AS pedagogy_confidence,
  cp.model_version, t.first_seen, t.last_crawled, t.updated_at
FROM tools t
LEFT JOIN labels lp ON lp.tool_id = t.id AND lp.dimension = 'purpose' AND lp.is_current = 1
LEFT JOIN classifications cp ON cp.tool_id = t.id AND cp.dimension = 'purpose'
  AND cp.is_current = 1
LEFT JOIN labels lg ON lg.tool_id = t.id AND lg.dimension = 'pedagogy' AND lg.is_current = 1
LEFT JOIN classifications cg ON cg.tool_id = t.id AND cg.dimension = 'pedagogy'
  AND cg.is_current = 1
"""
FACT = "t.id IN (SELECT tool_id FROM facts WHERE field = ? AND value = ? AND retracted_at IS NULL)"

CASES = [
    (
        "purpose + audience + phase",
        ToolQuery(purpose=["teaching-learning"], audience=["teachers"], phase=["primary"]),
        f"{TAGS_SQL} WHERE purpose = 'teaching-learning' AND {FACT} AND {FACT} "
        "ORDER BY t.name COLLATE NOCASE, t.id LIMIT 50",
        ("audience", "teachers", "phase", "primary"),
    ),
    (
        "pedagogy + confidence + fact gdpr + provider",
        ToolQuery(
            pedagogy=["social-constructivist"],
            min_confidence=0.8,
            facts=["gdpr=yes", "ai_provider=openai"],
        ),
        f"{TAGS_SQL} WHERE pedagogy = 'social-constructivist' AND pedagogy_confidence >= 0.8 "
        f"AND {FACT} AND {FACT} ORDER BY t.name COLLATE NOCASE, t.id LIMIT 50",
        ("gdpr", "yes", "ai_provider", "openai"),
    ),
    (
        "search 'adaptive phonics'",
        ToolQuery(search="adaptive phonics"),
        f"{TAGS_SQL} JOIN (SELECT rowid, bm25(tools_fts) AS rank FROM tools_fts WHERE "
        'tools_fts MATCH \'"adaptive" AND "phonics"*\') s ON s.rowid = t.id '
        "ORDER BY s.rank, t.name LIMIT 50",
        (),
    ),
    (
        "search + purpose + pricing",
        ToolQuery(search="debate", purpose=["teaching-learning"], pricing=["free"]),
        f"{TAGS_SQL} JOIN (SELECT rowid, bm25(tools_fts) AS rank FROM tools_fts WHERE "
        "tools_fts MATCH '\"debate\"*') s ON s.rowid = t.id WHERE purpose = 'teaching-learning' "
        f"AND ({FACT}) ORDER BY s.rank, t.name LIMIT 50",
        ("pricing_model", "free"),
    ),
]


def median_ms(fn, repeat: int) -> tuple[float, int]:
    fn()  # warm the page cache and statement caches
    times, rows = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        rows = len(fn())
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=100_000)
    parser.add_argument("--facts-per-tool", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        data = tmp_path / "tools.jsonl"
        generate(data, args.tools, args.facts_per_tool)
        print(f"generated {args.tools:,} tools with {args.tools * args.facts_per_tool:,} facts")

        plain_db = tmp_path / "plain.db"
        open_catalogue(plain_db, create=True).close()  # same schema, empty
        plain_s = plain_import(data, plain_db)

        db = tmp_path / "edcat.db"
        catalogue = open_catalogue(db, create=True)
        started = time.perf_counter()
        result = import_tools(catalogue, data)
        edcat_s = time.perf_counter() - started
        rate, plain_rate = result.added / edcat_s, args.tools / plain_s
        print(
            f"\nimport: edcat {rate:,.0f} tools/s ({edcat_s:.1f} s, incl. "
            f"{result.facts_added:,} facts, validation, search index); plain sqlite3 "
            f"{plain_rate:,.0f} tools/s ({plain_s:.1f} s); ratio {edcat_s / plain_s:.2f}x time"
        )

        add_classifications(db)
        conn = sqlite3.connect(db)
        print(f"\n{'query':45} {'edcat ms':>9} {'plain ms':>9} {'ratio':>6} {'rows':>5}")
        for name, query, sql, params in CASES:
            edcat_ms, rows = median_ms(lambda q=query: query_tools(catalogue, q), args.repeat)
            plain_ms, plain_rows = median_ms(
                lambda s=sql, p=params: conn.execute(s, p).fetchall(), args.repeat
            )
            flag = "" if rows == plain_rows else f"  (plain returned {plain_rows})"
            print(
                f"{name:45} {edcat_ms:9.2f} {plain_ms:9.2f} {edcat_ms / plain_ms:6.2f} "
                f"{rows:5}{flag}"
            )
        conn.close()
        catalogue.close()


if __name__ == "__main__":
    main()
