"""`edcat export`: one row per tool with its facts, labels, classifications and provenance.

Every column is described once, in COLUMNS; the data dictionary written beside the export is
made from the same list, so the two cannot drift apart. Files are written to a temporary name
and renamed into place, so an interrupted export never leaves a half-written file.
"""

from __future__ import annotations

import csv
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from catalogue.db import SCHEMA_VERSION, Catalogue, catalogue_error
from catalogue.errors import CatalogueError
from catalogue.escaping import csv_row
from catalogue.export_batch import read_batch, to_json
from catalogue.files import atomic_path, check_output_path
from catalogue.query import ToolQuery, build_sql
from catalogue.risk import QUESTIONS, all_current_reviews
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


COLUMN_NAMES = [name for name, _, _ in COLUMNS]


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
        for columns in export_batches(catalogue, query, stale_after_days(stale_days)):
            writer.write(columns)
            written += len(columns["id"])
    dictionary = out.with_name(out.stem + ".dictionary.md")
    with atomic_path(dictionary) as tmp:
        tmp.write_text(data_dictionary(catalogue, out.name, written), encoding="utf-8")
    return written, dictionary


def export_rows(
    catalogue: Catalogue, query: ToolQuery, stale_days: int
) -> Iterator[dict[str, Any]]:
    """The export's rows one by one (read in batches), as {column: value} in COLUMNS order."""
    for columns in export_batches(catalogue, query, stale_days):
        yield from batch_rows(columns)


def batch_rows(columns: dict[str, list]) -> list[dict[str, Any]]:
    """A batch's columns as rows, each in COLUMNS order."""
    values = zip(*(columns[name] for name in COLUMN_NAMES), strict=True)
    return [dict(zip(COLUMN_NAMES, row, strict=True)) for row in values]


def export_batches(
    catalogue: Catalogue, query: ToolQuery, stale_days: int, size: int | None = None
) -> Iterator[dict[str, list]]:
    """The export's columns (name -> values), EXPORT_BATCH tools (or `size`) at a time, in
    the query's order. The matching tools are streamed from one query; each batch's facts,
    pages, tags and provenance are read by tool id (indexed lookups, see
    catalogue/hot_queries.py), all in one read transaction."""
    query.validated()
    size = size or EXPORT_BATCH
    sql, params = build_sql(query)
    with catalogue.engine.connect() as conn, conn.begin():
        raw = conn.connection.driver_connection  # plain sqlite3: no ORM rows to convert
        try:
            matches = raw.execute(sql, params)
            names = [d[0] for d in matches.description]
            while partition := matches.fetchmany(size):
                tools = dict(zip(names, map(list, zip(*partition, strict=True)), strict=True))
                reviews = partial(all_current_reviews, catalogue)
                yield read_batch(raw, tools, reviews, _stale_before(stale_days))
        except sqlite3.Error as exc:
            raise catalogue_error(exc, str(catalogue.path), writing=False) or exc from None


def _stale_before(stale_days: int) -> str:
    """Facts observed before this stored time are stale (see catalogue.freshness)."""
    cutoff = datetime.now(UTC) - timedelta(days=stale_days)
    return cutoff.strftime("%Y-%m-%d %H:%M:%S.%f")


class _CsvWriter:
    def __init__(self, path: Path):
        self.handle = path.open("w", newline="", encoding="utf-8")
        self.writer = csv.DictWriter(self.handle, fieldnames=[c[0] for c in COLUMNS])
        self.writer.writeheader()

    def write(self, columns: dict[str, list]) -> None:
        self.writer.writerows(csv_row(row) for row in batch_rows(columns))

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


class _JsonlWriter(_CsvWriter):
    def __init__(self, path: Path):
        self.handle = path.open("w", encoding="utf-8")

    def write(self, columns: dict[str, list]) -> None:
        self.handle.writelines(to_json(row) + "\n" for row in batch_rows(columns))


class _ParquetWriter:
    """One Parquet row group per batch, written as it comes."""

    def __init__(self, path: Path):
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"integer": pa.int64(), "float": pa.float64()}
        self.schema = pa.schema([(name, types.get(kind, pa.string())) for name, kind, _ in COLUMNS])
        self.writer = pq.ParquetWriter(path, self.schema)
        self.pa = pa

    def write(self, columns: dict[str, list]) -> None:
        if not columns["id"]:
            return
        arrays = [self.pa.array(columns[f.name], type=f.type) for f in self.schema]
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
