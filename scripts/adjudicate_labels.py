"""Agreement between the two page-corpus labellers, the disagreements to decide, and the
adjudicated labels.

    python scripts/adjudicate_labels.py [--corpus CORPUS] [--decisions FILE]
        [--report data/labels/pages/AGREEMENT.md]

Reads `labels_A.jsonl` and `labels_B.jsonl` (`{"id", "purpose", "pedagogy", "note"}` lines) in
the corpus folder and, when it exists, `decisions.jsonl` there (`{"id", "purpose"?,
"pedagogy"?, "decided_by", "reason"}`: how a disagreement was settled against the guide).
Writes, in the corpus folder, `disagreements.jsonl` (every disagreement not yet decided, with
both labels and notes, to decide and add to `decisions.jsonl`) and `labels_adjudicated.jsonl`
(`{"id", "purpose", "pedagogy", "note", "decided_by"}` for every text labelled on both
dimensions), and the agreement report (kappa per dimension; counts only, no text) into the
repository. Run it again after adding decisions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalogue.errors import InvalidInput  # noqa: E402
from catalogue.files import write_text_atomically  # noqa: E402
from classifier.adjudication import (  # noqa: E402
    adjudicate,
    agreement,
    agreement_markdown,
    read_jsonl,
)
from classifier.pages import PAGES_DIR  # noqa: E402

# The raw texts never enter the repository: $EDCAT_CORPUS, else a `corpus` folder beside it.
CORPUS = Path(os.environ.get("EDCAT_CORPUS") or Path(__file__).resolve().parents[2] / "corpus")

LABELS = ("id", "purpose", "pedagogy")


def jsonl(records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--decisions", type=Path, default=None)
    parser.add_argument("--report", type=Path, default=PAGES_DIR / "AGREEMENT.md")
    args = parser.parse_args()
    try:
        a = read_jsonl(args.corpus / "labels_A.jsonl", LABELS)
        b_path = args.corpus / "labels_B.jsonl"
        b = read_jsonl(b_path, LABELS) if b_path.exists() else {}
        decisions_path = args.decisions or args.corpus / "decisions.jsonl"
        decisions = read_jsonl(decisions_path) if decisions_path.exists() else {}
    except InvalidInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    stats = agreement(a, b)
    result = adjudicate(a, b, decisions)
    only_a = len(set(a) - set(b))
    write_text_atomically(args.corpus / "disagreements.jsonl", jsonl(result.pending))
    write_text_atomically(
        args.corpus / "labels_adjudicated.jsonl",
        jsonl({"id": i} | label for i, label in sorted(result.labels.items())),
    )
    args.report.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(args.report, agreement_markdown(stats, result, only_a))
    for dimension, s in stats.items():
        print(f"{dimension}: {s['n']} texts both labelled, {s['agree']} agree, "
              f"kappa {s['kappa']:.3f}")
    print(f"{len(result.labels)} texts labelled; {len(result.pending)} disagreements pending "
          f"(written to {args.corpus / 'disagreements.jsonl'}); A only: {only_a}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
