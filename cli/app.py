"""The Typer application object, its global options and error handling.

Sub-command modules register themselves on `app` (see cli/main.py). Heavy libraries (scrapy,
sklearn, pandas, pyarrow) are imported inside the commands that need them, never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperGroup

from catalogue import Catalogue, EdcatError, open_catalogue
from catalogue.settings import DB_ENV, default_db_path


class EdcatGroup(TyperGroup):
    """Turns every user error (an EdcatError from any package) into one line on stderr, exit 1."""

    def invoke(self, ctx: typer.Context):
        try:
            return super().invoke(ctx)
        except EdcatError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    cls=EdcatGroup,
    name="edcat",
    help="Catalogue and categorise educational technology, especially tools that use AI.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)


@dataclass
class State:
    db: Path

    def open(self, *, create: bool = False) -> Catalogue:
        return open_catalogue(self.db, create=create)


@app.callback()
def main_options(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar=DB_ENV,
            help="Catalogue file (default: $EDCAT_DB or ~/.local/share/edcat/catalogue.db).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """edcat: catalogue and categorise educational technology.

    Example: [bold]edcat --db my.db tools list --purpose teaching-learning --limit 10[/bold]
    """
    ctx.obj = State(db=db or default_db_path())


def state(ctx: typer.Context) -> State:
    return ctx.find_object(State)


StaleDays = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Flag facts not re-observed for this many days (default: $EDCAT_STALE_DAYS or 180).",
    ),
]
