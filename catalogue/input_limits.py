"""The limits every tool import row must meet, the same for CSV and JSON Lines.

The values live in `catalogue.settings.LIMITS`; each message names the limit it broke, so a
user can look it up. Checked before anything else in a row: an oversized or binary field is
reported without being parsed further.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from catalogue.errors import CatalogueError, InvalidInput
from catalogue.escaping import is_control as _is_control
from catalogue.settings import LIMITS

NAME_FIELDS = ("name",)
URL_FIELDS = ("url", "homepage", "source_url")
# Line breaks and tabs are ordinary in descriptions; every other control character is not text.
TEXT_WHITESPACE = "\t\n\r"


def check_row_count(path: Path, count: int) -> None:
    """Raise InvalidInput once a file has more rows than LIMITS.max_rows (nothing imported)."""
    if count > LIMITS.max_rows:
        raise InvalidInput(
            str(path), [f"more than {LIMITS.max_rows:,} rows ({_limit('max_rows')})"]
        )


def check_record_limits(record: dict[str, Any], where: str) -> list[str]:
    """Problems with one row's sizes and characters, each naming the row, field and limit."""
    problems = []
    for key, value in record.items():
        field = f"{where}, field {str(key)[: LIMITS.max_name_chars]!r}"
        if len(str(key)) > LIMITS.max_name_chars:
            problems.append(f"{field}: column name over {_limit('max_name_chars')}")
            continue
        problems += _size_problems(field, str(key), value)
        problems += _character_problems(field, str(key), value)
    return problems


def checked_text(what: str, value: str, kind: str = "text") -> str:
    """`value` stripped, or a CatalogueError naming `what`: the import's size and character
    rules for one value a person typed (a shortlist name, a review's answer or source).
    `kind` is "name", "url" or "text"."""
    key = {"name": NAME_FIELDS[0], "url": URL_FIELDS[0], "text": "description"}[kind]
    problems = _size_problems(what, key, value) + _character_problems(what, key, value)
    if problems:
        raise CatalogueError(problems[0])
    return value.strip()


def _size_problems(field: str, key: str, value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list) and len(value) > LIMITS.max_list_items:
        return [f"{field}: {len(value):,} items, over {_limit('max_list_items')}"]
    limit = (
        "max_name_chars"
        if key in NAME_FIELDS
        else "max_url_chars"
        if key in URL_FIELDS
        else "max_text_chars"
    )
    size = len(value) if isinstance(value, str) else len(json.dumps(value, ensure_ascii=False))
    if size > getattr(LIMITS, limit):
        return [f"{field}: {size:,} characters, over {_limit(limit)}"]
    return []


def _character_problems(field: str, key: str, value: Any) -> list[str]:
    if isinstance(value, list):  # facet lists, listed facts, sources: each item's text
        return [p for item in value for p in _character_problems(field, key, item)][:1]
    if isinstance(value, dict):  # a listed fact's evidence, a source's URL
        return [p for k, v in value.items()
                for p in _character_problems(f"{field}.{k}", str(k), v)][:1]
    if not isinstance(value, str):
        return []
    text = value.strip()
    if _plainly_printable(text, key):
        return []
    if key in NAME_FIELDS:
        bad = next((c for c in text if _is_control(c)), None)
        kind = "a name must be printable"
    elif key in URL_FIELDS:
        bad = next((c for c in text if _is_control(c) or c.isspace()), None)
        kind = "a URL holds no spaces or control characters"
    else:
        bad = next((c for c in text if _is_control(c) and c not in TEXT_WHITESPACE), None)
        kind = "text holds no control characters but tabs and line breaks"
    if bad is None:
        return []
    return [f"{field}: contains {_codepoint(bad)} ({kind})"]


def _plainly_printable(text: str, key: str) -> bool:
    """A fast yes for most values: str.isprintable() (in C) is false for every control and
    format character, so when it holds, once allowed whitespace is set aside, the character
    checks below would find nothing. A false here only means: look character by character."""
    if key in NAME_FIELDS:
        return text.isprintable()
    if key in URL_FIELDS:
        return text.isprintable() and " " not in text
    return text.translate(_ALLOWED_WHITESPACE).isprintable()


_ALLOWED_WHITESPACE = dict.fromkeys(map(ord, TEXT_WHITESPACE))


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}" + (" (space)" if char == " " else "")


def _limit(name: str) -> str:
    return f"the limit {name}={getattr(LIMITS, name):,}"
