"""The versioned text analyser: text -> sentences -> normalised words -> per-sentence n-gram bags.

The page corpus (`data/labels/pages/`) ships no text, only what this analyser makes of each
text, and the bag pipelines (`classifier.bags`) run the same analyser on crawled text as their
first step. So a model trained on stored bags sees exactly the features it will see on real
text. `ANALYSER_VERSION` is written into every stored record; change it whenever any function
here changes its output, and rebuild the corpus.

The steps, kept deliberately plain so they stay stable across library versions:

1. `split_sentences`: at `.`, `!`, `?` or `;` followed by a space and a capital, digit or
   quote; at line breaks; and at bullet characters.
2. `normalise`: Unicode NFKC, accents stripped, lower case, apostrophes dropped
   (`teacher's` -> `teachers`).
3. `words`: runs of letters and digits (`[^\\W_]+`).
4. `ngrams`: word 1- to 3-grams inside one sentence, joined with single spaces; counted.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

ANALYSER_VERSION = "edcat-bags-1"
MAX_N = 3

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_HARD_BREAK = re.compile(r"[\r\n]+|\s*[•·▪●◦‣∙]\s*")
_APOSTROPHE = re.compile(r"['’`´]")
_WORD = re.compile(r"[^\W_]+")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, stripped, empty ones dropped."""
    out = []
    for block in _HARD_BREAK.split(text or ""):
        out.extend(s.strip() for s in _SENTENCE_END.split(block))
    return [s for s in out if s]


def normalise(text: str) -> str:
    """NFKC, accents stripped, lower case, apostrophes removed."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _APOSTROPHE.sub("", text.lower())


def words(sentence: str) -> list[str]:
    """The normalised words of one sentence."""
    return _WORD.findall(normalise(sentence))


def ngrams(tokens: list[str], max_n: int = MAX_N) -> Counter[str]:
    """Counts of the word 1- to `max_n`-grams of one sentence's tokens."""
    bag: Counter[str] = Counter()
    for n in range(1, max_n + 1):
        for i in range(len(tokens) - n + 1):
            bag[" ".join(tokens[i : i + n])] += 1
    return bag


def sentence_bags(text: str) -> list[Counter[str]]:
    """One n-gram bag per sentence of `text`, in order; sentences with no words are dropped."""
    bags = [ngrams(words(s)) for s in split_sentences(text)]
    return [bag for bag in bags if bag]


def analyse(texts: str | Iterable[str]) -> list[Counter[str]]:
    """`sentence_bags` of one text, or of several texts one after the other."""
    if isinstance(texts, str):
        return sentence_bags(texts)
    return [bag for text in texts for bag in sentence_bags(text)]
