"""Two labellers' labels of the page corpus: agreement (Cohen's kappa), disagreements, and the
adjudicated label of every text with who decided it.

Label files are JSON lines `{"id", "purpose", "pedagogy", "note"}`, one per labeller (A and B,
blind to each other). A decisions file (JSON lines `{"id", "purpose"?, "pedagogy"?,
"decided_by", "reason"}`) settles the dimensions on which they differ; a text is labelled on a
dimension when both agree or a decision names the label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalogue.errors import InvalidInput
from catalogue.vocabulary import DIMENSIONS
from classifier.pages import json_lines


def read_jsonl(path: Path, required: tuple[str, ...] = ("id",)) -> dict[str, dict[str, Any]]:
    """Records by id; InvalidInput names every bad line (not JSON, field missing, bad label,
    duplicate id)."""
    parsed, problems = json_lines(path)
    out: dict[str, dict[str, Any]] = {}
    for number, record in parsed:
        missing = [f for f in required if not isinstance(record, dict) or f not in record]
        if missing:
            problems.append(f"line {number}: field(s) {', '.join(missing)} missing")
            continue
        for dimension, allowed in DIMENSIONS.items():
            if dimension in record and record[dimension] not in allowed:
                problems.append(f"line {number} ({record['id']}): {dimension} "
                                f"{record[dimension]!r} is not a known label")
        if record["id"] in out:
            problems.append(f"line {number}: duplicate id {record['id']!r}")
        out[record["id"]] = record
    if problems:
        raise InvalidInput(str(path), problems)
    return out


def agreement(a: Mapping[str, Mapping], b: Mapping[str, Mapping]) -> dict[str, dict[str, Any]]:
    """Per dimension, on the texts both labelled: n, agreements, % agreement, Cohen's kappa,
    and the confusion counts (A label -> B label)."""
    from sklearn.metrics import cohen_kappa_score

    common = sorted(set(a) & set(b))
    out = {}
    for dimension, labels in DIMENSIONS.items():
        ya = [a[i][dimension] for i in common]
        yb = [b[i][dimension] for i in common]
        agree = sum(x == y for x, y in zip(ya, yb, strict=True))
        kappa = cohen_kappa_score(ya, yb, labels=list(labels)) if common else float("nan")
        out[dimension] = {
            "n": len(common),
            "agree": agree,
            "agreement": round(agree / len(common), 4) if common else None,
            "kappa": round(float(kappa), 4),
            "pairs": {f"{x} / {y}": n for (x, y), n in
                      Counter(zip(ya, yb, strict=True)).most_common() if x != y},
        }
    return out


@dataclass
class Adjudicated:
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> purpose, pedagogy..
    pending: list[dict[str, Any]] = field(default_factory=list)  # disagreements not decided
    decided_by: Counter = field(default_factory=Counter)


def adjudicate(a: Mapping[str, Mapping], b: Mapping[str, Mapping],
               decisions: Mapping[str, Mapping] | None = None) -> Adjudicated:
    """The label of each text on each dimension, and who decided it.

    Both agree -> that label (`A+B`). They differ -> the decision's label and its
    `decided_by`, or the text is pending on that dimension. Labelled by A only (B had not
    reached it) -> A's label, `A only`. Texts pending on any dimension get no label at all.
    """
    decisions = decisions or {}
    result = Adjudicated()
    for text_id in sorted(a):
        first, second = a[text_id], b.get(text_id)
        label: dict[str, Any] = {"note": first.get("note") or (second or {}).get("note")}
        who = []
        for dimension in DIMENSIONS:
            value, by = _decide(text_id, dimension, first, second, decisions, result)
            label[dimension] = value
            who.append(f"{dimension}: {by}")
            result.decided_by[by] += value is not None
        if all(label[d] for d in DIMENSIONS):
            result.labels[text_id] = label | {"decided_by": "; ".join(who)}
    return result


def _decide(text_id: str, dimension: str, first: Mapping, second: Mapping | None,
            decisions: Mapping[str, Mapping], result: Adjudicated) -> tuple[str | None, str]:
    if second is None:
        return first[dimension], "A only"
    if first[dimension] == second[dimension]:
        return first[dimension], "A+B"
    decision = decisions.get(text_id, {})
    if decision.get(dimension):
        return decision[dimension], str(decision.get("decided_by") or "adjudicator")
    result.pending.append({
        "id": text_id, "dimension": dimension, "A": first[dimension], "B": second[dimension],
        "note_A": first.get("note"), "note_B": second.get("note"),
    })
    return None, "pending"


def agreement_markdown(stats: Mapping[str, Mapping[str, Any]], adjudicated: Adjudicated,
                       only_a: int) -> str:
    """The agreement report shipped beside the corpus (counts only, no text)."""
    lines = ["# Labeller agreement on the page corpus", "",
             "Two labellers (A and B, blind to each other) labelled each text against "
             "`docs/labelling-guide.md`; computed by `scripts/adjudicate_labels.py` with "
             "`sklearn.metrics.cohen_kappa_score`.", "",
             "| dimension | texts both labelled | agree | % agreement | Cohen's kappa |",
             "|---|---|---|---|---|"]
    for dimension, s in stats.items():
        pct = f"{s['agreement']:.1%}" if s["agreement"] is not None else "-"
        lines.append(f"| {dimension} | {s['n']} | {s['agree']} | {pct} | {s['kappa']:.3f} |")
    lines += ["", "Most frequent disagreements (A / B):", ""]
    for dimension, s in stats.items():
        shown = ", ".join(f"{pair} {n}" for pair, n in list(s["pairs"].items())[:6]) or "none"
        lines.append(f"- {dimension}: {shown}")
    by = ", ".join(f"{who} {n}" for who, n in adjudicated.decided_by.most_common())
    lines += ["", f"Labels by who decided them (per text and dimension): {by}.",
              f"Texts labelled by A only (B had not reached them): {only_a}.",
              f"Disagreements still pending: {len(adjudicated.pending)}."]
    return "\n".join(lines) + "\n"
