"""`edcat crawl` and `edcat changes`: thin wrappers of crawler.run.crawl and
catalogue.changes.changes_since. Scrapy is imported inside the crawl command only."""

import json
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from catalogue.errors import EdcatError
from catalogue.escaping import terminal_text
from cli.app import app, state
from cli.output import console, err_console, make_table, plain
from cli.progress import Update, progress_bar

if TYPE_CHECKING:
    from catalogue.changes import ChangeReport


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
    stale_days: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Revisit only pages not fetched for this many days (the others are kept as "
            "they are); tools never crawled are crawled in full.",
        ),
    ] = None,
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

    A page crawled before is asked for with its ETag / Last-Modified: one that answers 304
    is re-confirmed without being downloaded again.

    Ctrl-C stops gracefully; `--resume` continues (also after a kill or a power cut). One
    crawl per catalogue at a time. Exits 1 when nothing could be fetched.

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
        stale_days=stale_days,
        user_agent=user_agent,
        settings=parse_settings(set_ or []),
        host_map=parse_host_map(map_host or []),
    )
    with progress_bar("crawling", state(ctx).show_progress(), unit="sites") as update:
        summary = crawl(state(ctx).db, options, CrawlProgress(update), crawl_log_handler())
    if output_format is SummaryFormat.json:
        typer.echo(json.dumps(summary.as_dict(), indent=2))
    else:
        print_summary(summary)
    if summary.pages == 0 and not summary.skipped_fresh:  # --stale-days: all fresh is fine
        reasons = ", ".join(f"{k} {v}" for k, v in summary.failed.items()) or "no requests made"
        raise CrawlError(f"nothing could be fetched ({reasons})")


class CrawlProgress:
    """Turns crawl events into progress: sites started of sites to visit, pages stored."""

    def __init__(self, update: Update):
        self.update = update
        self.sites: int | None = None
        self.started: set[int] = set()
        self.pages = self.failed = 0

    def __call__(self, event) -> None:
        if event.kind == "start":
            self.sites = int(event.detail)
        elif event.kind == "page":
            self.pages += 1
        else:
            self.failed += 1
        if event.tool_id is not None:
            self.started.add(event.tool_id)
        text = f"crawling: {self.pages} pages stored, {self.failed} failed"
        self.update(len(self.started), self.sites, text)


def crawl_log_handler():
    """Scrapy's log on stderr through rich, so it does not garble a progress bar."""
    from rich.logging import RichHandler

    return RichHandler(console=err_console, show_path=False, markup=False)


def print_summary(summary) -> None:
    console.print(
        f"crawl run {summary.run_id} {summary.status} in {summary.elapsed_seconds:.1f} s: "
        f"{summary.tools_visited} of {summary.tools_requested} tools visited, "
        f"{summary.pages} pages fetched ({summary.new} new, {summary.changed} changed, "
        f"{summary.unchanged} unchanged; {summary.without_text} without text), "
        f"{summary.facts} facts, {summary.failed_total} failed"
    )
    if summary.not_modified or summary.skipped_fresh:
        console.print(
            f"of the unchanged, {summary.not_modified} answered 304 (re-confirmed, not "
            f"downloaded); {summary.skipped_fresh} fresh pages not revisited"
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
    from catalogue.changes import changes_since

    report = changes_since(state(ctx).open(), since)
    if output_format is ChangesFormat.json:
        typer.echo(json.dumps(report.as_dict(), default=plain, indent=2))
    else:
        print_changes(report)


def print_changes(report: "ChangeReport") -> None:
    console.print(
        f"{len(report.tools)} tools changed since {report.since.strftime('%Y-%m-%d %H:%M:%S')} UTC"
    )
    if not report.tools:
        return
    rows = [
        {
            "tool": tool.name + (" (first crawl)" if tool.first_crawl else ""),
            "new_pages": sum(p.change == "new" for p in tool.pages),
            "changed_pages": sum(p.change == "changed" for p in tool.pages),
            "facts_added": len(tool.facts_added),
            "facts_removed": len(tool.facts_removed),
            "AI_that_appeared": ", ".join(f"{f.field}={f.value}" for f in tool.ai_appeared) or "-",
        }
        for tool in report.tools
    ]
    console.print(make_table(rows, list(rows[0]), None, right=list(rows[0])[1:5]))
    for tool in report.tools:
        for fact in tool.ai_appeared:
            console.print(
                terminal_text(
                    f'{tool.name}: {fact.field}={fact.value}: "{fact.evidence}" ({fact.source_url})'
                ),
                markup=False,
                highlight=False,
            )
