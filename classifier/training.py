"""Training: labelled data in, a versioned model directory with its model card out.

1. Labels come from label files (default `data/labels/starter.csv`) and, when a catalogue is
   open, the people's labels stored in it (catalogue labels win over a file's label for the
   same text).
2. Candidate pipelines (`classifier.pipelines.CANDIDATES`) are scored by repeated stratified
   k-fold cross-validation (macro-F1, mean ± std over folds). With `compare`, every candidate
   is scored and the best per dimension is kept; otherwise `DEFAULT_CANDIDATES` (what the
   comparison chose on the starter set) is scored alone.
3. The threshold per dimension is the lowest confidence at which the out-of-fold predictions
   kept are right at least `TARGET_ACCURACY` of the time (never below `MIN_THRESHOLD`); below
   it a prediction is stored as uncertain.
4. The chosen pipelines are refitted on all the data and saved with skops; the card records
   data, scores, thresholds, versions and the LearnPlatform agreement.
"""

from __future__ import annotations

import hashlib
import json
import platform
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from catalogue.vocabulary import DIMENSIONS
from classifier.errors import ClassifierError
from classifier.features import Document, labelled_document
from classifier.labels import STARTER_LABELS, read_label_file

DEFAULT_CANDIDATES = {"purpose": "word-char-lr", "pedagogy": "word-char-lr-balanced"}
TARGET_ACCURACY = {"purpose": 0.90, "pedagogy": 0.85}
MIN_THRESHOLD = {"purpose": 0.50, "pedagogy": 0.45}
CV_SPLITS, CV_REPEATS, SEED = 5, 3, 0
MIN_PER_LABEL = 5  # fewer examples of a label than this cannot be cross-validated
LIBRARIES = ("scikit-learn", "skops", "numpy", "scipy")


# --- labelled data ----------------------------------------------------------------------------


@dataclass
class LabelledSet:
    """Labelled documents; `labels[dimension][i]` is None where row i has no such label."""

    documents: list[Document] = field(default_factory=list)
    urls: list[str | None] = field(default_factory=list)
    labels: dict[str, list[str | None]] = field(
        default_factory=lambda: {d: [] for d in DIMENSIONS}
    )
    sources: list[dict[str, Any]] = field(default_factory=list)

    def add(self, doc: Document, url: str | None, labels: dict[str, str | None]) -> None:
        self.documents.append(doc)
        self.urls.append(url)
        for dimension in DIMENSIONS:
            self.labels[dimension].append(labels.get(dimension))

    def for_dimension(self, dimension: str) -> tuple[list[Document], list[str], list[int]]:
        idx = [i for i, label in enumerate(self.labels[dimension]) if label]
        return [self.documents[i] for i in idx], [self.labels[dimension][i] for i in idx], idx

    @property
    def sha256(self) -> str:
        """Hash of the training data itself (texts and labels), whatever files it came from."""
        digest = hashlib.sha256()
        for i, doc in enumerate(self.documents):
            row = [doc.name, doc.description, [list(p) for p in doc.pages]]
            row += [self.labels[d][i] for d in DIMENSIONS]
            digest.update(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")
        return digest.hexdigest()

    def __len__(self) -> int:
        return len(self.documents)


def load_labelled_set(paths: Sequence[Path] = (), catalogue: Any = None) -> LabelledSet:
    """Labels from files (default: the starter set) and from `catalogue` when given.

    The same (name, text) labelled twice keeps the later label for each dimension: files in
    order, then the catalogue.
    """
    data = LabelledSet()
    index: dict[tuple[str, str, tuple], int] = {}
    for path in paths or [STARTER_LABELS]:
        path = Path(path)
        rows = read_label_file(path, required=("name", "text", "purpose", "pedagogy"))
        data.sources.append(
            {"path": _display(path), "sha256": _sha256_file(path), "rows": len(rows)}
        )
        for row in rows:
            _merge(data, index, row.document, row.url, {d: row.label(d) for d in DIMENSIONS})
    if catalogue is not None:
        added = _catalogue_labels(data, index, catalogue)
        data.sources.append({"catalogue": str(catalogue.path), "labels": added})
    return data


def _merge(data: LabelledSet, index: dict, doc: Document, url: str | None, labels: dict) -> None:
    key = (doc.name.lower(), doc.description, doc.pages)
    if key in index:
        i = index[key]
        for dimension, label in labels.items():
            if label:
                data.labels[dimension][i] = label
        return
    index[key] = len(data)
    data.add(doc, url, labels)


def _catalogue_labels(data: LabelledSet, index: dict, catalogue: Any) -> int:
    from catalogue.documents import tool_documents
    from catalogue.labels import current_labels

    labels = current_labels(catalogue)
    need_docs = sorted({lab.tool_id for lab in labels if lab.tool_id is not None and not lab.text})
    docs = {d.tool_id: d for d in tool_documents(catalogue, need_docs)} if need_docs else {}
    grouped: dict[tuple, tuple[Document, str | None, dict]] = {}
    for label in labels:
        if label.text or label.tool_id is None:
            doc = labelled_document(label.name or "", label.text or "")
        else:
            tool = docs[label.tool_id]
            doc = Document(tool.name, tool.description, tuple(tuple(p) for p in tool.pages))
        key = (doc.name.lower(), doc.description, doc.pages)
        grouped.setdefault(key, (doc, label.url, {}))[2][label.dimension] = label.label
    for doc, url, by_dimension in grouped.values():
        _merge(data, index, doc, url, by_dimension)
    return len(labels)


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _display(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(STARTER_LABELS.parent.parent.parent))
    except ValueError:
        return str(path)


# --- cross-validation -------------------------------------------------------------------------


@dataclass
class CVResult:
    candidate: str
    description: str
    scores: list[float]  # macro-F1 per fold
    classes: list[str]
    oof: list[Any]  # per repeat: out-of-fold probabilities (n x classes)
    seconds: float

    @property
    def mean(self) -> float:
        return float(sum(self.scores) / len(self.scores))

    @property
    def std(self) -> float:
        m = self.mean
        return float((sum((s - m) ** 2 for s in self.scores) / len(self.scores)) ** 0.5)


def cross_validate(
    candidate: str,
    docs: Sequence[Document],
    y: Sequence[str],
    splits: int = CV_SPLITS,
    repeats: int = CV_REPEATS,
    n_jobs: int | None = None,
) -> CVResult:
    """Repeated stratified k-fold of one candidate: fold macro-F1s and out-of-fold probabilities."""
    import numpy as np
    from joblib import Parallel, delayed
    from sklearn.model_selection import RepeatedStratifiedKFold

    from classifier.pipelines import CANDIDATES, make_pipeline

    start = time.perf_counter()
    y = np.asarray(y)
    classes = sorted(set(y.tolist()))
    cv = RepeatedStratifiedKFold(n_splits=splits, n_repeats=repeats, random_state=SEED)
    folds = list(cv.split(np.zeros(len(y)), y))
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_fold)(make_pipeline(candidate), docs, y, train, test)
        for train, test in folds
    )
    oof = [np.zeros((len(y), len(classes))) for _ in range(repeats)]
    scores = []
    for n, ((_, test), (probabilities, fold_classes)) in enumerate(
        zip(folds, results, strict=True)
    ):
        columns = [classes.index(c) for c in fold_classes]
        oof[n // splits][np.ix_(test, columns)] = probabilities
        predicted = np.asarray(fold_classes)[probabilities.argmax(axis=1)]
        scores.append(_macro_f1(y[test], predicted, classes))
    return CVResult(candidate, CANDIDATES[candidate][0], scores, classes, oof,
                    time.perf_counter() - start)


def _fit_fold(pipeline, docs, y, train, test):
    pipeline.fit([docs[i] for i in train], y[train])
    probabilities = pipeline.predict_proba([docs[i] for i in test])
    return probabilities, [str(c) for c in pipeline.classes_]


def _macro_f1(y_true, y_pred, classes) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0))


def cv_splits_for(y: Sequence[str], dimension: str) -> int:
    counts = Counter(y)
    rare = {label: n for label, n in counts.items() if n < MIN_PER_LABEL}
    if rare or len(counts) < 2:
        detail = ", ".join(f"{label}: {n}" for label, n in sorted(rare.items()))
        raise ClassifierError(
            f"not enough {dimension} labels to train: need at least two labels with "
            f"{MIN_PER_LABEL} examples each" + (f" (too few: {detail})" if detail else "")
        )
    return min(CV_SPLITS, min(counts.values()))


def choose_threshold(
    oof: Sequence[Any], y: Sequence[str], classes: Sequence[str], dimension: str
) -> dict[str, Any]:
    """The lowest confidence at which kept out-of-fold predictions reach the target accuracy."""
    import numpy as np

    probabilities = np.vstack(oof)
    truth = np.tile(np.asarray(y), len(oof))
    confidence = probabilities.max(axis=1)
    right = np.asarray(classes)[probabilities.argmax(axis=1)] == truth
    target, floor = TARGET_ACCURACY[dimension], MIN_THRESHOLD[dimension]
    chosen = None
    for t in np.round(np.arange(floor, 0.96, 0.01), 2):
        kept = confidence >= t
        if kept.sum() >= max(10, 0.2 * len(kept)) and right[kept].mean() >= target:
            chosen = float(t)
            break
    reached = chosen is not None
    chosen = chosen if reached else float(np.quantile(confidence, 0.5))
    kept = confidence >= chosen
    return {
        "threshold": round(max(chosen, floor), 2),
        "target_accuracy": target,
        "reached": reached,
        "accuracy_kept": round(float(right[kept].mean()), 4) if kept.any() else None,
        "coverage": round(float(kept.mean()), 4),
        "accuracy_all": round(float(right.mean()), 4),
    }


# --- training ---------------------------------------------------------------------------------


@dataclass
class TrainResult:
    version: str
    path: Path
    card: dict[str, Any]
    comparison: dict[str, list[CVResult]]  # dimension -> candidates scored, best first


def train(
    data: LabelledSet,
    out: Path | None = None,
    compare: bool = False,
    candidates: Sequence[str] | None = None,
    n_jobs: int | None = None,
    repeats: int = CV_REPEATS,
    on_step: Callable[[str], None] | None = None,
    today: datetime | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> TrainResult:
    """Cross-validate, choose, fit and save a model for every dimension; return where it is.

    `on_step(message)` is told each step as it starts; `progress(done, total, message)` also
    how many of the steps are done."""
    from classifier.model_store import models_dir, save_model
    from classifier.pipelines import CANDIDATES, make_pipeline

    names = list(candidates or (CANDIDATES if compare else []))
    # per dimension: one cross-validation per candidate, then the fit; then agreement, save
    total = len(DIMENSIONS) * (max(len(names), 1) + 1) + 2
    done = 0

    def say(message: str) -> None:
        nonlocal done
        if on_step:
            on_step(message)
        if progress:
            progress(done, total, message)
        done += 1

    for name in names:
        make_pipeline(name)  # unknown names fail before any work
    dimensions: dict[str, Any] = {}
    comparison: dict[str, list[CVResult]] = {}
    pipelines = {}
    oof_best: dict[str, tuple[list[int], CVResult]] = {}
    for dimension in DIMENSIONS:
        docs, y, idx = data.for_dimension(dimension)
        splits = cv_splits_for(y, dimension)
        results = []
        for name in names or [DEFAULT_CANDIDATES[dimension]]:
            say(f"{dimension}: cross-validating {name} ({splits} folds x {repeats})")
            results.append(cross_validate(name, docs, y, splits, repeats, n_jobs))
        results.sort(key=lambda r: -r.mean)
        best = results[0]
        comparison[dimension] = results
        oof_best[dimension] = (idx, best)
        say(f"{dimension}: fitting {best.candidate} on {len(y)} labels")
        pipelines[dimension] = make_pipeline(best.candidate).fit(docs, y)
        dimensions[dimension] = _dimension_card(dimension, docs, y, best)
    data_hash = data.sha256
    stamp = (today or datetime.now(UTC)).strftime("%Y.%m.%d")
    version = f"{stamp}-{data_hash[:8]}"
    card = {
        "version": version,
        "created": (today or datetime.now(UTC)).isoformat(timespec="seconds"),
        "data": {
            "sha256": data_hash,
            "sources": data.sources,
            "size": {d: sum(1 for label in data.labels[d] if label) for d in DIMENSIONS},
            "class_balance": {
                d: dict(Counter(label for label in data.labels[d] if label).most_common())
                for d in DIMENSIONS
            },
        },
        "cv": {
            "scheme": f"RepeatedStratifiedKFold(n_splits<={CV_SPLITS}, n_repeats={repeats}, "
            f"random_state={SEED}); macro-F1 per fold, mean ± std",
            "candidates": {
                d: {r.candidate: {"description": r.description, "mean": round(r.mean, 4),
                                  "std": round(r.std, 4), "seconds": round(r.seconds, 1)}
                    for r in results}
                for d, results in comparison.items()
            },
        },
        "dimensions": dimensions,
        "thresholds": {d: info["threshold"]["threshold"] for d, info in dimensions.items()},
        "libraries": _libraries(),
    }
    say("checking purpose against LearnPlatform")
    card["agreement"] = _agreement(data, pipelines, oof_best)
    target = (Path(out) if out else models_dir()) / version
    say(f"saving {target}")
    save_model(target, pipelines, card, card_markdown(card))
    if progress:
        progress(total, total, "saved")
    return TrainResult(version, target, card, comparison)


def train_model(
    label_files: Sequence[Path] = (),
    catalogue: Any = None,
    compare: bool = False,
    out: Path | None = None,
    promote: bool = False,
    n_jobs: int | None = None,
    on_step: Callable[[str], None] | None = None,
    catalogue_labels: bool = True,
    progress: Callable[[int, int, str], None] | None = None,
    pages: Path | None = None,
    blurb_cv: bool = True,
) -> TrainResult | Any:
    """What `edcat model train` does: load labels, train, save, register and maybe promote.

    With `pages` (a page corpus, `data/labels/pages/pages.jsonl`), candidates are trained on
    the label files plus the corpus's train split and chosen on its validation split
    (`classifier.page_training`); `compare` scores `PAGE_CANDIDATES` (with `blurb_cv`, also
    by cross-validation on the blurbs), else `DEFAULT_PAGE_CANDIDATES` only. Without it,
    blurbs only, chosen by cross-validation as before.

    With a catalogue, its labels join the files' (unless `catalogue_labels` is false) and the
    model is registered there (made its default with `promote`, or when it has none); without
    one, `promote` names the model in the DEFAULT file beside it.
    """
    from classifier.model_store import register, write_default_file

    use_catalogue = catalogue if catalogue_labels else None
    if pages is not None:
        from classifier.page_training import (
            DEFAULT_PAGE_CANDIDATES,
            load_training_data,
            train_on_pages,
        )

        page_data = load_training_data(label_files, pages, use_catalogue)
        names = None if compare else sorted(set(DEFAULT_PAGE_CANDIDATES.values()))
        result = train_on_pages(page_data, out=out, candidates=names,
                                blurb_cv=compare and blurb_cv, on_step=on_step)
    else:
        data = load_labelled_set(label_files, use_catalogue)
        result = train(
            data, out=out, compare=compare, n_jobs=n_jobs, on_step=on_step, progress=progress
        )
    if catalogue is not None:
        register(catalogue, (result.version, result.path), make_default=promote)
    elif promote:
        write_default_file(result.version, result.path.parent)
    return result


LENGTH_BINS = ((0, 100), (100, 200), (200, None))  # characters of description


def _dimension_card(dimension, docs, y, best: CVResult) -> dict[str, Any]:
    import numpy as np

    from classifier.evaluate import classification_scores

    labels = list(DIMENSIONS[dimension])
    per_repeat = [
        classification_scores(y, np.asarray(best.classes)[p.argmax(axis=1)].tolist(), labels)
        for p in best.oof
    ]
    first = per_repeat[0]
    per_class = {
        label: {
            metric: round(float(np.mean([r["per_class"][label][metric] for r in per_repeat])), 4)
            for metric in ("precision", "recall", "f1")
        }
        | {"support": first["per_class"][label]["support"]}
        for label in labels
    }
    return {
        "candidate": best.candidate,
        "description": best.description,
        "macro_f1": {"mean": round(best.mean, 4), "std": round(best.std, 4),
                     "folds": len(best.scores)},
        "accuracy": round(float(np.mean([r["accuracy"] for r in per_repeat])), 4),
        "per_class": per_class,
        "confusion": first["confusion"] | {"note": "out-of-fold predictions of the first repeat"},
        "threshold": choose_threshold(best.oof, y, best.classes, dimension),
        "by_text_length": _by_length(docs, y, best, labels),
    }


def _by_length(docs, y, best: CVResult, labels) -> dict[str, Any]:
    """Out-of-fold macro-F1 by length of the text: long texts are what crawled pages give."""
    import numpy as np

    from classifier.evaluate import classification_scores

    lengths, truth = np.array([len(d.description) for d in docs]), np.asarray(y)
    out = {}
    for low, high in LENGTH_BINS:
        mask = ((lengths > low) | (low == 0)) & (lengths <= (high or lengths.max()))
        if not mask.any():
            continue
        scores = [
            classification_scores(truth[mask].tolist(),
                                  np.asarray(best.classes)[p[mask].argmax(axis=1)].tolist(),
                                  labels)["macro_f1"]
            for p in best.oof
        ]
        key = f"over {low} chars" if not high else (
            f"up to {high} chars" if low == 0 else f"{low + 1}-{high} chars"
        )
        out[key] = {"n": int(mask.sum()), "macro_f1": round(float(np.mean(scores)), 4)}
    return out


def _agreement(data: LabelledSet, pipelines: dict, oof_best: dict) -> dict[str, Any]:
    import numpy as np

    from classifier.agreement import learnplatform_agreement

    idx, best = oof_best["purpose"]
    n = len(data)
    cross_validated: list[str | None] = [None] * n
    for position, label in zip(idx, np.asarray(best.classes)[best.oof[0].argmax(axis=1)],
                               strict=True):
        cross_validated[position] = str(label)
    fitted = [str(p) for p in pipelines["purpose"].predict(data.documents)]
    rows = [(doc.name, url) for doc, url in zip(data.documents, data.urls, strict=True)]
    return learnplatform_agreement(
        rows,
        {
            "hand labels": data.labels["purpose"],
            "model, cross-validated": cross_validated,
            "model, as shipped (trained on these rows)": fitted,
        },
    )


def _libraries() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


# --- the card, for people ---------------------------------------------------------------------


def card_markdown(card: dict[str, Any]) -> str:
    """The model card as Markdown (card.md)."""
    lines = [f"# edcat model {card['version']}", "", f"Trained {card['created']}."]
    lines += ["", "## Data", ""]
    for source in card["data"]["sources"]:
        if "path" in source:
            lines.append(f"- `{source['path']}`: {source['rows']} rows, SHA-256 "
                         f"`{source['sha256']}`")
        else:
            lines.append(f"- catalogue `{source['catalogue']}`: {source['labels']} labels")
    lines.append(f"- training data SHA-256 `{card['data']['sha256']}`")
    for dimension, balance in card["data"]["class_balance"].items():
        shown = ", ".join(f"{label} {n}" for label, n in balance.items())
        lines.append(f"- {dimension} ({card['data']['size'][dimension]}): {shown}")
    lines += ["", "## Cross-validation", "", card["cv"]["scheme"], ""]
    lines += comparison_markdown(card)
    for dimension, info in card["dimensions"].items():
        lines += ["", f"## {dimension}: {info['candidate']}", "", info["description"] + ".", ""]
        f1 = info["macro_f1"]
        lines.append(f"Macro-F1 {f1['mean']:.3f} ± {f1['std']:.3f} over {f1['folds']} folds; "
                     f"accuracy {info['accuracy']:.3f}.")
        lines += ["", "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
        for label, s in info["per_class"].items():
            lines.append(f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | "
                         f"{s['f1']:.3f} | {s['support']} |")
        lines += ["", "Confusion (rows: true, columns: predicted; out-of-fold, first repeat):", ""]
        labels = info["confusion"]["labels"]
        lines.append("| | " + " | ".join(labels) + " |")
        lines.append("|---" * (len(labels) + 1) + "|")
        for label, row in zip(labels, info["confusion"]["matrix"], strict=True):
            lines.append(f"| {label} | " + " | ".join(map(str, row)) + " |")
        by_length = ", ".join(f"{k} {v['macro_f1']:.3f} (n={v['n']})"
                              for k, v in info.get("by_text_length", {}).items())
        if by_length:
            lines += ["", f"Macro-F1 by length of the text: {by_length}."]
        t = info["threshold"]
        lines += ["", f"Threshold {t['threshold']:.2f}: predictions below it are stored as "
                  f"uncertain. Out of fold, {t['coverage']:.0%} of predictions clear it and "
                  f"{(t['accuracy_kept'] or 0):.0%} of those are right (target "
                  f"{t['target_accuracy']:.0%}{'' if t['reached'] else ', not reached'}; "
                  f"all predictions: {t['accuracy_all']:.0%})."]
    lines += ["", "## Agreement with LearnPlatform on purpose", ""]
    lines += agreement_lines(card.get("agreement", {}))
    lines += ["", "## Libraries", ""]
    lines += [f"- {name} {v}" for name, v in card["libraries"].items()]
    return "\n".join(lines) + "\n"


def comparison_markdown(card: dict[str, Any]) -> list[str]:
    dims = list(card["cv"]["candidates"])
    names = sorted({n for d in dims for n in card["cv"]["candidates"][d]})
    lines = ["| candidate | " + " | ".join(f"{d} macro-F1" for d in dims) + " |",
             "|---" * (len(dims) + 1) + "|"]
    for name in names:
        cells = []
        for d in dims:
            score = card["cv"]["candidates"][d].get(name)
            chosen = " (chosen)" if card["dimensions"][d]["candidate"] == name else ""
            cells.append(f"{score['mean']:.3f} ± {score['std']:.3f}{chosen}" if score else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def agreement_lines(agreement: dict[str, Any]) -> list[str]:
    if not agreement:
        return ["(not computed)"]
    lines = [
        f"{agreement['reference']}. {agreement['matched_rows']} of {agreement['rows']} labelled "
        f"rows match a LearnPlatform product ({agreement['no_signal']} of them 'Other' or "
        "unlabelled there).",
        "",
        "| labelling | compared | agree | % agreement | Cohen's kappa |",
        "|---|---|---|---|---|",
    ]
    for source, s in agreement["by_source"].items():
        if s.get("matched"):
            lines.append(f"| {source} | {s['matched']} | {s['agree']} | "
                         f"{s['agreement']:.1%} | {s['kappa']:.2f} |")
    ambiguous = agreement.get("ambiguous", {}).get("hand labels")
    if ambiguous:
        shown = ", ".join(f"{label} {n}" for label, n in ambiguous.items())
        lines += ["", "Products in the ambiguous 'CM - Classroom Engagement & Instruction' / "
                  f"'Virtual Classroom' groups (not compared), hand labels: {shown}."]
    return lines
