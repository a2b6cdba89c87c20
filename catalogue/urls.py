"""URL and name normalisation shared by import, crawl and lookups."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit, urlunsplit

TRACKING_PARAMS = re.compile(r"^(utm_\w+|gclid|fbclid|mc_cid|mc_eid|ref)$", re.IGNORECASE)


def is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  (raises ValueError for a port that is not 0-65535)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


CACHED_URL_CHARS = 2_083  # longer URLs (rare, or hostile) are worked out each time


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, no default port, fragment or tracking parameters, no trailing
    slash except the root. Two spellings of one page give one key."""
    if len(url) > CACHED_URL_CHARS:
        return _canonical_url.__wrapped__(url)
    return _canonical_url(url)


@lru_cache(maxsize=16384)  # the crawl asks for each link of every page, most of them repeats
def _canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    query = "&".join(
        q for q in parts.query.split("&") if q and not TRACKING_PARAMS.match(q.split("=", 1)[0])
    )
    path = parts.path or "/"
    if path != "/":
        path = path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), host + port, path, query, ""))


def domain_of(url: str | None) -> str | None:
    """The host without a leading `www.`, or None for a missing or non-http URL."""
    if not url or not is_http_url(url):
        return None
    host = (urlsplit(url.strip()).hostname or "").lower()
    return host.removeprefix("www.")


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug or "tool"


def name_key(name: str) -> str:
    return "name:" + slugify(name)
