"""Import limits (catalogue/input_limits.py, values in catalogue.settings.LIMITS): the same for
CSV and JSON Lines, each refusal naming the row, the field and the limit, nothing imported."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest

import catalogue.input_limits as input_limits
from catalogue import InvalidInput, import_tools
from catalogue.db import execute_sql
from catalogue.settings import LIMITS


def write(path: Path, rows: list[dict]) -> Path:
    """`rows` as CSV or JSON Lines, by the file's suffix."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    else:
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return path


def refusal(catalogue, path: Path) -> str:
    with pytest.raises(InvalidInput) as raised:
        import_tools(catalogue, path)
    assert execute_sql(catalogue, "SELECT count(*) FROM tools") == [(0,)]
    return "\n".join(raised.value.problems)


GOOD = {"name": "Fine", "url": "https://fine.example/", "description": "ok"}
CASES = {
    "oversized description": (
        {"description": "x" * (LIMITS.max_text_chars + 1)},
        f"field 'description': {LIMITS.max_text_chars + 1:,} characters, over the limit "
        f"max_text_chars={LIMITS.max_text_chars:,}",
    ),
    "oversized name": (
        {"name": "n" * 201},
        "field 'name': 201 characters, over the limit max_name_chars",
    ),
    "oversized url": (
        {"url": "https://a.example/" + "p" * 2100},
        "field 'url': 2,118 characters, over the limit max_url_chars",
    ),
    "NUL in a name": ({"name": "Bad\x00name"}, "field 'name': contains U+0000"),
    "escape in a name": ({"name": "Bad\x1b[31m"}, "field 'name': contains U+001B"),
    "line break in a name": ({"name": "two\nlines"}, "field 'name': contains U+000A"),
    "NUL in a host": ({"url": "https://bad\x00host.example/"}, "field 'url': contains U+0000"),
    "space in a host": (
        {"url": "https://bad host.example/"},
        "field 'url': contains U+0020 (space)",
    ),
    "NUL in a description": ({"description": "a\x00b"}, "field 'description': contains U+0000"),
}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
@pytest.mark.parametrize("case", list(CASES))
def test_each_limit_is_the_same_for_csv_and_json_lines(catalogue, tmp_path, suffix, case):
    change, message = CASES[case]
    path = write(tmp_path / f"tools{suffix}", [GOOD | {"name": "Other"}, GOOD | change])
    label = "line" if suffix == ".jsonl" else "row"
    assert f"{label} {2 if suffix == '.jsonl' else 3}, {message}" in refusal(catalogue, path)


def test_line_breaks_and_tabs_in_a_description_are_text(catalogue, tmp_path):
    path = write(tmp_path / "tools.jsonl", [GOOD | {"description": "one\n\ttwo"}])
    assert import_tools(catalogue, path).added == 1


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_too_many_rows_is_refused_naming_the_limit(catalogue, tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(input_limits, "LIMITS", dataclasses.replace(LIMITS, max_rows=3))
    rows = [{"name": f"T{n}", "url": f"https://t{n}.example/", "description": ""} for n in range(4)]
    assert "more than 3 rows (the limit max_rows=3)" in refusal(
        catalogue, write(tmp_path / f"t{suffix}", rows)
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"facts": [{"field": "gdpr", "value": "yes", "evidence": "We comply\u202e."}]},
         "field 'facts'.evidence: contains U+202E"),
        ({"facts": [{"field": "gdpr", "value": "yes", "source_url": "https://a.example/a b"}]},
         "field 'facts'.source_url: contains U+0020 (space)"),
        ({"audience": ["teach\x07ers"]}, "field 'audience': contains U+0007"),
        ({"sources": [{"repo": "x\u200by"}]}, "field 'sources'.repo: contains U+200B"),
    ],
)
def test_text_inside_lists_and_objects_is_checked_too(catalogue, tmp_path, extra, message):
    """A listed fact's evidence reaches the tool page and exports like a description does."""
    path = write(tmp_path / "tools.jsonl", [GOOD | extra])
    assert message in refusal(catalogue, path)


def test_too_many_facts_in_a_row_is_refused(catalogue, tmp_path):
    facts = [{"field": "audience", "value": "students"}] * (LIMITS.max_list_items + 1)
    path = write(tmp_path / "tools.jsonl", [GOOD | {"facts": facts}])
    assert "over the limit max_list_items" in refusal(catalogue, path)


def test_a_20_mb_json_lines_description_is_refused_on_one_line(edcat, tmp_path):
    path = write(tmp_path / "big.jsonl", [GOOD | {"description": "x" * 20_000_000}])
    result = edcat("tools", "import", str(path), check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "max_text_chars=20,000" in result.stderr
