"""classifier/labels.py: validating, importing, setting, exporting and suggesting labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogue import InvalidInput
from catalogue.errors import EdcatError
from catalogue.labels import count_labels, current_labels
from classifier.errors import ClassifierError
from classifier.labels import (
    LABEL_COLUMNS,
    export_labels,
    import_labels,
    read_label_file,
    set_label,
    suggest,
)
from classifier.training import load_labelled_set, train

LABELS = Path(__file__).parent / "fixtures" / "labels"


@pytest.fixture(scope="module")
def toy_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    return train(load_labelled_set([LABELS / "toy.csv"]), out=out, repeats=1).path


def test_starter_file_is_valid():
    rows = read_label_file(LABELS.parent.parent.parent / "data" / "labels" / "starter.csv")
    assert len(rows) == 723 and all(r.purpose and r.pedagogy for r in rows)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_unknown_label.csv", "row 3 (Padlet), field 'pedagogy': unknown label "
                                  "'constructionist'"),
        ("bad_missing_column.csv", "header: missing column(s) pedagogy"),
        ("bad_empty_text.csv", "row 3 (Not In Catalogue), field 'text': empty"),
        ("bad_json_lines.csv", "labels are read from CSV; this looks like JSON"),
    ],
)
def test_bad_label_files_name_the_row_and_import_nothing(small_catalogue, name, message):
    before = count_labels(small_catalogue)
    with pytest.raises(InvalidInput) as error:
        import_labels(small_catalogue, LABELS / name)
    assert str(LABELS / name) in str(error.value) and message in str(error.value)
    assert "nothing imported" in str(error.value)
    assert count_labels(small_catalogue) == before == 0


def test_import_matches_tools_by_url_then_name_and_keeps_free_text(small_catalogue):
    result = import_labels(small_catalogue, LABELS / "good.csv", annotator="helper")
    assert (result.rows, result.matched, result.free_text, result.labels) == (4, 3, 1, 8)
    labels = {(lab.name, lab.dimension): lab for lab in current_labels(small_catalogue)}
    assert labels[("Kahoot!", "pedagogy")].tool_id is not None
    assert labels[("Scratch", "purpose")].tool_id is not None  # by name, no url or text
    assert labels[("Arbor MIS", "purpose")].annotator == "helper"  # blank in the file
    assert labels[("Kahoot!", "purpose")].annotator == "jb"
    free = labels[("Free Text Tool", "pedagogy")]
    assert free.tool_id is None and free.label == "social-constructivist"
    assert free.text.startswith("Free Text Tool. Students debate")


def test_set_replaces_the_current_label(small_catalogue):
    set_label(small_catalogue, "padlet", purpose="workflow-productivity", annotator="a")
    tool, given = set_label(small_catalogue, "Padlet", "teaching-learning",
                            "social-constructivist", note="thin-text", annotator="b")
    assert tool.name == "Padlet" and given == ["purpose=teaching-learning",
                                                "pedagogy=social-constructivist"]
    current = [lab for lab in current_labels(small_catalogue) if lab.name == "Padlet"]
    assert sorted((lab.dimension, lab.label, lab.annotator) for lab in current) == [
        ("pedagogy", "social-constructivist", "b"), ("purpose", "teaching-learning", "b")
    ]
    assert count_labels(small_catalogue) == 3
    with pytest.raises(ClassifierError, match="unknown pedagogy label 'fun'"):
        set_label(small_catalogue, "padlet", pedagogy="fun")


def test_export_writes_the_starter_format_and_reads_back(small_catalogue, tmp_path):
    import_labels(small_catalogue, LABELS / "good.csv")
    out = tmp_path / "labels.csv"
    assert export_labels(small_catalogue, out) == 4
    assert out.read_text().splitlines()[0] == ",".join(LABEL_COLUMNS)
    rows = {row.name: row for row in read_label_file(out)}
    assert rows["Kahoot!"].text.startswith("Kahoot!. Game-based quizzes")  # judged text kept
    assert "Create stories, games and animations" in rows["Scratch"].text  # document text
    assert rows["Arbor MIS"].note == "thin-text"
    assert (rows["Free Text Tool"].purpose, rows["Free Text Tool"].pedagogy) == (
        "teaching-learning", "social-constructivist")


def test_catalogue_labels_join_the_training_data(small_catalogue):
    import_labels(small_catalogue, LABELS / "good.csv")
    data = load_labelled_set([LABELS / "toy.csv"], small_catalogue)
    assert len(data) == 48 + 4
    assert data.sources[-1] == {"catalogue": str(small_catalogue.path), "labels": 8}
    names = [doc.name for doc in data.documents]
    scratch = data.documents[names.index("Scratch")]
    assert "Create stories" in scratch.description  # no judged text: the tool's document
    assert data.labels["pedagogy"][names.index("Scratch")] == "individual-constructivist"


def test_suggest_ranks_unlabelled_tools_by_margin(small_catalogue, toy_dir):
    set_label(small_catalogue, "kahoot", "teaching-learning", "behaviourist")
    version, suggestions = suggest(small_catalogue, n=3, model_ref=toy_dir)
    assert version == toy_dir.name and len(suggestions) == 3
    assert "Kahoot!" not in [s.name for s in suggestions]
    margins = [s.margin for s in suggestions]
    assert margins == sorted(margins) and all(0 <= m <= 1 for m in margins)
    assert all(s.snippet and set(s.guesses) == {"purpose", "pedagogy"} for s in suggestions)


def test_conflicting_rows_for_the_same_tool_or_text_import_nothing(small_catalogue):
    path = LABELS / "bad_conflict.csv"
    with pytest.raises(InvalidInput) as error:
        import_labels(small_catalogue, path)
    message = str(error.value)
    assert str(path) in message and "nothing imported" in message
    assert "rows 2 and 4" in message and "'behaviourist'" in message
    assert "'social-constructivist'" in message and "pedagogy" in message
    assert "rows 5 and 6" in message and "'workflow-productivity'" in message
    assert len(error.value.problems) == 2  # agreeing purposes of rows 2 and 4 are fine
    assert count_labels(small_catalogue) == 0


def test_agreeing_and_complementary_rows_for_one_tool_import(small_catalogue, tmp_path):
    path = tmp_path / "split.csv"
    path.write_text(
        "name,url,text,purpose,pedagogy\n"
        "Kahoot!,https://kahoot.com/,,teaching-learning,\n"
        "kahoot!,,,teaching-learning,behaviourist\n"
    )
    assert import_labels(small_catalogue, path).labels == 3


@pytest.mark.parametrize("n", [0, -2])
def test_suggest_needs_at_least_one(small_catalogue, toy_dir, n):
    with pytest.raises(ClassifierError, match="at least 1"):
        suggest(small_catalogue, n=n, model_ref=toy_dir)


def test_export_refuses_a_missing_folder_or_a_directory(small_catalogue, tmp_path):
    import_labels(small_catalogue, LABELS / "good.csv")
    missing = tmp_path / "nope" / "labels.csv"
    with pytest.raises(EdcatError) as error:
        export_labels(small_catalogue, missing)
    assert str(error.value) == (
        f"cannot write {missing}: folder {missing.parent} does not exist"
    )
    assert not missing.parent.exists()
    with pytest.raises(EdcatError, match="is a directory"):
        export_labels(small_catalogue, tmp_path)


def test_a_failed_export_leaves_the_old_file(small_catalogue, tmp_path, monkeypatch):
    import csv

    import_labels(small_catalogue, LABELS / "good.csv")
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "labels.csv"
    out.write_text("old\n")

    def fail(self, row):
        raise RuntimeError("disk full")

    monkeypatch.setattr(csv.DictWriter, "writerow", fail)
    with pytest.raises(RuntimeError):
        export_labels(small_catalogue, out)
    assert out.read_text() == "old\n"
    assert [p.name for p in folder.iterdir()] == ["labels.csv"]  # no temporary file left


def test_malformed_csv_names_the_row_being_read(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "name,text,purpose,pedagogy\n"
        "A,quiz,teaching-learning,behaviourist\n"
        'B,"quiz "points" drill",teaching-learning,behaviourist\n'
    )
    with pytest.raises(InvalidInput, match="row 3: malformed CSV"):
        read_label_file(path)
