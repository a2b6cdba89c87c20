"""The web catalogue: a FastAPI app over the same library functions the CLI calls.

`create_app` builds it for one catalogue file. Pages are server-rendered Jinja2 templates with
autoescaping on; the only script is a vendored static file, and the Content-Security-Policy
forbids anything inline. Anonymous visitors read; writing (reviews, shortlists) needs a local
account (`edcat users add`), a session cookie and the session's CSRF token.
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from catalogue import Catalogue, EdcatError, open_catalogue
from catalogue.errors import CatalogueNotFound, ShortlistNotFound, ToolNotFound
from catalogue.users import SESSION_HOURS
from web import api, pages
from web.auth import SESSION_COOKIE
from web.cache import PageCache, ResultCache
from web.templating import make_templates

PACKAGE = Path(__file__).parent

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass(frozen=True)
class WebSettings:
    """What `edcat serve` can change; the defaults are the safe ones."""

    secure_cookies: bool = False  # set when served over HTTPS (behind a proxy)
    session_hours: float = SESSION_HOURS
    page_size: int = 25
    # Threads rendering uncached pages at once, per process. They share one GIL with the
    # event loop: with anyio's 40, 25 concurrent cold tool pages had p95 234-283 ms; with
    # 1-8, 207-227 ms at the same throughput (bench_web, tool-cold, 2 workers).
    page_threads: int = 8


NO_STORE_PREFIXES = ("/login", "/shortlists", "/tools/")


class SecurityHeaders:
    """ASGI middleware adding SECURITY_HEADERS (and no-store on private pages) to every
    response that does not set them itself."""

    def __init__(self, app):
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        extra = self.headers
        if scope["path"].startswith(NO_STORE_PREFIXES):
            extra = [*extra, (b"cache-control", b"no-store")]

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message["headers"]}
                added = [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": [*message["headers"], *added]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HeadAsGet:
    """ASGI middleware answering HEAD as GET without the body (FastAPI routes take only the
    methods they name; link checkers and monitors ask with HEAD)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            return await self.app(scope, receive, send)

        async def send_headers_only(message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


def create_app(db: str | Path | Catalogue, settings: WebSettings | None = None) -> FastAPI:
    """The web catalogue for one catalogue file (or an open Catalogue)."""
    owned = not isinstance(db, Catalogue)
    catalogue = open_catalogue(db) if owned else db

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = app.state.settings.page_threads
        yield
        if owned:
            catalogue.close()

    app = FastAPI(
        lifespan=lifespan,
        title="edcat",
        summary="Catalogue and categorisation of educational technology, especially AI tools.",
        version=_version(),
        openapi_url="/api/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN; the CSP forbids that
        redoc_url=None,
    )
    app.state.catalogue = catalogue
    app.state.settings = settings or WebSettings()
    app.state.templates = make_templates(PACKAGE / "templates")
    app.state.cache = ResultCache(catalogue.path)
    app.add_middleware(SecurityHeaders)
    # Outermost, so a kept page carries the security headers it was sent with.
    app.add_middleware(PageCache, path=catalogue.path, session_cookie=SESSION_COOKIE)
    app.add_middleware(HeadAsGet)
    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    _add_error_pages(app)
    return app


def _add_error_pages(app: FastAPI) -> None:
    @app.exception_handler(EdcatError)
    async def user_error(request: Request, exc: EdcatError):
        not_found = ToolNotFound | ShortlistNotFound | CatalogueNotFound
        status = 404 if isinstance(exc, not_found) else 400
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=status)
        return pages.error_page(request, str(exc), status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = exc.detail if exc.status_code != 404 else "There is no page at this address."
        if request.url.path.startswith("/api/"):
            response = JSONResponse({"error": message}, status_code=exc.status_code)
        else:
            response = pages.error_page(request, str(message), exc.status_code)
        response.headers.update(exc.headers or {})  # e.g. a 405's Allow
        return response

    @app.exception_handler(RequestValidationError)
    async def bad_form(request: Request, exc: RequestValidationError):
        fields = ", ".join(str(e["loc"][-1]) for e in exc.errors())
        message = f"missing or invalid: {fields}"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=422)
        return pages.error_page(request, message, 422)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("edcat")
    except PackageNotFoundError:
        return "0"


SERVE_DB_ENV = "EDCAT_SERVE_DB"
SERVE_SECURE_ENV = "EDCAT_SERVE_SECURE_COOKIES"


def app_from_environment() -> FastAPI:
    """The app factory uvicorn's worker processes call (`edcat serve --workers N`)."""
    secure = os.environ.get(SERVE_SECURE_ENV) == "1"
    return create_app(os.environ[SERVE_DB_ENV], WebSettings(secure_cookies=secure))
