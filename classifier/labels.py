"""Label files and the labelling loop: read and validate, import, set, export, suggest.

A label file is UTF-8 CSV in the format of `data/labels/starter.csv` (see
`docs/labelling-guide.md` §6): name, url, text, purpose, pedagogy, note, source, annotator.
Rows are numbered as a spreadsheet shows them (the header is row 1). A blank label leaves that
dimension unlabelled for the row; a row must label at least one dimension.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalogue.errors import InvalidInput
from catalogue.escaping import csv_row
from catalogue.files import atomic_path, check_output_path, read_csv, read_utf8, require_columns
from catalogue.vocabulary import DIMENSIONS
from classifier.errors import ClassifierError
from classifier.features import Document, labelled_document

STARTER_LABELS = Path(__file__).resolve().parent.parent / "data" / "labels" / "starter.csv"
LABEL_COLUMNS = ("name", "url", "text", "purpose", "pedagogy", "note", "source", "annotator")


@dataclass(frozen=True)
class LabelRow:
    row: int
    name: str
    text: str
    purpose: str | None
    pedagogy: str | None
    url: str | None = None
    note: str | None = None
    source: str | None = None
    annotator: str | None = None

    @property
    def document(self) -> Document:
        return labelled_document(self.name, self.text)

    def label(self, dimension: str) -> str | None:
        return getattr(self, dimension)


def read_label_file(
    path: Path,
    required: Sequence[str] = ("name", "text", "purpose", "pedagogy"),
    require_text: bool = False,
) -> list[LabelRow]:
    """Read and validate a label file; raise InvalidInput listing every bad row."""
    path = Path(path)
    content = read_utf8(path)
    if content.lstrip().startswith(("{", "[")):
        raise InvalidInput(str(path), ["labels are read from CSV; this looks like JSON"])
    header, records, problems = read_csv(path, content)
    require_columns(path, header, required)
    rows = []
    for number, record in records:
        row, row_problems = _validate(number, record, require_text)
        problems += row_problems
        if row is not None:
            rows.append(row)
    if problems:
        raise InvalidInput(str(path), problems)
    if not rows:
        raise InvalidInput(str(path), ["no labelled rows"])
    return rows


def _validate(number: int, record: dict[str, Any], require_text: bool):
    if None in record:
        return None, [f"row {number}: more fields than the header has"]
    value = {k: (v or "").strip() for k, v in record.items()}
    where = f"row {number}" + (f" ({value['name']})" if value.get("name") else "")
    problems = []
    if not value.get("name"):
        problems.append(f"{where}, field 'name': missing")
    if require_text and not value.get("text"):
        problems.append(f"{where}, field 'text': empty")
    labels = {}
    for dimension, allowed in DIMENSIONS.items():
        label = value.get(dimension, "").lower()
        if label and label not in allowed:
            problems.append(
                f"{where}, field '{dimension}': unknown label {value[dimension]!r} "
                f"(valid: {', '.join(allowed)})"
            )
        labels[dimension] = label or None
    if not any(labels.values()):
        problems.append(f"{where}: no label (purpose and pedagogy are both blank)")
    if problems:
        return None, problems
    return (
        LabelRow(
            row=number,
            name=value["name"],
            text=value.get("text", ""),
            url=value.get("url") or None,
            note=value.get("note") or None,
            source=value.get("source") or None,
            annotator=value.get("annotator") or None,
            **labels,
        ),
        [],
    )


# --- the catalogue side -----------------------------------------------------------------------


@dataclass(frozen=True)
class LabelOverwrite:
    """A person's current label that a row of the file would replace with a different one."""

    row: int
    tool_id: int
    name: str
    dimension: str
    current: str
    current_annotator: str
    new: str


@dataclass(frozen=True)
class ImportedLabels:
    rows: int
    matched: int  # rows matched to a catalogue tool
    free_text: int  # rows kept as free-text labels
    labels: int  # label records added
    unchanged: int = 0  # labels the catalogue already had
    overwrites: tuple[LabelOverwrite, ...] = ()  # replaced, or (without replace) refused
    written: bool = True  # False: overwrites were needed and not allowed, nothing was written


def import_labels(
    catalogue: Any, path: Path, annotator: str | None = None, replace: bool = False
) -> ImportedLabels:
    """Import a label file, all or nothing.

    Rows are matched to tools by url, then by name. A row that matches no tool is kept as a
    free-text label when it has text; without text it is a bad row. A row whose name matches
    several tools and whose url matches none is a bad row too (add the url), and so are rows
    that give the same tool (or the same free text) different labels for one dimension.

    A label the catalogue already has is left as it is. A row that would replace a different
    label a person set is an overwrite: without `replace`, nothing is written and the result
    lists the overwrites (`written` is False); with it, they are written like the rest.
    """
    from catalogue.labels import match_tools, plan_labels
    from catalogue.store import LabelRecord, add_labels

    path = Path(path)
    rows = read_label_file(path, required=("name", "purpose", "pedagogy"))
    matches = match_tools(catalogue, [(row.url, row.name) for row in rows])
    problems = []
    for row, match in zip(rows, matches, strict=True):
        if isinstance(match, list):
            problems.append(
                f"row {row.row} ({row.name}): the name matches {len(match)} tools "
                f"(ids {', '.join(map(str, match))}); add the tool's url to pick one"
            )
        elif match is None and not row.text:
            problems.append(
                f"row {row.row} ({row.name}), field 'text': empty, and no catalogue tool has "
                "this url or name, so there is nothing to label"
            )
    problems += _conflicts(rows, matches)
    if problems:
        raise InvalidInput(str(path), problems)
    labelled = [
        (
            row,
            LabelRecord(
                dimension=dimension,
                label=row.label(dimension),
                tool_id=match,
                name=row.name,
                text=row.text or None,
                annotator=row.annotator or annotator or "unknown",
                note=row.note,
                source=row.source or f"{path.name}#row{row.row}",
            ),
        )
        for row, match in zip(rows, matches, strict=True)
        for dimension in DIMENSIONS
        if row.label(dimension)
    ]
    plan = plan_labels(catalogue, [record for _, record in labelled])
    overwrites = tuple(
        LabelOverwrite(
            labelled[o.index][0].row,
            o.tool_id,
            o.tool_name,
            o.dimension,
            o.current,
            o.current_annotator,
            o.new,
        )
        for o in plan.overwrites
    )
    written = replace or not overwrites
    added = add_labels(catalogue, plan.new, source=str(path)) if written and plan.new else 0
    matched = sum(1 for m in matches if m is not None)
    return ImportedLabels(
        rows=len(rows),
        matched=matched,
        free_text=len(rows) - matched,
        labels=added,
        unchanged=plan.unchanged,
        overwrites=overwrites,
        written=written,
    )


def _conflicts(rows: Sequence[LabelRow], matches: Sequence[Any]) -> list[str]:
    """Rows that give one tool (or one free text) different labels for the same dimension.

    Importing them would silently keep whichever came last, so each conflict is a problem that
    names all the rows involved. Rows that agree, or label different dimensions, are fine.
    """
    seen: dict[tuple, list[tuple[LabelRow, str]]] = {}
    for row, match in zip(rows, matches, strict=True):
        if isinstance(match, list):
            continue  # already a problem: ambiguous name
        if match is not None:
            key: tuple = ("tool", match)
        else:
            key = ("text", row.name.strip().casefold(), " ".join(row.text.split()))
        for dimension in DIMENSIONS:
            label = row.label(dimension)
            if label:
                seen.setdefault((dimension, key), []).append((row, label))
    problems = []
    for (dimension, key), found in seen.items():
        labels = list(dict.fromkeys(label for _, label in found))
        if len(labels) < 2:
            continue
        names = ", ".join(dict.fromkeys(row.name for row, _ in found))
        what = "the same catalogue tool" if key[0] == "tool" else "the same name and text"
        problems.append(
            (
                found[0][0].row,
                f"rows {_and([str(row.row) for row, _ in found])} ({names}): conflicting "
                f"{dimension} labels {_and([repr(label) for label in labels])} for {what}; "
                "keep one",
            )
        )
    return [message for _, message in sorted(problems)]


def _and(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def set_label(
    catalogue: Any,
    tool: str,
    purpose: str | None = None,
    pedagogy: str | None = None,
    note: str | None = None,
    annotator: str | None = None,
) -> tuple[Any, list[str]]:
    """Label one catalogue tool (by id, slug or name). Returns the tool and what was set."""
    from catalogue.cards import find_tool
    from catalogue.store import LabelRecord, add_labels

    given = {"purpose": purpose, "pedagogy": pedagogy}
    given = {d: v.strip().lower() for d, v in given.items() if v}
    if not given:
        raise ClassifierError("give --purpose and/or --pedagogy")
    for dimension, value in given.items():
        if value not in DIMENSIONS[dimension]:
            raise ClassifierError(
                f"unknown {dimension} label {value!r}; valid: {', '.join(DIMENSIONS[dimension])}"
            )
    found = find_tool(catalogue, tool)
    records = [
        LabelRecord(
            dimension=d,
            label=v,
            tool_id=found.id,
            name=found.name,
            annotator=annotator or "unknown",
            note=note,
            source="edcat label set",
        )
        for d, v in given.items()
    ]
    add_labels(catalogue, records, source="edcat label set")
    return found, [f"{d}={v}" for d, v in given.items()]


def export_labels(catalogue: Any, path: Path) -> int:
    """Write the catalogue's current labels as a label file (the format of starter.csv).

    One row per labelled tool (or free text). `text` is the text the label was judged on when
    it was imported with one, else the tool's document text (name, description, page text).
    """
    from catalogue.documents import tool_documents
    from catalogue.labels import current_labels

    check_output_path(path)  # before any work
    labels = current_labels(catalogue)
    groups: dict[tuple, dict[str, Any]] = {}
    for label in labels:
        key = (
            ("tool", label.tool_id)
            if label.tool_id is not None
            else ("text", label.name, label.text)
        )
        group = groups.setdefault(
            key,
            {
                "name": label.name or "",
                "url": label.url or "",
                "text": label.text or "",
                "tool_id": label.tool_id,
                "note": [],
                "source": [],
                "annotator": [],
            },
        )
        group[label.dimension] = label.label
        group["text"] = group["text"] or label.text or ""
        for column in ("note", "source", "annotator"):
            value = getattr(label, column)
            if value and value not in group[column]:
                group[column].append(value)
    missing_text = [g["tool_id"] for g in groups.values() if g["tool_id"] and not g["text"]]
    if missing_text:
        for doc in tool_documents(catalogue, missing_text):
            group = groups[("tool", doc.tool_id)]
            group["text"] = Document(doc.name, doc.description, tuple(doc.pages)).text
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=LABEL_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for group in groups.values():
            row = {
                **{c: group.get(c) or "" for c in ("name", "url", "text")},
                **{d: group.get(d, "") for d in DIMENSIONS},
                **{c: "; ".join(group[c]) for c in ("note", "source", "annotator")},
            }
            writer.writerow(csv_row(row))
    return len(groups)


@dataclass(frozen=True)
class Suggestion:
    tool_id: int
    name: str
    margin: float  # smallest gap between the two likeliest labels, over the dimensions
    guesses: dict[str, tuple[str, float]]  # dimension -> (label, confidence)
    snippet: str


def suggest(
    catalogue: Any, n: int = 20, model_ref: str | Path | None = None, snippet_chars: int = 160
) -> tuple[str, list[Suggestion]]:
    """The `n` unlabelled tools the model is least sure about (smallest probability margin).

    The margin of a dimension is p(best) - p(second best); a tool's is the smaller of its two.
    Returns the model version and the suggestions, least sure first.
    """
    from catalogue.documents import tool_documents
    from classifier.model_store import load_model
    from classifier.predict import predict_documents

    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ClassifierError(f"the number of suggestions must be at least 1, got {n!r}")
    model = load_model(model_ref, catalogue)
    scored = []
    batch: list[Any] = []

    def flush() -> None:
        predictions = predict_documents(model, batch, evidence=False)
        for doc, prediction in zip(batch, predictions, strict=True):
            margins = [p.margin for p in prediction.values()]
            text = " ".join(doc.description.split()) or "(no description)"
            scored.append(
                Suggestion(
                    tool_id=doc.tool_id,
                    name=doc.name,
                    margin=round(min(margins), 4),
                    guesses={d: (p.label, p.confidence) for d, p in prediction.items()},
                    snippet=text[:snippet_chars] + ("..." if len(text) > snippet_chars else ""),
                )
            )
        batch.clear()

    for doc in tool_documents(catalogue, unlabelled_only=True):
        batch.append(doc)
        if len(batch) >= 500:
            flush()
    if batch:
        flush()
    scored.sort(key=lambda s: (s.margin, s.tool_id))
    return model.version, scored[:n]
