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

import hashlib
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
    return _same_owner(_domain_key(name, url_a), _domain_key(name, url_b))


def _brand_in(name: str, domain: str) -> bool:
    label = match_name(domain.split(".", 1)[0])
    return len(name) >= MIN_BRAND_LENGTH and name in label


def key_hash(text: str) -> int:
    """128 bits of BLAKE2b: a compact stand-in for a key, for telling apart up to millions of
    records (two different keys share a hash with odds of about 1 in 10^28)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=16).digest(), "big")


# What the same-tool rule needs of a homepage, given the name: (hash of its registrable
# domain, whether the name is the brand in that domain), or None without a homepage.
DomainKey = tuple[int, bool] | None


def _domain_key(name: str, url: str | None) -> DomainKey:
    domain = registrable_domain(url)
    return (key_hash(domain), _brand_in(name, domain)) if domain else None


def _same_owner(a: DomainKey, b: DomainKey) -> bool:
    if a is None or b is None:
        return True
    return a[0] == b[0] or a[1] and b[1]


class DuplicateIndex(Generic[T]):
    """Records by normalised name, to find the earlier record a new (name, homepage) is.

    Only hashes of a record's name and domain are kept next to its item, so an index of the
    100,000 rows of the largest import file costs a few tens of MB."""

    def __init__(self) -> None:
        self._by_name: dict[int, list[tuple[DomainKey, T]]] = {}

    def add(self, name: str, url: str | None, item: T) -> None:
        key = match_name(name)
        if key:  # a name without letters or digits is never the same tool as another
            self._by_name.setdefault(key_hash(key), []).append((_domain_key(key, url), item))

    def find(self, name: str, url: str | None) -> T | None:
        """The first record that is the same tool, preferring one on the same domain."""
        key = match_name(name)
        if not key or key_hash(key) not in self._by_name:
            return None  # most records: no name in common, no domain to work out
        return self._find(key, _domain_key(key, url))

    def find_or_add(self, name: str, url: str | None, item: T) -> T | None:
        """`find`, and when nothing is found, `add` (working out the keys once)."""
        key = match_name(name)
        if not key:
            return None
        domain = _domain_key(key, url)
        found = self._find(key, domain)
        if found is None:
            self._by_name.setdefault(key_hash(key), []).append((domain, item))
        return found

    def _find(self, key: str, domain: DomainKey) -> T | None:
        candidates = [
            entry for entry in self._by_name.get(key_hash(key), []) if _same_owner(entry[0], domain)
        ]
        candidates.sort(key=lambda entry: _domain_hash(entry[0]) != _domain_hash(domain))
        return candidates[0][1] if candidates else None

    def extend(self, entries: Iterable[tuple[str, str | None, T]]) -> None:
        for name, url, item in entries:
            self.add(name, url, item)


def _domain_hash(key: DomainKey) -> int | None:
    return key[0] if key else None
