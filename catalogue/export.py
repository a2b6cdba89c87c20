"""`edcat export`: one row per tool with its facts, labels, classifications and provenance.

Every column is described once, in COLUMNS; the data dictionary written beside the export is
made from the same list, so the two cannot drift apart. Files are written to a temporary name
and renamed into place, so an interrupted export never leaves a half-written file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy import String, select, type_coerce

from catalogue.db import SCHEMA_VERSION, Catalogue
from catalogue.errors import CatalogueError
from catalogue.escaping import csv_row
from catalogue.files import atomic_path, check_output_path
from catalogue.models import Classification, Fact, Label, Page, Tool
from catalogue.query import ToolQuery, build_sql, tool_row
from catalogue.risk import QUESTIONS, all_current_reviews, answer_questions, crawled_pages
from catalogue.settings import stale_after_days
from catalogue.vocabulary import DIMENSIONS, FACT_FIELDS

FORMATS = ("csv", "jsonl", "parquet")

TOOL_COLUMNS: list[tuple[str, str, str]] = [
    ("id", "integer", "edcat's id for the tool in this catalogue"),
    ("name", "string", "Tool name as given by the source list"),
    ("slug", "string", "Stable lower-case identifier"),
    ("homepage", "string", "Canonical homepage URL"),
    ("domain", "string", "Homepage host without www."),
    ("category", "string", "Category given by the first source list"),
    ("description", "string", "Short description from the source list(s)"),
    ("first_seen", "datetime (UTC)", "When the tool entered this catalogue"),
    ("last_crawled", "datetime (UTC)", "When its site was last fetched; empty if never"),
    ("updated_at", "datetime (UTC)", "Last change to the tool, its pages, facts or tags"),
    ("sources", "string", "Source lists the record came from, '; '-separated"),
    ("provenance_json", "JSON", "Per-source provenance: repository, path, commit, licence"),
    ("page_urls", "string", "Crawled page URLs with their kind, '; '-separated"),
]


def _tag_columns(dimension: str) -> list[tuple[str, str, str]]:
    labels = ", ".join(DIMENSIONS[dimension])
    return [
        (
            dimension,
            "string",
            f"Current {dimension}: a person's label if any, else the model's prediction, "
            f"'uncertain' below the model's threshold, 'unclassified' if neither ({labels})",
        ),
        (f"{dimension}_source", "string", "'label' (a person) or 'model'"),
        (
            f"{dimension}_confidence",
            "float",
            "Model probability of the prediction (1.0 for labels)",
        ),
        (
            f"{dimension}_model_label",
            "string",
            "The model's prediction, even if a label overrides it",
        ),
        (f"{dimension}_model_version", "string", "Model version that made the prediction"),
        (f"{dimension}_classified_at", "datetime (UTC)", "When the prediction was made"),
        (f"{dimension}_evidence", "string", "Terms that pushed the prediction, '; '-separated"),
        (f"{dimension}_label", "string", "A person's label, if any"),
        (f"{dimension}_label_annotator", "string", "Who set the label"),
        (f"{dimension}_labelled_at", "datetime (UTC)", "When the label was set"),
    ]


def _fact_columns() -> list[tuple[str, str, str]]:
    columns = []
    for name, allowed in FACT_FIELDS.items():
        values = f" (values: {', '.join(allowed)})" if allowed else ""
        columns.append(
            (f"fact_{name}", "string", f"Current '{name}' facts, '; '-separated{values}")
        )
    columns.append(
        (
            "facts_json",
            "JSON",
            "Every current fact with its evidence quote, source URL, origin (crawl or import), "
            "first/last observation dates and `stale` (not re-observed within the stale age)",
        )
    )
    columns.append(("stale_facts", "integer", "How many current facts are stale"))
    return columns


def _dpia_columns() -> list[tuple[str, str, str]]:
    columns = [
        (
            f"dpia_q{q.number}",
            "string",
            f"Key risk question {q.number} ({q.text}): vendor-stated, not stated (on the "
            "crawled pages), not crawled (no pages stored yet), or reviewed",
        )
        for q in QUESTIONS
    ]
    columns.append(
        (
            "dpia_reviews_json",
            "JSON",
            "People's answers by question number, with "
            "reviewer, date and source URL; a review overrides the vendor's pages",
        )
    )
    return columns


COLUMNS = (
    TOOL_COLUMNS
    + _tag_columns("purpose")
    + _tag_columns("pedagogy")
    + _fact_columns()
    + _dpia_columns()
)


EXPORT_BATCH = 1000  # tools per read and per write: memory stays flat in catalogue size


DATETIME_COLUMNS = [name for name, kind, _ in COLUMNS if kind.startswith("datetime")]


def export_catalogue(
    catalogue: Catalogue,
    out: str | Path,
    fmt: str,
    query: ToolQuery | None = None,
    stale_days: int | None = None,
) -> tuple[int, Path]:
    """Write the export and its data dictionary; return (rows written, dictionary path).

    Rows are read and written EXPORT_BATCH tools at a time, so an export of 100,000 tools
    holds about as much in memory as one of 1,000.
    """
    if fmt not in FORMATS:
        raise CatalogueError(f"unknown export format {fmt!r}; valid formats: {', '.join(FORMATS)}")
    out = check_output_path(Path(out))
    query = query or ToolQuery()
    query.limit = None
    written = 0
    writer_class = {"csv": _CsvWriter, "jsonl": _JsonlWriter, "parquet": _ParquetWriter}[fmt]
    with atomic_path(out) as tmp, writer_class(tmp) as writer:
        for rows in export_batches(catalogue, query, stale_after_days(stale_days)):
            writer.write(rows)
            written += len(rows)
    dictionary = out.with_name(out.stem + ".dictionary.md")
    with atomic_path(dictionary) as tmp:
        tmp.write_text(data_dictionary(catalogue, out.name, written), encoding="utf-8")
    return written, dictionary


def export_rows(
    catalogue: Catalogue, query: ToolQuery, stale_days: int
) -> Iterator[dict[str, Any]]:
    """The export's rows one by one (read in batches)."""
    for rows in export_batches(catalogue, query, stale_days):
        yield from rows


def export_batches(
    catalogue: Catalogue, query: ToolQuery, stale_days: int, size: int = EXPORT_BATCH
) -> Iterator[list[dict[str, Any]]]:
    """The export's rows, `size` tools at a time, in the query's order. The matching tools
    are streamed from one query; each batch's facts, pages, tags, provenance and reviews
    are read by tool id (indexed lookups, see catalogue/hot_queries.py)."""
    query.validated()
    with catalogue.engine.connect() as conn:
        sql, params = build_sql(query)
        matches = conn.execution_options(yield_per=size).exec_driver_sql(sql, tuple(params))
        for partition in matches.partitions(size):
            tools = [tool_row(dict(row._mapping)) for row in partition]
            related = _related(conn, [t["id"] for t in tools])
            related["reviews"] = all_current_reviews(catalogue, [t["id"] for t in tools])
            stale_before = _stale_before(stale_days)
            yield [_export_row(tool, related, stale_before) for tool in tools]


# Fact columns an export reads; dates as the stored text (already in ISO order), which is
# turned into ISO 8601 and compared as text: parsing 1,000,000 dates costs more than the
# rest of the export.
FACT_READ = (
    Fact.tool_id,
    Fact.field,
    Fact.value,
    Fact.evidence,
    Fact.source_url,
    Fact.origin,
    type_coerce(Fact.first_observed_at, String).label("first_observed_at"),
    type_coerce(Fact.observed_at, String).label("observed_at"),
)


CLASSIFICATION_READ = (
    Classification.tool_id,
    Classification.dimension,
    Classification.label,
    Classification.model_version,
    Classification.created_at,
    Classification.evidence,
)
LABEL_READ = (Label.tool_id, Label.dimension, Label.label, Label.annotator, Label.created_at)


def _stored_iso(stored: str | None) -> str | None:
    """'2026-11-23 10:00:00.000000' (as stored) -> '2026-11-23T10:00:00' (isoformat())."""
    if stored is None:
        return None
    iso = stored.replace(" ", "T", 1)
    return iso.removesuffix(".000000")


def _stale_before(stale_days: int) -> str:
    """Facts observed before this stored time are stale (see catalogue.freshness)."""
    cutoff = datetime.now(UTC) - timedelta(days=stale_days)
    return cutoff.strftime("%Y-%m-%d %H:%M:%S.%f")


def batch_statements(ids: list[int]) -> dict[str, Any]:
    """What an export reads for one batch of tools, by name."""
    current = {
        name: select(*columns).where(columns[0].in_(ids), model.is_current.is_(True))
        for name, model, columns in (
            ("classifications", Classification, CLASSIFICATION_READ),
            ("labels", Label, LABEL_READ),
        )
    }
    return {
        "facts": select(*FACT_READ).where(Fact.tool_id.in_(ids), Fact.retracted_at.is_(None)),
        "pages": select(Page.tool_id, Page.url, Page.kind, Page.http_status).where(
            Page.tool_id.in_(ids)
        ),
        "provenance": select(Tool.id.label("tool_id"), Tool.provenance).where(Tool.id.in_(ids)),
        **current,
    }


def _related(conn, ids: list[int]) -> dict[str, dict]:
    """Facts, pages, current tags and provenance of some tools, keyed for `_export_row`."""
    statements = batch_statements(ids)
    related: dict[str, dict] = {}
    for name in ("facts", "pages", "provenance"):
        grouped: dict[int, list] = {}
        for row in conn.execute(statements[name]).fetchall():  # one call, not one per row
            grouped.setdefault(row.tool_id, []).append(row)
        related[name] = grouped
    for name in ("classifications", "labels"):
        related[name] = {
            (row.tool_id, row.dimension): row for row in conn.execute(statements[name]).fetchall()
        }
    return related


def _export_row(tool: dict[str, Any], related: dict[str, dict], stale_before: str) -> dict:
    tool_id = tool["id"]
    row = {name: tool.get(name) for name, _, _ in TOOL_COLUMNS}
    provenance = [p for r in related["provenance"].get(tool_id, []) for p in r.provenance or []]
    row["sources"] = "; ".join(dict.fromkeys(s.get("repo", "") for s in provenance))
    row["provenance_json"] = json.dumps(provenance, ensure_ascii=False)
    pages = related["pages"].get(tool_id, [])
    row["page_urls"] = "; ".join(f"{p.url} ({p.kind})" for p in pages)
    for dimension in DIMENSIONS:
        row.update(_tag_values(dimension, tool, related["classifications"], related["labels"]))
    tool_facts = [_fact_dict(f, stale_before) for f in related["facts"].get(tool_id, [])]
    row.update(_fact_values(tool_facts))
    stored = crawled_pages([p._mapping for p in pages])
    row.update(_dpia_values(tool_facts, related["reviews"].get(tool_id, {}), stored))
    for name in DATETIME_COLUMNS:
        row[name] = _plain(row[name])
    return row


def _tag_values(dimension: str, tool: dict, models: dict, labels: dict) -> dict[str, Any]:
    model = models.get((tool["id"], dimension))
    label = labels.get((tool["id"], dimension))
    evidence = model.evidence if model is not None else []
    return {
        dimension: tool[dimension],
        f"{dimension}_source": tool[f"{dimension}_source"],
        f"{dimension}_confidence": tool[f"{dimension}_confidence"],
        f"{dimension}_model_label": model.label if model is not None else None,
        f"{dimension}_model_version": model.model_version if model is not None else None,
        f"{dimension}_classified_at": model.created_at if model is not None else None,
        f"{dimension}_evidence": "; ".join(str(e.get("term", "")) for e in evidence or []),
        f"{dimension}_label": label.label if label is not None else None,
        f"{dimension}_label_annotator": label.annotator if label is not None else None,
        f"{dimension}_labelled_at": label.created_at if label is not None else None,
    }


def _fact_dict(fact, stale_before: str) -> dict[str, Any]:
    return {
        "field": fact.field,
        "value": fact.value,
        "evidence": fact.evidence,
        "source_url": fact.source_url,
        "origin": fact.origin,
        "first_observed_at": _stored_iso(fact.first_observed_at),
        "observed_at": _stored_iso(fact.observed_at),
        "stale": fact.observed_at is not None and fact.observed_at < stale_before,
    }


def _fact_values(facts: list[dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    by_field: dict[str, set[str]] = {}
    for fact in facts:
        by_field.setdefault(fact["field"], set()).add(fact["value"])
    for name in FACT_FIELDS:
        found = sorted(by_field.get(name, ()))
        values[f"fact_{name}"] = "; ".join(found) if found else None
    ordered = sorted(facts, key=lambda f: (f["field"], f["value"]))
    values["facts_json"] = json.dumps(ordered, ensure_ascii=False)
    values["stale_facts"] = sum(f["stale"] for f in facts)
    return values


def _dpia_values(
    facts: list[dict[str, Any]], reviews: dict[int, dict], pages: int
) -> dict[str, Any]:
    answers = answer_questions(facts, reviews, pages)
    values = {f"dpia_q{a.question.number}": a.status for a in answers}
    values["dpia_reviews_json"] = json.dumps(
        {str(n): {k: _plain(v) for k, v in r.items()} for n, r in sorted(reviews.items())},
        ensure_ascii=False,
    )
    return values


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class _CsvWriter:
    def __init__(self, path: Path):
        self.handle = path.open("w", newline="", encoding="utf-8")
        self.writer = csv.DictWriter(self.handle, fieldnames=[c[0] for c in COLUMNS])
        self.writer.writeheader()

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.writer.writerows(csv_row(row) for row in rows)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


class _JsonlWriter(_CsvWriter):
    def __init__(self, path: Path):
        self.handle = path.open("w", encoding="utf-8")

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.handle.writelines(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


class _ParquetWriter:
    """One Parquet row group per batch, written as it comes."""

    def __init__(self, path: Path):
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"integer": pa.int64(), "float": pa.float64()}
        self.schema = pa.schema([(name, types.get(kind, pa.string())) for name, kind, _ in COLUMNS])
        self.writer = pq.ParquetWriter(path, self.schema)
        self.pa = pa

    def write(self, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        names = self.schema.names
        if list(rows[0]) == names:  # rows are built in column order: transpose, no lookups
            columns = list(zip(*(row.values() for row in rows), strict=True))
        else:  # pragma: no cover - a row built in another order
            columns = [[row.get(name) for row in rows] for name in names]
        arrays = [self.pa.array(c, type=f.type) for c, f in zip(columns, self.schema, strict=True)]
        self.writer.write_batch(self.pa.RecordBatch.from_arrays(arrays, schema=self.schema))

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.writer.close()


def data_dictionary(catalogue: Catalogue, export_name: str, row_count: int) -> str:
    try:
        edcat_version = version("edcat")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        edcat_version = "unknown"
    lines = [
        f"# Data dictionary for `{export_name}`",
        "",
        f"- Rows: {row_count} (one per tool)",
        f"- Exported: {datetime.now().astimezone().isoformat(timespec='seconds')}",
        f"- Made by: edcat {edcat_version}, catalogue schema version {SCHEMA_VERSION}",
        f"- Catalogue: `{catalogue.path.name}`",
        "",
        "Tool names, URLs and categories are facts. Descriptions come from public lists under",
        "the licences in each row's `provenance_json`; cite the source repositories named there.",
        "Facts with origin `crawl` were found on the vendor's own pages (quote and URL in",
        "`facts_json`); origin `import` means a source list stated it. A missing fact means",
        "unknown, not 'no'. Multi-valued cells are separated by '; '.",
        "",
        "| column | type | description |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {kind} | {text} |" for name, kind, text in COLUMNS]
    return "\n".join(lines) + "\n"
