"""Everyday changes to the catalogue: `tools add`, `tools delete`, `tools delete-review`,
`shortlist delete` and `label unset`; thin wrappers of catalogue.adding and catalogue.deletion
(and, for `tools add`, of the crawl and classify library functions)."""

from typing import Annotated

import typer

from cli.app import state
from cli.label import label_app
from cli.output import console
from cli.procurement import shortlist_app
from cli.progress import progress_bar
from cli.tools import tools_app

Yes = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]


@tools_app.command("add")
def add_command(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The tool's home page, http(s).")],
    name: Annotated[str | None, typer.Option(help="The tool's name (default: its host).")] = None,
    crawl: Annotated[
        bool, typer.Option("--crawl/--no-crawl", help="Crawl and classify it straight away.")
    ] = True,
    max_pages: Annotated[
        int | None, typer.Option(help="Pages to crawl, home page included (default 8).")
    ] = None,
    allow_private: Annotated[
        bool, typer.Option("--allow-private", help="Allow loopback and private addresses.")
    ] = False,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a Scrapy setting, e.g. DOWNLOAD_DELAY=2; repeat."),
    ] = None,
) -> None:
    """Add one tool by its URL, then crawl its site and classify it, in one step.

    A tool already at that address is crawled and classified again, not added twice.

    Example: [bold]edcat tools add https://www.desmos.com/ --name Desmos[/bold]
    """
    from catalogue.adding import add_tool

    added = add_tool(state(ctx).open(create=True), url, name)
    verb = "added" if added.added else "already in the catalogue:"
    console.print(f"{verb} {added.name} (id {added.tool_id})")
    if crawl:
        _crawl_and_classify(ctx, added.tool_id, max_pages, allow_private, set_ or [])


def _crawl_and_classify(
    ctx: typer.Context, tool_id: int, max_pages: int | None, allow_private: bool, sets: list[str]
) -> None:
    from classifier.predict import classify_catalogue
    from cli.crawl import CrawlProgress, crawl_log_handler, parse_settings, print_summary
    from crawler.run import CrawlOptions
    from crawler.run import crawl as run_crawl

    options = CrawlOptions(
        tools=[str(tool_id)],
        max_pages=max_pages,
        allow_private=allow_private,
        settings=parse_settings(sets),
    )
    with progress_bar("crawling", state(ctx).show_progress(), unit="sites") as update:
        summary = run_crawl(state(ctx).db, options, CrawlProgress(update), crawl_log_handler())
    print_summary(summary)
    result = classify_catalogue(state(ctx).open(), None, [str(tool_id)])
    tags = ", ".join(
        f"{dimension} {counts.most_common(1)[0][0]}"
        for dimension, counts in result.counts.items()
        if counts
    )
    console.print(f"classified with model {result.model}: {tags}")


def _delete(ctx: typer.Context, delete, ref: str, yes: bool) -> None:
    """Show what `delete(catalogue, ref)` would remove, ask unless --yes, then delete."""
    catalogue = state(ctx).open()
    console.print(f"will delete {delete(catalogue, ref, dry_run=True).summary()}")
    if not yes and not typer.confirm("delete?", default=False):
        raise typer.Abort()
    console.print(f"deleted {delete(catalogue, ref).summary()}")


@tools_app.command("delete")
def delete_command(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="Tool name, slug or id.")],
    yes: Yes = False,
) -> None:
    """Delete a tool with its pages, facts, classifications, labels, reviews and shortlist
    entries (shows the counts and asks first).

    Example: [bold]edcat tools delete kahoot-it --yes[/bold]
    """
    from catalogue.deletion import delete_tool

    _delete(ctx, delete_tool, tool, yes)


@tools_app.command("delete-review")
def delete_review_command(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="Tool name, slug or id.")],
    question: Annotated[int, typer.Option(help="Question number, 1 to 7.")],
    yes: Yes = False,
) -> None:
    """Withdraw a person's answer to one risk question: the risk card goes back to what the
    vendor's pages say. The answer stays in the catalogue's history.

    Example: [bold]edcat tools delete-review khanmigo --question 4[/bold]
    """
    from catalogue.deletion import withdraw_review

    if not yes and not typer.confirm(f"withdraw the review of question {question}?"):
        raise typer.Abort()
    name = withdraw_review(state(ctx).open(), tool, question)
    console.print(f"withdrew the review of question {question} for {name}")


@shortlist_app.command("delete")
def shortlist_delete(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument()],
    yes: Yes = False,
) -> None:
    """Delete a shortlist (its tools stay in the catalogue).

    Example: [bold]edcat shortlist delete "KS2 writing 2027"[/bold]
    """
    from catalogue.deletion import delete_shortlist

    _delete(ctx, delete_shortlist, name, yes)


@label_app.command("unset")
def unset_command(
    ctx: typer.Context,
    tool: Annotated[str, typer.Argument(help="Tool name, slug or id.")],
    dimension: Annotated[str, typer.Option(help="purpose or pedagogy.")],
) -> None:
    """Unset a tool's label on one dimension: its tag goes back to the model's prediction.
    The label stays in the catalogue's history.

    Example: [bold]edcat label unset padlet --dimension pedagogy[/bold]
    """
    from catalogue.deletion import unset_label

    label = unset_label(state(ctx).open(), tool, dimension)
    console.print(f"unset the {dimension} label {label!r} of {tool}")
