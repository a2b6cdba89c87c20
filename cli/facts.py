"""`edcat facts eval`: precision and recall of the fact rules on a sentence corpus (a thin
wrapper of crawler.facts_eval; the extraction libraries are imported inside the command)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

facts_app = typer.Typer(help="The fact rules: how well they read vendor text.",
                        no_args_is_help=True)


@facts_app.command("eval")
def eval_command(
    corpus: Annotated[
        Path | None,
        typer.Option(help="JSON Lines corpus (default: the bundled tests/fixtures/facts one)."),
    ] = None,
    show_wrong: Annotated[
        bool, typer.Option("--show-wrong", help="Also list each sentence read wrongly.")
    ] = False,
) -> None:
    """Per-field precision and recall of the fact rules on a corpus of sentences.

    Example: [bold]edcat facts eval --show-wrong[/bold]
    """
    from crawler.facts_eval import DEFAULT_CORPUS, evaluate, format_report, load_corpus

    report = evaluate(load_corpus(corpus or DEFAULT_CORPUS))
    typer.echo(format_report(report, show_wrong=show_wrong))
