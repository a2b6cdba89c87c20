"""`edcat tools import`: read a CSV or JSON Lines tool list, validate every row, then write all.

Validation happens before any write, and the write is one transaction, so a file with one bad
row imports nothing. Re-importing a tool (same canonical homepage, or same name when it has no
homepage) updates it instead of adding a duplicate.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from catalogue.db import Catalogue, refresh_search_index
from catalogue.errors import InvalidInput
from catalogue.files import read_csv, read_utf8
from catalogue.models import Fact, Tool, utcnow
from catalogue.urls import canonical_url, domain_of, is_http_url, name_key, slugify
from catalogue.vocabulary import AUDIENCES, FACT_FIELDS, PHASES, PRICING_MODELS, SUBJECTS

TEXT_COLUMNS = ("description", "category", "source", "vendor")
# Optional facet columns: a source list's own statement becomes a fact with that source as evidence.
FACET_COLUMNS = {
    "audience": ("audience", AUDIENCES),
    "phase": ("phase", PHASES),
    "subject": ("subject", SUBJECTS),
    "pricing": ("pricing_model", PRICING_MODELS),
}
# Flat provenance columns (CSV) and the keys they take in a tool's provenance list.
PROVENANCE_COLUMNS = {
    "source_repo": "repo",
    "source_path": "path",
    "source_commit": "commit",
    "licence": "licence",
}


@dataclass
class ToolRecord:
    """One validated input row."""

    row: int
    name: str
    homepage: str | None
    identity_key: str
    values: dict[str, str | None]
    facts: list[dict[str, str | None]]
    # Fact fields this row speaks for: a re-import replaces the tool's import facts in them.
    covered_fields: frozenset[str]
    provenance: list[dict[str, Any]]


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    facts_added: int = 0
    tool_ids: list[int] = field(default_factory=list)


def read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (row number, record) from CSV (row 1 is the header) or JSON Lines."""
    content = read_utf8(path)
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        yield from _json_lines(path, content)
    else:
        yield from _csv_rows(path, content)


def _json_lines(path: Path, content: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(str(path), [f"line {number}: not valid JSON ({exc.msg})"]) from None
        if not isinstance(record, dict):
            raise InvalidInput(str(path), [f"line {number}: expected a JSON object"])
        yield number, record


def _csv_rows(path: Path, content: str) -> Iterator[tuple[int, dict[str, Any]]]:
    header, rows, problems = read_csv(path, content)
    if "name" not in header:
        found = ", ".join(header) or "no header"
        raise InvalidInput(str(path), [f"header: missing column 'name' (found: {found})"])
    if problems:
        raise InvalidInput(str(path), problems)
    yield from rows


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip().lower() for v in value if str(v).strip()]
    return [v.strip().lower() for v in str(value).replace("|", ";").split(";") if v.strip()]


def validate_record(
    number: int, record: dict[str, Any], label: str
) -> tuple[ToolRecord | None, list[str]]:
    """Check one row; return the record or the problems, each naming the row and field."""
    where = f"{label} {number}"
    problems = []
    name = _text(record.get("name"))
    if not name:
        problems.append(f"{where}, field 'name': missing")
    url = _text(record.get("url") or record.get("homepage"))
    if url and not is_http_url(url):
        problems.append(f"{where}, field 'url': {url!r} is not an http(s) URL")
    facts = []
    for column, (fact_field, allowed) in FACET_COLUMNS.items():
        for value in _list(record.get(column)):
            if value not in allowed:
                problems.append(
                    f"{where}, field '{column}': unknown value {value!r} "
                    f"(valid: {', '.join(allowed)})"
                )
            facts.append({"field": fact_field, "value": value})
    listed, fact_problems = _listed_facts(record.get("facts"), where)
    facts += listed
    problems += fact_problems
    if problems:
        return None, problems
    homepage = canonical_url(url) if url else None
    return (
        ToolRecord(
            row=number,
            name=name,
            homepage=homepage,
            identity_key=homepage or name_key(name),
            values={c: _text(record.get(c)) for c in TEXT_COLUMNS},
            facts=facts,
            covered_fields=frozenset(
                [f for column, (f, _) in FACET_COLUMNS.items() if column in record]
                + (list(FACT_FIELDS) if "facts" in record else [])
            ),
            provenance=_provenance(record),
        ),
        [],
    )


def _listed_facts(raw: Any, where: str) -> tuple[list[dict[str, str | None]], list[str]]:
    """JSON Lines records may carry `facts`: [{field, value, evidence?, source_url?}, ...]."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [f"{where}, field 'facts': expected a list of objects"]
    facts, problems = [], []
    for n, fact in enumerate(raw, start=1):
        name = str(fact.get("field", "")).strip().lower() if isinstance(fact, dict) else ""
        value = str(fact.get("value", "")).strip().lower() if isinstance(fact, dict) else ""
        allowed = FACT_FIELDS.get(name, ())
        if name not in FACT_FIELDS or not value or (allowed and value not in allowed):
            problems.append(f"{where}, field 'facts' item {n}: unknown fact {name}={value!r}")
            continue
        facts.append(
            {
                "field": name,
                "value": value,
                "evidence": _text(fact.get("evidence")),
                "source_url": _text(fact.get("source_url")),
            }
        )
    return facts, problems


def _provenance(record: dict[str, Any]) -> list[dict[str, Any]]:
    sources = record.get("sources")
    if isinstance(sources, list):
        return [s for s in sources if isinstance(s, dict)]
    single = {key: _text(record.get(column)) for column, key in PROVENANCE_COLUMNS.items()}
    return [{k: v for k, v in single.items() if v}] if any(single.values()) else []


def validate_file(path: Path) -> list[ToolRecord]:
    """Every row checked; raises InvalidInput listing every problem, or returns all records."""
    label = "line" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "row"
    records, problems, seen = [], [], {}
    for number, raw in read_rows(path):
        record, row_problems = validate_record(number, raw, label)
        problems.extend(row_problems)
        if record is None:
            continue
        if record.identity_key in seen:
            problems.append(
                f"{label} {number}: duplicates {label} {seen[record.identity_key]} "
                f"(same tool: {record.homepage or record.name})"
            )
            continue
        seen[record.identity_key] = number
        records.append(record)
    if problems:
        raise InvalidInput(str(path), problems)
    if not records:
        raise InvalidInput(str(path), ["no tools in file"])
    return records


IMPORT_BATCH = 1000  # records written per round of statements: memory bounded by the batch


def import_tools(
    catalogue: Catalogue, path: str | Path, records: list[ToolRecord] | None = None
) -> ImportResult:
    """Validate `path` completely (unless its `records` are passed in, already validated), then
    add or update its tools in one transaction, IMPORT_BATCH records at a time (each batch
    reads only its own tools and facts, so the cost does not grow with the catalogue)."""
    path = Path(path)
    records = records if records is not None else validate_file(path)
    result = ImportResult()
    with catalogue.engine.begin() as conn:
        slugs = set(conn.execute(select(Tool.slug)).scalars())
        now = utcnow()
        for start in range(0, len(records), IMPORT_BATCH):
            _import_batch(conn, records[start : start + IMPORT_BATCH], slugs, now, result)
        refresh_search_index(conn, None if len(records) > 5000 else result.tool_ids)
    return result


def _import_batch(conn, records: list[ToolRecord], slugs: set[str], now, result) -> None:
    keys = [r.identity_key for r in records]
    existing = dict(
        conn.execute(select(Tool.identity_key, Tool.id).where(Tool.identity_key.in_(keys))).all()
    )
    inserts, updates = [], []
    for record in records:
        values = _tool_values(record, now)
        if record.identity_key not in existing:
            values = {**dict.fromkeys(TEXT_COLUMNS), "provenance": [], **values}
            values["slug"] = _unique_slug(record, slugs)
            values["first_seen"] = now
            inserts.append(values)
        else:
            values["tool_id"] = existing[record.identity_key]
            updates.append(values)
    if inserts:
        conn.execute(insert(Tool), inserts)
    updated = _apply_updates(conn, updates, now)
    ids = dict(
        conn.execute(select(Tool.identity_key, Tool.id).where(Tool.identity_key.in_(keys))).all()
    )
    result.added += len(inserts)
    result.tool_ids += [ids[r.identity_key] for r in records]
    facts_added, facts_changed = _sync_import_facts(conn, records, ids, now)
    result.facts_added += facts_added
    existing_changed = (facts_changed - {ids[r["identity_key"]] for r in inserts}) | updated
    if existing_changed - updated:
        conn.execute(
            update(Tool).where(Tool.id.in_(existing_changed - updated)).values(updated_at=now)
        )
    result.updated += len(existing_changed)
    result.unchanged += len(updates) - len(existing_changed)


def _tool_values(record: ToolRecord, now) -> dict[str, Any]:
    values = {k: v for k, v in record.values.items() if v is not None}
    values.update(
        name=record.name,
        identity_key=record.identity_key,
        homepage=record.homepage,
        domain=domain_of(record.homepage),
        updated_at=now,
    )
    if record.provenance:
        values["provenance"] = record.provenance
    return values


def _unique_slug(record: ToolRecord, taken: set[str]) -> str:
    """The name's slug; if taken, with the domain; then numbered."""
    base = slugify(record.name)
    candidates = [base]
    if record.homepage:
        candidates.append(f"{base}-{slugify(domain_of(record.homepage) or '')}")
    slug = next((c for c in candidates if c not in taken), None)
    number = 2
    while slug is None:
        slug = f"{base}-{number}" if f"{base}-{number}" not in taken else None
        number += 1
    taken.add(slug)
    return slug


def _apply_updates(conn, updates: list[dict[str, Any]], now) -> set[int]:
    """Update changed tools only, so `updated_at` (and --changed-since) means a real change.
    Returns the ids of the tools that changed."""
    if not updates:
        return set()
    columns = (
        Tool.id,
        Tool.name,
        Tool.homepage,
        Tool.provenance,
        *[getattr(Tool, c) for c in TEXT_COLUMNS],
    )
    wanted = [values["tool_id"] for values in updates]
    by_id = {
        row.id: row._mapping for row in conn.execute(select(*columns).where(Tool.id.in_(wanted)))
    }
    changed = []
    for values in updates:
        stored = by_id[values["tool_id"]]
        fields = {k: v for k, v in values.items() if k not in ("tool_id", "updated_at")}
        if any(stored.get(k) != v for k, v in fields.items() if k in stored):
            changed.append(values)
    changed_ids = set()
    for values in changed:
        tool_id = values.pop("tool_id")
        values.pop("identity_key")
        conn.execute(update(Tool).where(Tool.id == tool_id).values(**values))
        changed_ids.add(tool_id)
    return changed_ids


def _sync_import_facts(
    conn, records: list[ToolRecord], ids: dict[str, int], now
) -> tuple[int, set[int]]:
    """Add the facts each row states and retract the tool's earlier import facts, in the
    fields the row covers, that it no longer states. Returns (facts added, tools changed)."""
    present = {
        (row.tool_id, row.field, row.value)
        for row in conn.execute(
            select(Fact.tool_id, Fact.field, Fact.value).where(
                Fact.tool_id.in_(list(ids.values())), Fact.retracted_at.is_(None)
            )
        )
    }
    changed = _retract_dropped_import_facts(conn, records, ids, now)
    rows = []
    for record in records:
        tool_id = ids[record.identity_key]
        for fact in record.facts:
            key = (tool_id, fact["field"], fact["value"])
            if key in present:
                continue
            present.add(key)
            source = record.values.get("source") or "the imported list"
            rows.append(
                {
                    "tool_id": tool_id,
                    "field": fact["field"],
                    "value": fact["value"],
                    "evidence": fact.get("evidence")
                    or f"{source} lists {fact['field'].replace('_', ' ')} as {fact['value']!r}",
                    "source_url": fact.get("source_url") or _source_url(record),
                    "origin": "import",
                    "first_observed_at": now,
                    "observed_at": now,
                }
            )
    if rows:
        conn.execute(insert(Fact), rows)
    return len(rows), changed | {row["tool_id"] for row in rows}


def _retract_dropped_import_facts(conn, records: list[ToolRecord], ids: dict[str, int], now):
    stated = {
        ids[r.identity_key]: (r.covered_fields, {(f["field"], f["value"]) for f in r.facts})
        for r in records
        if r.covered_fields
    }
    if not stated:
        return set()
    active = conn.execute(
        select(Fact.id, Fact.tool_id, Fact.field, Fact.value).where(
            Fact.tool_id.in_(list(stated)), Fact.origin == "import", Fact.retracted_at.is_(None)
        )
    )
    dropped = [
        (row.id, row.tool_id)
        for row in active
        if row.tool_id in stated
        and row.field in stated[row.tool_id][0]
        and (row.field, row.value) not in stated[row.tool_id][1]
    ]
    for start in range(0, len(dropped), 500):
        chunk = [fact_id for fact_id, _ in dropped[start : start + 500]]
        conn.execute(update(Fact).where(Fact.id.in_(chunk)).values(retracted_at=now))
    return {tool_id for _, tool_id in dropped}


def _source_url(record: ToolRecord) -> str | None:
    """A link to the source record: the repository file at its commit when known."""
    for source in record.provenance:
        repo, path, commit = source.get("repo"), source.get("path"), source.get("commit")
        if repo and path and commit and repo.count("/") == 1:
            return f"https://github.com/{repo}/blob/{commit}/{path}"
    return None
