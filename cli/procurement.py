"""Procurement commands: `tools risk`, `tools review`, `tools compare` and `shortlist ...`."""

import csv
import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from catalogue.escaping import csv_cell, markdown_text
from cli.app import StaleDays, state
from cli.output import (
    ListFormat,
    console,
    fitting_layout,
    format_cell,
    make_table,
    plain,
    print_heading,
    print_indented,
)
from cli.tools import HELP, print_tool_rows, tools_app

SORT_HELP = HELP["sort"]


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
    (vendor-stated, with quote, URL and date), by a person (reviewed), not stated on the
    crawled pages (a question for the supplier), or not crawled (no pages yet: the card gives
    the crawl command).

    Example: [bold]edcat tools risk "Khanmigo" --format markdown > khanmigo-dpia.md[/bold]
    """
    from catalogue.risk import risk_card, risk_markdown

    risk = risk_card(state(ctx).open(), tool, stale_days=stale_days)
    if output_format is RiskFormat.json:
        typer.echo(json.dumps(risk.as_dict(), default=plain, indent=2))
    elif output_format is RiskFormat.markdown:
        typer.echo(risk_markdown(risk), nl=False)
    else:
        _print_risk(risk)


def _print_risk(risk) -> None:
    from catalogue.risk import NOT_CRAWLED, NOT_STATED, REVIEWED, UNANSWERED

    tool = risk.card.tool
    print_heading(f"{format_cell(tool['name'])}  {format_cell(tool.get('homepage') or '')}")
    colours = {NOT_STATED: "yellow", NOT_CRAWLED: "magenta", REVIEWED: "cyan"}
    for answer in risk.answers:
        console.print()
        print_indented(f"{answer.question.number}. {answer.question.text}", indent=0, style="bold")
        print_indented(answer.summary, style=colours.get(answer.status, "green"))
        if answer.review:
            print_indented(
                f"{format_cell(answer.review['answer'])} (reviewed by "
                f"{format_cell(answer.review['reviewer'])}, "
                f"{format_cell(answer.review['created_at'])})"
            )
        for fact in answer.facts:
            stale = " (stale)" if fact["stale"] else ""
            print_indented(
                f"{format_cell(fact['field'])}={format_cell(fact['value'])}: "
                f'"{format_cell(fact["evidence"])}" ({format_cell(fact["source_url"])}, '
                f"{format_cell(fact['observed_at'])}){stale}"
            )
        if answer.crawl_command:
            print_indented(f"crawl it: {answer.crawl_command}")
        if answer.status in UNANSWERED:
            print_indented(f"ask the supplier: {answer.question.ask_supplier}")


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
    from catalogue.risk import review_answer

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
    from catalogue.compare import compare_tools

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
        print_comparison(comparison.tools, comparison.rows)


def print_comparison(tools: list[str], rows: list[tuple[str, list[str]]]) -> None:
    """Side by side when every answer fits its column unbroken; else one block per row with
    each tool's answer on its own indented line."""
    keys = [f"tool{i}" for i in range(len(tools))]
    headers = {"attribute": "", **dict(zip(keys, tools, strict=True))}
    records = [{"attribute": name, **dict(zip(keys, cells, strict=True))} for name, cells in rows]
    columns = ["attribute", *keys]
    if fitting_layout(records, columns, headers=headers):
        console.print(make_table(records, columns, None, headers=headers, show_lines=True))
        return
    for name, cells in rows:
        print_heading(name)
        for tool, cell in zip(tools, cells, strict=True):
            print_indented(Text.assemble((f"{format_cell(tool)}: ", "bold"), format_cell(cell)))


shortlist_app = typer.Typer(
    help="Shortlists of tools, exported as a governors' pack.", no_args_is_help=True
)


@shortlist_app.command("create")
def shortlist_create(ctx: typer.Context, name: Annotated[str, typer.Argument()]) -> None:
    """Create an empty shortlist.

    Example: [bold]edcat shortlist create "KS2 writing 2027"[/bold]
    """
    from catalogue.shortlists import create_shortlist

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
    from catalogue.shortlists import add_to_shortlist

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
    from catalogue.shortlists import remove_from_shortlist

    removed = remove_from_shortlist(state(ctx).open(), name, tools)
    console.print(f"removed {removed} tool(s) from {format_cell(repr(name.strip()))}")


@shortlist_app.command("show")
def shortlist_show(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Shortlist (omit to list them all).")] = None,
    output_format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
    sort: Annotated[str | None, typer.Option(help=SORT_HELP)] = None,
    desc: Annotated[bool, typer.Option("--desc", help="Sort descending.")] = False,
) -> None:
    """Show a shortlist's tools, or list every shortlist.

    Example: [bold]edcat shortlist show "KS2 writing 2027" --sort -confidence[/bold]
    """
    from catalogue.query import ToolQuery, query_tools
    from catalogue.shortlists import list_shortlists, shortlist_view

    catalogue = state(ctx).open()
    if name is None:
        for shortlist in list_shortlists(catalogue):
            console.print(shortlist)
        return
    view = shortlist_view(catalogue, name)
    rows = view.tools
    if sort or desc:
        query = ToolQuery(shortlist=view.name, sort=sort, descending=desc or None, limit=None)
        rows = query_tools(catalogue, query)
    print_tool_rows(rows, output_format, f"shortlist {view.name}")


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
    from catalogue.files import write_text_atomically
    from catalogue.shortlists import shortlist_csv, shortlist_markdown

    catalogue = state(ctx).open()
    render = shortlist_csv if output_format is PackFormat.csv else shortlist_markdown
    text = render(catalogue, name)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_text_atomically(out, text)
        console.print(f"wrote {out}")
