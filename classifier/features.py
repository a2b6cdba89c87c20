"""From a tool's document to weighted text fields, and from fields to TF-IDF features.

A document is a tool's name, its description and the text of its crawled pages. Not every part
says as much about who uses the tool and what they do in it: the description's first sentence
(the "head phrase" the labelling guide leans on) and the home, features and about pages say a
lot; pricing, privacy and terms pages are mostly boilerplate. `DocumentFields` turns each
document into a list of `(weight, text)` fields; `WeightedTextVectorizer` fits one sklearn
vectorizer on whole documents (so the vocabulary and idf are per document) and represents a
document as the weighted sum of its fields' TF-IDF vectors, L2-normalised. Each field is
normalised on its own before weighting, so a long terms page cannot drown a one-line blurb.

Both are ordinary scikit-learn transformers (parameters in `__init__`, `fit` returns self,
learned attributes end in `_`), so they sit in a `Pipeline`, are cloned by cross-validation and
are saved with skops.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

# Relative weight of each crawled page kind (the description counts 1.0). Home, features and
# about pages describe the product and its users; pricing, privacy and terms are boilerplate.
PAGE_KIND_WEIGHTS: dict[str, float] = {
    "home": 0.6,
    "features": 0.6,
    "about": 0.4,
    "other": 0.2,
    "pricing": 0.1,
    "privacy": 0.02,
    "terms": 0.02,
}

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])|\n+")


@dataclass(frozen=True)
class Document:
    """The parts of a tool's text the classifier reads."""

    name: str = ""
    description: str = ""
    pages: tuple[tuple[str, str, str], ...] = ()  # (kind, title, text)

    @property
    def text(self) -> str:
        """Name, description and page text as one plain text (for evidence and export)."""
        parts = [self.name, self.description]
        parts += [f"{title}\n{text}" if title else text for _, title, text in self.pages]
        return "\n".join(p for p in parts if p)


def as_document(item: Any) -> Document:
    """Accept a `Document`, a catalogue `ToolDocument`, a mapping or a plain string."""
    if isinstance(item, Document):
        return item
    if isinstance(item, str):
        return Document(description=item)
    if isinstance(item, Mapping):
        description = item.get("description", item.get("text", "")) or ""
        return Document(str(item.get("name") or ""), str(description), _pages(item.get("pages")))
    return Document(
        str(getattr(item, "name", "") or ""),
        str(getattr(item, "description", "") or ""),
        _pages(getattr(item, "pages", ())),
    )


def _pages(pages: Any) -> tuple[tuple[str, str, str], ...]:
    return tuple((str(k), str(t or ""), str(x or "")) for k, t, x in (pages or ()))


def labelled_document(name: str, text: str) -> Document:
    """A document for a labelled row: the label files store `text` as "Name. description"."""
    name, text = (name or "").strip(), (text or "").strip()
    if name and text.lower().startswith(name.lower()):
        rest = text[len(name) :]
        if not rest or rest[0] in ".:-–—|, \n":
            text = rest.lstrip(".:-–—|, \n")
    return Document(name=name, description=text)


def sentences(text: str) -> list[str]:
    """Split text into sentences (good enough for blurbs and extracted page text)."""
    return [s.strip() for s in _SENTENCE_END.split(text or "") if s and s.strip()]


class DocumentFields(TransformerMixin, BaseEstimator):
    """Turn documents into `[(weight, text), ...]` fields.

    Fields: the name, the description's first sentence (the head phrase), the whole
    description, and each crawled page weighted by its kind (`page_weights`, default
    `PAGE_KIND_WEIGHTS`) and cut at `max_page_chars`.
    """

    def __init__(
        self,
        name_weight: float = 0.25,
        lead_weight: float = 0.25,
        description_weight: float = 1.0,
        page_weights: Mapping[str, float] | None = None,
        max_page_chars: int = 20000,
    ):
        self.name_weight = name_weight
        self.lead_weight = lead_weight
        self.description_weight = description_weight
        self.page_weights = page_weights
        self.max_page_chars = max_page_chars

    def fit(self, X: Sequence[Any], y: Any = None) -> DocumentFields:
        weights = PAGE_KIND_WEIGHTS if self.page_weights is None else self.page_weights
        self.page_weights_ = dict(weights)
        return self

    def transform(self, X: Sequence[Any]) -> list[list[tuple[float, str]]]:
        weights = getattr(self, "page_weights_", None)
        if weights is None:
            raise ValueError("DocumentFields is not fitted yet")
        return [self._fields(as_document(item), weights) for item in X]

    def _fields(self, doc: Document, weights: Mapping[str, float]) -> list[tuple[float, str]]:
        fields: list[tuple[float, str]] = []
        if doc.name and self.name_weight:
            fields.append((self.name_weight, doc.name))
        if doc.description:
            lead = sentences(doc.description)[:1]
            if lead and self.lead_weight:
                fields.append((self.lead_weight, lead[0]))
            fields.append((self.description_weight, doc.description))
        for kind, title, text in doc.pages:
            weight = weights.get(kind, weights.get("other", 0.0))
            if weight and (title or text):
                fields.append((weight, f"{title}\n{text[: self.max_page_chars]}"))
        return fields


class WeightedTextVectorizer(TransformerMixin, BaseEstimator):
    """A sklearn text vectorizer applied field by field, summed with the fields' weights.

    `vectorizer` (default `TfidfVectorizer()`) is cloned and fitted on each document's fields
    joined together; a document's features are `sum(weight * vectorizer.transform(field))`,
    L2-normalised.
    """

    def __init__(self, vectorizer: Any = None):
        self.vectorizer = vectorizer

    def fit(self, X: Sequence[Sequence[tuple[float, str]]], y: Any = None):
        base = TfidfVectorizer() if self.vectorizer is None else self.vectorizer
        self.vectorizer_ = clone(base).fit(["\n".join(t for _, t in doc) for doc in X])
        return self

    def transform(self, X: Sequence[Sequence[tuple[float, str]]]) -> sp.csr_matrix:
        texts, rows, weights = [], [], []
        for row, doc in enumerate(X):
            for weight, text in doc:
                texts.append(text)
                rows.append(row)
                weights.append(weight)
        n_features = len(self.vectorizer_.vocabulary_)
        if not texts:
            return sp.csr_matrix((len(X), n_features))
        fields = self.vectorizer_.transform(texts)
        combine = sp.csr_matrix(
            (np.asarray(weights, dtype=float), (np.asarray(rows), np.arange(len(texts)))),
            shape=(len(X), len(texts)),
        )
        return normalize(combine @ fields, norm="l2", copy=False).tocsr()

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        return self.vectorizer_.get_feature_names_out()

    def build_analyzer(self):
        """The fitted vectorizer's analyzer (used to explain predictions)."""
        return self.vectorizer_.build_analyzer()
