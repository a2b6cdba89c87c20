"""The JSON API under /api/: the same library calls as the CLI's `--format json`, with an
OpenAPI description at /api/openapi.json. Read-only: writing goes through the signed-in pages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from catalogue import count_tools, query_tools
from catalogue.cards import tool_card
from catalogue.compare import compare_tools
from catalogue.facets import facet_counts
from catalogue.risk import risk_card
from catalogue.shortlists import list_shortlists, shortlist_view
from catalogue.stats import catalogue_stats
from web.filters import browse_from_params, compare_refs

router = APIRouter(prefix="/api", tags=["catalogue"])


def _catalogue(request: Request):
    return request.app.state.catalogue


@router.get("/tools", summary="Tools matching the filters (the browse page's query string)")
def tools(
    request: Request,
    q: str | None = None,
    purpose: Annotated[list[str], Query()] = [],  # noqa: B006
    pedagogy: Annotated[list[str], Query()] = [],  # noqa: B006
    audience: Annotated[list[str], Query()] = [],  # noqa: B006
    phase: Annotated[list[str], Query()] = [],  # noqa: B006
    subject: Annotated[list[str], Query()] = [],  # noqa: B006
    pricing: Annotated[list[str], Query()] = [],  # noqa: B006
    fact: Annotated[list[str], Query(description="FIELD=VALUE, e.g. gdpr=yes")] = [],  # noqa: B006
    min_confidence: float | None = None,
    sort: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> dict[str, Any]:
    view = browse_from_params(request.query_params, default_page_size=50)
    catalogue = _catalogue(request)
    return {
        "total": count_tools(catalogue, view.query),
        "page": view.page,
        "page_size": view.page_size,
        "tools": query_tools(catalogue, view.query),
    }


@router.get("/facets", summary="Facet counts for the same filters as /api/tools")
def facets(request: Request) -> list[dict[str, Any]]:
    view = browse_from_params(request.query_params, default_page_size=50)
    return [asdict(f) for f in facet_counts(_catalogue(request), view.query)]


@router.get("/tools/{ref}", summary="Everything known about one tool (id, slug or name)")
def tool(request: Request, ref: str) -> dict[str, Any]:
    return tool_card(_catalogue(request), ref).as_dict()


@router.get("/tools/{ref}/risk", summary="The seven DPIA key questions for one tool")
def risk(request: Request, ref: str) -> dict[str, Any]:
    return risk_card(_catalogue(request), ref).as_dict()


@router.get("/compare", summary="2 to 4 tools side by side")
def compare(request: Request, tool: Annotated[list[str], Query()] = []) -> dict[str, Any]:  # noqa: B006
    comparison = compare_tools(_catalogue(request), compare_refs(tool))
    return {
        "tools": comparison.tools,
        "rows": [{"attribute": name, "values": cells} for name, cells in comparison.rows],
        "stale_after_days": comparison.stale_days,
    }


@router.get("/shortlists", summary="Names of the shortlists")
def shortlists(request: Request) -> list[str]:
    return list_shortlists(_catalogue(request))


@router.get("/shortlists/{name}", summary="One shortlist with its tools")
def shortlist(request: Request, name: str) -> dict[str, Any]:
    return asdict(shortlist_view(_catalogue(request), name))


@router.get("/stats", summary="What the catalogue holds (as `edcat stats --format json`)")
def stats(request: Request) -> dict[str, Any]:
    return catalogue_stats(_catalogue(request)).as_dict()
