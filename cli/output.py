"""Rendering rows for the terminal (rich tables and stacked blocks) and for machines (CSV, JSON,
JSON Lines).

Every cell shown to a person goes through `format_cell`, the one place a value becomes text.

Terminal output is laid out for the console's width (80 columns when not a terminal, or
$COLUMNS): a table is used only when every column can be at least as wide as its longest word,
so rich never splits a word or a label inside a cell and never truncates one. A table that
cannot fit drops the columns its caller marked as optional, and callers with wide records
(facts, comparisons) print them as stacked blocks instead.
"""

import csv
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from catalogue.escaping import csv_row, rich_markup_text, terminal_text


def _plain_digits(value: str) -> bool:
    """"80", not "²" or "٨٠": str.isdigit() alone is true of those, and int() is not."""
    return value.isascii() and value.isdigit()


def _readable_columns() -> None:
    """Drop a $COLUMNS or $LINES that is not plain digits: rich checks them with
    str.isdigit() and int() then fails while the CLI is still starting."""
    for name in ("COLUMNS", "LINES"):
        value = os.environ.get(name)
        if value is not None and not _plain_digits(value):
            del os.environ[name]


_readable_columns()
console = Console()
err_console = Console(stderr=True)


def follow_columns() -> None:
    """Size both consoles from $COLUMNS as it is now (rich reads it when a console is made and
    can keep that width; one process may run several commands, as the tests do)."""
    columns = os.environ.get("COLUMNS", "")
    if _plain_digits(columns) and int(columns) > 0:
        console.width = err_console.width = int(columns)


class ListFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


HEADERS = {"purpose_confidence": "conf.", "pedagogy_confidence": "conf."}
INDENT = 3


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, float):
        return round(value, 3)
    return value


def format_cell(value: Any) -> str:
    """A value as a person reads it: '-' for nothing, yes/no, two decimals, a date; control
    characters and escape sequences of untrusted text removed (for rich `Text`, not markup)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    return terminal_text(str(value))


def markup_cell(value: Any) -> str:
    """`format_cell` for a rich markup string: untrusted text cannot inject markup either."""
    return rich_markup_text(format_cell(value))


def header(column: str, headers: dict[str, str] | None = None) -> str:
    if headers and column in headers:
        return headers[column]
    return HEADERS.get(column, column.replace("_", " "))


def print_rows(
    rows: Sequence[dict[str, Any]],
    fmt: ListFormat,
    table_columns: Sequence[str],
    title: str | None = None,
    empty_columns: Sequence[str] | None = None,
    optional: Sequence[str] = (),
) -> None:
    """Print rows: every field for csv/json/jsonl, `table_columns` for the table (dropping the
    `optional` ones, first first, when the table would not fit the terminal).
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
        console.print(make_table(rows, table_columns, title, optional=optional))


# --- fitting tables to the width --------------------------------------------------------------


@dataclass
class Layout:
    columns: list[str]
    widths: list[int]  # text width of each column, padding and borders excluded

    @property
    def total(self) -> int:
        return sum(self.widths) + 3 * len(self.widths) + 1  # │ x │ y │: padding and borders


def _longest_word(text: str) -> int:
    return max((len(word) for word in text.split()), default=0)


def _longest_line(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def layout(
    cells: dict[str, list[str]], width: int, headers: dict[str, str] | None = None
) -> Layout | None:
    """Column widths that fit `width` with no word wider than its column, or None.

    Each column is at least as wide as its longest word (header included); the space left
    goes to the columns whose text would wrap."""
    columns = list(cells)
    least = [max(_longest_word(c) for c in [header(n, headers), *cells[n]]) for n in columns]
    most = [max(_longest_line(c) for c in [header(n, headers), *cells[n]]) for n in columns]
    most = [max(m, lo) for m, lo in zip(most, least, strict=True)]
    fitted = Layout(columns, least)
    spare = width - fitted.total
    if spare < 0:
        return None
    widths = list(least)
    # Widen the columns that need least first, so as many cells as possible fit on one line;
    # the last one wanting more gets whatever is left.
    for i in sorted(range(len(columns)), key=lambda i: most[i] - least[i]):
        grant = min(most[i] - least[i], spare)
        widths[i] += grant
        spare -= grant
    return Layout(columns, widths)


def table_cells(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> dict[str, list[str]]:
    return {c: [format_cell(row.get(c)) for row in rows] for c in columns}


def fitting_layout(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    optional: Sequence[str] = (),
    headers: dict[str, str] | None = None,
) -> Layout | None:
    """The layout of the widest set of `columns` that fits the console, dropping the
    `optional` columns in order; None when even the rest does not fit."""
    shown = list(columns)
    cells = table_cells(rows, shown)
    for drop in [None, *optional]:
        if drop in shown:
            shown.remove(drop)
        found = layout({c: cells[c] for c in shown}, console.width, headers)
        if found is not None:
            return found
    return None


def make_table(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    title: str | None,
    optional: Sequence[str] = (),
    headers: dict[str, str] | None = None,
    show_lines: bool = False,
    right: Sequence[str] = (),
) -> Table:
    """A table of the columns that fit (see `fitting_layout`); `right`: columns of numbers."""
    table = Table(title=title, show_lines=show_lines, header_style="bold")
    found = fitting_layout(rows, columns, optional, headers)
    shown = found.columns if found else list(columns)
    widths = found.widths if found else [None] * len(shown)
    for column, width in zip(shown, widths, strict=True):
        justify = "right" if column in right else "left"
        title_cell = Text(format_cell(header(column, headers)), style="bold")
        table.add_column(title_cell, overflow="fold", width=width, justify=justify)
    for row in rows:
        table.add_row(*[Text(format_cell(row.get(c))) for c in shown])
    return table


# --- stacked blocks, for records too wide for a table ----------------------------------------


def print_indented(text: str | Text, indent: int = INDENT, style: str | None = None) -> None:
    """One paragraph whose wrapped lines keep the indent (untrusted text is not markup)."""
    body = text if isinstance(text, Text) else Text(text, style=style or "")
    console.print(Padding(body, (0, 0, 0, indent), expand=False))


def print_heading(text: str, style: str = "bold") -> None:
    console.print(Text(text, style=style))


def print_table_or_blocks(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    title: str,
    print_block: Callable[[dict[str, Any]], None],
) -> None:
    """A table when every column fits the terminal unbroken, else the title and one stacked
    block per row."""
    if fitting_layout(rows, columns):
        console.print(make_table(rows, columns, title))
        return
    console.print()
    print_heading(title)
    for row in rows:
        print_block(row)
