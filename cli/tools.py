"""`edcat tools ...`: import, list and show tools."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel

from catalogue import ToolQuery, count_tools, import_tools, query_tools
from catalogue.cards import ToolCard, tool_card
from catalogue.importer import validate_file
from catalogue.query import SORTS, TAG_STATES, result_columns
from catalogue.vocabulary import AUDIENCES, PEDAGOGIES, PHASES, PRICING_MODELS, PURPOSES
from cli.app import StaleDays, state
from cli.output import ListFormat, console, err_console, format_cell, plain, print_rows

tools_app = typer.Typer(help="Import, filter and inspect tools.", no_args_is_help=True)

ANY, ALL = "; repeat for any of several", "; repeat to require all"
HELP = {
    "purpose": f"{', '.join(PURPOSES)} (or {', '.join(TAG_STATES)}){ANY}.",
    "pedagogy": f"{', '.join(PEDAGOGIES)} (or {', '.join(TAG_STATES)}){ANY}.",
    "audience": f"{', '.join(AUDIENCES)}{ALL}.",
    "phase": f"{', '.join(PHASES)}{ALL}.",
    "pricing": f"{', '.join(PRICING_MODELS)}{ANY}.",
    "sort": f"{', '.join(SORTS)} (default: relevance with --search, else name).",
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
    file: Annotated[Path, typer.Argument(help="CSV or JSON Lines file of tools.")],
) -> None:
    """Import tools from CSV or JSON Lines: columns name, url, and optionally description,
    category, source, vendor, audience, phase, subject, pricing (';'-separated values).

    Every row is checked first; one bad row (no name, a URL that is not http(s), an unknown
    facet value, a duplicate) names the row and field and imports nothing. Re-importing a tool
    updates it.

    Example: [bold]edcat tools import data/seed/tools.jsonl[/bold]
    """
    records = validate_file(file)  # before the catalogue is created: a bad file leaves nothing
    catalogue = state(ctx).open(create=True)
    with err_console.status(f"importing {file}"):
        result = import_tools(catalogue, file, records)
    console.print(
        f"imported {file}: {result.added} added, {result.updated} updated, "
        f"{result.unchanged} unchanged, {result.facts_added} facts from source lists"
    )


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
        limit=limit,
    )
    catalogue = state(ctx).open()
    rows = query_tools(catalogue, query)
    title = None
    if output_format is ListFormat.table:
        title = f"{len(rows)} of {count_tools(catalogue, query, len(rows))} matching tools"
    print_rows(rows, output_format, LIST_COLUMNS, title=title, empty_columns=result_columns())


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
    card = tool_card(state(ctx).open(), tool, stale_days=stale_days)
    if output_format is CardFormat.json:
        typer.echo(json.dumps(card.as_dict(), default=plain, indent=2))
    else:
        print_card(card)


def print_card(card: ToolCard) -> None:
    tool = card.tool
    console.print(
        Panel.fit(
            f"[bold]{tool['name']}[/bold]  (id {tool['id']}, slug {tool['slug']})\n"
            f"{tool.get('homepage') or 'no homepage'}\n\n{tool.get('description') or ''}\n\n"
            f"category: {format_cell(tool.get('category'))}   "
            f"first seen: {format_cell(tool.get('first_seen'))}   "
            f"last crawled: {format_cell(tool.get('last_crawled'))}",
            title="tool",
        )
    )
    if card.classifications or card.labels:
        for item in card.labels:
            console.print(
                f"[bold]{item['dimension']}[/bold]: {item['label']} (label by "
                f"{item['annotator']}, {format_cell(item['created_at'])})"
                + (f" - {item['note']}" if item.get("note") else "")
            )
        for item in card.classifications:
            flag = " [yellow]uncertain[/yellow]" if item["uncertain"] else ""
            terms = ", ".join(str(e.get("term")) for e in item["evidence"][:6])
            console.print(
                f"[bold]{item['dimension']}[/bold]: {item['label']} "
                f"{item['confidence']:.2f}{flag} (model {item['model_version']}, "
                f"{format_cell(item['created_at'])}); evidence: {terms or '-'}"
            )
    else:
        console.print("not classified yet")
    if card.pages:
        print_rows(
            card.pages,
            ListFormat.table,
            ("kind", "url", "http_status", "fetched_at"),
            title="pages",
        )
    if card.facts:
        print_rows(
            card.facts,
            ListFormat.table,
            ("field", "value", "evidence", "source_url", "observed_at", "stale"),
            title="facts",
        )
    else:
        console.print("no facts yet")
