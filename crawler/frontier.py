"""Which links of a tool's site to fetch, and how many: the crawl policy, without Scrapy.

A tool's crawl starts at its home page and follows same-site links a buyer needs (ranked by
`crawler.page_kinds.buyer_link_priority`), fetching at most `max_pages` pages in all. One
`ToolFrontier` per tool keeps what was already requested (by canonical URL, so `/about` and
`/about/` are one page) and is pickled into Scrapy's JOBDIR with the spider state, so a
resumed crawl neither refetches nor exceeds the budget.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from catalogue.urls import canonical_url
from crawler.page_kinds import buyer_link_priority

DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Site:
    """A vendor's site: a host (without `www.`) and its subdomains, on one explicit port.

    `https://www.example.com/` and `http://help.example.com/` are one site; a non-default
    port makes another site (local test servers run each site on its own port).
    """

    host: str
    port: int | None = None

    @classmethod
    def of(cls, url: str) -> Site | None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            return None
        host = parts.hostname.lower().removeprefix("www.")
        return cls(host, None if port in (None, DEFAULT_PORTS[parts.scheme]) else port)

    def contains(self, url: str) -> bool:
        other = Site.of(url)
        if other is None or other.port != self.port:
            return False
        return other.host == self.host or other.host.endswith("." + self.host)


@dataclass(frozen=True)
class Link:
    url: str
    anchor: str
    priority: int  # 0 = fetch first (see page_kinds.TOPICS)


@dataclass
class ToolFrontier:
    """The crawl state of one tool: its sites, the pages requested, the pages left."""

    tool_id: int
    home: str
    max_pages: int
    sites: set[Site] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    issued: int = 0

    def __post_init__(self) -> None:
        site = Site.of(self.home)
        if site is not None:
            self.sites.add(site)

    @property
    def remaining(self) -> int:
        return max(0, self.max_pages - self.issued)

    def claim_home(self) -> bool:
        """True the first time: the home page is the first page of the budget."""
        key = canonical_url(self.home)
        if key in self.seen or self.remaining == 0:
            return False
        self.seen.add(key)
        self.issued += 1
        return True

    def home_landed(self, url: str) -> None:
        """The home page answered from `url` (after redirects): that site is the tool's too."""
        self.seen.add(canonical_url(url))
        site = Site.of(url)
        if site is not None:
            self.sites.add(site)

    def fetched(self, url: str) -> None:
        self.seen.add(canonical_url(url))

    def in_scope(self, url: str) -> bool:
        return any(site.contains(url) for site in self.sites)

    def claim_links(self, links: Iterable[tuple[str, str]], site_lang: str = "en") -> list[Link]:
        """The best not-yet-requested same-site buyer links, within the budget; claims them."""
        chosen = choose_links(links, self.in_scope, self.seen, self.remaining, site_lang)
        for link in chosen:
            self.seen.add(canonical_url(link.url))
        self.issued += len(chosen)
        return chosen


def choose_links(
    links: Iterable[tuple[str, str]],
    in_scope,
    seen: set[str],
    budget: int,
    site_lang: str = "en",
) -> list[Link]:
    """Up to `budget` links a buyer needs, best first (document order breaks ties).

    A link is skipped when it is off-site, already requested (by canonical URL), or of no use
    to a buyer (blogs, logins, files, other languages, dated paths: see buyer_link_priority).
    """
    if budget <= 0:
        return []
    found: dict[str, Link] = {}
    for url, anchor in links:
        key = canonical_url(url)
        if key in seen or key in found or not in_scope(url):
            continue
        priority = buyer_link_priority(url, anchor, site_lang=site_lang or "en")
        if priority is not None:
            found[key] = Link(url, anchor, priority)
    return sorted(found.values(), key=lambda link: link.priority)[:budget]
