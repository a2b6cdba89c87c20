"""Fact rules: per-field precision and recall on the sentence corpus, and what scope costs.

    python -m bench.bench_facts [--corpus FILE]

Runs the corpus (tests/fixtures/facts/sentences.jsonl) twice: with the scope checks
(crawler.facts.FIELD_SCOPE) and, as the baseline measured in the same run, with them
switched off, so the table shows what scope buys in precision and costs in recall. Then times
extraction over every saved page in tests/fixtures/html both ways (kB of text per second).
"""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager
from pathlib import Path

from crawler import facts
from crawler.extract import extract_page
from crawler.facts_eval import DEFAULT_CORPUS, evaluate, format_report, load_corpus

HTML = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "html"


@contextmanager
def scope_off():
    saved = facts.FIELD_SCOPE
    facts.FIELD_SCOPE = {}
    try:
        yield
    finally:
        facts.FIELD_SCOPE = saved


def throughput(pages, repeat: int = 3) -> float:
    """kB of page text read per second."""
    size = sum(len(p.main_text) + len(p.meta_description) for p in pages) * repeat / 1000
    start = time.perf_counter()
    for _ in range(repeat):
        for page in pages:
            facts.extract_facts(page)
    return size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    cases = load_corpus(args.corpus)
    with_scope = evaluate(cases)
    with scope_off():
        without = evaluate(cases)
    print(f"corpus {args.corpus.name}: {len(cases)} sentences\n")
    print("with scope checks")
    print(format_report(with_scope))
    base = without.total
    print(f"\nbaseline, the same rules without scope checks: precision {base.precision:.2f}, "
          f"recall {base.recall:.2f}, false yes on strict fields: {len(without.false_yes)}")
    pages = [extract_page(p.read_bytes(), "https://example.org/") for p in
             sorted(HTML.glob("*/*.html"))]
    scoped = throughput(pages)
    with scope_off():
        bare = throughput(pages)
    print(f"\nextraction on {len(pages)} saved pages: {scoped:,.0f} kB/s with scope, "
          f"{bare:,.0f} kB/s without ({scoped / bare:.2f}x)")


if __name__ == "__main__":
    main()
