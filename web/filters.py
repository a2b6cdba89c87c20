"""The browse URL's query string <-> a `ToolQuery`, shared by the pages and the JSON API.

Filters live in the URL (`?purpose=teaching-learning&fact=gdpr%3Dyes&page=2`), so a filtered
list can be bookmarked and shared. Validation is the library's: an unknown value is an
InvalidFilter naming the valid ones, shown as a 400.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import QueryParams

from catalogue import InvalidFilter, ToolQuery

MULTI = ("purpose", "pedagogy", "audience", "phase", "subject", "pricing", "fact")
MAX_PAGE_SIZE = 200
MAX_COMPARE = 4  # columns a comparison page can show side by side


def compare_refs(tools: list[str]) -> list[str]:
    """The tools of a ``?tool=...`` comparison, blanks (an empty picker) left out."""
    refs = [t for t in tools if t.strip()]
    if not 2 <= len(refs) <= MAX_COMPARE:
        raise InvalidFilter(f"choose 2 to {MAX_COMPARE} tools to compare (got {len(refs)})")
    return refs


@dataclass(frozen=True)
class Browse:
    query: ToolQuery
    page: int
    page_size: int
    params: list[tuple[str, str]]  # the filter part of the URL, without the page


def browse_from_params(params: QueryParams, default_page_size: int) -> Browse:
    values = {name: [v for v in params.getlist(name) if v.strip()] for name in MULTI}
    search = (params.get("q") or "").strip() or None
    query = ToolQuery(
        purpose=values["purpose"],
        pedagogy=values["pedagogy"],
        audience=values["audience"],
        phase=values["phase"],
        subject=values["subject"],
        pricing=values["pricing"],
        facts=values["fact"],
        search=search,
        min_confidence=_confidence(params.get("min_confidence")),
        sort=(params.get("sort") or None),
    )
    page = _positive("page", params.get("page"), 1)
    asked = _positive("page_size", params.get("page_size"), default_page_size)
    page_size = min(asked, MAX_PAGE_SIZE)
    query.limit, query.offset = page_size, (page - 1) * page_size
    query.validated()
    kept = [(k, v) for k, v in params.multi_items() if k not in ("page",) and v.strip()]
    return Browse(query, page, page_size, kept)


def _confidence(raw: str | None) -> float | None:
    if raw is None or not raw.strip() or raw.strip() in ("0", "0.0"):
        return None
    try:
        return float(raw)
    except ValueError:
        raise InvalidFilter(f"min_confidence must be a number from 0 to 1, got {raw!r}") from None


def _positive(name: str, raw: str | None, default: int) -> int:
    if raw is None or not raw.strip():
        return default
    digits = raw.strip()
    # str.isdigit() is also true of "²" and "٣", which int() reads differently or not at all
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 9 or int(digits) < 1:
        raise InvalidFilter(f"{name} must be a whole number from 1, got {raw!r}")
    return int(digits)
