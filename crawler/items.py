"""What the spider yields: one item per fetched page, one per page that could not be had.

Plain dataclasses (Scrapy handles them through itemadapter); the pipeline turns them into
catalogue records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crawler.facts import Fact


@dataclass
class PageItem:
    """A page fetched and extracted: what `catalogue.store.record_page` needs."""

    tool_id: int
    url: str
    kind: str
    status: int
    title: str
    meta_description: str
    text: str
    fetched_at: datetime
    depth: int = 0
    facts: list[Fact] = field(default_factory=list)
    requested_url: str = ""  # the frontier entry (before redirects); "" = url
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class PageReobservedItem:
    """A stored page that answered 304 Not Modified to a conditional request."""

    tool_id: int
    url: str
    fetched_at: datetime
    requested_url: str = ""
    etag: str | None = None
    last_modified: str | None = None
    depth: int = 0


@dataclass
class FailureItem:
    """A page that was not stored, with a reason from `crawler.failures.REASONS`."""

    tool_id: int | None
    url: str
    reason: str
    detail: str = ""
    depth: int = 0
