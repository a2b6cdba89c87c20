"""Pipelines on per-sentence n-gram bags: the same features from crawled text and stored bags.

    analyse    AnalyseText: a document (text) or a stored corpus record (bags) -> AnalysedText
               (lead-sentence bag, body-sentence bags, n-grams of the tool's name removed)
    features   FeatureUnion of
                 bags     SummedBags -> DictVectorizer -> TfidfTransformer
                 signals  SignalShares: per label, the share of sentences carrying the guide's
                          signals, and whether the lead sentence carries them
    model      CalibratedClassifierCV(sigmoid) around logistic regression

Text goes through `classifier.analyser` inside `AnalyseText`; a stored record already holds
that analyser's output, so training on the shipped corpus and predicting on crawled text see
identical features (checked by `tests/test_classifier_bags.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from classifier.analyser import ANALYSER_VERSION, split_sentences, words
from classifier.features import Document, as_document
from classifier.signals import SIGNALS

# Crawled page kinds whose text is read; pricing, privacy and terms are boilerplate.
READ_PAGE_KINDS = ("home", "features", "about", "other")
MAX_SENTENCES = 400


@dataclass
class AnalysedText:
    """A text as the bag pipelines see it. `sentences` (the raw text) exists only for text
    that was analysed here, never for stored records; it is used to quote evidence."""

    name: str = ""
    lead: Counter = field(default_factory=Counter)
    body: list[Counter] = field(default_factory=list)
    sentences: list[str] | None = None

    @property
    def bags(self) -> list[Counter]:
        return ([self.lead] if self.lead else []) + self.body

    def content_words(self) -> int:
        """Words that are not stop words (name n-grams are already gone)."""
        return sum(
            n for bag in self.bags for gram, n in bag.items()
            if " " not in gram and gram not in ENGLISH_STOP_WORDS
        )


def text_of(doc: Document) -> list[str]:
    """The parts of a document the bag pipelines read: description, then product pages."""
    parts = [doc.description] if doc.description else []
    parts += [f"{title}. {text}" if title else text
              for kind, title, text in doc.pages if kind in READ_PAGE_KINDS and (title or text)]
    return parts


def name_words(name: str) -> set[str]:
    return {w for w in words(name or "") if w not in ENGLISH_STOP_WORDS}


def _without_name(bag: Mapping[str, int], drop: set[str]) -> Counter:
    if not drop:
        return Counter(bag)
    return Counter({g: n for g, n in bag.items() if not drop.intersection(g.split(" "))})


def analysed_from_record(record: Mapping[str, Any]) -> AnalysedText:
    """A stored corpus record (`data/labels/pages/`): `product`, `lead`, `sentences`."""
    version = record.get("analyser_version", ANALYSER_VERSION)
    if version != ANALYSER_VERSION:
        from classifier.errors import ClassifierError

        raise ClassifierError(
            f"record {record.get('id')!r} was made by analyser {version!r}, this is "
            f"{ANALYSER_VERSION!r}: rebuild the corpus (scripts/build_page_corpus.py)"
        )
    drop = name_words(str(record.get("product") or ""))
    return AnalysedText(
        name=str(record.get("product") or ""),
        lead=_without_name(record.get("lead") or {}, drop),
        body=[_without_name(b, drop) for b in record.get("sentences") or ()],
    )


def analyse_document(item: Any, max_sentences: int = MAX_SENTENCES) -> AnalysedText:
    """Anything `as_document` accepts (a string, a mapping, a ToolDocument) -> AnalysedText."""
    if isinstance(item, AnalysedText):
        return item
    if isinstance(item, Mapping) and "sentences" in item and "text" not in item:
        return analysed_from_record(item)
    doc = as_document(item)
    from classifier.analyser import ngrams

    raw = [s for part in text_of(doc) for s in split_sentences(part)][:max_sentences]
    drop = name_words(doc.name)
    kept, bags = [], []
    for sentence in raw:
        bag = _without_name(ngrams(words(sentence)), drop)
        if bag:
            kept.append(sentence)
            bags.append(bag)
    if not bags:
        return AnalysedText(name=doc.name, sentences=[])
    return AnalysedText(doc.name, bags[0], bags[1:], kept)


class AnalyseText(TransformerMixin, BaseEstimator):
    """First step: documents or stored records -> `AnalysedText`."""

    def __init__(self, max_sentences: int = MAX_SENTENCES):
        self.max_sentences = max_sentences

    def fit(self, X: Sequence[Any], y: Any = None) -> AnalyseText:
        self.analyser_version_ = ANALYSER_VERSION
        return self

    def transform(self, X: Sequence[Any]) -> list[AnalysedText]:
        return [analyse_document(item, self.max_sentences) for item in X]


def _informative(gram: str) -> bool:
    """False for stop words and n-grams made only of stop words."""
    return any(w not in ENGLISH_STOP_WORDS for w in gram.split(" "))


class SummedBags(TransformerMixin, BaseEstimator):
    """Per text, the sum of its sentence bags (the lead counted `lead_weight` times more), as a
    dict for `DictVectorizer`; n-grams longer than `max_n`, made only of stop words, or seen in
    fewer than `min_df` training texts are left out."""

    def __init__(self, max_n: int = 3, min_df: int = 2, lead_weight: float = 1.0):
        self.max_n = max_n
        self.min_df = min_df
        self.lead_weight = lead_weight

    def _keep(self, gram: str) -> bool:
        return gram.count(" ") < self.max_n and _informative(gram)

    def fit(self, X: Sequence[AnalysedText], y: Any = None) -> SummedBags:
        df: Counter[str] = Counter()
        for text in X:
            df.update({g for bag in text.bags for g in bag if self._keep(g)})
        self.vocabulary_ = sorted(g for g, n in df.items() if n >= self.min_df)
        return self

    def transform(self, X: Sequence[AnalysedText]) -> list[dict[str, float]]:
        vocabulary = set(self.vocabulary_)
        out = []
        for text in X:
            summed: Counter[str] = Counter()
            for gram, n in text.lead.items():
                if gram in vocabulary:
                    summed[gram] += n * (1.0 + self.lead_weight)
            for bag in text.body:
                for gram, n in bag.items():
                    if gram in vocabulary:
                        summed[gram] += n
            out.append(dict(summed))
        return out


class CharGrams(TransformerMixin, BaseEstimator):
    """Per text, character n-grams of its words, as `TfidfVectorizer(analyzer="char_wb")`
    makes them from text (each word padded with a space), counted from the unigram bags: the
    same on text and on stored bags. They catch word families (`collaborat`, `quizz`) that a
    few hundred texts cannot teach word by word."""

    def __init__(self, min_n: int = 3, max_n: int = 5, min_df: int = 2):
        self.min_n = min_n
        self.max_n = max_n
        self.min_df = min_df

    def _grams(self, text: AnalysedText) -> Counter:
        out: Counter[str] = Counter()
        for bag in text.bags:
            for gram, count in bag.items():
                if " " in gram:
                    continue
                padded = f" {gram} "
                for n in range(self.min_n, self.max_n + 1):
                    for i in range(len(padded) - n + 1):
                        out[padded[i : i + n]] += count
        return out

    def fit(self, X: Sequence[AnalysedText], y: Any = None) -> CharGrams:
        df: Counter[str] = Counter()
        for text in X:
            df.update(set(self._grams(text)))
        self.vocabulary_ = sorted(g for g, n in df.items() if n >= self.min_df)
        return self

    def transform(self, X: Sequence[AnalysedText]) -> list[dict[str, float]]:
        vocabulary = set(self.vocabulary_)
        return [{g: float(n) for g, n in self._grams(text).items() if g in vocabulary}
                for text in X]


class SignalShares(TransformerMixin, BaseEstimator):
    """Per label of the guide: the share of a text's sentences carrying the label's signals
    (`share:<label>`), and whether its lead sentence does (`lead:<label>`).

    Shares do not grow with length the way summed counts do, so twenty sentences of filler
    do not bury two decisive ones. With `gate_by_length`, the shares are scaled by how much
    text there is (`min(1, sentences / gate_sentences)`) and the lead by the rest, so a
    one-line blurb leans on its lead and a page on its body.
    """

    def __init__(self, signals: Mapping[str, Sequence[str]] | None = None,
                 gate_by_length: bool = False, gate_sentences: int = 6):
        self.signals = signals
        self.gate_by_length = gate_by_length
        self.gate_sentences = gate_sentences

    def fit(self, X: Sequence[AnalysedText], y: Any = None) -> SignalShares:
        signals = SIGNALS if self.signals is None else self.signals
        self.labels_ = list(signals)
        self.signals_ = {label: sorted(set(grams)) for label, grams in signals.items()}
        return self

    def carriers(self, bag: Mapping[str, int]) -> list[str]:
        """The labels whose signals occur in one sentence bag."""
        return [label for label in self.labels_ if any(g in bag for g in self.signals_[label])]

    def transform(self, X: Sequence[AnalysedText]) -> np.ndarray:
        out = np.zeros((len(X), 2 * len(self.labels_)))
        for row, text in enumerate(X):
            bags = text.bags
            if not bags:
                continue
            counts = Counter(label for bag in bags for label in self.carriers(bag))
            lead = set(self.carriers(text.lead)) if text.lead else set()
            gate = min(1.0, len(bags) / self.gate_sentences) if self.gate_by_length else 1.0
            lead_weight = (1.0 - gate) if self.gate_by_length else 1.0
            for i, label in enumerate(self.labels_):
                out[row, 2 * i] = gate * counts[label] / len(bags)
                out[row, 2 * i + 1] = lead_weight * (label in lead)
        return out

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return np.asarray([f"{kind}:{label}" for label in self.labels_
                           for kind in ("share", "lead")], dtype=object)
