"""Reading people's labels and registered model versions, for the classifier's labelling loop.

Writes go through `catalogue.store` (`add_labels`, `register_model`, `set_default_model`); this
module only reads, matches label-file rows to tools, and plans an import: which labels are new,
which are already there, and which would replace a different label a person set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from catalogue.db import Catalogue
from catalogue.models import Label, ModelVersion, Tool
from catalogue.store import LabelRecord
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


@dataclass(frozen=True)
class Overwrite:
    """A label an import would replace: a person's different label for the same tool."""

    index: int  # position of the record in the list given to `plan_labels`
    tool_id: int
    tool_name: str
    dimension: str
    current: str
    current_annotator: str
    new: str


@dataclass(frozen=True)
class LabelPlan:
    new: list[LabelRecord]  # records to write (overwrites included)
    unchanged: int  # records whose label is already the current one
    overwrites: list[Overwrite]


def plan_labels(catalogue: Catalogue, records: Sequence[LabelRecord]) -> LabelPlan:
    """Compare label records with the current labels before anything is written.

    A record that gives a tool (or a free text) the label it already has is unchanged; one that
    gives a tool a different label than a person set is an overwrite, which the caller shows
    and writes only when asked to.
    """
    current = {_label_key(label): label for label in current_labels(catalogue)}
    new, overwrites, unchanged = [], [], 0
    for index, record in enumerate(records):
        existing = current.get(_label_key(record))
        if existing is not None and existing.label == record.label:
            unchanged += 1
            continue
        if existing is not None and record.tool_id is not None:
            overwrites.append(
                Overwrite(
                    index=index,
                    tool_id=record.tool_id,
                    tool_name=existing.name or record.name or "",
                    dimension=record.dimension,
                    current=existing.label,
                    current_annotator=existing.annotator,
                    new=record.label,
                )
            )
        new.append(record)
    return LabelPlan(new, unchanged, overwrites)


def _label_key(label: CurrentLabel | LabelRecord) -> tuple:
    if label.tool_id is not None:
        return ("tool", label.tool_id, label.dimension)
    text = " ".join((label.text or "").split())
    return ("text", (label.name or "").strip().casefold(), text, label.dimension)


def model_versions(catalogue: Catalogue) -> list[dict[str, Any]]:
    """The registered model versions, newest first, as plain dicts."""
    with catalogue.session() as session:
        rows = (
            session.exec(select(ModelVersion).order_by(ModelVersion.created_at.desc()))
            .scalars()
            .all()
        )
        return [row.model_dump() for row in rows]
