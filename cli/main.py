"""Entry point of the `edcat` command: the app with every command group registered."""

from __future__ import annotations

from cli import (
    catalogue_commands,  # noqa: F401  (registers export, stats, info, upgrade)
    crawl,  # noqa: F401  (registers crawl, changes)
    manage,  # noqa: F401  (registers tools add/delete/delete-review, shortlist delete, label unset)
    procurement,  # noqa: F401  (registers tools risk, review, compare)
    web,  # noqa: F401  (registers serve)
)
from cli.app import app, one_line_summaries
from cli.facts import facts_app
from cli.label import label_app
from cli.model import model_app  # also registers `edcat classify`
from cli.procurement import shortlist_app
from cli.tools import tools_app
from cli.web import users_app

app.add_typer(tools_app, name="tools")
app.add_typer(shortlist_app, name="shortlist")
app.add_typer(model_app, name="model")
app.add_typer(label_app, name="label")
app.add_typer(users_app, name="users")
app.add_typer(facts_app, name="facts")
one_line_summaries(app)

__all__ = ["app"]

if __name__ == "__main__":
    app()
