"""`edcat tools import`: read a CSV or JSON Lines tool list, validate every row, then write all.

Validation happens before any write, and the write is one transaction, so a file with one bad
row imports nothing. Neither pass holds the file: validating keeps per row only hashes of its
identity, name and domain (for duplicates within the file) plus the rows merged into an
earlier one; writing reads the file again and stores it in batches of CHUNK_ROWS records,
each matched against the stored tools by index lookups, so memory does not grow with the
file or the catalogue. Re-importing a tool (same canonical homepage, or same name when it has no
homepage) updates it instead of adding a duplicate, and so does a record that is the same tool
by registrable domain plus normalised name (`catalogue.identity`): it is merged into the tool,
which keeps every source. Two such records in one file are merged before anything is written.

Each imported fact carries the URL of the source that states it, or none when that source
cannot be linked: never the URL of another source of the same record.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import itertools
import json
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, TextIO, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import bindparam, func, insert, select, update

from catalogue.db import Catalogue, refresh_search_index
from catalogue.errors import InvalidInput
from catalogue.files import stream_csv
from catalogue.identity import DuplicateIndex, key_hash, match_name
from catalogue.input_limits import check_record_limits, check_row_count
from catalogue.models import Fact, Tool, utcnow
from catalogue.settings import LIMITS
from catalogue.urls import canonical_url, domain_of, is_http_url, name_key, slugify
from catalogue.vocabulary import AUDIENCES, FACT_FIELDS, PHASES, PRICING_MODELS, SUBJECTS

T = TypeVar("T")
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


def read_rows(
    path: Path, problems: list[str], digest: Any | None = None
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (row number, record) from CSV (row 1 is the header) or JSON Lines, one at a time.
    Problems with the file's structure that do not stop reading (a CSV row with extra fields)
    are appended to `problems`; `digest` (a hashlib object) is fed every byte read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > LIMITS.max_file_bytes:
            limit = f"max_file_bytes={LIMITS.max_file_bytes:,}"
            raise InvalidInput(str(path), [f"{size:,} bytes, over the limit {limit}"])
        with path.open("rb", buffering=0) as raw:
            binary = io.BufferedReader(_DigestingReader(raw, digest))
            if _is_json_lines(path):
                yield from _json_lines(path, io.TextIOWrapper(binary, encoding="utf-8-sig"))
            else:
                text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
                yield from _csv_rows(path, text, problems)
    except OSError as exc:
        raise InvalidInput(str(path), [f"cannot read file: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise InvalidInput(str(path), [f"not UTF-8 text (byte {_first_bad_byte(path)})"]) from None


class _DigestingReader(io.RawIOBase):
    """A raw binary file that feeds what is read from it to a hashlib object."""

    def __init__(self, raw: io.RawIOBase, digest: Any | None) -> None:
        self._raw, self._digest = raw, digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self._raw.readinto(buffer) or 0
        if self._digest is not None:
            self._digest.update(memoryview(buffer)[:count])
        return count


def _first_bad_byte(path: Path) -> int:
    """The offset of the first byte that is not UTF-8 (read again, only when there is one)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                return offset - pending + exc.start
            offset += len(block)
    return offset


def _is_json_lines(path: Path) -> bool:
    return path.suffix.lower() in (".jsonl", ".ndjson", ".json")


def _json_lines(path: Path, lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInput(str(path), [f"line {number}: not valid JSON ({exc.msg})"]) from None
        if not isinstance(record, dict):
            raise InvalidInput(str(path), [f"line {number}: expected a JSON object"])
        yield number, record


def _csv_rows(
    path: Path, text: TextIO, problems: list[str]
) -> Iterator[tuple[int, dict[str, Any]]]:
    header, rows = stream_csv(path, text, problems)
    if "name" not in header:
        found = ", ".join(header) or "no header"
        raise InvalidInput(str(path), [f"header: missing column 'name' (found: {found})"])
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


_SCALAR_COLUMNS = ("name", "url", "homepage", *TEXT_COLUMNS)


def _shape_problems(record: dict[str, Any], where: str) -> list[str]:
    """JSON values of the wrong kind: text columns take text (a number is read as text),
    facet columns text or a list of text."""
    problems = []
    for column in (*_SCALAR_COLUMNS, *PROVENANCE_COLUMNS, *FACET_COLUMNS):
        value = record.get(column)
        items = value if column in FACET_COLUMNS and isinstance(value, list) else [value]
        kind = next((_json_kind(v) for v in items if _json_kind(v)), None)
        if kind:
            wanted = "text or a list of text" if column in FACET_COLUMNS else "text"
            problems.append(f"{where}, field {column!r}: expected {wanted}, got {kind}")
    return problems


def _json_kind(value: Any) -> str | None:
    """The kind of a value that is not text (None for text, numbers and null)."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return None


def validate_record(
    number: int, record: dict[str, Any], label: str, *, limits_checked: bool = False
) -> tuple[ToolRecord | None, list[str]]:
    """Check one row; return the record or the problems, each naming the row and field.
    `limits_checked`: the row's sizes and characters passed already (the same bytes)."""
    where = f"{label} {number}"
    problems = [] if limits_checked else check_record_limits(record, where)
    if problems:  # an oversized or binary row is not looked at any further
        return None, problems
    problems = _shape_problems(record, where)
    if problems:  # a list where a name belongs would be stored as its Python repr
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
        item = f"{where}, field 'facts' item {n}"
        if not isinstance(fact, dict):
            problems.append(f"{item}: expected an object")
            continue
        wrong = [f"{key} is {_json_kind(v)}" for key, v in fact.items() if _json_kind(v)]
        if wrong:
            problems.append(f"{item}: expected text ({', '.join(wrong)})")
            continue
        name = str(fact.get("field", "")).strip().lower()
        value = str(fact.get("value", "")).strip().lower()
        allowed = FACT_FIELDS.get(name, ())
        if name not in FACT_FIELDS or not value or (allowed and value not in allowed):
            problems.append(f"{item}: unknown fact {name}={value!r}")
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


@contextmanager
def import_source(path: str | Path, stdin: BinaryIO | None = None) -> Iterator[Path]:
    """The file to import: `path`, or for "-" standard input copied to a temporary file (an
    import reads its input twice, to validate and then to write), JSON Lines when it starts
    with "{", else CSV. Problems found in the copy name "stdin"."""
    if str(path) != "-":
        yield Path(path)
        return
    stream = stdin if stdin is not None else sys.stdin.buffer
    with tempfile.TemporaryDirectory(prefix="edcat-import-") as folder:
        head = stream.read(1 << 16)
        json_lines = head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
        spool = Path(folder) / ("stdin.jsonl" if json_lines else "stdin.csv")
        _spool(stream, head, spool)
        try:
            yield spool
        except InvalidInput as exc:
            problems = [problem.replace(str(spool), "stdin") for problem in exc.problems]
            raise InvalidInput("stdin", problems) from None


def _spool(stream: BinaryIO, head: bytes, target: Path) -> None:
    copied = len(head)
    with target.open("wb") as out:
        out.write(head)
        while block := stream.read(1 << 20):
            copied += len(block)
            if copied > LIMITS.max_file_bytes:
                most = f"{LIMITS.max_file_bytes:,}"
                raise InvalidInput(
                    "stdin", [f"over {most} bytes (the limit max_file_bytes={most})"]
                )
            out.write(block)


@dataclass
class ValidatedFile:
    """What validating a file keeps for writing it: which rows fold into an earlier row (with
    those rows, validated), and a digest of the bytes checked, so the write can tell that it
    read the same file. No other row is kept."""

    path: Path
    label: str  # "row" (CSV) or "line" (JSON Lines)
    digest: str
    tools: int  # records left once rows that are the same tool are merged
    merged: dict[int, list[ToolRecord]]  # row -> the later rows merged into it, in order

    @property
    def merged_rows(self) -> int:
        return sum(len(rows) for rows in self.merged.values())


def validate_file(path: str | Path) -> ValidatedFile:
    """Every row checked; raises InvalidInput listing every problem, or returns what writing
    the file needs (`import_tools`)."""
    path = Path(path)
    label = "line" if _is_json_lines(path) else "row"
    problems: list[str] = []
    digest = hashlib.sha256()
    first_row: dict[int, int] = {}  # identity hash -> the row that has it
    same_tool: DuplicateIndex[int] = DuplicateIndex()
    merged: dict[int, list[ToolRecord]] = {}
    for count, (number, raw) in enumerate(read_rows(path, problems, digest), start=1):
        check_row_count(path, count)
        record, row_problems = validate_record(number, raw, label)
        problems.extend(row_problems)
        if record is None:
            continue
        identity = key_hash(record.identity_key)
        if identity in first_row:
            problems.append(
                f"{label} {number}: duplicates {label} {first_row[identity]} "
                f"(same tool: {record.homepage or record.name})"
            )
            continue
        earlier = same_tool.find_or_add(record.name, record.homepage, number)
        if earlier is not None:
            merged.setdefault(earlier, []).append(record)
            continue
        first_row[identity] = number
    if problems:
        raise InvalidInput(str(path), problems)
    if not first_row:
        raise InvalidInput(str(path), ["no tools in file"])
    return ValidatedFile(path, label, digest.hexdigest(), len(first_row), merged)


def merged_records(validated: ValidatedFile) -> Iterator[ToolRecord]:
    """The file's records again, read one at a time, each with the later rows that are the
    same tool merged in. Raises InvalidInput if the file changed since it was validated; the
    check of the last bytes comes after the last record, so a caller writing inside a
    transaction must read to the end before committing."""
    later = {record.row for records in validated.merged.values() for record in records}
    problems: list[str] = []
    digest = hashlib.sha256()
    for number, raw in read_rows(validated.path, problems, digest):
        if number in later:
            continue
        # Limits were checked on these bytes; if they are not the same, the digest says so.
        record, _ = validate_record(number, raw, validated.label, limits_checked=True)
        if record is None or problems:
            raise _changed_since_validated(validated.path)
        for other in validated.merged.get(number, []):
            merge_records(record, other)
        yield record
    if digest.hexdigest() != validated.digest:
        raise _changed_since_validated(validated.path)


def _changed_since_validated(path: Path) -> InvalidInput:
    return InvalidInput(str(path), ["the file changed while it was imported; nothing was imported"])


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


# Records written per batch: each batch is a few statements (executemany), and memory holds
# one batch, whatever the size of the file or the catalogue.
CHUNK_ROWS = 1000


def import_tools(
    catalogue: Catalogue,
    path: str | Path,
    validated: ValidatedFile | Sequence[ToolRecord] | None = None,
) -> ImportResult:
    """Validate `path` completely (unless it is passed in `validated`, or its records are,
    already validated), then add or update its tools in one transaction, in batches."""
    if validated is None:
        validated = validate_file(path)
    if isinstance(validated, ValidatedFile):
        records: Iterable[ToolRecord] = merged_records(validated)
        result = ImportResult(merged=validated.merged_rows)
    else:
        records = validated
        result = ImportResult(merged=sum(len(r.merged_rows) for r in validated))
    with catalogue.write_connection() as conn:
        now = utcnow()
        matched = sum(
            _write_chunk(conn, chunk, now, result) for chunk in _chunks(records, CHUNK_ROWS)
        )
        # Counted once at the end: two records of different batches may change one tool.
        result.updated = conn.execute(tools_changed_at(now)).scalar_one()
        result.unchanged = matched - result.updated
    return result


def tools_changed_at(now):
    """How many tools this import changed (not added): their updated_at is its time."""
    return (
        select(func.count()).select_from(Tool).where(Tool.updated_at == now, Tool.first_seen != now)
    )


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _write_chunk(conn, records: list[ToolRecord], now, result: ImportResult) -> int:
    """Add or update one batch of records, their facts and search rows; add to `result`.
    Returns how many records matched a stored tool."""
    matches = _match_existing(conn, records)
    inserts, updates = _tool_rows(conn, records, matches, now)
    if inserts:
        conn.execute(insert(Tool), inserts)
    stored = {row.id: row for row in matches if row is not None}
    updated = _apply_updates(conn, updates, stored, now)
    new_ids = _ids_of(conn, [values["identity_key"] for values in inserts])
    tool_ids = [
        current.id if current is not None else new_ids[record.identity_key]
        for record, current in zip(records, matches, strict=True)
    ]
    # Only a record that is the tool's own (same identity) restates, and so retracts, the
    # tool's import facts; a record merged in from another list only adds to them.
    own = [
        (record, tool_id)
        for record, current, tool_id in zip(records, matches, tool_ids, strict=True)
        if current is None or current.identity_key == record.identity_key
    ]
    pairs = list(zip(records, tool_ids, strict=True))
    facts_added, facts_changed = _sync_import_facts(conn, pairs, own, now)
    existing_changed = (facts_changed - set(new_ids.values())) | updated
    if existing_changed - updated:
        conn.execute(
            update(Tool).where(Tool.id.in_(existing_changed - updated)).values(updated_at=now)
        )
    # Search rows hold name and description: only new and updated tools need theirs rebuilt.
    refresh_search_index(conn, [*new_ids.values(), *updated])
    result.added += len(inserts)
    result.merged += sum(
        current is not None and current.identity_key != record.identity_key
        for record, current in zip(records, matches, strict=True)
    )
    result.facts_added += facts_added
    result.tool_ids += tool_ids
    return len(updates)


def _tool_rows(
    conn, records: list[ToolRecord], matches: list[Any | None], now
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows to insert, new values of matched tools) for a batch."""
    new = [record for record, current in zip(records, matches, strict=True) if current is None]
    slug_candidates = [_slug_candidates(record) for record in new]
    taken = _taken_slugs(conn, slug_candidates)
    inserts = []
    for record, candidates in zip(new, slug_candidates, strict=True):
        values = {**dict.fromkeys(TEXT_COLUMNS), "provenance": [], **_tool_values(record)}
        slug = _unique_slug(conn, candidates, taken)
        inserts.append({**values, "slug": slug, "first_seen": now, "updated_at": now})
    updates = [
        _updated_values(record, current)
        for record, current in zip(records, matches, strict=True)
        if current is not None
    ]
    return inserts, updates


STORED_COLUMNS = (
    Tool.id,
    Tool.slug,
    Tool.identity_key,
    Tool.name,
    Tool.match_name,
    Tool.homepage,
    Tool.provenance,
    *[getattr(Tool, c) for c in TEXT_COLUMNS],
)


def stored_tools_by_identity(keys: Iterable[str]):
    """The stored tools with these identity keys (an index lookup: identity_key is unique)."""
    return select(*STORED_COLUMNS).where(Tool.identity_key.in_(list(keys)))


def stored_tools_by_match_name(names: Iterable[str]):
    """The stored tools whose names normalise to one of `names` (index ix_tools_match_name)."""
    return select(*STORED_COLUMNS).where(Tool.match_name.in_(list(names))).order_by(Tool.id)


def _match_existing(conn, records: list[ToolRecord]) -> list[Any | None]:
    """Per record, the stored tool it is: same identity key, else the same tool by registrable
    domain plus name (`catalogue.identity`), else None (a new tool). Only the stored tools
    with one of the batch's identity keys or normalised names are read."""
    by_identity = {
        row.identity_key: row
        for row in conn.execute(stored_tools_by_identity({r.identity_key for r in records}))
    }
    names = {match_name(r.name) for r in records if r.identity_key not in by_identity} - {""}
    same_tool: DuplicateIndex[Any] = DuplicateIndex()
    if names:
        for row in conn.execute(stored_tools_by_match_name(names)):
            same_tool.add(row.name, row.homepage, row)
    return [
        by_identity.get(record.identity_key) or same_tool.find(record.name, record.homepage)
        for record in records
    ]


def _ids_of(conn, identity_keys: list[str]) -> dict[str, int]:
    if not identity_keys:
        return {}
    rows = conn.execute(
        select(Tool.identity_key, Tool.id).where(Tool.identity_key.in_(identity_keys))
    )
    return {key: tool_id for key, tool_id in rows}


def _tool_values(record: ToolRecord) -> dict[str, Any]:
    values = {k: v for k, v in record.values.items() if v is not None}
    values.update(
        name=record.name,
        match_name=match_name(record.name),
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


def _slug_candidates(record: ToolRecord) -> list[str]:
    """The name's slug, then with the domain."""
    base = slugify(record.name)
    candidates = [base]
    if record.homepage:
        candidates.append(f"{base}-{slugify(domain_of(record.homepage) or '')}")
    return candidates


def _taken_slugs(conn, candidates: Iterable[list[str]]) -> set[str]:
    """Which of the batch's candidate slugs stored tools have already."""
    return set(
        conn.execute(stored_slugs({slug for slugs in candidates for slug in slugs})).scalars()
    )


def stored_slugs(candidates: Iterable[str]):
    return select(Tool.slug).where(Tool.slug.in_(list(candidates)))


def numbered_slugs(base: str):
    """The stored slugs `base-...` (a GLOB on a prefix is a range search of the slug index)."""
    return select(Tool.slug).where(Tool.slug.op("GLOB")(f"{base}-*"))


def _unique_slug(conn, candidates: list[str], taken: set[str]) -> str:
    """The first free candidate (`taken` holds the stored ones and the batch's own); failing
    those, the name's slug numbered, after looking up the numbered slugs stored."""
    slug = next((c for c in candidates if c not in taken), None)
    if slug is None:
        base = candidates[0]
        taken |= set(conn.execute(numbered_slugs(base)).scalars())
        number = 2
        while f"{base}-{number}" in taken:
            number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


def _apply_updates(conn, updates: list[dict[str, Any]], stored: dict[int, Any], now) -> set[int]:
    """Update changed tools only, so `updated_at` (and --changed-since) means a real change;
    one executemany per set of columns. Returns the ids of the tools that changed."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in updates:
        tool_id = values.pop("tool_id")
        row = stored[tool_id]._mapping
        if all(row.get(k) == v for k, v in values.items() if k in row):
            continue
        by_columns.setdefault(tuple(sorted(values)), []).append(
            {**values, "updated_at": now, "changed_id": tool_id}
        )
    statement = update(Tool).where(Tool.id == bindparam("changed_id"))
    for rows in by_columns.values():
        conn.execute(statement, rows)
    return {row["changed_id"] for rows in by_columns.values() for row in rows}


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
        for row in conn.execute(active_facts_of_tools({tool_id for _, tool_id in pairs}))
    }
    changed = _retract_dropped_import_facts(conn, own, now)
    rows = []
    for record, tool_id in pairs:
        for fact in record.facts:
            key = (tool_id, fact["field"], fact["value"])
            if key not in present:
                present.add(key)
                rows.append((*key, fact["evidence"], fact["source_url"]))
    if rows:
        # Plain executemany: the rows are plain text, and SQLAlchemy's per-value processing
        # cost more than the insert itself. `now` is stored as the DateTime column stores it.
        stamp = _stored_datetime(conn, now)
        conn.exec_driver_sql(
            "INSERT INTO facts (tool_id, field, value, evidence, source_url, origin, "
            "first_observed_at, observed_at) VALUES (?, ?, ?, ?, ?, 'import', ?, ?)",
            [(*row, stamp, stamp) for row in rows],
        )
    return len(rows), changed | {row[0] for row in rows}


def _stored_datetime(conn, value):
    """`value` as the facts' DateTime columns store it (text, as SQLAlchemy writes it)."""
    column_type = Fact.__table__.c.observed_at.type.dialect_impl(conn.dialect)
    return column_type.bind_processor(conn.dialect)(value)


def active_facts_of_tools(tool_ids: Iterable[int]):
    """The active facts of a batch's tools (index ix_facts_tool_field)."""
    return select(Fact.tool_id, Fact.field, Fact.value).where(
        Fact.tool_id.in_(list(tool_ids)), Fact.retracted_at.is_(None)
    )


def import_facts_of_tools(tool_ids: Iterable[int], now):
    """The active import facts of a batch's tools, but those this import added (at `now`):
    a record retracts what earlier imports said, not what another record just stated."""
    return select(Fact.id, Fact.tool_id, Fact.field, Fact.value).where(
        Fact.tool_id.in_(list(tool_ids)),
        Fact.origin == "import",
        Fact.retracted_at.is_(None),
        Fact.first_observed_at != now,
    )


def _retract_dropped_import_facts(conn, own: list[tuple[ToolRecord, int]], now) -> set[int]:
    stated = {
        tool_id: (r.covered_fields, {(f["field"], f["value"]) for f in r.facts})
        for r, tool_id in own
        if r.covered_fields
    }
    if not stated:
        return set()
    active = conn.execute(import_facts_of_tools(stated, now))
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
