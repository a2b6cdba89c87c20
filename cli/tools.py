"""`edcat tools ...`: import, list and show tools."""

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.panel import Panel
from rich.text import Text

from catalogue.query import SORTS, TAG_STATES, ToolQuery, count_tools, query_tools, result_columns
from catalogue.vocabulary import AUDIENCES, PEDAGOGIES, PHASES, PRICING_MODELS, PURPOSES
from cli.app import StaleDays, state
from cli.output import (
    ListFormat,
    console,
    err_console,
    fitting_layout,
    format_cell,
    plain,
    print_heading,
    print_indented,
    print_rows,
    print_table_or_blocks,
)

if TYPE_CHECKING:
    from catalogue.cards import ToolCard

tools_app = typer.Typer(help="Import, filter and inspect tools.", no_args_is_help=True)

ANY, ALL = "; repeat for any of several", "; repeat to require all"
HELP = {
    "purpose": f"{', '.join(PURPOSES)} (or {', '.join(TAG_STATES)}){ANY}.",
    "pedagogy": f"{', '.join(PEDAGOGIES)} (or {', '.join(TAG_STATES)}){ANY}.",
    "audience": f"{', '.join(AUDIENCES)}{ALL}.",
    "phase": f"{', '.join(PHASES)}{ALL}.",
    "pricing": f"{', '.join(PRICING_MODELS)}{ANY}.",
    "sort": f"{', '.join(SORTS)}; -FIELD descends (default: relevance with --search, else "
    "name; updated, first-seen, crawled and confidences newest/highest first).",
}
LIST_COLUMNS = (
    "id",
    "name",
    "purpose",
    "purpose_confidence",
    "pedagogy",
    "pedagogy_confidence",
    "domain",
)


@tools_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="CSV or JSON Lines file of tools; - reads standard input.")
    ],
) -> None:
    """Import tools from CSV or JSON Lines: columns name, url, and optionally description,
    category, source, vendor, audience, phase, subject, pricing (';'-separated values).

    Every row is checked first; one bad row (no name, a URL that is not http(s), an unknown
    facet value, a repeated homepage) names the row and field and imports nothing.
    Re-importing a tool updates it; a record that is the same tool as another (same registrable
    domain and name, e.g. kahoot.com and kahoot.it) is merged into it, keeping both sources.

    Standard input ("-") is JSON Lines when it starts with "{", else CSV.

    Example: [bold]edcat tools import data/seed/tools.jsonl[/bold]
    """
    from catalogue.importer import import_source, import_tools, validate_file

    with import_source(file) as source:
        # Before the catalogue is created: a bad file leaves nothing.
        validated = validate_file(source)
        catalogue = state(ctx).open(create=True)
        with err_console.status(f"importing {file}"):
            result = import_tools(catalogue, source, validated)
    shown = "standard input" if str(file) == "-" else file
    console.print(
        f"imported {shown}: {result.added} added, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.facts_added} facts from source lists"
    )
    if result.merged:
        console.print(f"{result.merged} record(s) merged into the tool they duplicate")


@tools_app.command("list")
def list_command(
    ctx: typer.Context,
    purpose: Annotated[
        list[str] | None,
        typer.Option(help=HELP["purpose"]),
    ] = None,
    pedagogy: Annotated[
        list[str] | None,
        typer.Option(help=HELP["pedagogy"]),
    ] = None,
    min_confidence: Annotated[
        float | None, typer.Option(help="Only tags at least this confident (0-1).")
    ] = None,
    audience: Annotated[
        list[str] | None,
        typer.Option(help=HELP["audience"]),
    ] = None,
    phase: Annotated[
        list[str] | None,
        typer.Option(help=HELP["phase"]),
    ] = None,
    subject: Annotated[
        list[str] | None, typer.Option(help="A subject slug, e.g. maths; repeat to require all.")
    ] = None,
    pricing: Annotated[
        list[str] | None,
        typer.Option(help=HELP["pricing"]),
    ] = None,
    fact: Annotated[
        list[str] | None,
        typer.Option(
            help="FIELD=VALUE, e.g. gdpr=yes or ai_provider=openai; repeat to require all."
        ),
    ] = None,
    search: Annotated[
        str | None, typer.Option(help="Full-text search over names, descriptions and page text.")
    ] = None,
    changed_since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"], help="Only tools changed on or after this date (YYYY-MM-DD)."
        ),
    ] = None,
    sort: Annotated[
        str | None,
        typer.Option(help=HELP["sort"]),
    ] = None,
    desc: Annotated[
        bool, typer.Option("--desc", help="Sort descending (as does --sort -FIELD).")
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many tools.")] = 50,
    output_format: Annotated[
        ListFormat, typer.Option("--format", help="Output format.")
    ] = ListFormat.table,
) -> None:
    """List tools, filtered. Filters combine (a tool must match all of them).

    Example: [bold]edcat tools list --purpose teaching-learning --audience students
    --fact gdpr=yes --format json[/bold]
    """
    query = ToolQuery(
        purpose=purpose or [],
        pedagogy=pedagogy or [],
        min_confidence=min_confidence,
        audience=audience or [],
        phase=phase or [],
        subject=subject or [],
        pricing=pricing or [],
        facts=fact or [],
        search=search,
        changed_since=changed_since,
        sort=sort,
        descending=True if desc else None,
        limit=limit,
    )
    db = state(ctx).db
    rows = query_tools(db, query)
    title = None
    if output_format is ListFormat.table:
        title = f"{len(rows)} of {count_tools(db, query, len(rows))} matching tools"
    print_tool_rows(rows, output_format, title)


NARROW_COLUMNS = ("id", "name", "purpose", "pedagogy", "domain")


def print_tool_rows(rows: list[dict], output_format: ListFormat, title: str | None) -> None:
    """Tools as a table with a confidence column per tag, or, when that is too wide for the
    terminal, the confidence beside each tag and the domain (then the id) left out."""
    if output_format is ListFormat.table and not rows:
        console.print("no tools match (every filter must hold; `--help` lists the values)")
        return
    if output_format is not ListFormat.table or fitting_layout(rows, LIST_COLUMNS):
        print_rows(rows, output_format, LIST_COLUMNS, title=title, empty_columns=result_columns())
        return
    narrow = [
        {
            **row,
            "purpose": f"{row['purpose']} {format_cell(row['purpose_confidence'])}",
            "pedagogy": f"{row['pedagogy']} {format_cell(row['pedagogy_confidence'])}",
        }
        for row in rows
    ]
    print_rows(narrow, output_format, NARROW_COLUMNS, title=title, optional=("domain", "id"))


class CardFormat(StrEnum):
    text = "text"
    json = "json"


@tools_app.command("show")
def show_command(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="Tool name, slug or id.")],
    output_format: Annotated[
        CardFormat, typer.Option("--format", help="Output format.")
    ] = CardFormat.text,
    stale_days: StaleDays = None,
) -> None:
    """Show everything known about one tool: description, pages, facts with evidence,
    classification with confidence and evidence, and labels.

    Example: [bold]edcat tools show kahoot[/bold]
    """
    from catalogue.cards import tool_card

    card = tool_card(state(ctx).open(), tool, stale_days=stale_days)
    if output_format is CardFormat.json:
        typer.echo(json.dumps(card.as_dict(), default=plain, indent=2))
    else:
        print_card(card)


def print_card(card: "ToolCard") -> None:
    tool = card.tool
    console.print(
        Panel.fit(
            Text.assemble(
                (format_cell(tool["name"]), "bold"),
                f"  (id {tool['id']}, slug {format_cell(tool['slug'])})\n",
                f"{format_cell(tool.get('homepage') or 'no homepage')}\n\n"
                f"{format_cell(tool.get('description') or '')}\n\n",
                f"category: {format_cell(tool.get('category'))}\n"
                f"first seen: {format_cell(tool.get('first_seen'))}   "
                f"last crawled: {format_cell(tool.get('last_crawled'))}",
            ),
            title="tool",
        )
    )
    print_tags(card)
    print_pages(card.pages)
    print_facts(card.facts)


def print_tags(card: "ToolCard") -> None:
    if not (card.classifications or card.labels):
        console.print("not classified yet")
    for item in card.labels:
        note = f" - {format_cell(item['note'])}" if item.get("note") else ""
        print_heading(f"{item['dimension']}: {item['label']}")
        annotator = format_cell(item["annotator"])
        print_indented(f"label by {annotator}, {format_cell(item['created_at'])}{note}")
    for item in card.classifications:
        flag = ", uncertain" if item["uncertain"] else ""
        terms = ", ".join(format_cell(e.get("term")) for e in item["evidence"][:6])
        print_heading(f"{item['dimension']}: {item['label']} {item['confidence']:.2f}{flag}")
        print_indented(
            f"model {item['model_version']}, {format_cell(item['created_at'])}; "
            f"evidence: {terms or '-'}"
        )


PAGE_COLUMNS = ("kind", "url", "http_status", "fetched_at")
FACT_COLUMNS = ("field", "value", "evidence", "source_url", "observed_at", "stale")


def print_pages(pages: list[dict]) -> None:
    if pages:
        print_table_or_blocks(pages, PAGE_COLUMNS, "pages", _page_block)


def _page_block(page: dict) -> None:
    print_indented(
        f"{page['kind']}  {format_cell(page['http_status'])}  "
        f"{format_cell(page['fetched_at'])}  {format_cell(page['url'])}",
        indent=2,
    )


def print_facts(facts: list[dict]) -> None:
    """Facts as a table when it fits, else one block per fact: field = value, the date, the
    quote and its source, each wrapped under an indent."""
    if facts:
        print_table_or_blocks(facts, FACT_COLUMNS, "facts", _fact_block)
    else:
        console.print("no facts yet")


def _fact_block(fact: dict) -> None:
    stale = ", stale" if fact["stale"] else ""
    print_indented(
        Text.assemble(
            (f"{fact['field']} = {format_cell(fact['value'])}", "bold"),
            f"  (observed {format_cell(fact['observed_at'])}{stale})",
        ),
        indent=2,
    )
    if fact.get("evidence"):
        print_indented(f'"{format_cell(fact["evidence"])}"', indent=4)
    print_indented(format_cell(fact.get("source_url")), indent=4)
