"""The HTML pages. Each handler reads the request, calls one or two library functions and
renders a template; no query, risk or shortlist logic lives here."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from catalogue import count_tools, query_tools
from catalogue.cards import find_tool
from catalogue.compare import compare_tools
from catalogue.facets import facet_counts
from catalogue.query import SORTS
from catalogue.risk import (
    QUESTIONS,
    UNANSWERED,
    review_answer,
    risk_card,
    risk_card_with_history,
    risk_markdown,
)
from catalogue.risk_docx import risk_docx
from catalogue.shortlists import (
    add_to_shortlist,
    create_shortlist,
    list_shortlists,
    remove_from_shortlist,
    shortlist_csv,
    shortlist_markdown,
    shortlist_view,
)
from catalogue.stats import catalogue_stats
from catalogue.urls import slugify
from catalogue.users import AuthenticationFailed, sign_in, sign_out
from catalogue.vocabulary import DIMENSIONS
from web.auth import (
    SESSION_COOKIE,
    check_login_token,
    current_user,
    login_token,
    require_user,
    set_login_cookie,
    set_session_cookie,
)
from web.filters import browse_from_params, compare_refs

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str | None, Form()]


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    context.setdefault("user", current_user(request))
    context.setdefault("unanswered", UNANSWERED)
    return request.app.state.templates.TemplateResponse(
        request, template, context, status_code=status_code
    )


def error_page(request: Request, message: str, status_code: int) -> HTMLResponse:
    return render(request, "error.html", status_code, message=message, status=status_code)


def _catalogue(request: Request):
    return request.app.state.catalogue


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/", response_class=HTMLResponse)
def browse(request: Request) -> HTMLResponse:
    settings = request.app.state.settings
    view = browse_from_params(request.query_params, settings.page_size)
    catalogue = _catalogue(request)

    def counts():
        return count_tools(catalogue, view.query), facet_counts(catalogue, view.query)

    # The counts depend on the filters alone, so paging or re-sorting a list reuses them.
    filters = replace(view.query, limit=None, offset=0, sort=None, descending=None)
    total, facets = request.app.state.cache.get(("counts", repr(filters)), counts)
    tools = query_tools(catalogue, view.query)
    pages = max(1, -(-total // view.page_size))
    return render(
        request,
        "browse.html",
        tools=tools,
        total=total,
        view=view,
        pages=pages,
        facets=facets,
        sorts=SORTS,
    )


@router.get("/overview", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    stats = catalogue_stats(_catalogue(request))
    return render(request, "overview.html", stats=stats, dimensions=DIMENSIONS)


@router.get("/tools/{ref}", response_class=HTMLResponse)
def tool_page(request: Request, ref: str) -> HTMLResponse:
    catalogue = _catalogue(request)

    risk, history = request.app.state.cache.get(
        ("tool", ref), lambda: risk_card_with_history(catalogue, ref)
    )
    user = current_user(request)
    return render(
        request,
        "tool.html",
        risk=risk,
        card=risk.card,
        history=history,
        questions=QUESTIONS,
        shortlists=list_shortlists(catalogue) if user else [],
    )


@router.get("/tools/{ref}/dpia", response_class=HTMLResponse)
def dpia_page(request: Request, ref: str) -> HTMLResponse:
    return render(request, "dpia.html", risk=risk_card(_catalogue(request), ref))


@router.get("/tools/{ref}/dpia.md")
def dpia_markdown(request: Request, ref: str) -> Response:
    risk = risk_card(_catalogue(request), ref)
    name = f"dpia-{risk.card.tool['slug']}.md"
    return _attachment(risk_markdown(risk), "text/markdown; charset=utf-8", name)


@router.get("/tools/{ref}/dpia.docx")
def dpia_docx(request: Request, ref: str) -> Response:
    risk = risk_card(_catalogue(request), ref)
    media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    return _attachment(risk_docx(risk), media, f"dpia-{risk.card.tool['slug']}.docx")


@router.post("/tools/{ref}/reviews")
def add_review(
    request: Request,
    ref: str,
    question: Annotated[int, Form()],
    answer: Annotated[str, Form()],
    csrf_token: Csrf = None,
    source_url: Annotated[str | None, Form()] = None,
) -> RedirectResponse:
    user = require_user(request, csrf_token)
    tool = find_tool(_catalogue(request), ref)
    review_answer(
        _catalogue(request), tool.id, question, answer, source_url or None, reviewer=user.user
    )
    return _see_other(f"/tools/{tool.slug}#q{question}")


@router.get("/compare", response_class=HTMLResponse)
def compare(request: Request, tool: Annotated[list[str], Query()] = []) -> HTMLResponse:  # noqa: B006
    refs = compare_refs(tool)
    return render(request, "compare.html", comparison=compare_tools(_catalogue(request), refs))


@router.get("/shortlists", response_class=HTMLResponse)
def shortlists(request: Request) -> HTMLResponse:
    return render(request, "shortlists.html", names=list_shortlists(_catalogue(request)))


@router.post("/shortlists")
def new_shortlist(
    request: Request, name: Annotated[str, Form()], csrf_token: Csrf = None
) -> RedirectResponse:
    require_user(request, csrf_token)
    create_shortlist(_catalogue(request), name)
    return _see_other(f"/shortlists/{quote(name.strip())}")


@router.get("/shortlists/{name}", response_class=HTMLResponse)
def shortlist_page(request: Request, name: str) -> HTMLResponse:
    return render(request, "shortlist.html", shortlist=shortlist_view(_catalogue(request), name))


@router.post("/shortlists/{name}/tools")
def shortlist_add(
    request: Request, name: str, tool: Annotated[str, Form()], csrf_token: Csrf = None
) -> RedirectResponse:
    require_user(request, csrf_token)
    add_to_shortlist(_catalogue(request), name, [tool])
    return _see_other(f"/shortlists/{quote(name)}")


@router.post("/shortlists/{name}/remove")
def shortlist_remove(
    request: Request, name: str, tool: Annotated[str, Form()], csrf_token: Csrf = None
) -> RedirectResponse:
    require_user(request, csrf_token)
    remove_from_shortlist(_catalogue(request), name, [tool])
    return _see_other(f"/shortlists/{quote(name)}")


@router.get("/shortlists/{name}/export.csv")
def shortlist_export_csv(request: Request, name: str) -> Response:
    body = shortlist_csv(_catalogue(request), name)
    return _attachment(body, "text/csv; charset=utf-8", _shortlist_file(name, "csv"))


@router.get("/shortlists/{name}/export.md")
def shortlist_export_markdown(request: Request, name: str) -> Response:
    body = shortlist_markdown(_catalogue(request), name)
    return _attachment(body, "text/markdown; charset=utf-8", _shortlist_file(name, "md"))


def _shortlist_file(name: str, extension: str) -> str:
    return f"shortlist-{slugify(name) or 'export'}.{extension}"


def _attachment(body: str | bytes, media_type: str, filename: str) -> Response:
    """A download; `filename` is built from slugs only, so it needs no quoting."""
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002
    return _login_page(request, next, failed=False)


def _login_page(request: Request, next_url: str, failed: bool) -> HTMLResponse:
    token = login_token(request)
    status = 401 if failed else 200
    page = render(request, "login.html", status, next=_local(next_url), token=token, failed=failed)
    set_login_cookie(request, page, token)
    return page


@router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form()],
    password: Annotated[str, Form()],
    login_csrf: Annotated[str | None, Form()] = None,
    next: Annotated[str, Form()] = "/",  # noqa: A002
) -> Response:
    check_login_token(request, login_csrf)
    settings = request.app.state.settings
    try:
        token, _ = sign_in(_catalogue(request), name, password, settings.session_hours)
    except AuthenticationFailed:
        return _login_page(request, next, failed=True)
    response = _see_other(_local(next))
    set_session_cookie(request, response, token, int(settings.session_hours * 3600))
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: Csrf = None) -> RedirectResponse:
    require_user(request, csrf_token)
    sign_out(_catalogue(request), request.cookies.get(SESSION_COOKIE))
    response = _see_other("/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _local(url: str) -> str:
    """Only redirect within the site: `next=//evil.example` becomes `/`."""
    return url if url.startswith("/") and not url.startswith(("//", "/\\")) else "/"
