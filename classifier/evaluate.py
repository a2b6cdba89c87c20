"""Scores of a model against a labelled file: accuracy, macro-F1, per class, confusion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalogue.errors import InvalidInput
from catalogue.vocabulary import DIMENSIONS

# the scores of a dimension the file has no label for: reported, not scored
ABSENT: dict[str, Any] = {
    "n": 0, "absent": True, "accuracy": None, "macro_f1": None, "uncertain": 0
}


def classification_scores(
    y_true: Sequence[str], y_pred: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """accuracy, macro_f1, per_class {label: precision, recall, f1, support} and confusion.

    `labels` fixes the order of the confusion matrix (rows: true label, columns: predicted)
    and of the per-class scores; macro-F1 averages over the labels present in `y_true` or
    `y_pred`, so a class nobody has does not drag the mean to zero.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    present = [label for label in labels if label in set(y_true) | set(y_pred)]
    precision, recall, f1, support = precision_recall_fscore_support(
        y_true, y_pred, labels=list(labels), zero_division=0
    )
    per_class = {
        label: {
            "precision": round(float(p), 4),
            "recall": round(float(r), 4),
            "f1": round(float(f), 4),
            "support": int(s),
        }
        for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
    }
    macro = sum(per_class[label]["f1"] for label in present) / len(present) if present else 0.0
    return {
        "n": len(y_true),
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4) if len(y_true) else 0.0,
        "macro_f1": round(macro, 4),
        "per_class": per_class,
        "confusion": {
            "labels": list(labels),
            "matrix": confusion_matrix(y_true, y_pred, labels=list(labels)).tolist(),
        },
    }


@dataclass
class Evaluation:
    model: str
    file: str
    scores: dict[str, dict[str, Any]]  # dimension -> classification_scores(...) + "uncertain"


def evaluate_file(
    path: str | Path, model_ref: str | Path | None = None, catalogue: Any = None
) -> Evaluation:
    """Score the model `model_ref` (default: the default model) on a CSV of labelled texts.

    The file has columns name, text, purpose, pedagogy; a blank label is skipped for that
    dimension, and a dimension with no label at all is reported as ABSENT (n 0, not scored);
    a file with no label for any of the model's dimensions is InvalidInput. Each dimension's
    scores also count the predictions below the threshold ("uncertain"); they are scored on
    their best guess all the same.
    """
    from classifier.labels import read_label_file
    from classifier.model_store import load_model
    from classifier.predict import predict_documents

    rows = read_label_file(Path(path), required=("name", "text", "purpose", "pedagogy"))
    model = load_model(model_ref, catalogue)
    predictions = predict_documents(model, [row.document for row in rows], evidence=False)
    results: dict[str, Any] = {}
    for dimension in model.pipelines:
        pairs = [
            (row.label(dimension), pred[dimension])
            for row, pred in zip(rows, predictions, strict=True)
            if row.label(dimension)
        ]
        if not pairs:
            results[dimension] = dict(ABSENT)
            continue
        scores = classification_scores(
            [t for t, _ in pairs], [p.label for _, p in pairs], DIMENSIONS[dimension]
        )
        scores["uncertain"] = sum(p.uncertain for _, p in pairs)
        results[dimension] = scores
    if all(scores.get("absent") for scores in results.values()):
        raise InvalidInput(
            str(path), [f"no labels for {' or '.join(model.pipelines) or 'any dimension'}: "
                        "nothing to evaluate"]
        )
    return Evaluation(model=model.version, file=str(path), scores=results)
