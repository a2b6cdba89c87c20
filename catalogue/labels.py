"""Reading people's labels and registered model versions, for the classifier's labelling loop.

Writes go through `catalogue.store` (`add_labels`, `register_model`, `set_default_model`); this
module only reads, and matches label-file rows to tools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from catalogue.db import Catalogue
from catalogue.models import Label, ModelVersion, Tool
from catalogue.urls import canonical_url, is_http_url


@dataclass(frozen=True)
class CurrentLabel:
    """A current label, with the name and homepage of its tool when it has one."""

    id: int
    dimension: str
    label: str
    tool_id: int | None
    name: str | None
    url: str | None
    text: str | None
    annotator: str
    note: str | None
    source: str | None
    created_at: datetime


def current_labels(catalogue: Catalogue) -> list[CurrentLabel]:
    """Every current label (tool labels and free-text labels), oldest first."""
    stmt = (
        select(Label, Tool.name, Tool.homepage)
        .outerjoin(Tool, Tool.id == Label.tool_id)
        .where(Label.is_current.is_(True))
        .order_by(Label.id)
    )
    with catalogue.session() as session:
        rows = session.execute(stmt).all()
    return [
        CurrentLabel(
            id=label.id,
            dimension=label.dimension,
            label=label.label,
            tool_id=label.tool_id,
            name=name if label.tool_id is not None else label.name,
            url=homepage,
            text=label.text,
            annotator=label.annotator,
            note=label.note,
            source=label.source,
            created_at=label.created_at,
        )
        for label, name, homepage in rows
    ]


def count_labels(catalogue: Catalogue, current_only: bool = False) -> int:
    stmt = select(func.count()).select_from(Label)
    if current_only:
        stmt = stmt.where(Label.is_current.is_(True))
    with catalogue.engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def match_tools(
    catalogue: Catalogue, refs: Sequence[tuple[str | None, str | None]]
) -> list[int | None | list[int]]:
    """Match (url, name) pairs to tools: by canonical homepage, else by case-insensitive name.

    Returns, per pair, the tool id, None when nothing matches, or the list of ids when the name
    matches several tools (the caller reports it).
    """
    with catalogue.engine.connect() as conn:
        by_url = dict(
            conn.execute(select(Tool.homepage, Tool.id).where(Tool.homepage.is_not(None))).all()
        )
        by_name: dict[str, list[int]] = {}
        for name, tool_id in conn.execute(select(func.lower(Tool.name), Tool.id)):
            by_name.setdefault(name.strip(), []).append(tool_id)
    matches: list[int | None | list[int]] = []
    for url, name in refs:
        if url and is_http_url(url) and canonical_url(url) in by_url:
            matches.append(by_url[canonical_url(url)])
            continue
        ids = by_name.get((name or "").strip().lower(), [])
        matches.append(ids[0] if len(ids) == 1 else (ids or None))
    return matches


def model_versions(catalogue: Catalogue) -> list[dict[str, Any]]:
    """The registered model versions, newest first, as plain dicts."""
    with catalogue.session() as session:
        rows = (
            session.exec(select(ModelVersion).order_by(ModelVersion.created_at.desc()))
            .scalars()
            .all()
        )
        return [row.model_dump() for row in rows]
