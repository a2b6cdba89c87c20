from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from catalogue import InvalidInput, import_tools
from catalogue.db import execute_sql
from catalogue.models import Fact, Tool
from tests.conftest import TOOLS


def count(catalogue, model) -> int:
    with catalogue.session() as session:
        return session.exec(select(func.count()).select_from(model)).scalar_one()


def test_import_csv_adds_tools_and_facet_facts(catalogue):
    result = import_tools(catalogue, TOOLS / "small.csv")
    assert (result.added, result.updated) == (4, 0)
    rows = execute_sql(catalogue, "SELECT name, homepage, domain FROM tools ORDER BY name")
    assert rows[0] == ("Arbor MIS", "https://arbor-education.com/", "arbor-education.com")
    facts = execute_sql(
        catalogue,
        "SELECT f.field, f.value, f.origin FROM facts f JOIN tools t ON t.id = f.tool_id "
        "WHERE t.name = 'Kahoot!' ORDER BY f.field, f.value",
    )
    assert ("pricing_model", "freemium", "import") in facts
    assert ("audience", "students", "import") in facts
    assert ("phase", "secondary", "import") in facts


def test_reimport_updates_instead_of_duplicating(catalogue):
    import_tools(catalogue, TOOLS / "small.csv")
    again = import_tools(catalogue, TOOLS / "small.csv")
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    changed = import_tools(catalogue, TOOLS / "updated.csv")  # same homepage, other spelling
    assert (changed.added, changed.updated) == (0, 1)
    assert count(catalogue, Tool) == 4
    [(description,)] = execute_sql(catalogue, "SELECT description FROM tools WHERE slug='kahoot'")
    assert "AI question generation" in description


def test_jsonl_import_keeps_provenance_and_listed_facts(catalogue):
    import_tools(catalogue, TOOLS / "small.jsonl")
    [(provenance,)] = execute_sql(catalogue, "SELECT provenance FROM tools WHERE name='Desmos'")
    assert '"commit": "abc123"' in provenance
    [(evidence, url)] = execute_sql(
        catalogue, "SELECT evidence, source_url FROM facts WHERE field='subject'"
    )
    assert evidence == "test/fixture lists 'Maths'"
    assert url == "https://example.org/list"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("bad_rows.csv", ["row 3, field 'name': missing", "row 4, field 'url': 'ftp://"]),
        ("duplicates.csv", ["row 3: duplicates row 2"]),
        ("no_name_column.csv", ["missing column 'name'"]),
        ("malformed.csv", ["malformed CSV"]),
        ("extra_fields.csv", ["row 2: more fields than the header has"]),
        ("bad_json.jsonl", ["line 2: not valid JSON"]),
    ],
)
def test_bad_files_name_the_problem_and_import_nothing(catalogue, name, expected):
    with pytest.raises(InvalidInput) as error:
        import_tools(catalogue, TOOLS / name)
    for text in expected:
        assert text in str(error.value)
    assert str(TOOLS / name) in str(error.value)
    assert count(catalogue, Tool) == 0
    assert count(catalogue, Fact) == 0


def test_unknown_facet_value_is_a_bad_row(catalogue, tmp_path):
    path = tmp_path / "facets.csv"
    path.write_text("name,url,phase\nX,https://x.example/,kindergarten-ish\n")
    with pytest.raises(InvalidInput, match="row 2, field 'phase': unknown value"):
        import_tools(catalogue, path)


@pytest.mark.parametrize(
    ("record", "problem"),
    [
        ({"name": ["Kahoot", "Quizizz"]}, "field 'name': expected text, got a list"),
        ({"name": {"en": "Kahoot"}}, "field 'name': expected text, got an object"),
        ({"name": True}, "field 'name': expected text, got true/false"),
        ({"name": "Kahoot", "vendor": ["A", "B"]}, "field 'vendor': expected text, got a list"),
        ({"name": "Kahoot", "audience": [["teachers"]]}, "field 'audience': expected text or"),
        (
            {"name": "K", "facts": [{"field": "price", "value": ["gbp 5"]}]},
            "field 'facts' item 1: expected text (value is a list)",
        ),
        (
            {"name": "K", "facts": [{"field": "gdpr", "value": "yes"}, 5]},
            "field 'facts' item 2: expected an object",
        ),
    ],
)
def test_a_json_value_of_the_wrong_kind_is_a_bad_row(catalogue, tmp_path, record, problem):
    """Not stored as its Python repr ("['Kahoot', 'Quizizz']") under a made-up slug."""
    path = tmp_path / "tools.jsonl"
    path.write_text(json.dumps({"name": "Fine", "url": "https://fine.example/"}) + "\n"
                    + json.dumps(record) + "\n")
    with pytest.raises(InvalidInput, match=re.escape(f"line 2, {problem}")):
        import_tools(catalogue, path)
    assert count(catalogue, Tool) == 0


def test_numbers_and_lists_of_text_are_read_as_text(catalogue, tmp_path):
    path = tmp_path / "tools.jsonl"
    path.write_text(json.dumps({"name": 2048, "audience": ["teachers", "students"]}) + "\n")
    import_tools(catalogue, path)
    assert count(catalogue, Tool) == 1 and count(catalogue, Fact) == 2


def test_not_utf8_is_reported(catalogue, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,url\nCaf\xe9,https://cafe.example/\n".encode("latin-1"))
    with pytest.raises(InvalidInput, match="not UTF-8"):
        import_tools(catalogue, path)


def test_a_failing_write_rolls_back_every_row(catalogue, monkeypatch):
    """Validation passed, then the database write fails half-way: nothing is kept."""
    import catalogue.importer as importer

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_sync_import_facts", explode)
    with pytest.raises(RuntimeError):
        import_tools(catalogue, TOOLS / "small.csv")
    assert count(catalogue, Tool) == 0


def test_same_name_different_sites_get_distinct_slugs(catalogue, tmp_path):
    path = tmp_path / "same.csv"
    # learnhub.test is not Quizzer's brand, so these are two tools (kahoot.com / kahoot.it are one)
    path.write_text("name,url\nQuizzer,https://quizzer.example/\nQuizzer,https://learnhub.test/\n")
    import_tools(catalogue, path)
    slugs = [r[0] for r in execute_sql(catalogue, "SELECT slug FROM tools ORDER BY id")]
    assert slugs == ["quizzer", "quizzer-learnhub-test"]


def test_bundled_seed_catalogue_imports_cleanly(catalogue):
    from tests.conftest import REPO

    result = import_tools(catalogue, REPO / "data" / "seed" / "tools.jsonl")
    assert result.added > 1000
    [(with_provenance,)] = execute_sql(
        catalogue, "SELECT count(*) FROM tools WHERE provenance != '[]'"
    )
    assert with_provenance == result.added


def test_reimport_replaces_the_facets_a_row_states(catalogue, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text("name,url,pricing,audience\nAlpha,https://alpha.example/,free,teachers\n")
    second = tmp_path / "second.csv"
    second.write_text("name,url,pricing\nAlpha,https://alpha.example/,paid\n")
    import_tools(catalogue, first)
    result = import_tools(catalogue, second)
    assert (result.updated, result.unchanged, result.facts_added) == (1, 0, 1)
    current = execute_sql(
        catalogue, "SELECT field, value FROM facts WHERE retracted_at IS NULL ORDER BY field"
    )
    # pricing is restated (free -> paid); audience is not in the second file, so it stays
    assert current == [("audience", "teachers"), ("pricing_model", "paid")]
    assert import_tools(catalogue, second).unchanged == 1


def test_url_with_a_bad_port_is_a_bad_row(catalogue, tmp_path):
    path = tmp_path / "port.csv"
    path.write_text("name,url\nA,http://example.com:99999/\nB,http://example.com:abc/\n")
    with pytest.raises(InvalidInput) as error:
        import_tools(catalogue, path)
    assert "row 2, field 'url'" in str(error.value) and "row 3, field 'url'" in str(error.value)


def write_jsonl(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


# Rows that fold into each other (kahoot.com / kahoot.it, a site root and a deeper page, a
# name without homepage) and rows that are stored tools of the small CSV list.
MIXED = [
    {"name": "Kahoot", "url": "https://kahoot.com/schools", "pricing": "freemium"},
    {"name": "Padlet", "url": "https://padlet.com/", "facts": [{"field": "gdpr", "value": "yes"}]},
    {"name": "Kahoot", "url": "https://kahoot.it/", "audience": "teachers"},
    {"name": "Quizzer", "url": "https://quizzer.example/"},
    {"name": "Quizzer", "url": "https://learnhub.test/", "pricing": "free"},
    {"name": "Wordsmith", "pricing": "paid", "source": "list-a"},
    {"name": "Word Smith", "url": "https://wordsmith.example/", "source": "list-b"},
    # The stored Scratch twice: by name alone (adds a fact), then its own record (same
    # homepage, another name), which retracts earlier imports' facts but not the one above.
    {"name": "Scratch", "pricing": "paid"},
    {"name": "Scratch Jr", "url": "https://scratch.mit.edu/", "pricing": "free"},
]


def catalogue_contents(catalogue) -> list:
    tools = execute_sql(
        catalogue,
        "SELECT id, slug, name, match_name, identity_key, homepage, provenance, description "
        "FROM tools ORDER BY id",
    )
    facts = execute_sql(
        catalogue,
        "SELECT tool_id, field, value, evidence, retracted_at IS NULL FROM facts ORDER BY id",
    )
    return [tools, facts]


def test_batches_of_one_store_what_one_batch_stores(tmp_path, monkeypatch):
    """Writing in batches changes nothing: merges within the file and into stored tools,
    slugs and facts come out the same with one record per batch."""
    import catalogue.importer as importer
    from catalogue import open_catalogue

    path = write_jsonl(tmp_path / "mixed.jsonl", *MIXED)
    contents, results = [], []
    for chunk_rows in (1000, 1):
        monkeypatch.setattr(importer, "CHUNK_ROWS", chunk_rows)
        catalogue = open_catalogue(tmp_path / f"c{chunk_rows}.db", create=True)
        import_tools(catalogue, TOOLS / "small.csv")
        results.append(import_tools(catalogue, path))
        results.append(import_tools(catalogue, path))
        contents.append(catalogue_contents(catalogue))
        catalogue.close()
    assert contents[0] == contents[1]
    assert [vars(r) for r in results[:2]] == [vars(r) for r in results[2:]]
    assert results[0].merged == 4 and results[0].tool_ids.count(4) == 2  # Scratch, twice


def test_a_failure_in_a_later_batch_keeps_no_earlier_batch(catalogue, monkeypatch):
    import catalogue.importer as importer

    monkeypatch.setattr(importer, "CHUNK_ROWS", 1)
    real, calls = importer._sync_import_facts, []

    def fail_on_the_third_batch(*args):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args)

    monkeypatch.setattr(importer, "_sync_import_facts", fail_on_the_third_batch)
    with pytest.raises(RuntimeError):
        import_tools(catalogue, TOOLS / "small.csv")
    assert len(calls) == 3 and count(catalogue, Tool) == 0


def test_a_file_changed_after_validation_imports_nothing(catalogue, tmp_path):
    from catalogue.importer import validate_file

    path = write_jsonl(tmp_path / "t.jsonl", *MIXED)
    validated = validate_file(path)
    write_jsonl(path, *MIXED, {"name": "Late", "url": "https://late.example/"})
    with pytest.raises(InvalidInput, match="changed while it was imported"):
        import_tools(catalogue, path, validated)
    assert count(catalogue, Tool) == 0


def test_an_upgraded_catalogue_matches_its_tools_by_normalised_name(tmp_path):
    """v8 fills in the normalised name of every stored tool: a v1 catalogue's Kahoot! takes
    in a record for kahoot.it instead of gaining a second Kahoot."""
    import shutil

    from catalogue import open_catalogue, upgrade_catalogue
    from tests.conftest import FIXTURES

    db = tmp_path / "v1.db"
    shutil.copy(FIXTURES / "catalogues" / "v1.db", db)
    upgrade_catalogue(db)
    catalogue = open_catalogue(db)
    assert execute_sql(catalogue, "SELECT match_name FROM tools WHERE id = 1") == [("kahoot",)]
    assert execute_sql(catalogue, "SELECT count(*) FROM tools WHERE match_name IS NULL") == [(0,)]
    result = import_tools(catalogue, write_jsonl(tmp_path / "k.jsonl", MIXED[2]))
    assert (result.added, result.merged, result.tool_ids) == (0, 1, [1])
    catalogue.close()


def generated_rows(path, rows: int):
    records = (
        {
            "name": f"Tool {n}",
            "url": f"https://tool{n}.example/",
            "description": "words " * 40,
            "facts": [
                {"field": "gdpr", "value": "yes"},
                {"field": "audience", "value": "teachers"},
            ],
        }
        for n in range(rows)
    )
    return write_jsonl(path, *records)


def test_import_memory_does_not_grow_with_the_file(catalogue, tmp_path, monkeypatch):
    """Four times the rows, far less than twice the peak memory: validation keeps hashes,
    writing holds one batch (holding the whole file took 3.7x)."""
    import tracemalloc

    import catalogue.importer as importer

    monkeypatch.setattr(importer, "CHUNK_ROWS", 200)
    import_tools(catalogue, TOOLS / "small.csv")  # modules and caches loaded once, not measured
    peaks = []
    for rows in (1000, 4000):
        path = generated_rows(tmp_path / f"{rows}.jsonl", rows)
        tracemalloc.start()
        import_tools(catalogue, path)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < 1.5 * peaks[0], peaks


def test_standard_input_is_spooled_and_read_twice(catalogue):
    """`-` cannot be read twice, so it is copied first; its format is told by a first "{"."""
    import io

    from catalogue.importer import import_source

    for data in (b"name,url\nAlpha,https://alpha.example/\n", json.dumps(MIXED[0]).encode()):
        with import_source("-", io.BytesIO(data)) as source:
            assert import_tools(catalogue, source).added == 1
    bad = io.BytesIO(b"name,url\n,https://b.example/\n")
    with pytest.raises(InvalidInput) as error, import_source("-", bad) as source:
        import_tools(catalogue, source)
    assert str(error.value).startswith("stdin: 1 bad row(s)")
    assert "row 2, field 'name': missing" in str(error.value)
    assert count(catalogue, Tool) == 2


def test_the_import_command_reads_standard_input(db_path):
    import os
    import subprocess

    from tests.conftest import REPO, edcat_command

    result = subprocess.run(
        [*edcat_command(), "--db", str(db_path), "tools", "import", "-"],
        input=(TOOLS / "small.jsonl").read_bytes(),
        capture_output=True,
        env={**os.environ, "COLUMNS": "200"},
        cwd=REPO,
        timeout=120,
        check=True,
    )
    assert b"imported standard input: 2 added" in result.stdout


def test_a_reimported_description_is_what_search_finds(catalogue, tmp_path):
    from catalogue import ToolQuery, query_tools

    path = tmp_path / "t.csv"
    for word in ("marmalade", "porridge"):
        path.write_text(f"name,url,description\nAlpha,https://alpha.example/,{word} maker\n")
        import_tools(catalogue, path)
    found = {w: len(query_tools(catalogue, ToolQuery(search=w))) for w in ("marmalade", "porridge")}
    assert found == {"marmalade": 0, "porridge": 1}


def test_imported_facts_store_dates_as_every_other_date(small_catalogue):
    """Facts are inserted without the ORM: their dates must still read as the tools' do."""
    [(tool_date, fact_date)] = execute_sql(
        small_catalogue,
        "SELECT t.first_seen, f.first_observed_at FROM tools t JOIN facts f ON f.tool_id = t.id "
        "WHERE f.origin = 'import' LIMIT 1",
    )
    assert len(fact_date) == len(tool_date) and not fact_date.endswith("+00:00")
