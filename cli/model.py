"""`edcat classify` and `edcat model ...`: classify tools; train, list, show, promote, evaluate
and run models.

scikit-learn and skops are imported inside the commands (via classifier/), never at start-up.
"""

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from cli.app import app, state
from cli.output import console, make_table, print_indented
from cli.progress import progress_bar

if TYPE_CHECKING:
    from catalogue.db import Catalogue

model_app = typer.Typer(
    help="Train, inspect, evaluate and promote the purpose/pedagogy models.", no_args_is_help=True
)

MODEL_HELP = (
    "Model version or directory (default: the catalogue's default, else data/models/DEFAULT)."
)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


def open_if_exists(ctx: typer.Context) -> "Catalogue | None":
    """The catalogue when its file exists; model commands also work without one."""
    return state(ctx).open() if state(ctx).db.exists() else None


@app.command("classify")
def classify_command(
    ctx: typer.Context,
    tool: Annotated[
        list[str] | None, typer.Option("--tool", help="Tool name, slug or id; repeat for several.")
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
) -> None:
    """Classify catalogue tools (all, or those given with --tool) on purpose and pedagogy, and
    store each prediction with its confidence, evidence and the model version.

    Predictions below the model's threshold are stored as uncertain, not forced.

    Example: [bold]edcat classify --tool padlet --tool kahoot[/bold]
    """
    from classifier.predict import classify_catalogue

    catalogue = state(ctx).open()
    with progress_bar("classifying", state(ctx).show_progress(), unit="tools") as update:
        summary = classify_catalogue(catalogue, model, tool, progress=update)
    console.print(f"classified {summary.tools} tools with model {summary.model}")
    for dimension, counts in summary.counts.items():
        shown = ", ".join(f"{label} {n}" for label, n in counts.most_common())
        uncertain = summary.uncertain[dimension]
        print_indented(f"{dimension}: {shown or '-'} ({uncertain} uncertain)", indent=2)


@model_app.command("train")
def train_command(
    ctx: typer.Context,
    labels: Annotated[
        list[Path] | None,
        typer.Option(
            "--labels",
            metavar="FILE",
            help="Label file(s) (default: data/labels/starter.csv); repeatable.",
        ),
    ] = None,
    compare: Annotated[
        bool,
        typer.Option(
            "--compare",
            help="Cross-validate every candidate pipeline, keep the best, "
            "print the table (else: the default candidates only).",
        ),
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Directory to write the model's <version>/ into "
            "(default: $EDCAT_MODELS, else data/models)."
        ),
    ] = None,
    promote: Annotated[
        bool, typer.Option("--promote", help="Make the new model the default.")
    ] = False,
    no_catalogue_labels: Annotated[
        bool,
        typer.Option("--no-catalogue-labels", help="Ignore the labels stored in the catalogue."),
    ] = False,
    pages: Annotated[
        Path | None,
        typer.Option(help="Page corpus to train on (train split) and choose on (validation "
                     "split); default: data/labels/pages/pages.jsonl unless --labels is given."),
    ] = None,
    blurbs_only: Annotated[
        bool, typer.Option("--blurbs-only", help="Ignore the page corpus: cross-validate on "
                           "blurbs as the first models did.")
    ] = False,
    jobs: Annotated[int, typer.Option(help="Parallel cross-validation jobs (-1: all cores).")] = -1,
) -> None:
    """Train a model on labelled texts, choose, fit, and write a versioned model directory
    with its model card; register it in the catalogue when one exists.

    With the page corpus (the default), candidates are chosen on its page-length validation
    split, which training never sees; --compare also prints each one's blurb CV score.

    Example: [bold]edcat model train --compare --promote[/bold]
    """
    from classifier.pages import PAGES_FILE
    from classifier.training import comparison_markdown, train_model

    if pages is None and not labels and not blurbs_only and PAGES_FILE.is_file():
        pages = PAGES_FILE
    with progress_bar("training", state(ctx).show_progress(), unit="steps") as update:
        result = train_model(
            labels or (),
            open_if_exists(ctx),
            compare=compare,
            out=out,
            promote=promote,
            n_jobs=jobs,
            progress=update,
            catalogue_labels=not no_catalogue_labels,
            pages=None if blurbs_only else pages,
        )
    if result.card.get("trained_on") == "pages":
        _print_page_result(result.card, compare)
    else:
        if compare:
            _print_markdown_table(comparison_markdown(result.card), "cross-validated macro-F1")
        for dimension, info in result.card["dimensions"].items():
            f1 = info["macro_f1"]
            console.print(
                f"{dimension}: {info['candidate']}, macro-F1 {f1['mean']:.3f} ± "
                f"{f1['std']:.3f}, threshold {info['threshold']['threshold']:.2f}"
            )
    console.print(
        f"wrote model {result.version} to {result.path}" + (" (default)" if promote else "")
    )


def _print_page_result(card: dict, compare: bool) -> None:
    from classifier.page_training import validation_markdown

    if compare:
        _print_markdown_table(validation_markdown(card, recall=False),
                              "macro-F1: page validation, blurb CV (*: compared only)")
    for dimension, info in card["dimensions"].items():
        f1 = info["macro_f1"]
        console.print(
            f"{dimension}: {info['candidate']}, validation macro-F1 {f1['validation']:.3f} ± "
            f"{f1['spread']:.3f}, threshold {info['threshold']['threshold']:.2f}"
        )


def _print_markdown_table(lines: list[str], title: str) -> None:
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    table = Table(title=title, header_style="bold")
    for column in rows[0]:
        table.add_column(column)
    for row in rows[2:]:
        table.add_row(*row)
    console.print(table)


@model_app.command("list")
def list_command(ctx: typer.Context) -> None:
    """List the models edcat can find: registered in the catalogue, in $EDCAT_MODELS and
    bundled in data/models; the default is marked.

    Example: [bold]edcat model list[/bold]
    """
    from classifier.model_store import list_models

    models = list_models(open_if_exists(ctx))
    rows = [
        {
            "version": m.version,
            "default": "yes" if m.default else "",
            "where": m.origin,
            "created": (m.created or "-")[:10],
            "scores": m.summary or "-",
            "path": str(m.path or "-"),
        }
        for m in models
    ]
    columns = ("version", "default", "where", "created", "scores", "path")
    console.print(make_table(rows, columns, f"{len(models)} models", optional=("path", "where")))


@model_app.command("show")
def show_command(
    ctx: typer.Context,
    version: Annotated[str | None, typer.Argument(help=MODEL_HELP)] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="text (the card) or json (card.json).")
    ] = OutputFormat.text,
) -> None:
    """Show a model's card: data, cross-validated scores per dimension and class, confusion
    matrices, thresholds, LearnPlatform agreement and library versions.

    Example: [bold]edcat model show 2026.11.23-1e9f5c2f[/bold]
    """
    from classifier.model_store import CARD_MD, read_card, resolve_model

    _, path = resolve_model(version, open_if_exists(ctx))
    card = read_card(path)
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(card, indent=2))
        return
    markdown = path / CARD_MD
    if markdown.is_file():
        typer.echo(markdown.read_text(encoding="utf-8"))
    else:
        from classifier.training import card_markdown

        typer.echo(card_markdown(card))


@model_app.command("promote")
def promote_command(
    ctx: typer.Context,
    version: Annotated[str, typer.Argument(help="Model version (or directory).")],
) -> None:
    """Make a model the default: in the catalogue when one exists, else in the models
    directory's DEFAULT file.

    Example: [bold]edcat model promote 2026.11.23-1e9f5c2f[/bold]
    """
    from classifier.model_store import promote

    where = promote(version, open_if_exists(ctx))
    console.print(f"{version} is now the default model ({where})")


@model_app.command("evaluate")
def evaluate_command(
    ctx: typer.Context,
    labels: Annotated[Path, typer.Option("--labels", help="CSV: name, text, purpose, pedagogy.")],
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format.")
    ] = OutputFormat.text,
) -> None:
    """Score a model on a labelled CSV (columns name, text, purpose, pedagogy; a blank label is
    skipped): accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.

    A dimension with no label in the file is reported as absent (n 0) and not scored.

    Example: [bold]edcat model evaluate --labels my-labels.csv --format json[/bold]
    """
    from classifier.evaluate import evaluate_file

    result = evaluate_file(labels, model, open_if_exists(ctx))
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(result.scores, indent=2))
        return
    console.print(f"model {result.model} on {result.file}")
    for dimension, scores in result.scores.items():
        if scores.get("absent"):
            console.print(f"[bold]{dimension}[/bold]: no labels in the file (not scored)")
            continue
        console.print(
            f"[bold]{dimension}[/bold]: {scores['n']} labelled, accuracy {scores['accuracy']:.3f}, "
            f"macro-F1 {scores['macro_f1']:.3f}, {scores['uncertain']} below the threshold"
        )
        table = Table(header_style="bold")
        for column in ("label", "precision", "recall", "F1", "support"):
            table.add_column(column, justify="left" if column == "label" else "right")
        for label, s in scores["per_class"].items():
            table.add_row(
                label,
                f"{s['precision']:.3f}",
                f"{s['recall']:.3f}",
                f"{s['f1']:.3f}",
                str(s["support"]),
            )
        console.print(table)
        confusion = Table(title="confusion (rows: true, columns: predicted)", header_style="bold")
        confusion.add_column("")
        for label in scores["confusion"]["labels"]:
            confusion.add_column(label, justify="right")
        for label, row in zip(
            scores["confusion"]["labels"], scores["confusion"]["matrix"], strict=True
        ):
            confusion.add_row(label, *map(str, row))
        console.print(confusion)


@model_app.command("predict")
def predict_command(
    ctx: typer.Context,
    input_path: Annotated[Path, typer.Option("--input", help="CSV with columns name, text.")],
    output_path: Annotated[Path, typer.Option("--output", help="CSV to write.")],
    model: Annotated[str | None, typer.Option("--model", help=MODEL_HELP)] = None,
) -> None:
    """Classify the texts of a CSV file (columns name, text) without a catalogue; writes it back
    with purpose, purpose_confidence, purpose_uncertain (the reason, empty when confident) and
    the same for pedagogy added.

    The output's folder must exist; the file is replaced only once it is complete.

    Example: [bold]edcat model predict --input texts.csv --output tagged.csv[/bold]
    """
    from classifier.predict import predict_file

    version, rows = predict_file(input_path, output_path, model, open_if_exists(ctx))
    console.print(f"wrote {rows} rows to {output_path} (model {version})")
