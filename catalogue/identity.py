"""When two tool records are one tool: registrable domain plus normalised name.

A homepage alone is not an identity: source lists give one product as `canva.com/` and
`canva.com/education/`, `drive.google.com/start` and `google.com/drive/`, `kahoot.com` and
`kahoot.it`, or with no homepage at all. Two records are the same tool when their names
normalise to the same text and one of these holds:

- they share a registrable domain (the domain a company registers, under its public suffix:
  `google.com` for `drive.google.com`, `example.co.uk` for `www.example.co.uk`);
- the name is the brand in both domains (`kahoot.com` / `kahoot.it`, `formative.com` /
  `goformative.com`);
- one of them has no homepage.

Different products on one domain keep apart because their names differ ("Google Drive",
"Google Docs"). The public suffix list comes from the copy bundled with `tldextract`; nothing is
fetched from the network.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from typing import Generic, TypeVar

from catalogue.urls import domain_of

T = TypeVar("T")
# A brand shorter than this ("ai", "go") says nothing about who owns a domain.
MIN_BRAND_LENGTH = 4


def match_name(name: str | None) -> str:
    """Lower-case ASCII letters and digits only: "MagicSchool.ai" and "MagicSchool AI" agree."""
    ascii_text = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())


@cache
def _extractor():
    import tldextract  # only imports and the URL work that needs the suffix list pay for it

    # No suffix_list_urls: the snapshot inside the package, never a download; private suffixes
    # (github.io, blogspot.com) count, so two sites hosted there stay two domains.
    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


def registrable_domain(url: str | None) -> str | None:
    """`google.com` for `https://drive.google.com/start`; the host itself for an IP address or
    a host without a known suffix; None without an http(s) URL."""
    host = domain_of(url)
    if not host:
        return None
    parts = _extractor()(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    return host


def same_tool(name_a: str, url_a: str | None, name_b: str, url_b: str | None) -> bool:
    """The rule in the module docstring, for two (name, homepage) records."""
    name = match_name(name_a)
    if not name or name != match_name(name_b):
        return False
    domain_a, domain_b = registrable_domain(url_a), registrable_domain(url_b)
    if not (domain_a and domain_b):
        return True
    return domain_a == domain_b or _brand_in(name, domain_a) and _brand_in(name, domain_b)


def _brand_in(name: str, domain: str) -> bool:
    label = match_name(domain.split(".", 1)[0])
    return len(name) >= MIN_BRAND_LENGTH and name in label


class DuplicateIndex(Generic[T]):
    """Records by normalised name, to find the earlier record a new (name, homepage) is."""

    def __init__(self) -> None:
        self._by_name: dict[str, list[tuple[str, str | None, T]]] = {}

    def add(self, name: str, url: str | None, item: T) -> None:
        self._by_name.setdefault(match_name(name), []).append((name, url, item))

    def find(self, name: str, url: str | None) -> T | None:
        """The first record that is the same tool, preferring one on the same domain."""
        candidates = [
            entry
            for entry in self._by_name.get(match_name(name), [])
            if same_tool(entry[0], entry[1], name, url)
        ]
        domain = registrable_domain(url)
        candidates.sort(key=lambda entry: registrable_domain(entry[1]) != domain)
        return candidates[0][2] if candidates else None

    def extend(self, entries: Iterable[tuple[str, str | None, T]]) -> None:
        for name, url, item in entries:
            self.add(name, url, item)
