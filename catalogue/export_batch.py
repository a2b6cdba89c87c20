"""The export's columns for one batch of tools, read with one statement per related table.

An export of 100,000 tools spent most of its time in Python, once per tool and fact: ORM rows,
a dict and an encoder call per fact, the seven DPIA answers as objects, then every row copied
into columns for Parquet. Here each batch's facts, pages, current tags and provenance come
from one plain sqlite3 statement each, keyed by the batch's ids (one JSON parameter, so each
statement is prepared once); facts arrive sorted as the export lists them, each already as
its JSON text; the DPIA statuses come from `catalogue.risk.question_statuses`, once per
combination of stated fields, reviews and pages; and the values go straight into one list per
column, which is what a Parquet record batch is made of. Every value is written exactly as
before (tests/test_export.py compares the formats with each other and the risk cards).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from itertools import groupby
from operator import itemgetter
from typing import Any

from catalogue.risk import QUESTIONS, question_statuses
from catalogue.vocabulary import DIMENSIONS, FACT_FIELDS

# One encoder for every value: json.dumps(value, ensure_ascii=False) builds one per call.
to_json = json.JSONEncoder(ensure_ascii=False).encode

_BATCH_IDS = "(SELECT value FROM json_each(?))"


def _t_sql(column: str) -> str:
    """SQL for `column.replace(" ", "T", 1)`."""
    space = f"instr({column}, ' ')"
    return (
        f"CASE WHEN {space} > 0 THEN substr({column}, 1, {space} - 1) || 'T' || "
        f"substr({column}, {space} + 1) ELSE {column} END"
    )


def _without_micros_sql(column: str) -> str:
    """SQL for `column.removesuffix(".000000")`."""
    return (
        f"CASE WHEN substr({column}, -7) = '.000000' "
        f"THEN substr({column}, 1, length({column}) - 7) ELSE {column} END"
    )


# Each fact as the JSON object `facts_json` holds, written by SQLite: json_quote escapes text
# exactly as Python's encoder (ensure_ascii=False) does (tests/test_export.py checks), and the
# separators are Python's, so the text is what json.dumps wrote, without a dict per fact.
# Dates as `stored_iso` writes them.
_FACT_JSON_VALUES = {
    "field": "json_quote(field)",
    "value": "json_quote(value)",
    "evidence": "json_quote(evidence)",
    "source_url": "json_quote(source_url)",
    "origin": "json_quote(origin)",
    "first_observed_at": f"json_quote({_without_micros_sql('first_t')})",
    "observed_at": f"json_quote({_without_micros_sql('observed_t')})",
    "stale": "CASE WHEN stale THEN 'true' ELSE 'false' END",
}
_FACT_JSON = (
    "'{' || "
    + " || ', ' || ".join(f"'\"{key}\": ' || {sql}" for key, sql in _FACT_JSON_VALUES.items())
    + " || '}'"
)
# Facts sorted as `facts_json` lists them: by field, then value, then as stored. `stale`: not
# re-observed since the first parameter (stored times compare as text, in ISO order).
FACTS_SQL = (
    f"SELECT tool_id, field, value, origin = 'crawl', stale, {_FACT_JSON} FROM "
    "(SELECT id, tool_id, field, value, evidence, source_url, origin, "
    f"{_t_sql('first_observed_at')} AS first_t, {_t_sql('observed_at')} AS observed_t, "
    "observed_at IS NOT NULL AND observed_at < ? AS stale "
    f"FROM facts WHERE tool_id IN {_BATCH_IDS} AND retracted_at IS NULL) "
    "ORDER BY tool_id, field, value, id"
)
PAGES_SQL = f"SELECT tool_id, url, kind, http_status FROM pages WHERE tool_id IN {_BATCH_IDS}"
CLASSIFICATIONS_SQL = (
    "SELECT tool_id, dimension, label, model_version, created_at, evidence "
    f"FROM classifications WHERE tool_id IN {_BATCH_IDS} AND is_current IS 1"
)
LABELS_SQL = (
    "SELECT tool_id, dimension, label, annotator, created_at "
    f"FROM labels WHERE tool_id IN {_BATCH_IDS} AND is_current IS 1"
)
PROVENANCE_SQL = f"SELECT id, provenance FROM tools WHERE id IN {_BATCH_IDS}"
REVIEWED_SQL = (
    f"SELECT DISTINCT tool_id FROM reviews WHERE tool_id IN {_BATCH_IDS} AND is_current IS 1"
)

PLAIN_TOOL_COLUMNS = ("id", "name", "slug", "homepage", "domain", "category", "description")
FACT_FIELD_COLUMNS = {name: f"fact_{name}" for name in FACT_FIELDS}
DPIA_COLUMNS = [f"dpia_q{q.number}" for q in QUESTIONS]


def batch_statements(ids: Sequence[int], stale_before: str = "") -> dict[str, tuple[str, list]]:
    """What an export reads for one batch of tools, by name: (SQL, parameters). Facts
    observed before `stale_before` (a stored time) are stale."""
    params = [json.dumps(list(ids))]
    return {
        "facts": (FACTS_SQL, [stale_before, *params]),
        "pages": (PAGES_SQL, params),
        "provenance": (PROVENANCE_SQL, params),
        "classifications": (CLASSIFICATIONS_SQL, params),
        "labels": (LABELS_SQL, params),
        "reviewed": (REVIEWED_SQL, params),
    }


def aware_iso(stored: str | None) -> str | None:
    """A stored (UTC, zone-less) time as the ORM returns it, written with isoformat():
    '2026-11-23 10:00:00.123456' -> '2026-11-23T10:00:00.123456+00:00'."""
    if stored is None:
        return None
    return _aware_iso(stored)


@lru_cache(maxsize=65536)
def _aware_iso(stored: str) -> str:
    moment = datetime.fromisoformat(stored)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()


def read_batch(
    connection: Any,
    tools: dict[str, list],
    reviews_of: Callable[[list[int]], dict[int, dict[int, dict]]],
    stale_before: str,
) -> dict[str, list]:
    """The export columns (name -> one value per tool) of a batch. `tools` holds the list
    query's columns (catalogue.query.build_sql) for the batch, name -> values;
    `reviews_of(ids)` reads the current reviews of the tools that have any."""
    ids = tools["id"]
    statements = batch_statements(ids, stale_before)

    def fetch(name: str) -> list[tuple]:
        sql, params = statements[name]
        return connection.execute(sql, params).fetchall()

    columns, crawled = _tool_columns(tools, _grouped(fetch("provenance")), _grouped(fetch("pages")))
    tags = {(row[0], row[1]): row for row in fetch("classifications")}
    labels = {(row[0], row[1]): row for row in fetch("labels")}
    for dimension in DIMENSIONS:
        columns.update(_tag_columns(dimension, tools, tags, labels))
    vendor_fields = _fact_columns(ids, fetch("facts"), columns)
    reviewed = [row[0] for row in fetch("reviewed")]
    reviews = reviews_of(reviewed) if reviewed else {}
    columns.update(_dpia_columns(ids, vendor_fields, reviews, crawled))
    return columns


def _grouped(rows: Iterable[tuple]) -> dict[int, list[tuple]]:
    """Rows by their first column (a tool id), in the order they came."""
    grouped: dict[int, list[tuple]] = {}
    for row in rows:
        grouped.setdefault(row[0], []).append(row)
    return grouped


def _tool_columns(
    tools: dict[str, list], provenance: dict, pages: dict
) -> tuple[dict[str, list], list[int]]:
    """The tool's own columns, and how many of each tool's stored pages answered."""
    columns = {name: tools[name] for name in PLAIN_TOOL_COLUMNS}
    for name in ("first_seen", "last_crawled", "updated_at"):
        columns[name] = [aware_iso(value) for value in tools[name]]
    sources, provenance_json, page_urls, crawled = [], [], [], []
    for tool_id in tools["id"]:
        stored = [p for row in provenance.get(tool_id, ()) for p in _json(row[1]) or []]
        sources.append("; ".join(dict.fromkeys(s.get("repo", "") for s in stored)))
        provenance_json.append(to_json(stored))
        tool_pages = pages.get(tool_id, ())
        page_urls.append("; ".join(f"{url} ({kind})" for _, url, kind, _ in tool_pages))
        # pages that answered: one now gone (404, 410) says nothing (catalogue.risk)
        crawled.append(sum(1 for *_, status in tool_pages if (status or 200) < 400))
    columns.update(sources=sources, provenance_json=provenance_json, page_urls=page_urls)
    return columns, crawled


@lru_cache(maxsize=4096)
def _json(stored: str | None) -> Any:
    """Decoded JSON text of a column (provenance and evidence repeat often: '[]')."""
    return None if stored is None else json.loads(stored)


def _tag_columns(
    dimension: str, tools: dict[str, list], models: dict, labels: dict
) -> dict[str, list]:
    ids = tools["id"]
    model_rows = [models.get((tool_id, dimension)) for tool_id in ids]
    label_rows = [labels.get((tool_id, dimension)) for tool_id in ids]

    def part(rows: list, index: int, convert=None) -> list:
        values = [None if row is None else row[index] for row in rows]
        return [convert(v) for v in values] if convert else values

    return {
        dimension: tools[dimension],
        f"{dimension}_source": tools[f"{dimension}_source"],
        f"{dimension}_confidence": tools[f"{dimension}_confidence"],
        f"{dimension}_model_label": part(model_rows, 2),
        f"{dimension}_model_version": part(model_rows, 3),
        f"{dimension}_classified_at": part(model_rows, 4, aware_iso),
        f"{dimension}_evidence": part(model_rows, 5, _evidence_terms),
        f"{dimension}_label": part(label_rows, 2),
        f"{dimension}_label_annotator": part(label_rows, 3),
        f"{dimension}_labelled_at": part(label_rows, 4, aware_iso),
    }


@lru_cache(maxsize=4096)
def _evidence_terms(stored: str | None) -> str:
    return "; ".join(str(e.get("term", "")) for e in _json(stored) or [])


def _fact_columns(
    ids: list[int], rows: Iterable[tuple], columns: dict[str, list]
) -> dict[int, set[str]]:
    """Add the fact columns of a batch from its FACTS_SQL rows (sorted by tool, field and
    value) to `columns`; return the fields each tool's own pages state (for the DPIA)."""
    position = {tool_id: n for n, tool_id in enumerate(ids)}
    by_field = {name: [None] * len(ids) for name in FACT_FIELDS}
    facts_json, stale = ["[]"] * len(ids), [0] * len(ids)
    vendor_fields: dict[int, set[str]] = {}
    for tool_id, tool_facts in groupby(rows, itemgetter(0)):
        tool_facts = list(tool_facts)
        n = position[tool_id]
        facts_json[n] = "[" + ", ".join([fact[5] for fact in tool_facts]) + "]"
        stale[n] = sum(fact[4] for fact in tool_facts)
        vendor_fields[tool_id] = {fact[1] for fact in tool_facts if fact[3]}
        for field, same in groupby(tool_facts, itemgetter(1)):
            if field in by_field:  # sorted by value: each distinct value once, in order
                by_field[field][n] = "; ".join(dict.fromkeys(fact[2] for fact in same))
    columns.update({FACT_FIELD_COLUMNS[name]: column for name, column in by_field.items()})
    columns.update(facts_json=facts_json, stale_facts=stale)
    return vendor_fields


def _dpia_columns(
    ids: list[int],
    vendor_fields: dict[int, set[str]],
    reviews: dict[int, dict[int, dict]],
    crawled: list[int],
) -> dict[str, list]:
    statuses, reviews_json = [], []
    for tool_id, pages in zip(ids, crawled, strict=True):
        tool_reviews = reviews.get(tool_id, {})
        fields = frozenset(vendor_fields.get(tool_id, ()))
        statuses.append(_statuses(fields, frozenset(tool_reviews), pages > 0))
        reviews_json.append(_reviews_json(tool_reviews) if tool_reviews else "{}")
    columns = {name: [s[n] for s in statuses] for n, name in enumerate(DPIA_COLUMNS)}
    columns["dpia_reviews_json"] = reviews_json
    return columns


def _reviews_json(reviews: dict[int, dict]) -> str:
    return to_json(
        {str(n): {k: _plain(v) for k, v in r.items()} for n, r in sorted(reviews.items())}
    )


@lru_cache(maxsize=4096)  # few combinations occur: most tools share one
def _statuses(vendor_fields: frozenset[str], reviewed: frozenset[int], crawled: bool):
    return question_statuses(vendor_fields, reviewed, int(crawled))


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
