"""`edcat serve` (the web catalogue) and `edcat users` (its local accounts)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cli.app import app, state
from cli.output import console

users_app = typer.Typer(help="Local accounts of the web catalogue (needed to write reviews).")

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command("serve")
def serve_command(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to listen on; only this machine by default.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    secure_cookies: Annotated[
        bool,
        typer.Option(
            "--secure-cookies",
            help="Mark cookies Secure (set when a proxy serves it over HTTPS).",
        ),
    ] = False,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (one per core serves most).")
    ] = 1,
) -> None:
    """Serve the web catalogue: browse, tool pages, DPIA starters, compare, shortlists.

    Example: [bold]edcat serve --port 8000[/bold], then open http://127.0.0.1:8000/
    """
    import uvicorn

    from web.app import SERVE_DB_ENV, SERVE_SECURE_ENV, WebSettings, create_app

    catalogue = state(ctx).open()  # fails here, in one line, if the file is not a catalogue
    if host not in LOOPBACK:
        console.print(
            f"[yellow]listening on {host}: anyone who can reach it can read the catalogue; "
            "serve it over HTTPS with --secure-cookies[/yellow]"
        )
    console.print(f"edcat web catalogue on http://{host}:{port}/ (Ctrl+C to stop)")
    if workers == 1:
        application = create_app(catalogue, WebSettings(secure_cookies=secure_cookies))
        uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)
        return
    catalogue.close()
    os.environ[SERVE_DB_ENV] = str(catalogue.path)
    os.environ[SERVE_SECURE_ENV] = "1" if secure_cookies else "0"
    from web.serving import can_share_port, serve_workers

    if can_share_port():
        raise typer.Exit(serve_workers(host, port, workers))
    uvicorn.run(
        "web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,  # a log line per request costs more than a cached page
    )


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The user name to sign in with.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            envvar="EDCAT_NEW_PASSWORD",
            help="Asked for when not given ($EDCAT_NEW_PASSWORD for scripts).",
        ),
    ],
) -> None:
    """Create a local account for the web catalogue.

    Example: [bold]edcat users add amira[/bold]
    """
    from catalogue.users import add_user

    add_user(state(ctx).open(), name, password)
    console.print(f"added user {name}")


@users_app.command("list")
def users_list(ctx: typer.Context) -> None:
    """List the local accounts.

    Example: [bold]edcat users list[/bold]
    """
    from catalogue.users import list_users

    for name in list_users(state(ctx).open()):
        console.print(name, markup=False, highlight=False)
