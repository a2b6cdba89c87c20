"""SQLModel tables of the catalogue.

History is kept rather than overwritten: a page's earlier content hashes live in `page_versions`;
a fact that a later crawl no longer finds gets `retracted_at` instead of being deleted; a new
classification or label marks the previous one `is_current = False`. The "current" view of a
tool is always the rows with `retracted_at IS NULL` / `is_current`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class Tool(SQLModel, table=True):
    __tablename__ = "tools"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True, index=True)
    name: str = Field(index=True)
    # Identity: the canonical homepage when there is one, else the normalised name.
    identity_key: str = Field(unique=True)
    # The name as duplicate matching compares it (`catalogue.identity.match_name`; schema v8),
    # so an import looks up the stored tools a record may be instead of reading them all.
    match_name: str | None = Field(default=None, index=True)
    homepage: str | None = None
    domain: str | None = Field(default=None, index=True)
    vendor: str | None = None
    description: str | None = None
    category: str | None = Field(default=None, index=True)
    source: str | None = None
    provenance: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    first_seen: datetime = Field(default_factory=utcnow, index=True)
    last_crawled: datetime | None = Field(default=None, index=True)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class Page(SQLModel, table=True):
    """One page of one tool's site. Keyed by (tool, url): a vendor-wide privacy policy on a
    shared host is a page of every tool whose crawl reached it (schema v3)."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("tool_id", "url", name="uq_pages_tool_url"),)

    id: int | None = Field(default=None, primary_key=True)
    tool_id: int = Field(foreign_key="tools.id", index=True)
    url: str = Field(index=True)
    kind: str = Field(default="other", index=True)
    fetched_at: datetime = Field(default_factory=utcnow)
    http_status: int | None = None
    content_hash: str | None = None
    title: str | None = None
    meta_description: str | None = None
    text: str | None = None
    crawl_run_id: int | None = Field(default=None, foreign_key="crawl_runs.id")
    changed_at: datetime = Field(default_factory=utcnow)
    # The server's validators, sent back on the next crawl (If-None-Match /
    # If-Modified-Since) so an unchanged page answers 304 (schema v5).
    etag: str | None = None
    last_modified: str | None = None


class PageVersion(SQLModel, table=True):
    """One row per fetch of a page: the history `edcat changes` reads."""

    __tablename__ = "page_versions"
    # `edcat changes --since`: fetches after a date (schema v6).
    __table_args__ = (Index("ix_page_versions_fetched_at", "fetched_at"),)

    id: int | None = Field(default=None, primary_key=True)
    page_id: int = Field(foreign_key="pages.id", index=True)
    crawl_run_id: int | None = Field(default=None, foreign_key="crawl_runs.id", index=True)
    fetched_at: datetime = Field(default_factory=utcnow)
    http_status: int | None = None
    content_hash: str | None = None
    changed: bool = False


class Fact(SQLModel, table=True):
    __tablename__ = "facts"
    __table_args__ = (
        Index("ix_facts_field_value_tool", "field", "value", "tool_id"),
        Index("ix_facts_tool_field", "tool_id", "field"),
        # Covers "which tools state FIELD=VALUE now": filters and facet counts never touch
        # the table (schema v4).
        Index(
            "ix_facts_active_field_value_tool",
            "field",
            "value",
            "tool_id",
            sqlite_where=text("retracted_at IS NULL"),
        ),
        # Storing a page reads the facts it stated before (schema v6); without this index the
        # lookup walks every active fact of the catalogue.
        Index("ix_facts_page_active", "page_id", "retracted_at"),
        # `edcat changes --since`: facts first observed or retracted after a date (schema v6).
        Index("ix_facts_first_observed_at", "first_observed_at"),
        # Partial: only retracted facts. A full index on retracted_at (before v6) answered
        # `retracted_at IS NULL` by walking every active fact, and SQLite chose it over the
        # selective indexes above.
        Index(
            "ix_facts_retracted_at_set",
            "retracted_at",
            sqlite_where=text("retracted_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    tool_id: int = Field(foreign_key="tools.id")
    field: str
    value: str
    evidence: str | None = None
    source_url: str | None = None
    page_id: int | None = Field(default=None, foreign_key="pages.id")
    origin: str = "crawl"  # "crawl" (found on the vendor's pages) or "import" (a source list)
    crawl_run_id: int | None = Field(default=None, foreign_key="crawl_runs.id")
    first_observed_at: datetime = Field(default_factory=utcnow)
    observed_at: datetime = Field(default_factory=utcnow)
    retracted_at: datetime | None = None


class Classification(SQLModel, table=True):
    __tablename__ = "classifications"
    __table_args__ = (
        Index("ix_classifications_current", "tool_id", "dimension", "is_current"),
        Index("ix_classifications_label", "dimension", "label", "is_current"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tool_id: int = Field(foreign_key="tools.id")
    dimension: str
    label: str
    confidence: float
    uncertain: bool = False
    probabilities: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON))
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    model_version: str = Field(index=True)
    created_at: datetime = Field(default_factory=utcnow)
    is_current: bool = True


class Label(SQLModel, table=True):
    """A person's label for a tool (or for a free text that is not in the catalogue)."""

    __tablename__ = "labels"
    __table_args__ = (
        Index("ix_labels_current", "tool_id", "dimension", "is_current"),
        Index("ix_labels_label", "dimension", "label", "is_current"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tool_id: int | None = Field(default=None, foreign_key="tools.id")
    name: str | None = None
    text: str | None = None
    dimension: str
    label: str
    annotator: str = "unknown"
    note: str | None = None
    source: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    is_current: bool = True


class ModelVersion(SQLModel, table=True):
    __tablename__ = "model_versions"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(unique=True)
    path: str
    created_at: datetime = Field(default_factory=utcnow)
    is_default: bool = False
    data_hash: str | None = None
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class CrawlRun(SQLModel, table=True):
    __tablename__ = "crawl_runs"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = "running"  # running | finished | failed | interrupted
    options: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    stats: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class Review(SQLModel, table=True):
    """A person's answer to one of the seven DPIA risk questions for a tool (schema v2)."""

    __tablename__ = "reviews"
    __table_args__ = (Index("ix_reviews_current", "tool_id", "question", "is_current"),)

    id: int | None = Field(default=None, primary_key=True)
    tool_id: int = Field(foreign_key="tools.id")
    question: int
    answer: str
    source_url: str | None = None
    reviewer: str = "unknown"
    created_at: datetime = Field(default_factory=utcnow)
    is_current: bool = True


class Shortlist(SQLModel, table=True):
    __tablename__ = "shortlists"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class ShortlistTool(SQLModel, table=True):
    __tablename__ = "shortlist_tools"

    shortlist_id: int = Field(foreign_key="shortlists.id", primary_key=True)
    tool_id: int = Field(foreign_key="tools.id", primary_key=True)
    added_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    """A local account of the web catalogue: only signed-in users may write (schema v4)."""

    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    password_hash: str
    created_at: datetime = Field(default_factory=utcnow)
    disabled: bool = False


class WebSession(SQLModel, table=True):
    """A signed-in browser. Only a hash of the cookie's token is stored (schema v4)."""

    __tablename__ = "web_sessions"

    token_hash: str = Field(primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    csrf_token: str
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)
