"""The candidate pipelines, by name. Training compares them by cross-validation.

Every candidate is a `Pipeline` with the same named steps:

    fields    DocumentFields: name, head phrase, description, pages weighted by kind
    features  FeatureUnion of WeightedTextVectorizer(TfidfVectorizer) for word and/or char
              n-grams
    model     CalibratedClassifierCV(method="sigmoid") around a linear model, so the
              probabilities can be compared with a threshold (sigmoid: isotonic overfits
              below ~1,000 samples)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

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


def _pipeline(char: bool, estimator: Any) -> Pipeline:
    return Pipeline(
        [
            ("fields", DocumentFields()),
            ("features", _features(char)),
            (
                "model",
                CalibratedClassifierCV(
                    estimator, method="sigmoid", cv=CALIBRATION_FOLDS, ensemble=False
                ),
            ),
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
}


def make_pipeline(name: str) -> Pipeline:
    """A fresh, unfitted candidate pipeline."""
    try:
        return CANDIDATES[name][1]()
    except KeyError:
        from classifier.errors import ClassifierError

        raise ClassifierError(
            f"unknown candidate {name!r}; valid: {', '.join(CANDIDATES)}"
        ) from None
