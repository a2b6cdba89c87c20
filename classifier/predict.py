"""Predictions with a confidence, an `uncertain` flag and evidence; classifying the catalogue.

Confidence is the calibrated probability of the predicted label. Below the model's threshold for
the dimension (in its card) the prediction is kept but flagged `uncertain`: the catalogue shows
the tool as `uncertain` rather than forcing a label.

A text with fewer than the card's `min_content_words` words that are not stop words (after
the tool's own name is removed) is `uncertain` with the reason, whatever the model says: a
name alone, or "AI tool.", gives nothing to judge.

Evidence is the terms that pushed the document towards its predicted label: each feature's
value in the document times the linear model's coefficient for that label (averaged over the
calibrated copies of the model). Character n-grams are credited to the words of the document
that contain them, so evidence is readable words and phrases, each with the first sentence of
the tool's text that contains it. For the bag pipelines (`classifier.bags`), the tool's name
never appears (its n-grams are removed before any feature), filler words the issue found
burying decisive ones (`classifier.signals.GENERIC_WORDS`) are shown only inside longer
phrases, the guide's signals for the label rank first, and the share of sentences carrying
them is shown as its own item.
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

DEFAULT_MIN_CONTENT_WORDS = 4  # for models whose card predates `min_content_words`
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
    reason: str | None = None  # why it is uncertain, when it is

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
    """Predict every dimension of `model` for each document (str, mapping, ToolDocument, or
    a stored page-corpus record)."""
    from classifier.bags import analyse_document
    from classifier.pipelines import is_bag_pipeline

    analysed = [analyse_document(d) for d in documents]
    if not analysed:
        return []
    docs = [_text_document(d, a) for d, a in zip(documents, analysed, strict=True)]
    min_words = int(model.card.get("min_content_words", DEFAULT_MIN_CONTENT_WORDS))
    too_little = [_too_little(a.content_words(), min_words) for a in analysed]
    thresholds = model.thresholds
    out: list[dict[str, Prediction]] = [{} for _ in analysed]
    for dimension in dimensions or list(model.pipelines):
        pipeline = model.pipelines[dimension]
        bags = is_bag_pipeline(pipeline)
        features = pipeline[:-1].transform(analysed if bags else docs)
        probabilities = pipeline[-1].predict_proba(features)
        classes = [str(c) for c in pipeline[-1].classes_]
        explainer = None
        if evidence:
            explainer = _BagExplainer(pipeline) if bags else _Explainer(pipeline)
        threshold = thresholds.get(dimension, 0.0)
        for i, row in enumerate(probabilities):
            best = int(row.argmax())
            reason = too_little[i] or (
                f"confidence {row[best]:.2f} below the threshold {threshold:.2f}"
                if row[best] < threshold else None
            )
            explained = []
            if explainer and not too_little[i]:
                explained = explainer.explain(analysed[i] if bags else docs[i], features[i],
                                              best, top_terms)
            out[i][dimension] = Prediction(
                dimension=dimension,
                label=classes[best],
                confidence=round(float(row[best]), 4),
                uncertain=reason is not None,
                probabilities={c: round(float(p), 4) for c, p in zip(classes, row, strict=True)},
                evidence=explained,
                reason=reason,
            )
    return out


def _text_document(item: Any, analysed: Any) -> Document:
    """What a text pipeline reads: the document, or for bags, the pseudo-text of them."""
    from classifier.bags import AnalysedText
    from classifier.page_training import pseudo_document

    if isinstance(item, AnalysedText) or (
        isinstance(item, dict) and "sentences" in item and "text" not in item
    ):
        return pseudo_document({"product": analysed.name, "lead": analysed.lead,
                                "sentences": analysed.body})
    return as_document(item)


def _too_little(words: int, minimum: int) -> str | None:
    if words == 0:
        return "no description or page text to judge"
    if words < minimum:
        return f"text too short to judge: {words} content words (minimum {minimum})"
    return None


class _Explainer:
    """Per-term contributions of a fitted pipeline (fields -> features -> calibrated linear)."""

    def __init__(self, pipeline: Any):
        self.pipeline = pipeline
        self.coef = _linear_coefficients(pipeline[-1])
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


class _BagExplainer:
    """Evidence for a bag pipeline (analyse -> summed bags + signal shares -> calibrated LR)."""

    def __init__(self, pipeline: Any):
        from classifier.signals import GENERIC_WORDS, SIGNALS

        self.coef = _linear_coefficients(pipeline[-1])
        self.classes = [str(c) for c in pipeline[-1].classes_]
        self.names: list[str] = []
        self.kinds: list[str] = []
        self.signals = None
        for name, part in pipeline.named_steps["features"].transformer_list:
            if name == "bags":
                grams = list(part.named_steps["vectorize"].feature_names_)
            else:
                self.signals = part
                grams = [str(g) for g in part.get_feature_names_out()]
            self.names += grams
            self.kinds += [name] * len(grams)
        self.label_signals = {label: set(grams) for label, grams in SIGNALS.items()}
        self.generic = GENERIC_WORDS

    def _readable(self, gram: str) -> bool:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        return any(w not in ENGLISH_STOP_WORDS and w not in self.generic
                   for w in gram.split(" "))

    def explain(self, text: Any, row: Any, label_index: int, top: int) -> list[dict[str, Any]]:
        row = row.tocsr()
        weights = self.coef[label_index]
        contributions = row.data * weights[row.indices]
        signals_of_label = self.label_signals.get(self.classes[label_index], set())
        ranked = []
        for j, c in zip(row.indices, contributions, strict=True):
            if c <= 0:
                continue
            name, kind = self.names[j], self.kinds[j]
            if kind == "bags" and not self._readable(name):
                continue
            if kind == "signals" and name.split(":", 1)[1] != self.classes[label_index]:
                continue  # another label's signals: true for the model, confusing to read
            boost = 2.0 if kind == "signals" or name in signals_of_label else 1.0
            ranked.append((c * boost, c, name, kind))
        ranked.sort(key=lambda item: -item[0])
        chosen: list[dict[str, Any]] = []
        for _, c, name, kind in ranked:
            if len(chosen) >= top:
                break
            if kind == "signals":
                chosen.append(self._signal_item(text, name, c))
            elif not any(_overlaps(name, e["term"]) for e in chosen):
                chosen.append({"term": name, "weight": round(float(c), 4),
                               "sentence": _quote(text, lambda bag, g=name: g in bag)})
        return chosen

    def _signal_item(self, text: Any, feature: str, weight: float) -> dict[str, Any]:
        kind, label = feature.split(":", 1)
        bags = text.bags
        carrying = [b for b in bags if label in self.signals.carriers(b)]
        where = "the lead sentence" if kind == "lead" else (
            f"{len(carrying)} of {len(bags)} sentences")
        return {"term": f"{label} signals in {where}", "weight": round(float(weight), 4),
                "sentence": _quote(text, lambda bag: label in self.signals.carriers(bag))}


def _linear_coefficients(calibrated: Any) -> Any:
    """The linear model's coefficients, one row per class (averaged over calibrated copies)."""
    import numpy as np

    estimators = [c.estimator for c in getattr(calibrated, "calibrated_classifiers_", [])]
    estimators = estimators or [calibrated]
    coef = np.mean([np.asarray(e.coef_, dtype=float) for e in estimators], axis=0)
    if coef.shape[0] == 1:  # binary: the row pushes towards classes_[1]
        coef = np.vstack([-coef[0], coef[0]])
    return coef


def _overlaps(a: str, b: str) -> bool:
    return f" {a} " in f" {b} " or f" {b} " in f" {a} "


def _quote(text: Any, carries: Callable[[Any], bool]) -> str | None:
    """The first raw sentence whose bag `carries` the evidence (None for stored bags)."""
    if not text.sentences:
        return None
    for sentence, bag in zip(text.sentences, text.bags, strict=False):
        if carries(bag):
            return sentence if len(sentence) <= SENTENCE_CHARS else (
                sentence[:SENTENCE_CHARS] + "...")
    return None


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
    """Read CSV `name,text` (other columns kept), write it back with each dimension's label,
    confidence and, when uncertain, the reason (`purpose`, `purpose_confidence`,
    `purpose_uncertain`, ...; empty when confident). Returns (model version, rows).

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
    added = [c for d in model.pipelines for c in (d, f"{d}_confidence", f"{d}_uncertain")]
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
                    record[f"{dimension}_uncertain"] = p.reason or ""
                writer.writerow(csv_row(record))
    return model.version, len(records)


# --- the catalogue ----------------------------------------------------------------------------


def _reason_as_evidence(prediction: Prediction) -> list[dict[str, Any]]:
    """An abstention has no evidence terms; `tools show` lists the reason in their place."""
    if not prediction.reason:
        return []
    return [{"term": f"uncertain: {prediction.reason}", "weight": 0.0, "sentence": None}]


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
                        evidence=p.evidence or _reason_as_evidence(p),
                    )
                )
                summary.counts[dimension][p.label] += 1
                summary.uncertain[dimension] += p.uncertain
        if progress:
            progress(min(start + batch_size, len(docs)), len(docs))
    record_classifications(catalogue, records)
    return summary
