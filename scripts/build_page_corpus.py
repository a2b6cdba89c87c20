"""Build the shipped page corpus, data/labels/pages/pages.jsonl, from collected texts and their
adjudicated labels. The texts themselves never enter the repository: only their bags.

    python scripts/build_page_corpus.py [--raw CORPUS/raw.jsonl]
        [--labels CORPUS/labels_adjudicated.jsonl] [--out data/labels/pages]
        [--min-validation 150]

`raw.jsonl`: `{"id", "url", "product", "retrieved", "kind", "country", "text"}` per line.
Labels: `{"id", "purpose", "pedagogy", "note", "decided_by"}` per line (from
`scripts/adjudicate_labels.py`, or a single labeller's file). Texts outside 300-3,000
characters, or without a label, are left out and counted. Every text of one product goes to
the same split; the validation split (at least --min-validation texts when the corpus allows)
is stratified by pedagogy. Also writes `STATS.md` (counts per split and label) beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from catalogue.errors import InvalidInput  # noqa: E402
from catalogue.files import write_text_atomically  # noqa: E402
from classifier.adjudication import read_jsonl  # noqa: E402
from classifier.analyser import words  # noqa: E402
from classifier.pages import PAGES_DIR, assign_splits, page_record  # noqa: E402

# The raw texts never enter the repository: $EDCAT_CORPUS, else a `corpus` folder beside it.
CORPUS = Path(os.environ.get("EDCAT_CORPUS") or Path(__file__).resolve().parents[2] / "corpus")

MIN_CHARS, MAX_CHARS = 300, 3000
COPIED_RUN = 7  # a note sharing this many consecutive words with its text is not kept
RAW_FIELDS = ("id", "url", "product", "text")


def build(raw: dict, labels: dict, min_validation: int) -> tuple[list[dict], Counter]:
    """Corpus records, in id order, and counts of what was left out and why."""
    skipped: Counter = Counter()
    kept = []
    for text_id in sorted(raw):
        source = raw[text_id]
        length = len(source["text"] or "")
        if not MIN_CHARS <= length <= MAX_CHARS:
            skipped[f"text length outside {MIN_CHARS}-{MAX_CHARS}"] += 1
        elif text_id not in labels:
            skipped["no adjudicated label"] += 1
        else:
            kept.append(text_id)
    for text_id in kept:
        if copies_text(labels[text_id].get("note"), raw[text_id]["text"]):
            labels[text_id] = labels[text_id] | {"note": None}
            skipped["notes dropped (share a 7-word run with the text)"] += 1
    splits = assign_splits(kept, [raw[i]["product"] for i in kept],
                           [labels[i]["pedagogy"] for i in kept], min_validation)
    records = [page_record(raw[i], labels[i], splits[i], raw[i]["text"]) for i in kept]
    return records, skipped


def copies_text(note: str | None, text: str) -> bool:
    """True when `note` repeats COPIED_RUN consecutive words of `text`: notes must be the
    labeller's own words, never a quotation."""
    note_words = words(note or "")
    runs = {" ".join(note_words[i:i + COPIED_RUN])
            for i in range(len(note_words) - COPIED_RUN + 1)}
    return bool(runs) and any(run in " ".join(words(text)) for run in runs)


def stats_markdown(records: list[dict], skipped: Counter) -> str:
    lines = ["# Page corpus: counts", "",
             "Written by `scripts/build_page_corpus.py`. Format: `data/README.md`.", ""]
    lines += ["| split | texts | products | " + " | ".join(
        ["teaching-learning", "workflow-productivity", "behaviourist",
         "individual-constructivist", "social-constructivist", "none"]) + " |",
              "|---" * 9 + "|"]
    for split in ("train", "validation"):
        part = [r for r in records if r["split"] == split]
        counts = Counter(r["purpose"] for r in part) + Counter(r["pedagogy"] for r in part)
        products = len({str(r["product"]).lower() for r in part})
        cells = [str(counts[label]) for label in (
            "teaching-learning", "workflow-productivity", "behaviourist",
            "individual-constructivist", "social-constructivist", "none")]
        lines.append(f"| {split} | {len(part)} | {products} | " + " | ".join(cells) + " |")
    for name in ("kind", "country"):
        shown = ", ".join(f"{k} {n}" for k, n in Counter(r[name] for r in records).most_common())
        lines += ["", f"By {name}: {shown}."]
    sentences = [1 + len(r["sentences"]) for r in records]
    if sentences:
        lines += ["", f"Sentences per text: median {sorted(sentences)[len(sentences) // 2]}, "
                  f"min {min(sentences)}, max {max(sentences)}."]
    left_out = ", ".join(f"{why}: {n}" for why, n in skipped.items()) or "none"
    lines += ["", f"Left out or changed: {left_out}."]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=CORPUS / "raw.jsonl")
    parser.add_argument("--labels", type=Path,
                        default=CORPUS / "labels_adjudicated.jsonl")
    parser.add_argument("--out", type=Path, default=PAGES_DIR)
    parser.add_argument("--min-validation", type=int, default=150)
    args = parser.parse_args()
    try:
        raw = read_jsonl(args.raw, RAW_FIELDS)
        labels = read_jsonl(args.labels, ("id", "purpose", "pedagogy"))
    except InvalidInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    records, skipped = build(raw, labels, args.min_validation)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomically(args.out / "pages.jsonl", "".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in records))
    write_text_atomically(args.out / "STATS.md", stats_markdown(records, skipped))
    split = Counter(r["split"] for r in records)
    print(f"wrote {len(records)} texts to {args.out / 'pages.jsonl'} "
          f"(train {split['train']}, validation {split['validation']}); left out or changed: "
          f"{sum(skipped.values())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
