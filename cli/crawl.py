"""`edcat crawl` and `edcat changes`: thin wrappers of crawler.run.crawl and
catalogue.changes.changes_since. Scrapy is imported inside the crawl command only."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from catalogue.changes import ChangeReport, changes_since
from catalogue.errors import EdcatError
from catalogue.escaping import terminal_text
from cli.app import app, state
from cli.output import console, err_console, format_cell, plain


class SummaryFormat(StrEnum):
    text = "text"
    json = "json"


class ChangesFormat(StrEnum):
    table = "table"
    json = "json"


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """`NAME=VALUE` pairs (from --set) as a dict; a malformed pair is a user error."""
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip() or not name.strip().isupper():
            raise EdcatError(f"--set expects SETTING=VALUE with an upper-case name, got {pair!r}")
        settings[name.strip()] = value
    return settings


def parse_host_map(pairs: list[str]) -> dict[str, str]:
    """`HOST=URL` pairs (from --map-host) as a dict; a malformed pair is a user error."""
    host_map = {}
    for pair in pairs:
        host, sep, url = pair.partition("=")
        if not sep or not host.strip() or not url.startswith(("http://", "https://")):
            raise EdcatError(f"--map-host expects HOST=http(s)://ADDRESS, got {pair!r}")
        host_map[host.strip().lower()] = url.strip()
    return host_map


@app.command("crawl")
def crawl_command(
    ctx: typer.Context,
    tool: Annotated[
        list[str] | None, typer.Option(help="Tool name, slug or id; repeat for several.")
    ] = None,
    all_tools: Annotated[
        bool, typer.Option("--all", help="Crawl every tool with a home page.")
    ] = False,
    max_pages: Annotated[
        int | None, typer.Option(help="Pages per tool, home page included (default 8).")
    ] = None,
    archive: Annotated[
        Path | None, typer.Option(help="Write every response to this WARC file (.warc.gz).")
    ] = None,
    replay: Annotated[
        Path | None,
        typer.Option(help="Answer every request from this WARC file instead of the network."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue this catalogue's interrupted crawl.")
    ] = False,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private", help="Allow loopback and private addresses (local test sites)."
        ),
    ] = False,
    cache: Annotated[
        bool, typer.Option("--cache", help="Keep an HTTP cache beside the catalogue (ETag/304).")
    ] = False,
    user_agent: Annotated[
        str | None,
        typer.Option(help="User agent (default: $EDCAT_USER_AGENT or edcat's own with a URL)."),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="Override a Scrapy setting, e.g. DOWNLOAD_DELAY=2; repeat."),
    ] = None,
    map_host: Annotated[
        list[str] | None,
        typer.Option(
            help="HOST=URL: fetch HOST's pages from URL (a local copy or staging) while they "
            "keep their real URLs; repeat. Used to record the demo archive."
        ),
    ] = None,
    output_format: Annotated[
        SummaryFormat, typer.Option("--format", help="Summary format.")
    ] = SummaryFormat.text,
) -> None:
    """Crawl tools' sites: each home page, then the same-site pages a buyer needs (features,
    pricing, privacy, terms, about, AI, "for schools"), at most --max-pages per tool and two
    links deep. Pages and facts are stored with their history. Polite by default: robots.txt,
    one request at a time per site with a delay, an identifying user agent.

    Ctrl-C stops gracefully; `--resume` continues. Exits 1 when nothing could be fetched.

    Example: [bold]edcat crawl --tool padlet --tool kahoot --archive crawls/2026-11.warc.gz[/bold]
    """
    from crawler.run import CrawlError, CrawlOptions, crawl

    options = CrawlOptions(
        tools=tool or [],
        all_tools=all_tools,
        max_pages=max_pages,
        archive=archive,
        replay=replay,
        resume=resume,
        allow_private=allow_private,
        cache=cache,
        user_agent=user_agent,
        settings=parse_settings(set_ or []),
        host_map=parse_host_map(map_host or []),
    )
    with CrawlProgress() as progress:
        summary = crawl(state(ctx).db, options, progress.update, progress.log_handler())
    if output_format is SummaryFormat.json:
        typer.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        print_summary(summary)
    if summary.pages == 0:
        reasons = ", ".join(f"{k} {v}" for k, v in summary.failed.items()) or "no requests made"
        raise CrawlError(f"nothing could be fetched ({reasons})")


class CrawlProgress:
    """A rich progress bar on stderr, fed by crawl events; Scrapy's log goes through it."""

    def __init__(self):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[pages]} pages, {task.fields[failed]} failed"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        )
        self.task = self.progress.add_task("crawling", total=None, pages=0, failed=0)
        self.pages = self.failed = 0

    def __enter__(self) -> CrawlProgress:
        self.progress.start()
        return self

    def __exit__(self, *exc) -> None:
        self.progress.stop()

    def log_handler(self):
        from rich.logging import RichHandler

        return RichHandler(console=err_console, show_path=False, markup=False)

    def update(self, event) -> None:
        if event.kind == "page":
            self.pages += 1
        else:
            self.failed += 1
        self.progress.update(
            self.task,
            advance=1,
            description=f"crawling {event.url[:60]}",
            pages=self.pages,
            failed=self.failed,
        )


def print_summary(summary) -> None:
    console.print(
        f"crawl run {summary.run_id} {summary.status} in {summary.elapsed_seconds:.1f} s: "
        f"{summary.tools_visited} of {summary.tools_requested} tools visited, "
        f"{summary.pages} pages fetched ({summary.new} new, {summary.changed} changed, "
        f"{summary.unchanged} unchanged; {summary.without_text} without text), "
        f"{summary.facts} facts, {summary.failed_total} failed"
    )
    if summary.failed:
        console.print(
            "failed by reason: " + ", ".join(f"{k} {v}" for k, v in summary.failed.items())
        )
    if summary.resumable:
        console.print("interrupted: continue it with [bold]edcat crawl --resume[/bold]")


@app.command("changes")
def changes_command(
    ctx: typer.Context,
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"],
            help="Changes on or after this date (UTC; default: the start of the last crawl).",
        ),
    ] = None,
    output_format: Annotated[
        ChangesFormat, typer.Option("--format", help="Output format.")
    ] = ChangesFormat.table,
) -> None:
    """Tools whose pages or facts changed, and AI features that appeared (new ai_generative,
    ai_chatbot, ai_adaptive or ai_provider facts): what to re-audit after a crawl.

    Example: [bold]edcat changes --since 2026-11-01 --format json[/bold]
    """
    report = changes_since(state(ctx).open(), since)
    if output_format is ChangesFormat.json:
        typer.echo(json.dumps(report.as_dict(), default=plain, indent=2))
    else:
        print_changes(report)


def print_changes(report: ChangeReport) -> None:
    from rich.table import Table

    console.print(
        f"{len(report.tools)} tools changed since {report.since.strftime('%Y-%m-%d %H:%M:%S')} UTC"
    )
    if not report.tools:
        return
    table = Table(header_style="bold")
    for column in (
        "tool",
        "new pages",
        "changed pages",
        "facts added",
        "facts removed",
        "AI that appeared",
    ):
        table.add_column(column, overflow="fold")
    for tool in report.tools:
        table.add_row(
            format_cell(tool.name) + (" (first crawl)" if tool.first_crawl else ""),
            str(sum(p.change == "new" for p in tool.pages)),
            str(sum(p.change == "changed" for p in tool.pages)),
            str(len(tool.facts_added)),
            str(len(tool.facts_removed)),
            ", ".join(
                f"[bold red]{format_cell(f.field)}={format_cell(f.value)}[/bold red]"
                for f in tool.ai_appeared
            )
            or "-",
        )
    console.print(table)
    for tool in report.tools:
        for fact in tool.ai_appeared:
            console.print(
                terminal_text(
                    f'{tool.name}: {fact.field}={fact.value}: "{fact.evidence}" ({fact.source_url})'
                ),
                markup=False,
                highlight=False,
            )
