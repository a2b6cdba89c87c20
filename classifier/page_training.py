"""Training on blurbs plus the page corpus, choosing on its page-length validation split.

1. Training data: the blurb label files (default `data/labels/starter.csv`) and the `train`
   split of the page corpus (`data/labels/pages/pages.jsonl`, bags only). The `validation`
   split is never trained on.
2. Every candidate is fitted on the training data and scored on the validation split
   (macro-F1, per-class recall, a bootstrap spread); with `blurb_cv`, also by 5-fold
   cross-validation on the blurbs alone, for comparison with the first models.
3. Per dimension the bag candidate with the best validation macro-F1 is kept, as fitted: the
   model shipped is the model scored. Text candidates are scored for comparison only: on the
   corpus they can only read a pseudo-text (below), not what they would read on crawled
   text. The confidence threshold is the lowest at which the validation predictions kept
   are right at least `TARGET_ACCURACY` of the time; texts with
   fewer than `MIN_CONTENT_WORDS` content words are `uncertain` whatever the model says.

Text candidates (`word-*`) cannot read bags; they get each record as a pseudo-text (each
sentence's words, as often as counted, in alphabetical order). Their word and character
unigram features see the same thing as on text; their bigrams do not.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from catalogue.vocabulary import DIMENSIONS
from classifier.analyser import ANALYSER_VERSION
from classifier.features import Document
from classifier.pages import PAGES_FILE, file_sha256, read_pages, split_of
from classifier.signals import SIGNALS_VERSION
from classifier.training import (
    LabelledSet,
    _libraries,
    agreement_lines,
    choose_threshold,
    cross_validate,
    load_labelled_set,
)

MIN_CONTENT_WORDS = 4
# what `model train` without --compare fits (what the comparison chose on the shipped corpus)
DEFAULT_PAGE_CANDIDATES = {"purpose": "bags-gated-bal",
                           "pedagogy": "bags-gated-bal"}
COVERAGE_THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
BOOTSTRAP_ROUNDS, SEED = 200, 0


def pseudo_document(record: Mapping[str, Any]) -> Document:
    """A record as text for the text candidates: per sentence, its unigrams in sorted order."""
    sentences = []
    for bag in [record.get("lead") or {}, *(record.get("sentences") or ())]:
        tokens = [g for g, n in sorted(bag.items()) if " " not in g for _ in range(n)]
        if tokens:
            sentences.append(" ".join(tokens) + ".")
    return Document(name=str(record.get("product") or ""), description=" ".join(sentences))


@dataclass
class TrainingData:
    blurbs: LabelledSet
    pages: list[dict[str, Any]]
    pages_path: Path

    def xy(self, dimension: str, bag_input: bool) -> tuple[list[Any], list[str]]:
        docs, y, _ = self.blurbs.for_dimension(dimension)
        train = split_of(self.pages, "train")
        pages = list(train) if bag_input else [pseudo_document(r) for r in train]
        return list(docs) + pages, list(y) + [r[dimension] for r in train]

    def validation(self, dimension: str, bag_input: bool) -> tuple[list[Any], list[str]]:
        records = split_of(self.pages, "validation")
        x = list(records) if bag_input else [pseudo_document(r) for r in records]
        return x, [r[dimension] for r in records]

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256(self.blurbs.sha256.encode())
        digest.update(json.dumps(self.pages, sort_keys=True, ensure_ascii=False).encode())
        return digest.hexdigest()


def load_training_data(label_files: Sequence[Path] = (), pages: Path = PAGES_FILE,
                       catalogue: Any = None) -> TrainingData:
    return TrainingData(load_labelled_set(label_files, catalogue), read_pages(pages),
                        Path(pages))


@dataclass
class Scored:
    candidate: str
    description: str
    pipeline: Any
    classes: list[str]
    probabilities: Any  # validation texts x classes
    scores: dict[str, Any]  # classification_scores on validation
    spread: float  # bootstrap standard deviation of the validation macro-F1
    blurb_cv: dict[str, float] | None = None

    @property
    def macro_f1(self) -> float:
        return float(self.scores["macro_f1"])

    @property
    def eligible(self) -> bool:
        """Only bag pipelines see on crawled text the features they were validated on."""
        from classifier.pipelines import is_bag_pipeline

        return is_bag_pipeline(self.pipeline)


def score_candidate(name: str, data: TrainingData, dimension: str,
                    blurb_cv: bool = False) -> Scored:
    """Fit `name` on blurbs + pages train; score it on pages validation."""
    import numpy as np

    from classifier.evaluate import classification_scores
    from classifier.pipelines import CANDIDATES, is_bag_pipeline, make_pipeline

    pipeline = make_pipeline(name)
    bag_input = is_bag_pipeline(pipeline)
    x, y = data.xy(dimension, bag_input)
    pipeline.fit(x, y)
    xv, yv = data.validation(dimension, bag_input)
    probabilities = pipeline.predict_proba(xv)
    classes = [str(c) for c in pipeline.classes_]
    predicted = np.asarray(classes)[probabilities.argmax(axis=1)].tolist()
    labels = list(DIMENSIONS[dimension])
    scored = Scored(name, CANDIDATES[name][0], pipeline, classes, probabilities,
                    classification_scores(yv, predicted, labels),
                    _bootstrap_spread(yv, predicted, labels))
    if blurb_cv:
        docs, yb, _ = data.blurbs.for_dimension(dimension)
        cv = cross_validate(name, docs, yb, splits=5, repeats=1)
        scored.blurb_cv = {"mean": round(cv.mean, 4), "std": round(cv.std, 4)}
    return scored


def _bootstrap_spread(y_true: Sequence[str], y_pred: Sequence[str], labels: list[str]) -> float:
    import numpy as np
    from sklearn.metrics import f1_score

    rng = np.random.default_rng(SEED)
    truth, pred = np.asarray(y_true), np.asarray(y_pred)
    if not len(truth):
        return 0.0
    scores = []
    for _ in range(BOOTSTRAP_ROUNDS):
        i = rng.integers(0, len(truth), len(truth))
        present = sorted(set(truth[i]) | set(pred[i]))
        scores.append(f1_score(truth[i], pred[i], labels=present, average="macro",
                               zero_division=0))
    return round(float(np.std(scores)), 4)


def coverage_table(probabilities: Any, y: Sequence[str], classes: Sequence[str],
                   thresholds: Sequence[float] = COVERAGE_THRESHOLDS) -> list[dict[str, Any]]:
    """Share of texts kept, and accuracy among them, at each confidence threshold."""
    import numpy as np

    confidence = probabilities.max(axis=1)
    right = np.asarray(classes)[probabilities.argmax(axis=1)] == np.asarray(y)
    rows = []
    for t in thresholds:
        kept = confidence >= t
        rows.append({"threshold": t, "coverage": round(float(kept.mean()), 4),
                     "accuracy": round(float(right[kept].mean()), 4) if kept.any() else None})
    return rows


@dataclass
class PageTrainResult:
    version: str
    path: Path
    card: dict[str, Any]
    comparison: dict[str, list[Scored]]  # dimension -> candidates, best first


def train_on_pages(
    data: TrainingData,
    out: Path | None = None,
    candidates: Sequence[str] | None = None,
    blurb_cv: bool = False,
    on_step: Callable[[str], None] | None = None,
    today: datetime | None = None,
) -> PageTrainResult:
    """Score candidates on the validation split, keep the best per dimension, save it."""
    from classifier.model_store import models_dir, save_model
    from classifier.pipelines import PAGE_CANDIDATES, make_pipeline
    from classifier.training import DEFAULT_CANDIDATES

    say = on_step or (lambda _message: None)
    names = list(candidates or PAGE_CANDIDATES)
    for name in names:
        make_pipeline(name)  # unknown names fail before any work
    comparison: dict[str, list[Scored]] = {}
    for dimension in DIMENSIONS:
        results = []
        for name in names:
            say(f"{dimension}: fitting and validating {name}")
            results.append(score_candidate(name, data, dimension, blurb_cv))
        comparison[dimension] = sorted(results, key=lambda s: (not s.eligible, -s.macro_f1))
        if not comparison[dimension][0].eligible:
            from classifier.errors import ClassifierError

            raise ClassifierError("no bag candidate among --candidates: text candidates "
                                  "cannot be shipped from the page corpus")
    stamp = (today or datetime.now(UTC))
    version = f"{stamp.strftime('%Y.%m.%d')}-{data.sha256[:8]}"
    card = _card(data, comparison, version, stamp, DEFAULT_CANDIDATES)
    pipelines = {d: results[0].pipeline for d, results in comparison.items()}
    say("checking purpose against LearnPlatform")
    card["agreement"] = _learnplatform(data.blurbs, pipelines["purpose"])
    target = (Path(out) if out else models_dir()) / version
    say(f"saving {target}")
    save_model(target, pipelines, card, page_card_markdown(card))
    return PageTrainResult(version, target, card, comparison)


def _card(data: TrainingData, comparison: dict[str, list[Scored]], version: str,
          stamp: datetime, first_models: Mapping[str, str]) -> dict[str, Any]:
    from collections import Counter

    validation = split_of(data.pages, "validation")
    train_pages = split_of(data.pages, "train")
    dimensions, thresholds = {}, {}
    for dimension, results in comparison.items():
        best = results[0]
        yv = [r[dimension] for r in validation]
        threshold = choose_threshold([best.probabilities], yv, best.classes, dimension)
        thresholds[dimension] = threshold["threshold"]
        dimensions[dimension] = {
            "candidate": best.candidate,
            "description": best.description,
            "macro_f1": {"validation": best.macro_f1, "spread": best.spread,
                         "blurb_cv": best.blurb_cv},
            "validation": best.scores,
            "threshold": threshold,
            "coverage": coverage_table(best.probabilities, yv, best.classes),
        }
    return {
        "version": version,
        "created": stamp.isoformat(timespec="seconds"),
        "trained_on": "pages",
        "analyser_version": ANALYSER_VERSION,
        "signals_version": SIGNALS_VERSION,
        "data": {
            "sha256": data.sha256,
            "sources": data.blurbs.sources + [{
                "path": "data/labels/pages/pages.jsonl", "sha256": file_sha256(data.pages_path),
                "rows": len(data.pages), "train": len(train_pages),
                "validation": len(validation)}],
            "size": {d: len(data.blurbs.for_dimension(d)[1]) + len(train_pages)
                     for d in DIMENSIONS},
            "validation_balance": {d: dict(Counter(r[d] for r in validation).most_common())
                                   for d in DIMENSIONS},
            "train_balance": {d: dict(Counter(r[d] for r in train_pages).most_common())
                              for d in DIMENSIONS},
        },
        "candidates": {
            d: {s.candidate: {"description": s.description, "validation_macro_f1": s.macro_f1,
                              "spread": s.spread, "blurb_cv": s.blurb_cv,
                              "recall": {label: v["recall"] for label, v in
                                         s.scores["per_class"].items()}}
                for s in results}
            for d, results in comparison.items()
        },
        "first_models": dict(first_models),
        "dimensions": dimensions,
        "thresholds": thresholds,
        "min_content_words": MIN_CONTENT_WORDS,
        "libraries": _libraries(),
    }


def _learnplatform(blurbs: LabelledSet, purpose: Any) -> dict[str, Any]:
    """Hand labels and the shipped model (trained on these rows) against LearnPlatform."""
    from classifier.agreement import learnplatform_agreement

    rows = [(doc.name, url) for doc, url in zip(blurbs.documents, blurbs.urls, strict=True)]
    fitted = [str(p) for p in purpose.predict(blurbs.documents)]
    return learnplatform_agreement(rows, {"hand labels": blurbs.labels["purpose"],
                                          "model, as shipped (trained on these rows)": fitted})


def validation_markdown(card: Mapping[str, Any], recall: bool = True) -> list[str]:
    """The candidate table: validation macro-F1 (± bootstrap spread), blurb CV and, with
    `recall`, recall per class on validation. `*`: a text candidate, compared, not shippable."""
    lines = ["| dimension | candidate | validation macro-F1 | blurb CV macro-F1 |"
             + (" recall per class |" if recall else ""), "|---" * (4 + recall) + "|"]
    for dimension, results in card["candidates"].items():
        chosen = card["dimensions"][dimension]["candidate"]
        for name, s in results.items():
            cv = s["blurb_cv"]
            recalls = ", ".join(f"{label.split('-')[0]} {r:.2f}"
                                for label, r in s["recall"].items())
            mark = " (chosen)" if name == chosen else (" *" if name.startswith("word") else "")
            lines.append(f"| {dimension} | {name}{mark} | {s['validation_macro_f1']:.3f} ± "
                         f"{s['spread']:.3f} | "
                         + (f"{cv['mean']:.3f} ± {cv['std']:.3f}" if cv else "-")
                         + (f" | {recalls} |" if recall else " |"))
    return lines


def page_card_markdown(card: Mapping[str, Any]) -> str:
    data = card["data"]
    lines = [f"# edcat model {card['version']}", "", f"Trained {card['created']}; analyser "
             f"`{card['analyser_version']}`, signals `{card['signals_version']}`.", "",
             "## Data", ""]
    for source in data["sources"]:
        if "path" in source:
            extra = (f" (train {source['train']}, validation {source['validation']}: never "
                     "trained on)") if "validation" in source else ""
            lines.append(f"- `{source['path']}`: {source['rows']} rows{extra}, SHA-256 "
                         f"`{source['sha256']}`")
        else:
            lines.append(f"- catalogue `{source['catalogue']}`: {source['labels']} labels")
    lines.append(f"- training data SHA-256 `{data['sha256']}`")
    for dimension, balance in data["validation_balance"].items():
        lines.append(f"- validation {dimension}: "
                     + ", ".join(f"{label} {n}" for label, n in balance.items()))
    lines += ["", "## Candidates (chosen on the page-length validation split)", "",
              "`*`: text pipeline of the first models, scored on a pseudo-text of the bags "
              "(its unigrams match, its bigrams do not); compared, never shipped.", ""]
    lines += validation_markdown(card)
    for dimension, info in card["dimensions"].items():
        scores = info["validation"]
        lines += ["", f"## {dimension}: {info['candidate']}", "", info["description"] + ".", "",
                  f"Validation macro-F1 {scores['macro_f1']:.3f} "
                  f"(± {info['macro_f1']['spread']:.3f} bootstrap), accuracy "
                  f"{scores['accuracy']:.3f}, n {scores['n']}.", "",
                  "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label, s in scores["per_class"].items():
            lines.append(f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | "
                         f"{s['f1']:.3f} | {s['support']} |")
        t = info["threshold"]
        lines += ["", f"Threshold {t['threshold']:.2f} (validation: {t['coverage']:.0%} kept, "
                  f"{(t['accuracy_kept'] or 0):.0%} of those right; all {t['accuracy_all']:.0%})."
                  , "", "| threshold | coverage | accuracy kept |", "|---|---|---|"]
        for row in info["coverage"]:
            acc = f"{row['accuracy']:.3f}" if row["accuracy"] is not None else "-"
            lines.append(f"| {row['threshold']:.2f} | {row['coverage']:.3f} | {acc} |")
    lines += ["", f"Texts with fewer than {card['min_content_words']} content words are "
              "`uncertain` (reason given) whatever the model says.", "",
              "## Agreement with LearnPlatform on purpose (blurbs)", ""]
    lines += agreement_lines(card.get("agreement", {}))
    lines += ["", "## Libraries", ""]
    lines += [f"- {name} {v}" for name, v in card["libraries"].items()]
    return "\n".join(lines) + "\n"
