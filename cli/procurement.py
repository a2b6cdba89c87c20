"""Procurement commands: `tools risk`, `tools review`, `tools compare` and `shortlist ...`."""

from __future__ import annotations

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from catalogue.compare import compare_tools
from catalogue.escaping import csv_cell, markdown_text
from catalogue.files import write_text_atomically
from catalogue.risk import NOT_FOUND, REVIEWED, review_answer, risk_card, risk_markdown
from catalogue.shortlists import (
    add_to_shortlist,
    create_shortlist,
    list_shortlists,
    remove_from_shortlist,
    shortlist_csv,
    shortlist_markdown,
    shortlist_view,
)
from cli.app import StaleDays, state
from cli.output import ListFormat, console, format_cell, plain, print_rows
from cli.tools import LIST_COLUMNS, tools_app


class RiskFormat(StrEnum):
    text = "text"
    markdown = "markdown"
    json = "json"


@tools_app.command("risk")
def risk_command(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="Tool name, slug or id.")],
    output_format: Annotated[RiskFormat, typer.Option("--format")] = RiskFormat.text,
    stale_days: StaleDays = None,
) -> None:
    """The seven key risk questions for a DPIA, answered from the tool's own pages
    (vendor-stated, with quote, URL and date), by a person (reviewed), or not found
    (a question for the supplier).

    Example: [bold]edcat tools risk "Khanmigo" --format markdown > khanmigo-dpia.md[/bold]
    """
    risk = risk_card(state(ctx).open(), tool, stale_days=stale_days)
    if output_format is RiskFormat.json:
        typer.echo(json.dumps(risk.as_dict(), default=plain, indent=2))
    elif output_format is RiskFormat.markdown:
        typer.echo(risk_markdown(risk), nl=False)
    else:
        _print_risk(risk)


def _print_risk(risk) -> None:
    tool = risk.card.tool
    console.print(f"[bold]{format_cell(tool['name'])}[/bold]  {format_cell(tool.get('homepage'))}")
    colours = {NOT_FOUND: "yellow", REVIEWED: "cyan"}
    for answer in risk.answers:
        colour = colours.get(answer.status, "green")
        console.print(
            f"\n[bold]{answer.question.number}. {answer.question.text}[/bold]\n"
            f"   [{colour}]{answer.status}[/{colour}]"
        )
        if answer.review:
            console.print(
                f"   {format_cell(answer.review['answer'])} "
                f"(reviewed by {format_cell(answer.review['reviewer'])}, "
                f"{format_cell(answer.review['created_at'])})"
            )
        for fact in answer.facts:
            stale = " [red](stale)[/red]" if fact["stale"] else ""
            console.print(
                f'   {format_cell(fact["field"])}={format_cell(fact["value"])}: '
                f'"{format_cell(fact["evidence"])}" '
                f"({format_cell(fact['source_url'])}, {format_cell(fact['observed_at'])}){stale}"
            )
        if answer.status == NOT_FOUND:
            console.print(f"   ask the supplier: {answer.question.ask_supplier}")


@tools_app.command("review")
def review_command(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="Tool name, slug or id.")],
    question: Annotated[int, typer.Option(help="Question number, 1 to 7.")],
    answer: Annotated[str, typer.Option(help="Your answer.")],
    source: Annotated[str | None, typer.Option("--source", help="URL of the evidence.")] = None,
    reviewer: Annotated[str | None, typer.Option(help="Who answered (default: $USER).")] = None,
) -> None:
    """Record a person's answer to one of the seven questions; it overrides the vendor's
    pages in `tools risk`, compare packs and exports.

    Example: [bold]edcat tools review khanmigo --question 4 --answer "Trust INSET on 3 Jan"
    --source https://intranet.example/inset[/bold]
    """
    review = review_answer(state(ctx).open(), tool, question, answer, source, reviewer)
    console.print(
        f"recorded question {review.question} for {format_cell(tool)} "
        f"(by {format_cell(review.reviewer)})"
    )


class CompareFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    csv = "csv"


@tools_app.command("compare")
def compare_command(
    ctx: typer.Context,
    tools: Annotated[list[str], typer.Argument(help="Two or more tool names, slugs or ids.")],
    output_format: Annotated[CompareFormat, typer.Option("--format")] = CompareFormat.table,
    stale_days: StaleDays = None,
) -> None:
    """Purpose, pedagogy, audience, phases, pricing, integrations, privacy facts and AI
    signals side by side; unknowns shown as unknown, stale facts marked.

    Example: [bold]edcat tools compare kahoot padlet "Khanmigo"[/bold]
    """
    comparison = compare_tools(state(ctx).open(), tools, stale_days=stale_days)
    header = ["", *comparison.tools]
    if output_format is CompareFormat.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([csv_cell(c) for c in header])
        writer.writerows([csv_cell(c) for c in [name, *cells]] for name, cells in comparison.rows)
    elif output_format is CompareFormat.markdown:
        typer.echo("| " + " | ".join(map(markdown_text, header)) + " |")
        typer.echo("|" + "---|" * len(header))
        for name, cells in comparison.rows:
            typer.echo("| " + " | ".join(map(markdown_text, [name, *cells])) + " |")
    else:
        table = Table(*map(format_cell, header), header_style="bold", show_lines=True)
        for name, cells in comparison.rows:
            table.add_row(name, *map(format_cell, cells))
        console.print(table)


shortlist_app = typer.Typer(
    help="Shortlists of tools, exported as a governors' pack.", no_args_is_help=True
)


@shortlist_app.command("create")
def shortlist_create(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Create an empty shortlist.

    Example: [bold]edcat shortlist create "KS2 writing 2027"[/bold]
    """
    create_shortlist(state(ctx).open(), name)
    console.print(f"created shortlist {format_cell(repr(name.strip()))}")


@shortlist_app.command("add")
def shortlist_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    tools: Annotated[list[str], typer.Argument(help="Tool names, slugs or ids.")],
) -> None:
    """Add tools to a shortlist (all or none: an unknown tool adds nothing).

    Example: [bold]edcat shortlist add "KS2 writing 2027" padlet khanmigo[/bold]
    """
    added = add_to_shortlist(state(ctx).open(), name, tools)
    console.print(f"added {added} tool(s) to {format_cell(repr(name.strip()))}")


@shortlist_app.command("remove")
def shortlist_remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    tools: Annotated[list[str], typer.Argument(help="Tool names, slugs or ids.")],
) -> None:
    """Remove tools from a shortlist.

    Example: [bold]edcat shortlist remove "KS2 writing 2027" khanmigo[/bold]
    """
    removed = remove_from_shortlist(state(ctx).open(), name, tools)
    console.print(f"removed {removed} tool(s) from {format_cell(repr(name.strip()))}")


@shortlist_app.command("show")
def shortlist_show(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Shortlist (omit to list them all).")] = None,
    output_format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
) -> None:
    """Show a shortlist's tools, or list every shortlist.

    Example: [bold]edcat shortlist show "KS2 writing 2027"[/bold]
    """
    catalogue = state(ctx).open()
    if name is None:
        for shortlist in list_shortlists(catalogue):
            console.print(shortlist)
        return
    view = shortlist_view(catalogue, name)
    print_rows(view.tools, output_format, LIST_COLUMNS, title=f"shortlist {view.name}")


class PackFormat(StrEnum):
    csv = "csv"
    markdown = "markdown"


@shortlist_app.command("export")
def shortlist_export(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    output_format: Annotated[PackFormat, typer.Option("--format")] = PackFormat.markdown,
    out: Annotated[Path | None, typer.Option("--out", help="File (default: stdout).")] = None,
) -> None:
    """Export a shortlist: CSV (tags and the status of each risk question) or a Markdown
    pack for governors with one DPIA risk card per tool.

    Example: [bold]edcat shortlist export "KS2 writing 2027" --format markdown --out pack.md[/bold]
    """
    catalogue = state(ctx).open()
    render = shortlist_csv if output_format is PackFormat.csv else shortlist_markdown
    text = render(catalogue, name)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_text_atomically(out, text)
        console.print(f"wrote {out}")
