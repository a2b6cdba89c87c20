"""Predictions with a confidence, an `uncertain` flag and evidence; classifying the catalogue.

Confidence is the calibrated probability of the predicted label. Below the model's threshold for
the dimension (in its card) the prediction is kept but flagged `uncertain`: the catalogue shows
the tool as `uncertain` rather than forcing a label.

Evidence is the terms that pushed the document towards its predicted label: each feature's
value in the document times the linear model's coefficient for that label (averaged over the
calibrated copies of the model). Character n-grams are credited to the words of the document
that contain them, so evidence is readable words and phrases, each with the first sentence of
the tool's text that contains it.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from catalogue.escaping import csv_row
from classifier.features import Document, as_document, labelled_document, sentences

EVIDENCE_TERMS = 8
SENTENCE_CHARS = 300
_WORD = re.compile(r"\w\w+")


@dataclass(frozen=True)
class Prediction:
    dimension: str
    label: str
    confidence: float
    uncertain: bool
    probabilities: dict[str, float]
    evidence: list[dict[str, Any]]

    @property
    def margin(self) -> float:
        """p(best) - p(second best): how far the model is from changing its mind."""
        top = sorted(self.probabilities.values(), reverse=True) + [0.0]
        return top[0] - top[1]


def predict_documents(
    model: Any,
    documents: Sequence[Any],
    dimensions: Sequence[str] | None = None,
    evidence: bool = True,
    top_terms: int = EVIDENCE_TERMS,
) -> list[dict[str, Prediction]]:
    """Predict every dimension of `model` for each document (str, mapping or ToolDocument)."""
    docs = [as_document(d) for d in documents]
    if not docs:
        return []
    thresholds = model.thresholds
    out: list[dict[str, Prediction]] = [{} for _ in docs]
    for dimension in dimensions or list(model.pipelines):
        pipeline = model.pipelines[dimension]
        features = pipeline[:-1].transform(docs)
        probabilities = pipeline[-1].predict_proba(features)
        classes = [str(c) for c in pipeline[-1].classes_]
        explainer = _Explainer(pipeline) if evidence else None
        threshold = thresholds.get(dimension, 0.0)
        for i, row in enumerate(probabilities):
            best = int(row.argmax())
            out[i][dimension] = Prediction(
                dimension=dimension,
                label=classes[best],
                confidence=round(float(row[best]), 4),
                uncertain=bool(row[best] < threshold),
                probabilities={c: round(float(p), 4) for c, p in zip(classes, row, strict=True)},
                evidence=explainer.explain(docs[i], features[i], best, top_terms)
                if explainer
                else [],
            )
    return out


class _Explainer:
    """Per-term contributions of a fitted pipeline (fields -> features -> calibrated linear)."""

    def __init__(self, pipeline: Any):
        import numpy as np

        self.pipeline = pipeline
        calibrated = pipeline[-1]
        estimators = [c.estimator for c in getattr(calibrated, "calibrated_classifiers_", [])]
        estimators = estimators or [calibrated]
        coef = np.mean([np.asarray(e.coef_, dtype=float) for e in estimators], axis=0)
        if coef.shape[0] == 1:  # binary: the row pushes towards classes_[1]
            coef = np.vstack([-coef[0], coef[0]])
        self.coef = coef
        self.parts = []  # (name, offset, vectorizer, terms, is_char)
        self.stop_words: set[str] = set()  # words the word features ignore: not evidence
        offset = 0
        for name, transformer in pipeline.named_steps["features"].transformer_list:
            vectorizer = transformer.vectorizer_
            terms = vectorizer.get_feature_names_out()
            is_char = str(getattr(vectorizer, "analyzer", "word")).startswith("char")
            if not is_char:
                self.stop_words |= set(vectorizer.get_stop_words() or ())
            self.parts.append((name, offset, vectorizer, terms, is_char))
            offset += len(terms)

    def explain(self, doc: Document, row: Any, label_index: int, top: int) -> list[dict[str, Any]]:
        row = row.tocsr()
        weights = self.coef[label_index]
        scores: Counter[str] = Counter()
        text = doc.text
        words = None
        for _, offset, vectorizer, terms, is_char in self.parts:
            lo, hi = offset, offset + len(terms)
            mask = (row.indices >= lo) & (row.indices < hi)
            idx, values = row.indices[mask], row.data[mask]
            contributions = values * weights[idx]
            if not is_char:
                for j, c in zip(idx, contributions, strict=True):
                    scores[str(terms[j - lo])] += float(c)
                continue
            by_gram = {
                str(terms[j - lo]): float(c) for j, c in zip(idx, contributions, strict=True)
            }
            if words is None:
                words = {w.lower() for w in _WORD.findall(text)} - self.stop_words
            scores.update(_credit_words(by_gram, words, vectorizer.build_analyzer()))
        best = [(t, s) for t, s in scores.most_common() if s > 0][:top]
        pieces = sentences(text)
        return [
            {"term": term, "weight": round(score, 4), "sentence": _sentence_with(term, pieces)}
            for term, score in best
        ]


def _credit_words(by_gram: dict[str, float], words: set[str], analyzer: Callable) -> Counter:
    """Share each char n-gram's contribution among the document's words that contain it."""
    grams_of = {w: set(analyzer(w)) & by_gram.keys() for w in words}
    holders = Counter(g for grams in grams_of.values() for g in grams)
    credit: Counter[str] = Counter()
    for word, grams in grams_of.items():
        for gram in grams:
            credit[word] += by_gram[gram] / holders[gram]
    return credit


def _sentence_with(term: str, pieces: list[str]) -> str | None:
    parts = [re.escape(p) for p in term.split()]
    if not parts:
        return None
    # a word bigram may have lost a stop word in between ("plans for teachers")
    pattern = re.compile(r"\b" + r"\W+(?:\w+\W+){0,2}?".join(parts) + r"\b", re.IGNORECASE)
    for sentence in pieces:
        if pattern.search(sentence):
            if len(sentence) > SENTENCE_CHARS:
                return sentence[:SENTENCE_CHARS] + "..."
            return sentence
    return None


# --- files ------------------------------------------------------------------------------------


def predict_file(
    input_path: Path, output_path: Path, model_ref: str | Path | None = None, catalogue: Any = None
) -> tuple[str, int]:
    """Read CSV `name,text` (other columns kept), write it back with each dimension's label and
    confidence added (`purpose`, `purpose_confidence`, ...). Returns (model version, rows).

    The input is read strictly (malformed CSV, rows longer than the header and rows with
    neither name nor text are InvalidInput naming the row). The output's folder must exist;
    the file is written atomically.
    """
    from catalogue.errors import InvalidInput
    from catalogue.files import (
        atomic_path,
        check_output_path,
        read_csv,
        read_utf8,
        require_columns,
    )
    from classifier.model_store import load_model

    input_path = Path(input_path)
    check_output_path(output_path)  # before any work
    header, rows, problems = read_csv(input_path, read_utf8(input_path))
    require_columns(input_path, header, ("name", "text"))
    records = [record for _, record in rows]
    problems += [
        f"row {number}: name and text are both empty"
        for number, record in rows
        if not (record.get("name") or "").strip() and not (record.get("text") or "").strip()
    ]
    if problems:
        raise InvalidInput(str(input_path), problems)
    model = load_model(model_ref, catalogue)
    added = [c for d in model.pipelines for c in (d, f"{d}_confidence")]
    fields = [c for c in header if c not in added] + added
    with (
        atomic_path(output_path) as tmp,
        tmp.open("w", encoding="utf-8", newline="") as handle,
    ):
        writer = csv.DictWriter(
            handle, fieldnames=fields, lineterminator="\n", extrasaction="ignore"
        )
        writer.writeheader()
        for start in range(0, len(records), 5000):
            chunk = records[start : start + 5000]
            docs = [labelled_document(r.get("name") or "", r.get("text") or "") for r in chunk]
            for record, prediction in zip(
                chunk, predict_documents(model, docs, evidence=False), strict=True
            ):
                for dimension, p in prediction.items():
                    record[dimension] = p.label
                    record[f"{dimension}_confidence"] = f"{p.confidence:.4f}"
                writer.writerow(csv_row(record))
    return model.version, len(records)


# --- the catalogue ----------------------------------------------------------------------------


@dataclass
class ClassifySummary:
    model: str
    tools: int
    counts: dict[str, Counter]  # dimension -> label -> tools
    uncertain: dict[str, int]


def classify_catalogue(
    catalogue: Any,
    model_ref: str | Path | None = None,
    tools: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 200,
) -> ClassifySummary:
    """Classify catalogue tools (all, or those named) and store the predictions, with the
    model version and evidence, as each tool's current classification."""
    from catalogue.cards import find_tool
    from catalogue.documents import tool_documents
    from catalogue.store import ClassificationRecord, record_classifications
    from classifier.model_store import load_model, register

    model = load_model(model_ref, catalogue)
    ids = sorted({find_tool(catalogue, ref).id for ref in tools}) if tools else None
    docs = list(tool_documents(catalogue, ids))
    register(catalogue, model)
    summary = ClassifySummary(
        model.version,
        len(docs),
        {d: Counter() for d in model.pipelines},
        {d: 0 for d in model.pipelines},
    )
    records = []
    for start in range(0, len(docs), batch_size):
        batch = docs[start : start + batch_size]
        for doc, prediction in zip(batch, predict_documents(model, batch), strict=True):
            for dimension, p in prediction.items():
                records.append(
                    ClassificationRecord(
                        tool_id=doc.tool_id,
                        dimension=dimension,
                        label=p.label,
                        confidence=p.confidence,
                        model_version=model.version,
                        uncertain=p.uncertain,
                        probabilities=p.probabilities,
                        evidence=p.evidence,
                    )
                )
                summary.counts[dimension][p.label] += 1
                summary.uncertain[dimension] += p.uncertain
        if progress:
            progress(min(start + batch_size, len(docs)), len(docs))
    record_classifications(catalogue, records)
    return summary
