"""Jinja2 set-up: autoescaping always on, and filters for dates, confidences and links.

Vendor text is untrusted. Templates never mark it safe; links are only made from http(s) URLs,
so a crawled `javascript:` URL is shown as text.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from catalogue.urls import is_http_url


def make_templates(directory: Path) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(directory),
        autoescape=True,  # every template, whatever its file name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(date=format_date, conf=format_confidence, href=http_href, query=query_string)
    return Jinja2Templates(env=env)


def format_date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    return str(value)[:10] if value else "-"


def format_confidence(value: Any) -> str:
    return f"{value:.2f}" if isinstance(value, int | float) else "-"


def http_href(url: Any) -> str | None:
    """The URL if it is http(s), else None (the template then shows it as plain text)."""
    return url if isinstance(url, str) and is_http_url(url) else None


def query_string(params: list[tuple[str, str]], **changes: Any) -> str:
    """`params` with the keys in `changes` replaced (None drops a key), as `?a=b&...`."""
    kept = [(k, v) for k, v in params if k not in changes]
    kept += [(k, str(v)) for k, v in changes.items() if v is not None]
    return "?" + urlencode(kept) if kept else "?"
