"""`edcat facts eval`, `eval-pages` and `trust`: precision and recall of the fact rules on a
sentence corpus, on real judged pages, or as first measured on pages they had not seen (thin
wrappers of crawler.facts_eval; the extraction libraries are imported inside the commands)."""

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


@facts_app.command("eval-pages")
def eval_pages_command(
    pages: Annotated[Path, typer.Argument(
        help='JSON Lines of {"url", "title", "text"}: the judged pages\' text, kept locally.')],
    judgements: Annotated[
        Path | None,
        typer.Option(help="Judgements by URL (default: the bundled real-excerpts.json)."),
    ] = None,
    judged_set: Annotated[
        list[str] | None, typer.Option("--set", help="Only pages of this set (repeatable).")
    ] = None,
    show_wrong: Annotated[
        bool, typer.Option("--show-wrong", help="Also list each page read wrongly.")
    ] = False,
) -> None:
    """Per-field precision and recall of the fact rules on real pages judged by hand.

    The judgements ship without the pages' text, which may not be redistributed: give the
    texts you hold. Example: [bold]edcat facts eval-pages set-g.jsonl --set G[/bold]
    """
    from crawler.facts_eval import (
        DEFAULT_JUDGEMENTS,
        evaluate_pages,
        format_page_report,
        load_judgements,
        load_pages,
    )

    report = evaluate_pages(load_pages(pages), load_judgements(judgements or DEFAULT_JUDGEMENTS),
                            judged_set or ())
    typer.echo(format_page_report(report, show_wrong=show_wrong))


@facts_app.command("trust")
def trust_command(
    judgements: Annotated[
        Path | None,
        typer.Option(help="Judgements with scores (default: the bundled real-excerpts.json)."),
    ] = None,
) -> None:
    """How often each fact field was right on real pages the rules had not seen.

    Pools each held-out set's first score, kept per field with the judgements, so it needs
    no page text. Example: [bold]edcat facts trust[/bold]
    """
    from crawler.facts_eval import DEFAULT_JUDGEMENTS, format_unseen_report, unseen_scores

    typer.echo(format_unseen_report(unseen_scores(judgements or DEFAULT_JUDGEMENTS)))
