"""End to end: the real `edcat` command against a temporary catalogue."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest

from tests.conftest import TOOLS


@pytest.fixture
def imported(edcat):
    edcat("tools", "import", str(TOOLS / "small.csv"))
    edcat("tools", "import", str(TOOLS / "small.jsonl"))
    return edcat


def test_import_list_show_stats(imported):
    listing = imported(
        "tools",
        "list",
        "--audience",
        "students",
        "--phase",
        "primary",
        "--pricing",
        "free",
        "--pricing",
        "freemium",
        "--format",
        "json",
    )
    rows = json.loads(listing.stdout)
    assert [r["name"] for r in rows] == ["Kahoot!", "Scratch"]
    for key in (
        "name",
        "homepage",
        "purpose",
        "purpose_confidence",
        "pedagogy",
        "pedagogy_confidence",
    ):
        assert key in rows[0]
    table = imported("tools", "list", "--search", "graphing").stdout
    assert "Desmos" in table and "1 of 1 matching tools" in table
    card = imported("tools", "show", "desmos").stdout
    assert "https://www.desmos.com/" in card and "subject" in card and "maths" in card
    card_json = json.loads(imported("tools", "show", "Desmos", "--format", "json").stdout)
    assert card_json["facts"][0]["evidence"] == "test/fixture lists 'Maths'"
    stats = json.loads(imported("stats", "--format", "json").stdout)
    assert stats["tools"] == 6
    assert stats["pricing"]["freemium"] == 2 and stats["pricing"]["unknown"] == 2
    assert stats["purpose_by_pedagogy"] == {"unclassified": {"unclassified": 6}}


def test_list_csv_and_jsonl(imported):
    rows = list(csv.DictReader(imported("tools", "list", "--format", "csv").stdout.splitlines()))
    assert len(rows) == 6 and rows[0]["name"] == "Arbor MIS"
    lines = imported("tools", "list", "--format", "jsonl", "--limit", "2").stdout.splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["Arbor MIS", "Desmos"]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_export_reads_back_with_dictionary(imported, tmp_path, fmt):
    out = tmp_path / f"export.{fmt}"
    result = imported("export", "--format", fmt, "--out", str(out))
    assert "wrote 6 tools" in result.stdout
    if fmt == "csv":
        rows = list(csv.DictReader(out.open(encoding="utf-8")))
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    else:
        import pyarrow.parquet as pq

        rows = pq.read_table(out).to_pylist()
    assert len(rows) == 6
    kahoot = next(r for r in rows if r["name"] == "Kahoot!")
    assert kahoot["fact_pricing_model"] == "freemium"
    assert kahoot["fact_audience"] == "students; teachers"
    assert kahoot["purpose"] == "unclassified"
    desmos = next(r for r in rows if r["name"] == "Desmos")
    assert json.loads(desmos["provenance_json"])[0]["commit"] == "abc123"
    facts = json.loads(desmos["facts_json"])
    assert facts[0]["source_url"] == "https://example.org/list"
    dictionary = (tmp_path / "export.dictionary.md").read_text()
    for column in rows[0]:
        assert f"`{column}`" in dictionary


def test_bad_import_names_rows_and_leaves_no_catalogue(edcat, db_path):
    result = edcat("tools", "import", str(TOOLS / "bad_rows.csv"), check=False)
    assert result.returncode == 1
    assert "row 3, field 'name': missing" in result.stderr
    assert "Traceback" not in result.stderr
    assert not db_path.exists()


def test_bad_import_into_existing_catalogue_changes_nothing(imported, db_path):
    before = db_path.read_bytes()
    result = imported("tools", "import", str(TOOLS / "duplicates.csv"), check=False)
    assert result.returncode == 1 and "duplicates row 2" in result.stderr
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM tools").fetchone()[0] == 6
    assert len(before) > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tools", "list", "--purpose", "teaching"], "valid values: workflow-productivity"),
        (["tools", "list", "--fact", "nope=1"], "unknown fact field 'nope'"),
        (["tools", "show", "nonexistent-tool"], "no tool 'nonexistent-tool'"),
    ],
)
def test_user_errors_are_one_line_exit_1(imported, args, message):
    result = imported(*args, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_and_corrupt_database(edcat, tmp_path):
    missing = edcat("tools", "list", check=False, db=tmp_path / "nope.db")
    assert missing.returncode == 1 and "no catalogue at" in missing.stderr
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"garbage" * 1000)
    result = edcat("stats", check=False, db=corrupt)
    assert result.returncode == 1 and "is not an edcat catalogue" in result.stderr
    assert corrupt.read_bytes() == b"garbage" * 1000


def test_info_reports_location(imported, db_path):
    out = imported("info").stdout
    assert str(db_path) in out and "6 tools" in out


def test_every_command_has_help_with_an_example(edcat):
    from typer.main import get_command

    from cli.main import app

    root = get_command(app)

    def walk(command, path):
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, [*path, name])
        else:
            yield path, command

    commands = list(walk(root, []))
    assert len(commands) >= 7
    for path, command in commands:
        assert command.help and "Example:" in command.help, (
            f"edcat {' '.join(path)} lacks an example"
        )
