"""classifier/analyser.py, bags.py and pages.py: the analyser, the shipped bag format, the bag
pipelines (text and stored bags give the same features), abstention and evidence."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from catalogue import InvalidInput
from classifier.analyser import ANALYSER_VERSION, analyse, ngrams, normalise, split_sentences
from classifier.bags import SignalShares, analyse_document
from classifier.features import Document
from classifier.pages import page_record, read_pages
from classifier.pipelines import make_pipeline

PAGES = Path(__file__).parent / "fixtures" / "pages"
RAW = {r["id"]: r for r in map(json.loads, (PAGES / "raw.jsonl").read_text().splitlines())}
STORED = {r["id"]: r for r in read_pages(PAGES / "pages.jsonl")}


def as_multiset(bags):
    return sorted(json.dumps(dict(sorted(b.items()))) for b in bags)


# --- the analyser -----------------------------------------------------------------------------


def test_sentences_split_at_ends_breaks_and_bullets_not_inside_abbreviations():
    text = "Pupils post ideas. Classmates reply!\nNew line• Bullet item; e.g. lower case stays"
    assert split_sentences(text) == [
        "Pupils post ideas.", "Classmates reply!", "New line", "Bullet item; e.g. lower case stays"
    ]


def test_normalise_folds_case_accents_and_apostrophes():
    assert normalise("Café CHILDREN’S Teacher's") == "cafe childrens teachers"


def test_ngrams_are_one_to_three_words_within_a_sentence():
    assert ngrams(["peer", "review", "tasks"]) == Counter(
        {"peer": 1, "review": 1, "tasks": 1, "peer review": 1, "review tasks": 1,
         "peer review tasks": 1}
    )
    # no n-gram crosses a sentence boundary
    assert all("quiz peer" not in b for b in analyse("Take a quiz. Peer review follows."))


def test_analyser_applied_to_each_fixture_text_equals_its_stored_bags():
    assert STORED  # the stored file was written by scripts/build_page_corpus.py
    for text_id, record in STORED.items():
        assert record["analyser_version"] == ANALYSER_VERSION
        bags = analyse(RAW[text_id]["text"])
        assert dict(bags[0]) == record["lead"], text_id
        assert as_multiset(bags[1:]) == as_multiset(record["sentences"]), text_id


def test_stored_records_keep_no_text_and_no_order():
    source = RAW["f01"]
    record = page_record(source, {"purpose": "teaching-learning",
                                  "pedagogy": "social-constructivist"}, "train", source["text"])
    assert "text" not in record and source["text"][:40] not in json.dumps(record)
    for bag in [record["lead"], *record["sentences"]]:
        assert list(bag) == sorted(bag)  # n-gram keys sorted: no word order
    in_order = [dict(sorted(b.items())) for b in analyse(source["text"])[1:]]
    assert record["sentences"] != in_order  # sentence order shuffled...
    again = page_record(source, {}, "train", source["text"])
    assert again["sentences"] == record["sentences"]  # ...with a fixed seed


def test_a_bad_corpus_file_names_each_bad_line(tmp_path):
    good = next(iter(STORED.values()))
    lines = [json.dumps(good), "{not json", json.dumps(good | {"pedagogy": "drill"}),
             json.dumps(good | {"id": "x", "analyser_version": "old"})]
    path = tmp_path / "pages.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InvalidInput) as error:
        read_pages(path)
    message = str(error.value)
    assert "line 2: not JSON" in message
    assert "line 3" in message and "'drill' is not a known label" in message
    assert "line 3" in message and "duplicate id" in message
    assert "line 4: analyser 'old'" in message


# --- bag pipelines ----------------------------------------------------------------------------


def test_name_ngrams_are_removed_before_any_feature():
    analysed = analyse_document(Document("Quiz Blast", "Quiz Blast lets pupils blast quizzes."))
    grams = {g for bag in analysed.bags for g in bag}
    assert "pupils" in grams and not any({"quiz", "blast"} & set(g.split()) for g in grams)


def test_training_on_stored_bags_equals_training_on_the_text():
    ids = sorted(STORED)
    y = [STORED[i]["pedagogy"] for i in ids]
    from_bags = make_pipeline("bags-signals-bal").fit([STORED[i] for i in ids], y)
    from_text = make_pipeline("bags-signals-bal").fit(
        [Document(RAW[i]["product"], RAW[i]["text"]) for i in ids], y)
    probe = ["Pupils reply to each other's posts on the class wall.", RAW["f09"]["text"]]
    assert np.allclose(from_bags.predict_proba(probe), from_text.predict_proba(probe))
    assert np.allclose(from_bags.predict_proba([STORED[i] for i in ids]),
                       from_text.predict_proba([Document(RAW[i]["product"], RAW[i]["text"])
                                                for i in ids]))


def test_signal_shares_do_not_shrink_with_filler():
    shares = SignalShares().fit([])
    short = analyse_document("Pupils discuss the poem together. They debate its ending.")
    padded = analyse_document(
        "Pupils discuss the poem together. They debate its ending. "
        + " ".join(["It is a friendly product for schools."] * 2) + " Groups discuss again.")
    names = list(shares.get_feature_names_out())
    social = names.index("share:social-constructivist")
    a, b = shares.transform([short, padded])
    assert a[social] == 1.0 and b[social] == pytest.approx(3 / 5)
    assert a[names.index("lead:social-constructivist")] == 1.0
    gated = SignalShares(gate_by_length=True, gate_sentences=4).fit([]).transform([short])[0]
    assert gated[social] == pytest.approx(0.5) and gated[social + 1] == pytest.approx(0.5)
