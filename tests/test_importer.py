from __future__ import annotations

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
    path.write_text("name,url\nQuizzer,https://quizzer.example/\nQuizzer,https://quizzer.test/\n")
    import_tools(catalogue, path)
    slugs = [r[0] for r in execute_sql(catalogue, "SELECT slug FROM tools ORDER BY id")]
    assert slugs == ["quizzer", "quizzer-quizzer-test"]


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


def test_import_in_small_batches_matches_one_batch(tmp_path, monkeypatch):
    import catalogue.importer as importer
    from catalogue import open_catalogue

    def imported(batch: int, name: str):
        monkeypatch.setattr(importer, "IMPORT_BATCH", batch)
        catalogue = open_catalogue(tmp_path / name, create=True)
        first = importer.import_tools(catalogue, TOOLS / "small.csv")
        again = importer.import_tools(catalogue, TOOLS / "small.csv")
        rows = execute_sql(
            catalogue,
            "SELECT t.slug, f.field, f.value FROM tools t JOIN facts f ON f.tool_id = t.id "
            "WHERE f.retracted_at IS NULL ORDER BY 1, 2, 3",
        )
        catalogue.close()
        return (first.added, first.facts_added, again.unchanged, again.tool_ids), rows

    assert imported(1, "one.db") == imported(1000, "all.db")
