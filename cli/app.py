"""The Typer application object, its global options and error handling.

Sub-command modules register themselves on `app` (see cli/main.py). Heavy libraries (scrapy,
sklearn, pandas, pyarrow) are imported inside the commands that need them, never here.
"""

import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from typer.core import TyperGroup, TyperOption

from catalogue.errors import EdcatError
from catalogue.settings import DB_ENV, default_db_path

if TYPE_CHECKING:
    from catalogue.db import Catalogue


_option_type = TyperOption.display_type_rich


def _flag_shows_no_type(self: TyperOption, ctx) -> str | None:
    """A flag takes no value, so its help shows no `<bool>` type (Typer 0.29 shows one)."""
    return None if self.is_flag else _option_type(self, ctx)


TyperOption.display_type_rich = _flag_shows_no_type


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
    quiet: bool = False

    def open(self, *, create: bool = False) -> "Catalogue":
        """The catalogue through SQLAlchemy (imported here, not at start-up)."""
        from catalogue.db import open_catalogue

        return open_catalogue(self.db, create=create)

    def show_progress(self) -> bool:
        """Progress bars go to stderr, only when it is a terminal and --quiet was not given."""
        return not self.quiet and sys.stderr.isatty()


def edcat_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("edcat")
    except PackageNotFoundError:
        return "unknown (not installed)"


def print_version(value: bool) -> None:
    if value:
        typer.echo(f"edcat {edcat_version()}")
        raise typer.Exit()


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
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bars (also off when not a terminal).")
    ] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """edcat: catalogue and categorise educational technology.

    Example: [bold]edcat --db my.db tools list --purpose teaching-learning --limit 10[/bold]
    """
    from cli.output import follow_columns

    follow_columns()
    ctx.obj = State(db=db or default_db_path(), quiet=quiet)


def state(ctx: typer.Context) -> State:
    return ctx.find_object(State)


StaleDays = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Flag facts not re-observed for this many days (default: $EDCAT_STALE_DAYS or 180).",
    ),
]


def one_line_summaries(typer_app: typer.Typer) -> None:
    """Give every command a one-line summary for the command lists of --help (the first
    paragraph of its docstring) and a help text whose paragraphs are each one line.

    Typer's rich mode keeps a docstring's line breaks, so a paragraph wrapped at the
    source's width comes out ragged at 80 columns; joined, rich wraps it to the terminal.
    """
    for info in typer_app.registered_commands:
        doc = info.help or (info.callback.__doc__ if info.callback else None) or ""
        if not doc:
            continue
        paragraphs = [" ".join(p.split()) for p in inspect.cleandoc(doc).split("\n\n")]
        info.help = "\n\n".join(paragraphs)
        if info.short_help is None:
            info.short_help = paragraphs[0]
    for group in typer_app.registered_groups:
        one_line_summaries(group.typer_instance)
