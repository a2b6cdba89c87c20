"""The candidate pipelines, by name. Training compares them (on the page-length validation
split when the page corpus is used, else by cross-validation on blurbs).

The text candidates (`word-*`, the first models) are `Pipeline`s with these named steps:

    fields    DocumentFields: name, head phrase, description, pages weighted by kind
    features  FeatureUnion of WeightedTextVectorizer(TfidfVectorizer) for word and/or char
              n-grams
    model     CalibratedClassifierCV(method="sigmoid") around a linear model, so the
              probabilities can be compared with a threshold (sigmoid: isotonic overfits
              below ~1,000 samples)

The bag candidates (`bags-*`, `classifier.bags`) read per-sentence n-gram bags:

    analyse   AnalyseText: text or stored bags -> lead bag + body bags, name n-grams removed
    features  FeatureUnion of summed bags (DictVectorizer + TfidfTransformer); for
              `bags-chars*`, char n-grams of the bag words; for `bags-signals*` and
              `*gated*`, SignalShares (share of sentences carrying each label's signals)
    model     as above
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from classifier.bags import AnalyseText, CharGrams, SignalShares, SummedBags
from classifier.features import DocumentFields, WeightedTextVectorizer

CALIBRATION_FOLDS = 3


def word_vectorizer() -> WeightedTextVectorizer:
    return WeightedTextVectorizer(
        TfidfVectorizer(
            ngram_range=(1, 2), min_df=2, sublinear_tf=True, strip_accents="unicode",
            stop_words="english",
        )
    )


def char_vectorizer() -> WeightedTextVectorizer:
    return WeightedTextVectorizer(
        TfidfVectorizer(
            analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True,
            strip_accents="unicode",
        )
    )


def _features(char: bool) -> FeatureUnion:
    parts = [("word", word_vectorizer())]
    if char:
        parts.append(("char", char_vectorizer()))
    return FeatureUnion(parts)


def _logistic(balanced: bool, C: float = 10.0) -> LogisticRegression:
    # newton-cg reaches the same optimum as lbfgs here in a quarter of the time
    return LogisticRegression(
        C=C, solver="newton-cg", max_iter=1000, class_weight="balanced" if balanced else None
    )


def _svc(balanced: bool, C: float = 0.5) -> LinearSVC:
    return LinearSVC(C=C, class_weight="balanced" if balanced else None)


def _calibrated(estimator: Any) -> CalibratedClassifierCV:
    return CalibratedClassifierCV(estimator, method="sigmoid", cv=CALIBRATION_FOLDS,
                                  ensemble=False)


def _pipeline(char: bool, estimator: Any) -> Pipeline:
    return Pipeline(
        [
            ("fields", DocumentFields()),
            ("features", _features(char)),
            ("model", _calibrated(estimator)),
        ]
    )


def _tfidf_of(counts: Any) -> Pipeline:
    return Pipeline(
        [
            ("sum", counts),
            ("vectorize", DictVectorizer()),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
        ]
    )


def _bag_pipeline(
    signals: bool, balanced: bool, max_n: int = 3, gate: bool = False, signal_weight: float = 1.0,
    C: float = 10.0, chars: bool = False,
) -> Pipeline:
    parts: list[tuple[str, Any]] = [("bags", _tfidf_of(SummedBags(max_n=max_n)))]
    if chars:
        parts.append(("chars", _tfidf_of(CharGrams())))
    if signals:
        parts.append(("signals", SignalShares(gate_by_length=gate)))
    weights = {"bags": 1.0, "chars": 1.0, "signals": signal_weight}
    weights = {name: weights[name] for name, _ in parts}
    return Pipeline(
        [
            ("analyse", AnalyseText()),
            ("features", FeatureUnion(parts, transformer_weights=weights)),
            ("model", _calibrated(_logistic(balanced, C))),
        ]
    )


CANDIDATES: dict[str, tuple[str, Callable[[], Pipeline]]] = {
    "word-lr": (
        "word 1-2-gram TF-IDF + logistic regression",
        lambda: _pipeline(False, _logistic(False)),
    ),
    "word-char-lr": (
        "word 1-2 + char 3-5-gram TF-IDF + logistic regression",
        lambda: _pipeline(True, _logistic(False)),
    ),
    "word-char-lr-balanced": (
        "word + char TF-IDF + logistic regression, balanced class weights",
        lambda: _pipeline(True, _logistic(True)),
    ),
    "word-char-svc": (
        "word + char TF-IDF + linear SVM",
        lambda: _pipeline(True, _svc(False)),
    ),
    "word-char-svc-balanced": (
        "word + char TF-IDF + linear SVM, balanced class weights",
        lambda: _pipeline(True, _svc(True)),
    ),
    "bags": (
        "per-sentence word 1-3-gram bags, summed, TF-IDF + logistic regression",
        lambda: _bag_pipeline(signals=False, balanced=False),
    ),
    "bags-bal": (
        "summed bags TF-IDF + logistic regression, balanced class weights",
        lambda: _bag_pipeline(signals=False, balanced=True),
    ),
    "bags-signals": (
        "summed bags TF-IDF + guide-signal sentence shares + logistic regression",
        lambda: _bag_pipeline(signals=True, balanced=False),
    ),
    "bags-signals-bal": (
        "bags TF-IDF + signal shares + logistic regression, balanced class weights",
        lambda: _bag_pipeline(signals=True, balanced=True),
    ),
    "bags-chars-bal": (
        "bags TF-IDF + char 3-5-grams of the bag words (TF-IDF), balanced",
        lambda: _bag_pipeline(signals=False, balanced=True, chars=True),
    ),
    "bags-chars-gated-bal": (
        "bags + char n-gram TF-IDF + signal shares (weight 0.3) gated by length, balanced",
        lambda: _bag_pipeline(signals=True, balanced=True, chars=True, gate=True,
                              signal_weight=0.3),
    ),
    "bags-gated-bal": (
        "bags TF-IDF + signal shares gated by length (lead for blurbs, body for pages), balanced",
        lambda: _bag_pipeline(signals=True, balanced=True, gate=True),
    ),
}

# What `model train --compare` scores on the page corpus: the first models' best text
# pipeline next to the bag pipelines.
PAGE_CANDIDATES = (
    "word-char-lr-balanced", "bags", "bags-bal", "bags-signals-bal", "bags-gated-bal",
    "bags-chars-bal", "bags-chars-gated-bal",
)


def is_bag_pipeline(pipeline: Any) -> bool:
    return "analyse" in getattr(pipeline, "named_steps", {})


def make_pipeline(name: str) -> Pipeline:
    """A fresh, unfitted candidate pipeline."""
    try:
        return CANDIDATES[name][1]()
    except KeyError:
        from classifier.errors import ClassifierError

        raise ClassifierError(
            f"unknown candidate {name!r}; valid: {', '.join(CANDIDATES)}"
        ) from None
