"""The page-length labelled corpus as shipped: labels and per-sentence n-gram bags, no text.

`data/labels/pages/pages.jsonl` holds one JSON object per text (format in `data/README.md`):
where the text came from (`url`, `product`, `retrieved`, `kind`, `country`), its labels and
who decided them, a note in the labellers' own words, the `split` (`train` or `validation`),
the `analyser_version`, and the text as `lead` (the first sentence's bag) and `sentences` (the
other sentences' bags, in an order shuffled with a fixed seed). Each bag's keys are sorted, so
not even the order in which n-grams occur survives.

`page_record` makes a record from a text; `read_pages` reads and validates the file.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from catalogue.errors import InvalidInput
from catalogue.vocabulary import DIMENSIONS
from classifier.analyser import ANALYSER_VERSION, sentence_bags

PAGES_DIR = Path(__file__).resolve().parent.parent / "data" / "labels" / "pages"
PAGES_FILE = PAGES_DIR / "pages.jsonl"
SPLITS = ("train", "validation")
SHUFFLE_SEED = "edcat-pages-1"
SOURCE_FIELDS = ("id", "url", "product", "retrieved", "kind", "country")
LABEL_FIELDS = ("purpose", "pedagogy", "note", "decided_by")
REQUIRED = SOURCE_FIELDS + ("split", "purpose", "pedagogy", "analyser_version", "lead",
                            "sentences")


def sorted_bag(bag: Mapping[str, int]) -> dict[str, int]:
    return {gram: int(bag[gram]) for gram in sorted(bag)}


def page_record(source: Mapping[str, Any], labels: Mapping[str, Any], split: str,
                text: str) -> dict[str, Any]:
    """One corpus record: `source`'s fields, `labels`, `split`, and `text` as bags."""
    bags = [sorted_bag(b) for b in sentence_bags(text)]
    lead, body = (bags[0], bags[1:]) if bags else ({}, [])
    random.Random(f"{SHUFFLE_SEED}:{source['id']}").shuffle(body)
    record = {f: source.get(f) for f in SOURCE_FIELDS}
    record["split"] = split
    record |= {f: labels.get(f) for f in LABEL_FIELDS}
    record["analyser_version"] = ANALYSER_VERSION
    record["lead"] = lead
    record["sentences"] = body
    return record


def json_lines(path: Path) -> tuple[list[tuple[int, Any]], list[str]]:
    """(line number, parsed value) for each non-blank line, and the lines that are not JSON."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(str(path), [f"cannot read: {error}"]) from None
    parsed, problems = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            parsed.append((number, json.loads(line)))
        except json.JSONDecodeError as error:
            problems.append(f"line {number}: not JSON ({error.msg})")
    return parsed, problems


def read_pages(path: Path = PAGES_FILE) -> list[dict[str, Any]]:
    """Read and validate a corpus file; InvalidInput lists every bad line."""
    parsed, problems = json_lines(path)
    records, seen = [], set()
    for number, record in parsed:
        problems += [f"line {number}: {p}" for p in _problems(record, seen)]
        records.append(record)
    if problems:
        raise InvalidInput(str(path), sorted(problems, key=_line_number))
    if not records:
        raise InvalidInput(str(path), ["no records"])
    return records


def _line_number(problem: str) -> int:
    return int(problem.split()[1].rstrip(":")) if problem.startswith("line ") else 0


def _problems(record: Any, seen: set[str]) -> list[str]:
    if not isinstance(record, dict):
        return ["not a JSON object"]
    problems = [f"field {f!r} missing" for f in REQUIRED if f not in record]
    if problems:
        return problems
    if record["id"] in seen:
        problems.append(f"duplicate id {record['id']!r}")
    seen.add(record["id"])
    if record["split"] not in SPLITS:
        problems.append(f"split {record['split']!r} is not one of {', '.join(SPLITS)}")
    for dimension, allowed in DIMENSIONS.items():
        if record[dimension] not in allowed:
            problems.append(f"{dimension} {record[dimension]!r} is not a known label")
    if record["analyser_version"] != ANALYSER_VERSION:
        problems.append(f"analyser {record['analyser_version']!r}, expected {ANALYSER_VERSION!r}"
                        " (rebuild with scripts/build_page_corpus.py)")
    bags = [record["lead"], *record["sentences"]]
    if not all(isinstance(b, dict) and all(isinstance(n, int) for n in b.values()) for b in bags):
        problems.append("lead and sentences must be {n-gram: count} objects")
    return problems


def split_of(records: Sequence[Mapping[str, Any]], split: str) -> list[Mapping[str, Any]]:
    return [r for r in records if r["split"] == split]


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def assign_splits(ids: Sequence[str], products: Sequence[str], strata: Sequence[str],
                  min_validation: int = 150, seed: int = 0) -> dict[str, str]:
    """`train` or `validation` per id: every text of one product lands in the same split (so
    validation measures unseen products, not unseen pages of known ones), stratified by
    `strata`. The first `StratifiedGroupKFold` fold with at least `min_validation` texts, trying
    4, 3 then 2 folds, is the validation split."""
    import numpy as np
    from sklearn.model_selection import StratifiedGroupKFold

    groups = [str(p or i).strip().lower() for i, p in zip(ids, products, strict=True)]
    y = np.asarray(strata)
    chosen = None
    for folds in (4, 3, 2):
        if len(set(groups)) < folds:
            continue
        splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
        _, test = next(splitter.split(np.zeros(len(y)), y, groups))
        chosen = test
        if len(test) >= min_validation:
            break
    validation = set() if chosen is None else {ids[i] for i in chosen}
    return {i: "validation" if i in validation else "train" for i in ids}
