"""Reading one tool in full: lookup by id, slug or name, and the card `edcat tools show` prints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, or_, select
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
    if text.isascii() and text.isdigit() and len(text) < 19:
        tool = session.get(Tool, int(text))
        if tool is not None:
            return tool
    matches = session.exec(TOOL_LOOKUP, params={"wanted": text.lower()}).scalars().all()
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        options = ", ".join(f"{t.slug} (id {t.id})" for t in matches)
        raise ToolNotFound(f"{text!r} names {len(matches)} tools: {options}; use the slug or id")
    close = close_tool_names(catalogue, text)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    raise ToolNotFound(f"no tool {text!r} in the catalogue{hint}")


# The statements a tool card runs, built once (the tool page runs them for every visit).
# SQLite's NOCASE folds ASCII letters only, as its `lower()` does, and the wanted text is
# lowered first, so the lookup matches what `lower(name) = ?` would, through the indexes.
_WANTED, _TOOL_ID = bindparam("wanted"), bindparam("tool_id")
TOOL_LOOKUP = select(Tool).where(or_(Tool.slug == _WANTED, Tool.name.collate("NOCASE") == _WANTED))
TOOL_PAGES = select(Page).where(Page.tool_id == _TOOL_ID).order_by(Page.kind, Page.url)
TOOL_FACTS = (
    select(Fact)
    .where(Fact.tool_id == _TOOL_ID, Fact.retracted_at.is_(None))
    .order_by(Fact.field, Fact.value)
)
TOOL_CLASSIFICATIONS = (
    select(Classification)
    .where(Classification.tool_id == _TOOL_ID, Classification.is_current.is_(True))
    .order_by(Classification.dimension)
)
TOOL_LABELS = (
    select(Label)
    .where(Label.tool_id == _TOOL_ID, Label.is_current.is_(True))
    .order_by(Label.dimension)
)


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
    with catalogue.session() as session:
        return tool_card_in(session, catalogue, ref, stale_days)


def tool_card_in(
    session: Session, catalogue: Catalogue, ref: str | int, stale_days: int | None = None
) -> ToolCard:
    """`tool_card` within an open session."""
    days = stale_after_days(stale_days)
    tool = find_tool_in(session, catalogue, ref)
    params = {"tool_id": tool.id}

    def rows(statement):
        return session.exec(statement, params=params).scalars().all()

    pages, facts = rows(TOOL_PAGES), rows(TOOL_FACTS)
    classifications, labels = rows(TOOL_CLASSIFICATIONS), rows(TOOL_LABELS)
    return ToolCard(
        tool=tool.model_dump(exclude={"identity_key"}),
        pages=[p.model_dump(include=PAGE_FIELDS) for p in pages],
        facts=[
            {**f.model_dump(include=FACT_CARD_FIELDS), "stale": is_stale(f.observed_at, days)}
            for f in facts
        ],
        classifications=[c.model_dump(include=CLASSIFICATION_FIELDS) for c in classifications],
        labels=[label.model_dump(include=LABEL_FIELDS) for label in labels],
    )


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
