"""Classifier benchmark: training time on the starter labels and prediction rate on 100,000 texts.

    python -m bench.bench_classifier [--texts 100000] [--pages 5000] [--evidence 2000] [--repeat 3]

Measures, in the same run and on the same data:
- training (best of --repeat): the shipped model's candidate pipelines (its card names them)
  fitted on `data/labels/starter.csv`, both dimensions, against a plain `TfidfVectorizer`
  (word 1-2 + char 3-5 grams) + `LogisticRegression` on the raw text;
- prediction: both dimensions on generated texts (sentences of real starter texts sampled and
  recombined, under real names) with the shipped model, against the baseline fitted above;
- evidence: the rate of `classify`'s full path (probabilities + evidence) on a subset;
- page-length texts (--pages; 8-20 real starter sentences recombined, about 1,000-2,000
  characters): the shipped default model against the first models' TF-IDF pipelines
  (`DEFAULT_CANDIDATES`, fitted on the starter labels in this run), both through
  `predict_documents` without evidence (the issue's aim: no slower than 0.5x).
Prints each figure and the ratio edcat / baseline.
"""

from __future__ import annotations

import argparse
import random
import time

from catalogue.vocabulary import DIMENSIONS
from classifier.features import labelled_document, sentences
from classifier.labels import STARTER_LABELS, read_label_file


def generate_texts(rows, n: int, seed: int = 1, length: tuple[int, int] = (1, 3)
                   ) -> list[tuple[str, str]]:
    """(name, text) pairs: `length` sentences from random real texts, under a random name."""
    rng = random.Random(seed)
    pieces = [s for row in rows for s in sentences(row.document.description)] or ["empty"]
    names = [row.name for row in rows]
    return [
        (rng.choice(names), " ".join(rng.choices(pieces, k=rng.randint(*length))))
        for _ in range(n)
    ]


def baseline(dimension_labels, texts):
    """The plain model: word 1-2 + char 3-5 TF-IDF + logistic regression, on raw text."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, make_pipeline

    features = FeatureUnion(
        [
            ("word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)),
        ]
    )
    return make_pipeline(features, LogisticRegression(max_iter=2000)).fit(texts, dimension_labels)


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=100_000)
    parser.add_argument("--evidence", type=int, default=2_000)
    parser.add_argument("--pages", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from classifier.model_store import load_model
    from classifier.pipelines import make_pipeline
    from classifier.predict import predict_documents
    from classifier.training import DEFAULT_CANDIDATES

    model = load_model()
    chosen = {d: model.card.get("dimensions", {}).get(d, {}).get("candidate")
              or DEFAULT_CANDIDATES[d] for d in DIMENSIONS}
    rows = read_label_file(STARTER_LABELS)
    docs = [row.document for row in rows]
    raw = [f"{row.name}. {row.document.description}" for row in rows]
    print(f"starter labels: {len(rows)} rows")

    edcat_fit = baseline_fit = 0.0
    baselines = {}
    for dimension in DIMENSIONS:
        y = [row.label(dimension) for row in rows]
        edcat_fit += min(
            timed(make_pipeline(chosen[dimension]).fit, docs, y)[1]
            for _ in range(args.repeat)
        )
        fits = [timed(baseline, y, raw) for _ in range(args.repeat)]
        baselines[dimension] = fits[0][0]
        baseline_fit += min(seconds for _, seconds in fits)
    report("training, both dimensions (s)", edcat_fit, baseline_fit, lower_is_better=True)

    generated = generate_texts(rows, args.texts, args.seed)
    print(f"model {model.version}; {len(generated):,} generated texts")
    gen_docs = [labelled_document(name, text) for name, text in generated]
    _, edcat_seconds = timed(predict_documents, model, gen_docs, evidence=False)
    gen_raw = [f"{name}. {text}" for name, text in generated]
    _, base_seconds = timed(lambda: [b.predict_proba(gen_raw) for b in baselines.values()])
    report("predictions/s, both dimensions", len(generated) / edcat_seconds,
           len(generated) / base_seconds)

    subset = gen_docs[: args.evidence]
    _, evidence_seconds = timed(predict_documents, model, subset, evidence=True)
    _, plain_seconds = timed(predict_documents, model, subset, evidence=False)
    report(f"with evidence, texts/s ({len(subset):,})", len(subset) / evidence_seconds,
           len(subset) / plain_seconds, names=("evidence", "no evidence"))
    bench_pages(rows, model, args)


def bench_pages(rows, model, args) -> None:
    """Page-length texts: the shipped model against the first models' TF-IDF pipelines."""
    from classifier.model_store import Model
    from classifier.pipelines import make_pipeline
    from classifier.predict import predict_documents
    from classifier.training import DEFAULT_CANDIDATES

    docs = [row.document for row in rows]
    first = Model("tf-idf (first models)", model.path, {"thresholds": {}}, {
        d: make_pipeline(DEFAULT_CANDIDATES[d]).fit(docs, [row.label(d) for row in rows])
        for d in DIMENSIONS
    })
    pages = [labelled_document(name, text)
             for name, text in generate_texts(rows, args.pages, args.seed + 1, (8, 20))]
    chars = sum(len(p.description) for p in pages) / max(1, len(pages))
    print(f"{len(pages):,} page-length texts, {chars:,.0f} characters on average")
    _, new_seconds = timed(predict_documents, model, pages, evidence=False)
    _, old_seconds = timed(predict_documents, first, pages, evidence=False)
    report("page predictions/s, both dimensions", len(pages) / new_seconds,
           len(pages) / old_seconds, names=(model.version[:18], "first tf-idf"))


def report(what: str, edcat: float, base: float, lower_is_better: bool = False,
           names: tuple[str, str] = ("edcat", "baseline")) -> None:
    ratio = edcat / base if base else float("nan")
    note = "(lower is better)" if lower_is_better else "(higher is better)"
    print(f"{what:42s} {names[0]} {edcat:10,.2f}   {names[1]} {base:10,.2f}   "
          f"ratio {ratio:5.2f} {note}")


if __name__ == "__main__":
    main()
