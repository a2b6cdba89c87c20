"""Catalogue-wide commands: export, stats, info, upgrade."""

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cli.app import StaleDays, app, edcat_version, state
from cli.output import console, fitting_layout, make_table


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"


@app.command("export")
def export_command(
    ctx: typer.Context,
    output_format: Annotated[ExportFormat, typer.Option("--format", help="File format.")],
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    stale_days: StaleDays = None,
) -> None:
    """Export one row per tool with every fact, current labels and classifications, model
    version, crawl dates and source URLs, plus a data dictionary beside it.

    Example: [bold]edcat export --format parquet --out catalogue.parquet[/bold]
    """
    from catalogue.export import export_catalogue

    rows, dictionary = export_catalogue(
        state(ctx).open(), out, output_format.value, stale_days=stale_days
    )
    console.print(f"wrote {rows} tools to {out} and the data dictionary to {dictionary}")


class StatsFormat(StrEnum):
    text = "text"
    json = "json"


@app.command("stats")
def stats_command(
    ctx: typer.Context,
    output_format: Annotated[
        StatsFormat, typer.Option("--format", help="Output format.")
    ] = StatsFormat.text,
) -> None:
    """Counts by purpose x pedagogy, by pricing and by phase, and the share of tools with
    privacy facts.

    Example: [bold]edcat stats[/bold]
    """
    from catalogue.stats import catalogue_stats

    stats = catalogue_stats(state(ctx).open())
    if output_format is StatsFormat.json:
        typer.echo(json.dumps(stats.as_dict(), indent=2))
        return
    console.print(
        f"{stats.tools} tools, {stats.crawled_tools} crawled, {stats.pages} pages, "
        f"{stats.facts} current facts"
    )
    console.print(_crosstab(stats.purpose_by_pedagogy))
    console.print(_counts("pricing (tools)", stats.pricing))
    console.print(_counts("phase (tools; a tool can span several)", stats.phase))
    console.print(
        f"tools with privacy facts: {stats.with_privacy_facts} ({stats.privacy_share:.1%}); "
        f"with AI facts: {stats.with_ai_facts}"
    )


def _crosstab(cells: dict[str, dict[str, int]]) -> Table:
    """purpose x pedagogy as a grid when the pedagogy headers fit the terminal whole, else as
    one row per (purpose, pedagogy) pair."""
    pedagogies = sorted({p for row in cells.values() for p in row})
    title = "purpose x pedagogy"
    grid = [
        {"purpose": purpose, **cells[purpose], "total": sum(cells[purpose].values())}
        for purpose in sorted(cells)
    ]
    columns = ["purpose", *pedagogies, "total"]
    grid = [{c: row.get(c, 0) for c in columns} for row in grid]
    headers = {p: p for p in pedagogies}  # slugs as they are, not with _ turned to spaces
    if fitting_layout(grid, columns, headers=headers):
        return make_table(grid, columns, title, headers=headers, right=columns[1:])
    pairs = [
        {"purpose": purpose, "pedagogy": pedagogy, "tools": count}
        for purpose in sorted(cells)
        for pedagogy, count in sorted(cells[purpose].items())
    ]
    return make_table(pairs, ["purpose", "pedagogy", "tools"], title, right=["tools"])


def _counts(title: str, counts: dict[str, int]) -> Table:
    table = Table(title=title, header_style="bold")
    table.add_column("value")
    table.add_column("tools", justify="right")
    for value, count in counts.items():
        table.add_row(value, str(count))
    return table


@app.command("info")
def info_command(ctx: typer.Context) -> None:
    """Where the catalogue is, its schema version and what it holds.

    Example: [bold]edcat info[/bold]
    """
    from catalogue.db import SCHEMA_VERSION, execute_sql

    db = state(ctx).db
    console.print(f"edcat {edcat_version()}, schema version {SCHEMA_VERSION}")
    console.print(f"catalogue: {db}" + ("" if db.exists() else " (does not exist yet)"))
    if not db.exists():
        return
    catalogue = state(ctx).open()
    counts = execute_sql(
        catalogue,
        "SELECT (SELECT count(*) FROM tools), (SELECT count(*) FROM pages), "
        "(SELECT count(*) FROM facts WHERE retracted_at IS NULL), "
        "(SELECT count(*) FROM classifications WHERE is_current), "
        "(SELECT count(*) FROM labels WHERE is_current), "
        "(SELECT version FROM model_versions WHERE is_default)",
    )[0]
    console.print(
        f"{counts[0]} tools, {counts[1]} pages, {counts[2]} facts, {counts[3]} current "
        f"classifications, {counts[4]} labels; default model: {counts[5] or 'none'}"
    )


@app.command("upgrade")
def upgrade_command(ctx: typer.Context) -> None:
    """Upgrade a catalogue made by an older edcat to this schema version (keeps a backup).

    Example: [bold]edcat --db old.db upgrade[/bold]
    """
    from catalogue.db import upgrade_catalogue

    old, new, backup = upgrade_catalogue(state(ctx).db)
    if old == new:
        console.print(f"{state(ctx).db} is already at schema version {new}")
    else:
        console.print(
            f"upgraded {state(ctx).db} from schema version {old} to {new}; backup at {backup}"
        )
