"""Hostile text through every output format: it must come out as text, never as code.

The functions in catalogue/escaping.py first, then the real exports and commands on a
catalogue whose names, descriptions, evidence and reviews are hostile.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3

import pytest
from rich.console import Console

from catalogue import import_tools
from catalogue.escaping import (
    csv_cell,
    csv_cell_read,
    markdown_code,
    markdown_link,
    markdown_text,
    rich_markup_text,
    terminal_text,
)
from catalogue.export import export_catalogue
from catalogue.risk import review_answer, risk_card, risk_markdown
from catalogue.shortlists import (
    add_to_shortlist,
    create_shortlist,
    shortlist_csv,
    shortlist_markdown,
)
from cli.output import format_cell, make_table
from tests.conftest import REPO

FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]
ANSI = "Evil \x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 \x9b2J"
MARKUP = "[red]Red[/red] [link=http://evil.example]click[/link] [bold"
LINK = re.compile(r"(?<!\\)\]\(")  # a link or image: `](` with the bracket not escaped
MARKDOWN = "Pipe | tool <script>alert(1)</script> [x](javascript:alert(1)) ![i](http://e/i.png)"


# --- the functions -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [*FORMULAS, "\tTab", "\rReturn"])
def test_csv_cells_that_start_a_formula_are_neutralised_and_read_back(text):
    assert csv_cell(text) == "'" + text
    assert csv_cell_read(csv_cell(text)) == text


@pytest.mark.parametrize("value", ["Kahoot!", "a=b", "", 3, -2.5, None])
def test_csv_cells_that_are_not_formulas_pass_unchanged(value):
    assert csv_cell(value) == value


def test_markdown_text_cannot_open_markup_html_or_a_new_line():
    out = markdown_text(MARKDOWN + "\n# heading\n| a | b |")
    assert "\n" not in out
    assert "<" not in out and ">" not in out  # no raw HTML tag can form
    assert "&lt;script&gt;" in out
    assert "|" not in out.replace("\\|", "")  # every pipe escaped
    assert not LINK.search(out) and "[x]" not in out  # no link or image
    for start in ("# x", "> x", "- x", "+ x", "1. x", "= x"):
        assert not re.match(r"(#|>|-|\+|=|\d+\.) ", markdown_text(start))


def test_markdown_link_only_links_web_urls():
    assert markdown_link("site", "https://a.example/b_(c)") == (
        "[site](<https://a.example/b_%28c%29>)"
    )
    unsafe = markdown_link("javascript:alert(1)", "javascript:alert(1)")
    assert not LINK.search(unsafe) and "javascript" in unsafe


def test_markdown_code_survives_backticks():
    assert markdown_code("a`b") == "``a`b``"
    assert markdown_code("`x`") == "`` `x` ``"


def test_terminal_text_strips_escape_sequences_and_control_characters():
    out = terminal_text(ANSI + "\x00nul\x07bell\u202eltr")
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in out)
    assert "\u202e" not in out  # a bidi override would reorder what follows
    assert out.startswith("Evil red link") and "nul" in out and "bell" in out


def test_rich_markup_prints_as_written():
    console = Console(file=io.StringIO(), color_system=None, width=200)
    trailing = rich_markup_text("back\\")  # a trailing backslash must not eat the next tag
    console.print(f"[bold]{rich_markup_text(MARKUP)}[/bold] [bold]{trailing}[/bold]")
    assert console.file.getvalue().strip() == MARKUP + " back\\"


def test_rich_table_cells_show_markup_and_drop_escapes():
    console = Console(file=io.StringIO(), color_system="truecolor", width=200)
    console.print(make_table([{"name": MARKUP}, {"name": ANSI}], ["name"], None))
    shown = console.file.getvalue()
    assert "[red]Red[/red]" in shown and "http://evil.example]click" in shown
    assert "\x1b]8" not in shown and "\x1b[31m" not in shown  # only rich's own styling
    assert format_cell(None) == "-"


# --- the outputs -------------------------------------------------------------------------------

HOSTILE = [
    {"name": FORMULAS[0], "url": "https://f1.example/", "description": FORMULAS[1]},
    {"name": "@SUM(1)", "url": "https://f2.example/", "description": MARKDOWN},
    {"name": MARKUP, "url": "https://f3.example/", "description": "line one\n# line two"},
    {"name": "Pipe | tool", "url": "https://f4.example/", "description": "-2+3"},
]


@pytest.fixture
def hostile(catalogue, tmp_path):
    source = tmp_path / "hostile.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in HOSTILE))
    import_tools(catalogue, source)
    # Text the import refuses can still arrive from crawled pages: put it in directly.
    with sqlite3.connect(catalogue.path) as conn:
        conn.execute("UPDATE tools SET category = ? WHERE id = 3", (ANSI + "\x00",))
    review_answer(catalogue, 1, 1, "<img src=x onerror=alert(1)> | =1+1", "https://a.example/")
    with sqlite3.connect(catalogue.path) as conn:  # a source reviews now refuse, stored before
        conn.execute("UPDATE reviews SET source_url = 'javascript:alert(1)'")
    return catalogue


def _csv_cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def test_catalogue_export_csv_neutralises_formulas(hostile, tmp_path):
    out = tmp_path / "export.csv"
    export_catalogue(hostile, out, "csv")
    cells = _csv_cells(out.read_text())
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'" + FORMULAS[0] in cells and "'" + FORMULAS[1] in cells and "'-2+3" in cells


def test_catalogue_export_jsonl_keeps_text_as_it_is(hostile, tmp_path):
    out = tmp_path / "export.jsonl"
    export_catalogue(hostile, out, "jsonl")
    names = [json.loads(line)["name"] for line in out.read_text().splitlines()]
    assert set(names) == {row["name"] for row in HOSTILE}  # data, not a spreadsheet


def test_shortlist_csv_and_markdown_are_escaped(hostile):
    create_shortlist(hostile, "Pack | <b>governors <i>")
    add_to_shortlist(hostile, "Pack | <b>governors <i>", ["1", "2", "3", "4"])
    cells = _csv_cells(shortlist_csv(hostile, "Pack | <b>governors <i>"))
    assert "'" + FORMULAS[0] in cells and "'@SUM(1)" in cells
    pack = shortlist_markdown(hostile, "Pack | <b>governors <i>")
    assert "<b>" not in pack and "<script>" not in pack and "<img" not in pack
    summary = pack.split("\n---\n")[0]  # the pack's own table, before the risk cards
    table = [line for line in summary.splitlines() if line.startswith("| ")]
    assert len(table) == 5
    columns = {line.replace("\\|", "").count("|") for line in table}
    assert len(columns) == 1  # no name added a column
    assert "\n# line two" not in pack


def test_risk_markdown_escapes_vendor_text_and_links_only_web_urls(hostile):
    card = risk_markdown(risk_card(hostile, 2))
    description = next(line for line in card.splitlines() if line.startswith("- Description:"))
    assert "<script>" not in card and not LINK.search(description)  # the homepage is a link
    assert "&lt;script&gt;" in card
    reviewed = risk_markdown(risk_card(hostile, 1))
    assert "<img" not in reviewed and "(<javascript" not in reviewed
    assert "> &lt;img src=x onerror=alert(1)&gt; \\| =1+1" in reviewed


def test_cli_outputs_escape_each_format(hostile, edcat, db_path):
    listed = edcat("tools", "list", "--format", "csv").stdout
    assert not [c for c in _csv_cells(listed) if c[:1] in ("=", "+", "-", "@")]
    table = edcat("tools", "list", "--sort", "name").stdout
    assert "[red]Red[/red]" in table
    shown = edcat("tools", "show", "3").stdout
    assert "[red]Red[/red]" in shown and "\x1b]8" not in shown and "\x00" not in shown
    compared = edcat("tools", "compare", "1", "4", "--format", "markdown").stdout
    header = compared.splitlines()[0]
    assert header.replace("\\|", "").count("|") == 4  # two tools and the label column
    compared_csv = edcat("tools", "compare", "1", "2", "--format", "csv").stdout
    assert "'" + FORMULAS[0] in _csv_cells(compared_csv)
    risk = edcat("tools", "risk", "1").stdout
    assert "<img src=x onerror=alert(1)>" in risk  # text, shown as written


def test_nothing_marks_untrusted_text_as_safe_html():
    """HTML is left to Jinja's autoescape: no code or template may switch it off or mark text
    safe (Markup(), |safe, autoescape=False)."""
    patterns = re.compile(
        r"Markup\(|\{\{[^}]*\|\s*safe\b|autoescape\s*=\s*False|mark_safe|\{%\s*autoescape false"
    )
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for package in ("catalogue", "crawler", "classifier", "cli", "web")
        for path in sorted((REPO / package).rglob("*"))
        if path.suffix in (".py", ".html", ".jinja", ".j2", ".txt")
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), start=1)
        if patterns.search(line)
    ]
    assert offenders == []
