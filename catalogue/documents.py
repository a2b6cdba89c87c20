"""The text of each tool, as the classifier reads it: name, description and crawled pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import select

from catalogue.db import Catalogue
from catalogue.models import Label, Page, Tool


@dataclass(frozen=True)
class ToolDocument:
    tool_id: int
    name: str
    description: str
    # (page kind, title, text) for every crawled page that returned text
    pages: list[tuple[str, str, str]] = field(default_factory=list)


def tool_documents(
    catalogue: Catalogue,
    tool_ids: list[int] | None = None,
    *,
    unlabelled_only: bool = False,
    batch_size: int = 2000,
) -> Iterator[ToolDocument]:
    """Yield one document per tool, in id order, reading the catalogue in batches."""
    last_id = 0
    while True:
        stmt = select(Tool.id, Tool.name, Tool.description).where(Tool.id > last_id)
        if tool_ids is not None:
            stmt = stmt.where(Tool.id.in_(tool_ids))
        if unlabelled_only:
            stmt = stmt.where(
                Tool.id.not_in(
                    select(Label.tool_id).where(
                        Label.is_current.is_(True), Label.tool_id.is_not(None)
                    )
                )
            )
        stmt = stmt.order_by(Tool.id).limit(batch_size)
        with catalogue.engine.connect() as conn:
            tools = conn.execute(stmt).all()
            if not tools:
                return
            pages = _pages_by_tool(conn, [t.id for t in tools])
        for tool in tools:
            yield ToolDocument(tool.id, tool.name, tool.description or "", pages.get(tool.id, []))
        last_id = tools[-1].id


def _pages_by_tool(conn, ids: list[int]) -> dict[int, list[tuple[str, str, str]]]:
    rows = conn.execute(
        select(Page.tool_id, Page.kind, Page.title, Page.text)
        .where(Page.tool_id.in_(ids), Page.text.is_not(None), Page.text != "")
        .order_by(Page.tool_id, Page.kind, Page.url)
    )
    pages: dict[int, list[tuple[str, str, str]]] = {}
    for row in rows:
        pages.setdefault(row.tool_id, []).append((row.kind, row.title or "", row.text))
    return pages
