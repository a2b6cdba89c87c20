"""`edcat tools import`: read a CSV or JSON Lines tool list, validate every row, then write all.

Validation happens before any write, and the write is one transaction, so a file with one bad
row imports nothing. Re-importing a tool (same canonical homepage, or same name when it has no
homepage) updates it instead of adding a duplicate, and so does a record that is the same tool
by registrable domain plus normalised name (`catalogue.identity`): it is merged into the tool,
which keeps every source. Two such records in one file are merged before anything is written.

Each imported fact carries the URL of the source that states it, or none when that source
cannot be linked: never the URL of another source of the same record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import insert, select, update

from catalogue.db import Catalogue, refresh_search_index
from catalogue.errors import InvalidInput
from catalogue.files import read_csv, read_utf8
from catalogue.identity import DuplicateIndex
from catalogue.input_limits import check_record_limits, check_row_count
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
    # Later rows of the same file that were the same tool and were merged into this one.
    merged_rows: list[int] = field(default_factory=list)


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    facts_added: int = 0
    merged: int = 0  # records merged into another record or tool that is the same tool
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
    problems = check_record_limits(record, where)
    if problems:  # an oversized or binary row is not looked at any further
        return None, problems
    name = _text(record.get("name"))
    if not name:
        problems.append(f"{where}, field 'name': missing")
    url = _text(record.get("url") or record.get("homepage"))
    if url and not is_http_url(url):
        problems.append(f"{where}, field 'url': {url!r} is not an http(s) URL")
    provenance = _provenance(record)
    facts = []
    for column, (fact_field, allowed) in FACET_COLUMNS.items():
        for value in _list(record.get(column)):
            if value not in allowed:
                problems.append(
                    f"{where}, field '{column}': unknown value {value!r} "
                    f"(valid: {', '.join(allowed)})"
                )
            facts.append(_column_fact(fact_field, value, record, provenance, where))
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
            provenance=provenance,
        ),
        [],
    )


def _column_fact(
    fact_field: str, value: str, record: dict[str, Any], provenance: list[dict], where: str
) -> dict[str, str | None]:
    """A facet column's value: the row's own source states it. With several sources the row
    cannot say which one, so the fact names the row and links to none of them."""
    source = _text(record.get("source"))
    single = len(provenance) <= 1 and source and ";" not in source
    stated_by = source if single else f"the imported list ({where})"
    return {
        "field": fact_field,
        "value": value,
        "evidence": f"{stated_by} lists {fact_field.replace('_', ' ')} as {value!r}",
        "source_url": _source_url(provenance[0]) if len(provenance) == 1 else None,
    }


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
                "evidence": _text(fact.get("evidence"))
                or f"{where} lists {name.replace('_', ' ')} as {value!r}",
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
    same_tool: DuplicateIndex[ToolRecord] = DuplicateIndex()
    for count, (number, raw) in enumerate(read_rows(path), start=1):
        check_row_count(path, count)
        record, row_problems = validate_record(number, raw, label)
        problems.extend(row_problems)
        if record is None:
            continue
        if record.identity_key in seen:
            problems.append(
                f"{label} {number}: duplicates {label} {seen[record.identity_key].row} "
                f"(same tool: {record.homepage or record.name})"
            )
            continue
        earlier = same_tool.find(record.name, record.homepage)
        if earlier is not None:
            merge_records(earlier, record)
            continue
        seen[record.identity_key] = record
        same_tool.add(record.name, record.homepage, record)
        records.append(record)
    if problems:
        raise InvalidInput(str(path), problems)
    if not records:
        raise InvalidInput(str(path), ["no tools in file"])
    return records


def merge_records(keep: ToolRecord, other: ToolRecord) -> None:
    """Fold `other` (a later row that is the same tool) into `keep`: every source and fact
    stays, empty text columns are filled, and a site-root homepage wins over a deeper one."""
    homepage = preferred_homepage(keep.homepage, other.homepage)
    keep.provenance = merged_provenance(
        _with_homepage(keep.provenance, keep.homepage, homepage),
        _with_homepage(other.provenance, other.homepage, homepage),
    )
    keep.homepage = homepage  # the identity stays the first row's, so a re-import matches it
    for column, value in other.values.items():
        keep.values[column] = keep.values.get(column) or value
    stated = {(f["field"], f["value"]) for f in keep.facts}
    keep.facts += [f for f in other.facts if (f["field"], f["value"]) not in stated]
    keep.covered_fields |= other.covered_fields
    keep.merged_rows.append(other.row)


def preferred_homepage(current: str | None, other: str | None) -> str | None:
    """The homepage a merged tool keeps: the current one, unless only the other is a site root."""
    if not current:
        return other
    if other and not _is_site_root(current) and _is_site_root(other):
        return other
    return current


def _is_site_root(url: str) -> bool:
    return urlsplit(url).path in ("", "/") and not urlsplit(url).query


def _with_homepage(
    sources: list[dict[str, Any]], homepage: str | None, kept: str | None
) -> list[dict[str, Any]]:
    """Sources that gave a homepage the merged tool does not keep say which one they gave."""
    if not homepage or homepage == kept:
        return sources
    return [{**source, "homepage": source.get("homepage", homepage)} for source in sources]


def merged_provenance(
    current: list[dict[str, Any]], new: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Every source of both. A new entry for the same source record (file, and the homepage it
    gave when that is not the tool's) replaces the old one, as after a re-import at a newer
    commit, so re-importing a record does not pile up its sources."""
    renewed = {_source_key(s) for s in new}
    kept = [s for s in current if _source_key(s) not in renewed]
    return kept + [s for n, s in enumerate(new) if s not in new[:n]]


def _source_key(source: dict[str, Any]) -> tuple:
    return tuple(source.get(k) for k in ("repo", "path", "index_id", "homepage"))


def import_tools(
    catalogue: Catalogue, path: str | Path, records: list[ToolRecord] | None = None
) -> ImportResult:
    """Validate `path` completely (unless its `records` are passed in, already validated), then
    add or update its tools in one transaction."""
    path = Path(path)
    records = records if records is not None else validate_file(path)
    result = ImportResult(merged=sum(len(r.merged_rows) for r in records))
    with catalogue.write_connection() as conn:
        stored = {row.id: row for row in conn.execute(select(*STORED_COLUMNS))}
        matches = _match_existing(records, stored.values())
        slugs = {row.slug for row in stored.values()}
        inserts, updates = [], []
        now = utcnow()
        for record, current in zip(records, matches, strict=True):
            if current is None:
                values = {**dict.fromkeys(TEXT_COLUMNS), "provenance": [], **_tool_values(record)}
                values.update(slug=_unique_slug(record, slugs), first_seen=now, updated_at=now)
                inserts.append(values)
            else:
                values = _updated_values(record, current)
                result.merged += current.identity_key != record.identity_key
                updates.append(values)
        if inserts:
            conn.execute(insert(Tool), inserts)
        updated = _apply_updates(conn, updates, stored, now)
        result.added = len(inserts)
        ids = {row.identity_key: row.id for row in conn.execute(select(Tool.id, Tool.identity_key))}
        result.tool_ids = [
            current.id if current is not None else ids[record.identity_key]
            for record, current in zip(records, matches, strict=True)
        ]
        # Only a record that is the tool's own (same identity) restates, and so retracts, the
        # tool's import facts; a record merged in from another list only adds to them.
        own = [
            (record, tool_id)
            for record, current, tool_id in zip(records, matches, result.tool_ids, strict=True)
            if current is None or current.identity_key == record.identity_key
        ]
        pairs = list(zip(records, result.tool_ids, strict=True))
        result.facts_added, facts_changed = _sync_import_facts(conn, pairs, own, now)
        new_ids = {ids[values["identity_key"]] for values in inserts}
        existing_changed = (facts_changed - new_ids) | updated
        if existing_changed - updated:
            conn.execute(
                update(Tool).where(Tool.id.in_(existing_changed - updated)).values(updated_at=now)
            )
        result.updated = len(existing_changed)
        result.unchanged = len(updates) - result.updated
        refresh_search_index(conn, None if len(records) > 5000 else result.tool_ids)
    return result


STORED_COLUMNS = (
    Tool.id,
    Tool.slug,
    Tool.identity_key,
    Tool.name,
    Tool.homepage,
    Tool.provenance,
    *[getattr(Tool, c) for c in TEXT_COLUMNS],
)


def _match_existing(records: list[ToolRecord], stored: Iterable[Any]) -> list[Any | None]:
    """Per record, the stored tool it is: same identity key, else the same tool by registrable
    domain plus name (`catalogue.identity`), else None (a new tool)."""
    by_identity = {}
    same_tool: DuplicateIndex[Any] = DuplicateIndex()
    for row in stored:
        by_identity[row.identity_key] = row
        same_tool.add(row.name, row.homepage, row)
    return [
        by_identity.get(record.identity_key) or same_tool.find(record.name, record.homepage)
        for record in records
    ]


def _tool_values(record: ToolRecord) -> dict[str, Any]:
    values = {k: v for k, v in record.values.items() if v is not None}
    values.update(
        name=record.name,
        identity_key=record.identity_key,
        homepage=record.homepage,
        domain=domain_of(record.homepage),
    )
    if record.provenance:
        values["provenance"] = record.provenance
    return values


def _updated_values(record: ToolRecord, current: Any) -> dict[str, Any]:
    """The stored tool's new values. Its own record (same identity) rewrites the text columns;
    a record merged in fills only empty ones and keeps the tool's name. Either way the tool
    keeps its identity, every source, and a site-root homepage over a deeper one."""
    values = _tool_values(record)
    if current.identity_key != record.identity_key:
        values = {k: v for k, v in values.items() if current._mapping.get(k) in (None, "")}
    homepage = preferred_homepage(current.homepage, record.homepage)
    values.update(
        identity_key=current.identity_key,
        homepage=homepage,
        domain=domain_of(homepage),
        provenance=merged_provenance(
            _with_homepage(current.provenance or [], current.homepage, homepage),
            _with_homepage(record.provenance, record.homepage, homepage),
        ),
        tool_id=current.id,
    )
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


def _apply_updates(conn, updates: list[dict[str, Any]], stored: dict[int, Any], now) -> set[int]:
    """Update changed tools only, so `updated_at` (and --changed-since) means a real change.
    Returns the ids of the tools that changed."""
    changed_ids = set()
    for values in updates:
        tool_id = values.pop("tool_id")
        row = stored[tool_id]._mapping
        if all(row.get(k) == v for k, v in values.items() if k in row):
            continue
        conn.execute(update(Tool).where(Tool.id == tool_id).values(**values, updated_at=now))
        changed_ids.add(tool_id)
    return changed_ids


def _sync_import_facts(
    conn,
    pairs: list[tuple[ToolRecord, int]],
    own: list[tuple[ToolRecord, int]],
    now,
) -> tuple[int, set[int]]:
    """Add the facts each (record, tool id) states, and retract, for the tools' `own` records,
    earlier import facts in the fields the record covers that it no longer states. Returns
    (facts added, tools changed)."""
    present = {
        (row.tool_id, row.field, row.value)
        for row in conn.execute(
            select(Fact.tool_id, Fact.field, Fact.value).where(Fact.retracted_at.is_(None))
        )
    }
    changed = _retract_dropped_import_facts(conn, own, now)
    rows = []
    for record, tool_id in pairs:
        for fact in record.facts:
            key = (tool_id, fact["field"], fact["value"])
            if key in present:
                continue
            present.add(key)
            rows.append(
                {
                    "tool_id": tool_id,
                    "field": fact["field"],
                    "value": fact["value"],
                    "evidence": fact["evidence"],
                    "source_url": fact["source_url"],
                    "origin": "import",
                    "first_observed_at": now,
                    "observed_at": now,
                }
            )
    if rows:
        conn.execute(insert(Fact), rows)
    return len(rows), changed | {row["tool_id"] for row in rows}


def _retract_dropped_import_facts(conn, own: list[tuple[ToolRecord, int]], now) -> set[int]:
    stated = {
        tool_id: (r.covered_fields, {(f["field"], f["value"]) for f in r.facts})
        for r, tool_id in own
        if r.covered_fields
    }
    if not stated:
        return set()
    active = conn.execute(
        select(Fact.id, Fact.tool_id, Fact.field, Fact.value).where(
            Fact.origin == "import", Fact.retracted_at.is_(None)
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


def _source_url(source: dict[str, Any]) -> str | None:
    """A link to one source record: the repository file at its commit when known."""
    repo, path, commit = source.get("repo"), source.get("path"), source.get("commit")
    if repo and path and commit and repo.count("/") == 1:
        return f"https://github.com/{repo}/blob/{commit}/{path}"
    return None
