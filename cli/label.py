"""`edcat label ...`: people's labels in and out, and which tools to label next."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from cli.app import state
from cli.output import (
    console,
    err_console,
    format_cell,
    print_heading,
    print_indented,
    print_table_or_blocks,
)

label_app = typer.Typer(
    help="Label tools by hand: import, set, export, and get suggestions of what to label next.",
    no_args_is_help=True,
)


@label_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: name, url?, text?, purpose, pedagogy, "
            "note?, annotator? (the format of starter.csv)."
        ),
    ],
    annotator: Annotated[
        str | None, typer.Option(help="Annotator for rows that do not name one.")
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace labels a person set that the file changes.")
    ] = False,
) -> None:
    """Import labels from CSV, all or nothing. Rows are matched to catalogue tools by url, then
    by name; a row matching no tool is kept as a free-text label when it has text. Labels the
    catalogue already has are left alone.

    An unknown label, a missing column, a row with neither text nor a matching tool, or two
    rows giving one tool different labels names the rows and imports nothing. A row that would
    change a label a person already set is listed, and nothing is imported unless --replace.

    Example: [bold]edcat label import data/labels/starter.csv --annotator jb[/bold]
    """
    from classifier.labels import import_labels

    result = import_labels(state(ctx).open(), file, annotator, replace=replace)
    for o in result.overwrites:
        verb = "replaced" if result.written else "would replace"
        console.print(
            f"row {o.row}: {verb} {escape(o.name)} (id {o.tool_id}) {o.dimension} "
            f"{o.current} (by {escape(o.current_annotator)}) with {o.new}",
            highlight=False,
        )
    if not result.written:
        err_console.print(
            f"{file}: {len(result.overwrites)} labels a person set would be replaced; nothing "
            "was imported. Check them, then run again with --replace to replace them."
        )
        raise typer.Exit(1)
    console.print(
        f"imported {result.labels} labels from {result.rows} rows of {file}: "
        f"{result.matched} matched to catalogue tools, {result.free_text} kept as free text, "
        f"{result.unchanged} already there"
    )


@label_app.command("set")
def set_command(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="Tool name, slug or id.")],
    purpose: Annotated[
        str | None, typer.Option(help="teaching-learning or workflow-productivity.")
    ] = None,
    pedagogy: Annotated[
        str | None,
        typer.Option(
            help="behaviourist, individual-constructivist, social-constructivist or none."
        ),
    ] = None,
    note: Annotated[str | None, typer.Option(help="e.g. thin-text; borderline: ...")] = None,
    annotator: Annotated[str | None, typer.Option(help="Who is labelling.")] = None,
) -> None:
    """Label one tool by hand; the label replaces the tool's previous one and beats the
    model's prediction.

    Example: [bold]edcat label set padlet --purpose teaching-learning
    --pedagogy social-constructivist --annotator jb[/bold]
    """
    from classifier.labels import set_label

    found, given = set_label(state(ctx).open(), tool, purpose, pedagogy, note, annotator)
    console.print(f"labelled {format_cell(found.name)} (id {found.id}): {', '.join(given)}")


@label_app.command("suggest")
def suggest_command(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("--n", min=1, help="How many tools to suggest.")] = 20,
    model: Annotated[str | None, typer.Option("--model", help="Model version.")] = None,
) -> None:
    """The unlabelled tools the model is least sure about (smallest gap between its two
    likeliest labels): labelling these teaches it most.

    Example: [bold]edcat label suggest --n 10[/bold]
    """
    from classifier.labels import suggest

    version, suggestions = suggest(state(ctx).open(), n, model)
    rows = [
        {
            "id": s.tool_id,
            "name": s.name,
            "margin": s.margin,
            **{d: f"{s.guesses[d][0]} {s.guesses[d][1]:.2f}" for d in ("purpose", "pedagogy")},
            "text": s.snippet,
        }
        for s in suggestions
    ]
    title = f"{len(suggestions)} tools to label next (model {version})"
    print_table_or_blocks(rows, list(SUGGEST_COLUMNS), title, _suggestion_block)


SUGGEST_COLUMNS = ("id", "name", "margin", "purpose", "pedagogy", "text")


def _suggestion_block(row: dict) -> None:
    """One suggestion when the table does not fit: name and margin, then the guesses and text."""
    print_heading(f"{format_cell(row['name'])} (id {row['id']}, margin {row['margin']:.2f})")
    print_indented(f"purpose {row['purpose']}; pedagogy {row['pedagogy']}")
    if row["text"]:
        print_indented(format_cell(row["text"]))


@label_app.command("export")
def export_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV file to write.")],
) -> None:
    """Export the catalogue's current labels as CSV in the format of data/labels/starter.csv
    (text: what the label was judged on, else the tool's document text). The file's folder
    must exist; the file is replaced only once it is complete.

    Example: [bold]edcat label export my-labels.csv[/bold]
    """
    from classifier.labels import export_labels

    rows = export_labels(state(ctx).open(), file)
    console.print(f"wrote {rows} labelled rows to {file}")
