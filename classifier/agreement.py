"""An independent check of `purpose`: LearnPlatform's hand-made "Primary Essential Function".

LearnPlatform labels US K-12 products by primary function (see `docs/labelling-guide.md` §5):
`LC` (Learning & Curriculum) lines up with `teaching-learning`; `CM - Teacher Resources` and
`SDO` (School & District Operations) with `workflow-productivity`. `CM - Classroom Engagement &
Instruction` and `CM - Virtual Classroom` mix both and are reported separately; `Other` and
blank carry no signal. Labelled rows are matched to LearnPlatform rows by URL (host without
`www.` + path) or, failing that, by normalised name.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"
LEARNPLATFORM = REFERENCE / "learnplatform_products_info.csv"
AMBIGUOUS = "ambiguous"


@dataclass(frozen=True)
class LPProduct:
    name: str
    url: str
    function: str
    purpose: str | None  # teaching-learning, workflow-productivity, AMBIGUOUS or None


def lp_purpose(function: str) -> str | None:
    """Our purpose for a LearnPlatform primary function (AMBIGUOUS, or None for no signal)."""
    function = (function or "").strip()
    if not function or function.startswith("LC/CM/SDO") or function.endswith("- Other"):
        return None
    if function.startswith("LC"):
        return "teaching-learning"
    if function.startswith("SDO") or function.startswith("CM - Teacher Resources"):
        return "workflow-productivity"
    if function.startswith("CM"):
        return AMBIGUOUS
    return None


def load_learnplatform(path: Path = LEARNPLATFORM) -> list[LPProduct]:
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        return [
            LPProduct(
                name=row["Product Name"].strip(),
                url=row["URL"].strip(),
                function=row["Primary Essential Function"].strip(),
                purpose=lp_purpose(row["Primary Essential Function"]),
            )
            for row in csv.DictReader(handle)
        ]


def url_key(url: str | None) -> str | None:
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/').lower()}" if host else None


def name_key(name: str | None) -> str:
    text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "", text)


def match_products(
    rows: Sequence[tuple[str | None, str | None]], products: Sequence[LPProduct]
) -> list[LPProduct | None]:
    """For each (name, url), its LearnPlatform product by URL, else by name, else None."""
    by_url = {url_key(p.url): p for p in products if url_key(p.url)}
    by_name = {name_key(p.name): p for p in products if name_key(p.name)}
    out = []
    for name, url in rows:
        product = by_url.get(url_key(url)) if url else None
        out.append(product or by_name.get(name_key(name)))
    return out


def kappa_agreement(ours: Sequence[str], theirs: Sequence[str]) -> dict[str, Any]:
    """Count, share agreeing and Cohen's kappa of two label sequences."""
    from sklearn.metrics import cohen_kappa_score

    n = len(ours)
    if n == 0:
        return {"matched": 0, "agreement": None, "kappa": None}
    agree = sum(a == b for a, b in zip(ours, theirs, strict=True))
    kappa = cohen_kappa_score(ours, theirs) if len(set(ours) | set(theirs)) > 1 else 1.0
    return {"matched": n, "agree": agree, "agreement": round(agree / n, 4),
            "kappa": round(float(kappa), 4)}


def learnplatform_agreement(
    rows: Sequence[tuple[str | None, str | None]],
    sources: dict[str, Sequence[str | None]],
    products: Sequence[LPProduct] | None = None,
) -> dict[str, Any]:
    """Agreement on `purpose` of each labelling in `sources` with LearnPlatform.

    `rows` are (name, url) of labelled texts; `sources` maps a description ("hand labels",
    "model, cross-validated", ...) to a purpose per row (None: not labelled). Returns matched
    products, the unambiguous comparison per source and, separately, how the ambiguous
    "CM - Classroom Engagement / Virtual Classroom" products were labelled.
    """
    products = load_learnplatform() if products is None else products
    matches = match_products(rows, products)
    matched = [(i, p) for i, p in enumerate(matches) if p is not None]
    result: dict[str, Any] = {
        "reference": "LearnPlatform Primary Essential Function (LC = teaching-learning; "
        "SDO and CM - Teacher Resources = workflow-productivity)",
        "rows": len(rows),
        "matched_rows": len(matched),
        "matched_products": len({p.url for _, p in matched}),
        "no_signal": sum(1 for _, p in matched if p.purpose is None),
        "by_source": {},
        "ambiguous": {},
    }
    for source, labels in sources.items():
        pairs = [(labels[i], p.purpose) for i, p in matched
                 if labels[i] and p.purpose not in (None, AMBIGUOUS)]
        result["by_source"][source] = kappa_agreement([a for a, _ in pairs], [b for _, b in pairs])
        ambiguous: dict[str, int] = {}
        for i, p in matched:
            if labels[i] and p.purpose == AMBIGUOUS:
                ambiguous[labels[i]] = ambiguous.get(labels[i], 0) + 1
        result["ambiguous"][source] = ambiguous
    return result
