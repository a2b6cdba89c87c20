"""Labeller agreement and adjudication, building the corpus, training and choosing on the
validation split, abstention, evidence, and reproducing the shipped model from shipped data."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from classifier.adjudication import adjudicate, agreement, agreement_markdown, read_jsonl
from classifier.features import Document
from classifier.model_store import load_model
from classifier.page_training import (
    MIN_CONTENT_WORDS,
    TrainingData,
    load_training_data,
    train_on_pages,
)
from classifier.pages import PAGES_FILE, read_pages
from classifier.predict import predict_documents
from classifier.training import load_labelled_set

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).parent / "fixtures" / "pages"
LABELS = ("id", "purpose", "pedagogy")


def load_script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def page_model(tmp_path_factory):
    """Starter blurbs + the fixture corpus's train split, one candidate, validated."""
    data = TrainingData(load_labelled_set(), read_pages(PAGES / "pages.jsonl"),
                        PAGES / "pages.jsonl")
    out = tmp_path_factory.mktemp("models")
    result = train_on_pages(data, out=out, candidates=["bags-signals-bal"])
    return load_model(result.path), result


# --- agreement and adjudication ---------------------------------------------------------------


def test_kappa_and_disagreements_on_known_labels():
    a = read_jsonl(PAGES / "labels_A.jsonl", LABELS)
    b = read_jsonl(PAGES / "labels_B.jsonl", LABELS)
    stats = agreement(a, b)
    assert stats["purpose"] == {"n": 16, "agree": 16, "agreement": 1.0, "kappa": 1.0,
                                "pairs": {}}
    assert stats["pedagogy"]["agree"] == 14
    assert stats["pedagogy"]["pairs"] == {"individual-constructivist / behaviourist": 1,
                                          "behaviourist / none": 1}
    # p_o = 14/16 = 0.875; p_e from the two labellers' class shares = 0.25 -> kappa 0.833
    assert stats["pedagogy"]["kappa"] == pytest.approx(0.8333, abs=1e-4)


def test_decisions_settle_disagreements_and_record_who_decided():
    a = read_jsonl(PAGES / "labels_A.jsonl", LABELS)
    b = read_jsonl(PAGES / "labels_B.jsonl", LABELS)
    decisions = read_jsonl(PAGES / "decisions.jsonl")
    result = adjudicate(a, b, decisions)
    assert result.labels["f06"]["pedagogy"] == "individual-constructivist"
    assert "pedagogy: test-adjudicator" in result.labels["f06"]["decided_by"]
    assert result.labels["f01"]["decided_by"] == "purpose: A+B; pedagogy: A+B"
    assert "f14" not in result.labels  # undecided: no label at all
    assert [(p["id"], p["A"], p["B"]) for p in result.pending] == [
        ("f14", "behaviourist", "none")]
    only_a = adjudicate(a, {})
    assert len(only_a.labels) == 16 and only_a.labels["f14"]["pedagogy"] == "behaviourist"
    report = agreement_markdown(agreement(a, b), result, 0)
    assert "| pedagogy | 16 | 14 | 87.5% | 0.833 |" in report


def test_a_bad_label_file_names_the_line(tmp_path):
    path = tmp_path / "labels_B.jsonl"
    path.write_text('{"id": "x", "purpose": "teaching-learning", "pedagogy": "drill"}\n'
                    '{"id": "y"}\n')
    with pytest.raises(Exception) as error:
        read_jsonl(path, LABELS)
    assert "line 1 (x): pedagogy 'drill'" in str(error.value)
    assert "line 2: field(s) purpose, pedagogy missing" in str(error.value)


# --- building the corpus ----------------------------------------------------------------------


def test_build_keeps_products_in_one_split_and_leaves_out_bad_lengths():
    build = load_script("build_page_corpus")
    raw = read_jsonl(PAGES / "raw.jsonl", ("id", "url", "product", "text"))
    raw["short"] = raw["f01"] | {"id": "short", "text": "Too short."}
    labels = adjudicate(read_jsonl(PAGES / "labels_A.jsonl", LABELS), {}).labels
    labels["short"] = labels["f01"]
    records, skipped = build.build(raw, labels, min_validation=4)
    assert skipped == {"text length outside 300-3000": 1}
    assert len(records) == 16 and not any("text" in r for r in records)
    splits: dict[str, set] = {}
    for r in records:
        splits.setdefault(r["product"], set()).add(r["split"])
    assert all(len(s) == 1 for s in splits.values())
    assert sum(r["split"] == "validation" for r in records) >= 4
    assert "| train |" in build.stats_markdown(records, skipped)


def test_a_note_that_repeats_its_text_is_not_kept():
    build = load_script("build_page_corpus")
    text = "Pupils post ideas on a shared wall and reply to classmates every week."
    assert build.copies_text("says pupils post ideas on a shared wall and reply", text)
    assert not build.copies_text("pupils share and answer each other on a board", text)
    raw = {"x": {"id": "x", "url": "u", "product": "P", "text": text * 6}}
    labels = {"x": {"purpose": "teaching-learning", "pedagogy": "social-constructivist",
                    "note": "post ideas on a shared wall and reply to classmates"}}
    [record], skipped = build.build(raw, labels, min_validation=1)
    assert record["note"] is None and sum(skipped.values()) == 1


# --- training on pages, abstention, evidence --------------------------------------------------


def test_page_training_scores_on_validation_only_and_records_it(page_model):
    model, result = page_model
    card = result.card
    assert card["trained_on"] == "pages" and card["min_content_words"] == MIN_CONTENT_WORDS
    source = card["data"]["sources"][-1]
    assert (source["train"], source["validation"]) == (11, 4)
    for dimension in ("purpose", "pedagogy"):
        info = card["dimensions"][dimension]
        assert info["validation"]["n"] == 4
        assert [row["threshold"] for row in info["coverage"]] == [0.5, 0.6, 0.7, 0.8, 0.9]
        assert 0.0 <= info["macro_f1"]["validation"] <= 1.0
    assert "validation macro-F1" in (result.path / "card.md").read_text()


@pytest.mark.parametrize("text, reason", [
    ("", "no description or page text"),
    ("Wallboard", "no description or page text"),  # the name alone
    ("An AI tool.", "text too short"),
])
def test_empty_or_tiny_text_is_uncertain_with_the_reason(page_model, text, reason):
    model, _ = page_model
    [prediction] = predict_documents(model, [Document("Wallboard", text)])
    for p in prediction.values():
        assert p.uncertain and reason in p.reason and p.evidence == []


def test_seed_tools_without_a_description_all_come_out_uncertain():
    tools = [json.loads(line) for line in (ROOT / "data" / "seed" / "tools.jsonl").open()]
    empty = [Document(t["name"], "") for t in tools if not (t.get("description") or "").strip()]
    assert len(empty) > 200
    for prediction in predict_documents(load_model(), empty, evidence=False):
        assert all(p.uncertain and p.reason for p in prediction.values())


def test_evidence_favours_signals_never_the_name_or_filler(page_model):
    model, _ = page_model
    text = ("Wallboard is an online learning tool that helps with questions and practice. "
            "Pupils reply to each other's posts and discuss ideas with classmates. "
            "Groups debate the strongest argument together.")
    [prediction] = predict_documents(model, [Document("Wallboard", text)])
    terms = [e["term"] for e in prediction["pedagogy"].evidence]
    assert terms and not any("wallboard" in t for t in terms)
    filler = {"learning", "help", "helps", "questions", "practice", "tool", "online"}
    assert not [t for t in terms if set(t.split()) <= filler]
    signal_items = [e for e in prediction["pedagogy"].evidence if "signals in" in e["term"]]
    assert all(e["sentence"] for e in signal_items)


# --- the shipped model ------------------------------------------------------------------------


def test_retraining_from_the_shipped_data_reproduces_the_shipped_model():
    shipped = load_model()
    card = shipped.card
    assert card.get("trained_on") == "pages", "the bundled default is trained on the page corpus"
    candidates = {d: info["candidate"] for d, info in card["dimensions"].items()}
    data = load_training_data(pages=PAGES_FILE)
    assert data.sha256 == card["data"]["sha256"]
    from classifier.page_training import score_candidate

    validation = [r for r in data.pages if r["split"] == "validation"]
    for dimension, name in candidates.items():
        again = score_candidate(name, data, dimension).pipeline
        ours = again.predict_proba(validation)
        theirs = shipped.pipelines[dimension].predict_proba(validation)
        # newton-cg stops at its tolerance (1e-4), and where it stops depends on the CPU's
        # BLAS: on another machine the same fit differs by up to ~3e-4, never in a label
        assert np.allclose(ours, theirs, atol=2e-3), dimension
        assert (ours.argmax(axis=1) == theirs.argmax(axis=1)).all(), dimension



def test_shipped_model_is_no_slower_than_half_the_first_tf_idf_on_page_text():
    """The issue's aim, measured as bench/bench_classifier.py does (best of 3, same run)."""
    import time

    from bench.bench_classifier import generate_texts
    from classifier.labels import STARTER_LABELS, read_label_file
    from classifier.model_store import Model
    from classifier.pipelines import make_pipeline
    from classifier.training import DEFAULT_CANDIDATES

    rows = read_label_file(STARTER_LABELS)
    docs = [row.document for row in rows]
    first = Model("first", ROOT, {"thresholds": {}}, {
        d: make_pipeline(DEFAULT_CANDIDATES[d]).fit(docs, [row.label(d) for row in rows])
        for d in ("purpose", "pedagogy")})
    pages = [Document(name, text) for name, text in generate_texts(rows, 300, 2, (8, 20))]

    def rate(model) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            predict_documents(model, pages, evidence=False)
            best = min(best, time.perf_counter() - start)
        return len(pages) / best

    assert rate(load_model()) >= 0.5 * rate(first)
