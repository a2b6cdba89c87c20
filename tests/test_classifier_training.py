"""classifier/: features, training on a toy signal, thresholds, evaluate, predict and evidence."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from catalogue import EdcatError, InvalidInput
from classifier.evaluate import classification_scores, evaluate_file
from classifier.features import (
    Document,
    DocumentFields,
    WeightedTextVectorizer,
    labelled_document,
)
from classifier.model_store import load_model
from classifier.pipelines import CANDIDATES, make_pipeline
from classifier.predict import predict_documents, predict_file
from classifier.training import (
    DEFAULT_CANDIDATES,
    choose_threshold,
    load_labelled_set,
    train,
)

LABELS = Path(__file__).parent / "fixtures" / "labels"
TOY = LABELS / "toy.csv"
HELD_OUT = {
    "Learners discuss ideas together with their peers in a class debate.": (
        "teaching-learning",
        "social-constructivist",
    ),
    "Earn points and keep your streak going on the daily quiz leaderboard.": (
        "teaching-learning",
        "behaviourist",
    ),
    "Explore a sandbox, build a simulation, then code your own experiment.": (
        "teaching-learning",
        "individual-constructivist",
    ),
    "Payroll, invoices and the staff rota for the school office.": (
        "workflow-productivity",
        "none",
    ),
}


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    """A model trained on the 48-row toy label file (one CV repeat, to stay fast)."""
    out = tmp_path_factory.mktemp("models")
    return train(load_labelled_set([TOY]), out=out, repeats=1)


# --- features ---------------------------------------------------------------------------------


def test_labelled_document_splits_the_name_off_the_text():
    doc = labelled_document("Padlet", "Padlet. Digital notice board for collaborative work.")
    assert doc == Document("Padlet", "Digital notice board for collaborative work.")
    assert labelled_document("X", "Another text.").description == "Another text."


def test_fields_weight_pages_by_kind():
    doc = Document(
        "Tool",
        "First sentence here. Second one.",
        (("home", "Home", "students learn"), ("terms", "Terms", "liability clause")),
    )
    fields = DocumentFields(page_weights={"home": 0.6, "terms": 0.02}).fit([doc]).transform([doc])
    weights = {text.split("\n")[0]: w for w, text in fields[0]}
    assert weights["Tool"] == 0.25 and weights["First sentence here."] == 0.25
    assert weights["First sentence here. Second one."] == 1.0
    assert weights["Home"] == 0.6 and weights["Terms"] == 0.02


def test_boilerplate_pages_count_less_than_product_pages():
    vectorizer = WeightedTextVectorizer().fit([[(1.0, "quiz timetable")]])
    fields = DocumentFields().fit([])
    home = Document("", "", (("home", "", "quiz"), ("terms", "", "timetable")))
    row = vectorizer.transform(fields.transform([home])).toarray()[0]
    vocabulary = vectorizer.vectorizer_.vocabulary_
    assert row[vocabulary["quiz"]] > 10 * row[vocabulary["timetable"]]
    assert np.isclose(np.linalg.norm(row), 1.0)


def test_candidates_are_cloneable_pipelines_with_named_steps():
    for name in CANDIDATES:
        pipeline = clone(make_pipeline(name))
        first = "analyse" if name.startswith("bags") else "fields"
        assert [step for step, _ in pipeline.steps] == [first, "features", "model"]
        assert pipeline.named_steps["model"].method == "sigmoid"


# --- training ---------------------------------------------------------------------------------


def test_training_learns_the_toy_signal(toy):
    model = load_model(toy.path)
    predictions = predict_documents(model, list(HELD_OUT))
    for text, prediction in zip(HELD_OUT, predictions, strict=True):
        assert (prediction["purpose"].label, prediction["pedagogy"].label) == HELD_OUT[text]
        assert prediction["pedagogy"].confidence > 0.5


def test_card_records_data_scores_and_thresholds(toy):
    card = json.loads((toy.path / "card.json").read_text())
    assert toy.version == card["version"] and toy.path.name == toy.version
    assert card["version"].endswith(card["data"]["sha256"][:8])
    assert card["data"]["sources"][0]["rows"] == 48
    balance = card["data"]["class_balance"]
    assert balance["pedagogy"]["behaviourist"] == 12 and sum(balance["pedagogy"].values()) == 48
    assert balance["purpose"] == {"teaching-learning": 36, "workflow-productivity": 12}
    for dimension in ("purpose", "pedagogy"):
        info = card["dimensions"][dimension]
        assert info["candidate"] == DEFAULT_CANDIDATES[dimension]
        assert info["macro_f1"]["mean"] > 0.9 and info["macro_f1"]["folds"] == 5
        assert set(info["per_class"]) and sum(map(sum, info["confusion"]["matrix"])) == 48
        assert card["thresholds"][dimension] == info["threshold"]["threshold"]
        assert len(card["files"][dimension]["sha256"]) == 64
    assert {"python", "scikit-learn", "skops"} <= set(card["libraries"])
    assert "LearnPlatform" in (toy.path / "card.md").read_text()


def test_compare_scores_every_candidate(tmp_path):
    data = load_labelled_set([TOY])
    result = train(data, out=tmp_path, candidates=["word-lr", "word-char-lr"], repeats=1)
    for dimension in ("purpose", "pedagogy"):
        scored = result.comparison[dimension]
        assert [r.candidate for r in scored] != [] and len(scored) == 2
        assert scored[0].mean >= scored[1].mean
        assert result.card["dimensions"][dimension]["candidate"] == scored[0].candidate
        assert len(scored[0].scores) == 5 and 0 <= scored[0].std < 1


def test_too_few_examples_of_a_label_is_a_clear_error(tmp_path):
    from classifier.errors import ClassifierError

    rows = list(csv.DictReader(TOY.open()))
    social = [r for r in rows if r["pedagogy"] == "social-constructivist"]
    kept = [r for r in rows if r["pedagogy"] != "social-constructivist"] + social[:3]
    path = tmp_path / "few.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(kept)
    with pytest.raises(ClassifierError, match="social-constructivist: 3"):
        train(load_labelled_set([path]), out=tmp_path, repeats=1)


def test_threshold_is_lowest_confidence_reaching_the_target():
    classes = ["a", "b"]
    # confident predictions are right, unsure ones are wrong half the time
    probabilities = np.array([[0.95, 0.05]] * 40 + [[0.6, 0.4]] * 20)
    truth = ["a"] * 40 + ["a", "b"] * 10
    chosen = choose_threshold([probabilities], truth, classes, "purpose")
    assert chosen["threshold"] == 0.61 and chosen["reached"]
    assert chosen["accuracy_kept"] == 1.0 and chosen["coverage"] == pytest.approx(40 / 60, 1e-3)


# --- prediction -------------------------------------------------------------------------------


def test_uncertain_below_threshold_and_evidence_points_at_sentences(toy):
    model = load_model(toy.path)
    text = "Daily quiz with points. Staff like the dashboard."
    [prediction] = predict_documents(model, [{"name": "Quizzer", "description": text}])
    pedagogy = prediction["pedagogy"]
    assert pedagogy.label == "behaviourist" and not pedagogy.uncertain
    assert sum(pedagogy.probabilities.values()) == pytest.approx(1, abs=1e-3)
    terms = [e["term"] for e in pedagogy.evidence]
    assert {"quiz", "points"} & set(terms) and len(terms) <= 8
    for item in pedagogy.evidence:
        assert item["weight"] > 0
        if item["sentence"]:
            assert item["term"].split()[0] in item["sentence"].lower()
    quiz = next(e for e in pedagogy.evidence if e["term"] == "quiz")
    assert quiz["sentence"] == "Daily quiz with points."
    model.card["thresholds"] = {"purpose": 0.999, "pedagogy": 0.999}
    [unsure] = predict_documents(model, [text])
    assert unsure["pedagogy"].uncertain and unsure["pedagogy"].label == "behaviourist"


def test_predict_file_round_trip(toy, tmp_path):
    source = tmp_path / "in.csv"
    with source.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "text", "extra"])
        for n, text in enumerate(HELD_OUT):
            writer.writerow([f"T{n}", text, n])
    out = tmp_path / "out.csv"
    version, rows = predict_file(source, out, toy.path)
    assert version == toy.version and rows == 4
    back = list(csv.DictReader(out.open()))
    assert list(back[0]) == [
        "name", "text", "extra", "purpose", "purpose_confidence", "purpose_uncertain",
        "pedagogy", "pedagogy_confidence", "pedagogy_uncertain",
    ]
    for row, expected in zip(back, HELD_OUT.values(), strict=True):
        assert (row["purpose"], row["pedagogy"]) == expected
        assert 0.5 < float(row["pedagogy_confidence"]) <= 1
    direct = predict_documents(load_model(toy.path), [r["text"] for r in back], evidence=False)
    assert [f"{p['pedagogy'].confidence:.4f}" for p in direct] == [
        r["pedagogy_confidence"] for r in back
    ]


# --- evaluation -------------------------------------------------------------------------------


def test_classification_scores_on_a_known_case():
    scores = classification_scores(["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b", "c"])
    assert scores["accuracy"] == 0.75 and scores["n"] == 4
    assert scores["per_class"]["a"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667,
                                        "support": 2}
    assert scores["per_class"]["b"]["precision"] == pytest.approx(0.6667, abs=1e-4)
    assert scores["macro_f1"] == pytest.approx((0.6667 + 0.8) / 2, abs=1e-4)  # c absent
    assert scores["confusion"] == {"labels": ["a", "b", "c"],
                                   "matrix": [[1, 1, 0], [0, 2, 0], [0, 0, 0]]}


def test_evaluate_file_numbers(toy):
    result = evaluate_file(LABELS / "eval_tiny.csv", toy.path)
    purpose, pedagogy = result.scores["purpose"], result.scores["pedagogy"]
    assert purpose["n"] == 4 and purpose["accuracy"] == 1.0  # Epsilon has no purpose label
    assert pedagogy["n"] == 5 and pedagogy["accuracy"] == 0.8
    assert pedagogy["per_class"]["behaviourist"]["precision"] == 0.5
    assert pedagogy["per_class"]["social-constructivist"]["recall"] == 0.5
    assert pedagogy["macro_f1"] == pytest.approx((0.6667 * 2 + 2) / 4, abs=1e-3)
    assert pedagogy["confusion"]["matrix"] == [
        [1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 1]
    ]


def test_evaluate_skips_a_dimension_nobody_labelled(toy):
    result = evaluate_file(LABELS / "eval_no_pedagogy.csv", toy.path)
    assert result.scores["purpose"]["n"] == 3 and result.scores["purpose"]["accuracy"] == 1.0
    assert result.scores["pedagogy"] == {
        "n": 0, "absent": True, "accuracy": None, "macro_f1": None, "uncertain": 0
    }


def test_evaluate_with_no_label_for_any_dimension_of_the_model(toy, monkeypatch):
    import classifier.model_store as store

    model = load_model(toy.path)
    del model.pipelines["purpose"]  # a pedagogy-only model against purpose-only labels
    monkeypatch.setattr(store, "load_model", lambda *args: model)
    path = LABELS / "eval_no_pedagogy.csv"
    with pytest.raises(InvalidInput) as error:
        evaluate_file(path, toy.path)
    assert str(path) in str(error.value) and "no labels for pedagogy" in str(error.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('name,text\nA,"quiz "points" drill"\nB,payroll\n', "row 2: malformed CSV"),
        ('name,text\nA,quiz\nB,payroll,extra\n', "row 3: more fields than the header has"),
        ("name,notes\nA,quiz\n", "missing column(s) text (found: name, notes)"),
        ('name,text\nA,"quiz\n', "malformed CSV"),
    ],
)
def test_predict_file_reads_csv_strictly(toy, tmp_path, content, message):
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(content)
    with pytest.raises(InvalidInput) as error:
        predict_file(source, out, toy.path)
    assert str(source) in str(error.value) and message in str(error.value)
    assert not out.exists()


def test_predict_file_output_path_errors(toy, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("name,text\nA,quiz points\n")
    missing = tmp_path / "nope" / "out.csv"
    with pytest.raises(EdcatError) as error:
        predict_file(source, missing, toy.path)
    assert str(error.value) == f"cannot write {missing}: folder {missing.parent} does not exist"
    assert not missing.parent.exists()
    with pytest.raises(EdcatError, match="is a directory"):
        predict_file(source, tmp_path, toy.path)


def test_a_failed_predict_file_leaves_the_old_output(toy, tmp_path, monkeypatch):
    import classifier.predict as predict

    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("name,text\nA,quiz points\n")
    out.write_text("old\n")

    def fail(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(predict, "predict_documents", fail)
    with pytest.raises(RuntimeError):
        predict_file(source, out, toy.path)
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]
