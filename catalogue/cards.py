"""Reading one tool in full: lookup by id, slug or name, and the card `edcat tools show` prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select
from sqlmodel import Session

from catalogue.db import Catalogue
from catalogue.errors import ToolNotFound
from catalogue.freshness import is_stale
from catalogue.models import Classification, Fact, Label, Page, Tool
from catalogue.query import close_tool_names
from catalogue.settings import stale_after_days


def find_tool(catalogue: Catalogue, ref: str | int) -> Tool:
    """The tool whose id, slug or name (case-insensitive) is `ref`.

    Raises ToolNotFound naming close matches when there is no single tool.
    """
    with catalogue.session() as session:
        return find_tool_in(session, catalogue, ref)


def find_tool_in(session: Session, catalogue: Catalogue, ref: str | int) -> Tool:
    """`find_tool` within an open session (so a page reads its tool and the rest in one)."""
    text = str(ref).strip()
    tool_id = _as_id(text)
    if tool_id is not None:
        tool = session.get(Tool, tool_id)
        if tool is not None:
            return tool
    matches = session.exec(TOOL_LOOKUP, params={"wanted": text.lower()}).scalars().all()
    return _the_one(matches, catalogue, text)


def _as_id(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


def _the_one(matches, catalogue: Catalogue, text: str):
    """The single match (a Tool or a row with slug and id), else ToolNotFound naming close
    matches or the tools the name is shared by."""
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        options = ", ".join(f"{t.slug} (id {t.id})" for t in matches)
        raise ToolNotFound(f"{text!r} names {len(matches)} tools: {options}; use the slug or id")
    close = close_tool_names(catalogue, text)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    raise ToolNotFound(f"no tool {text!r} in the catalogue{hint}")


# `find_tool`'s lookup (the card's statements are at the end). SQLite's NOCASE folds ASCII
# letters only, as its `lower()` does, and the wanted text is lowered first, so the lookup
# matches what `lower(name) = ?` would, through the indexes.
_WANTED, _TOOL_ID = bindparam("wanted"), bindparam("tool_id")
TOOL_LOOKUP = select(Tool).where(or_(Tool.slug == _WANTED, Tool.name.collate("NOCASE") == _WANTED))


def tool_lookup(text: str):
    """The statement finding the tools whose slug or name (case-insensitive) is `text`."""
    return TOOL_LOOKUP.params(wanted=text.lower())


@dataclass
class ToolCard:
    tool: dict[str, Any]
    pages: list[dict[str, Any]]
    facts: list[dict[str, Any]]
    classifications: list[dict[str, Any]]
    labels: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.tool,
            "pages": self.pages,
            "facts": self.facts,
            "classifications": self.classifications,
            "labels": self.labels,
        }


def tool_card(catalogue: Catalogue, ref: str | int, stale_days: int | None = None) -> ToolCard:
    """Everything the catalogue knows about one tool, current state only.

    Each fact carries `stale`: not re-observed within `stale_days` (default: the setting).
    """
    with catalogue.read_connection() as connection:
        return tool_card_in(connection, catalogue, ref, stale_days)


def tool_card_in(
    connection: Connection, catalogue: Catalogue, ref: str | int, stale_days: int | None = None
) -> ToolCard:
    """`tool_card` within an open connection (one snapshot: a page reads its tool's card and
    the rest in one transaction).

    SQLAlchemy Core on the tables' columns, not ORM objects: the same values (the columns'
    types convert dates and JSON) for a third of the CPU (card and history of a tool among
    20,000: 3.3 ms before, 1.1 ms), which the web tool page pays on every uncached visit."""
    days = stale_after_days(stale_days)
    tool = card_tool_in(connection, catalogue, ref)
    params = {"tool_id": tool["id"]}

    def rows(statement) -> list[dict[str, Any]]:
        return [dict(row) for row in connection.execute(statement, params).mappings()]

    facts = rows(CARD_FACTS)
    for fact in facts:
        fact["stale"] = is_stale(fact["observed_at"], days)
    return ToolCard(
        tool=tool,
        pages=rows(CARD_PAGES),
        facts=facts,
        classifications=rows(CARD_CLASSIFICATIONS),
        labels=rows(CARD_LABELS),
    )


def card_tool_in(connection: Connection, catalogue: Catalogue, ref: str | int) -> dict[str, Any]:
    """The card's part of the tool `ref` names (as `find_tool`): every column but its
    identity key."""
    text = str(ref).strip()
    tool_id = _as_id(text)
    if tool_id is not None:
        row = connection.execute(CARD_TOOL_BY_ID, {"tool_id": tool_id}).mappings().first()
        if row is not None:
            return dict(row)
    found = connection.execute(CARD_TOOL_LOOKUP, {"wanted": text.lower()}).mappings().all()
    match = _the_one([_SlugAndId(row) for row in found], catalogue, text)
    return dict(match.row)


@dataclass(frozen=True)
class _SlugAndId:
    row: Any

    @property
    def slug(self) -> str:
        return self.row["slug"]

    @property
    def id(self) -> int:  # noqa: A003
        return self.row["id"]


PAGE_FIELDS = {"url", "kind", "fetched_at", "http_status", "title", "content_hash", "changed_at"}
FACT_CARD_FIELDS = {
    "field",
    "value",
    "evidence",
    "source_url",
    "origin",
    "first_observed_at",
    "observed_at",
}
CLASSIFICATION_FIELDS = {
    "dimension",
    "label",
    "confidence",
    "uncertain",
    "probabilities",
    "evidence",
    "model_version",
    "created_at",
}
LABEL_FIELDS = {"dimension", "label", "annotator", "note", "source", "created_at"}


def _card_columns(model, names: set[str] | None = None, without: tuple[str, ...] = ()):
    """The table columns of `model` in their declared order (the order model_dump gave)."""
    return [
        c for c in model.__table__.c if (names is None or c.name in names) and c.name not in without
    ]


# The statements a tool card runs, built once (the tool page runs them for every visit not
# cached), on the tables' columns: Core rows, no ORM objects.
_TOOLS, _PAGES, _FACTS = Tool.__table__.c, Page.__table__.c, Fact.__table__.c
_CLASSIFICATIONS, _LABELS = Classification.__table__.c, Label.__table__.c
CARD_TOOL_COLUMNS = _card_columns(Tool, without=("identity_key",))
CARD_TOOL_BY_ID = select(*CARD_TOOL_COLUMNS).where(_TOOLS.id == _TOOL_ID)
CARD_TOOL_LOOKUP = select(*CARD_TOOL_COLUMNS).where(
    or_(_TOOLS.slug == _WANTED, _TOOLS.name.collate("NOCASE") == _WANTED)
)
CARD_PAGES = (
    select(*_card_columns(Page, PAGE_FIELDS))
    .where(_PAGES.tool_id == _TOOL_ID)
    .order_by(_PAGES.kind, _PAGES.url)
)
CARD_FACTS = (
    select(*_card_columns(Fact, FACT_CARD_FIELDS))
    .where(_FACTS.tool_id == _TOOL_ID, _FACTS.retracted_at.is_(None))
    .order_by(_FACTS.field, _FACTS.value)
)
CARD_CLASSIFICATIONS = (
    select(*_card_columns(Classification, CLASSIFICATION_FIELDS))
    .where(_CLASSIFICATIONS.tool_id == _TOOL_ID, _CLASSIFICATIONS.is_current.is_(True))
    .order_by(_CLASSIFICATIONS.dimension)
)
CARD_LABELS = (
    select(*_card_columns(Label, LABEL_FIELDS))
    .where(_LABELS.tool_id == _TOOL_ID, _LABELS.is_current.is_(True))
    .order_by(_LABELS.dimension)
)


def card_tool_lookup(text: str):
    """The statement the card finds its tool with by slug or name (for hot_queries)."""
    return CARD_TOOL_LOOKUP.params(wanted=text.lower())
