"""Rendering rows for the terminal (rich tables) and for machines (CSV, JSON, JSON Lines)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table

from catalogue.escaping import csv_row, rich_markup_text

console = Console()
err_console = Console(stderr=True)


class ListFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


HEADERS = {"purpose_confidence": "conf.", "pedagogy_confidence": "conf."}


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, float):
        return round(value, 3)
    return value


def print_rows(
    rows: Sequence[dict[str, Any]],
    fmt: ListFormat,
    table_columns: Sequence[str],
    title: str | None = None,
    empty_columns: Sequence[str] | None = None,
) -> None:
    """Print rows: every field for csv/json/jsonl, `table_columns` for the table.
    `empty_columns` is the CSV header when there are no rows."""
    if fmt is ListFormat.json:
        json.dump([{k: plain(v) for k, v in r.items()} for r in rows], sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif fmt is ListFormat.jsonl:
        for row in rows:
            sys.stdout.write(json.dumps({k: plain(v) for k, v in row.items()}) + "\n")
    elif fmt is ListFormat.csv:
        fields = list(rows[0].keys()) if rows else list(empty_columns or table_columns)
        writer = csv.DictWriter(sys.stdout, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(csv_row({k: plain(v) for k, v in r.items()}) for r in rows)
    else:
        console.print(make_table(rows, table_columns, title))


def make_table(rows: Sequence[dict[str, Any]], columns: Sequence[str], title: str | None) -> Table:
    table = Table(title=title, show_lines=False, header_style="bold")
    for column in columns:
        table.add_column(HEADERS.get(column, column.replace("_", " ")), overflow="fold")
    for row in rows:
        table.add_row(*[format_cell(row.get(c)) for c in columns])
    return table


def format_cell(value: Any) -> str:
    """A value for a rich table cell or a rich markup line: untrusted text cannot inject
    markup, escape sequences or control characters."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    return rich_markup_text(value)
