"""Entry point of the `edcat` command: the app with every command group registered."""

from __future__ import annotations

from cli import catalogue_commands  # noqa: F401  (registers export, stats, info, upgrade)
from cli.app import app
from cli.tools import tools_app

app.add_typer(tools_app, name="tools")

__all__ = ["app"]

if __name__ == "__main__":
    app()
