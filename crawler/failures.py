"""Why a page could not be had: one short reason per failure, for summaries and crawl_runs.

Downloader middlewares refuse a request by raising `PageRefused(reason)`; everything else
(HTTP errors, timeouts, Scrapy's own refusals) is mapped by `failure_reason`.
"""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
    UnsupportedURLSchemeError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import error as tx_error
from twisted.python.failure import Failure

REASONS: dict[str, str] = {
    "http-<status>": "the server answered with an error status (404, 500 after retries...)",
    "timeout": "no complete answer within DOWNLOAD_TIMEOUT, after retries",
    "dns": "the host name does not resolve",
    "connection-refused": "nothing listens at that address",
    "connection": "the connection failed or broke mid-answer",
    "too-large": "the answer is bigger than DOWNLOAD_MAXSIZE",
    "not-html": "the answer is not an HTML page (a PDF, an image, binary served as HTML)",
    "robots-disallowed": "robots.txt forbids edcat to fetch it",
    "robots-unavailable": "robots.txt answered 5xx / 429 or could not be fetched: RFC 9309 "
    "says assume everything is disallowed (tried again after EDCAT_ROBOTS_RETRY_SECONDS)",
    "too-many-redirects": "more than REDIRECT_MAX_TIMES redirects",
    "redirect-loop": "a redirect (3xx or meta refresh) back to a URL already in the chain",
    "redirect-to-fetched": "a redirect to a page this tool already fetched in this crawl "
    "(its content is stored once, under that URL)",
    "off-site-redirect": "a redirect away from the tool's site (home pages may move site)",
    "private-address": "the host is loopback, private or link-local (use --allow-private)",
    "unsupported-scheme": "not an http(s) URL",
    "not-in-archive": "--replay: the archive has no answer for the URL",
    "store-error": "the page was fetched but the catalogue refused it (a bug: the detail says)",
    "catalogue-busy": "fetched, but another process kept the catalogue locked past the crawl's "
    "patience (--resume fetches it again)",
    "error": "anything else (the detail says what)",
}


class PageRefused(IgnoreRequest):
    """Raised by edcat's downloader middlewares to refuse a request with a reason."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


_BY_TYPE: tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], str], ...] = (
    ((DownloadTimeoutError, tx_error.TimeoutError, tx_error.TCPTimedOutError), "timeout"),
    ((CannotResolveHostError, tx_error.DNSLookupError), "dns"),
    ((DownloadConnectionRefusedError, tx_error.ConnectionRefusedError), "connection-refused"),
    (DownloadCancelledError, "too-large"),
    (UnsupportedURLSchemeError, "unsupported-scheme"),
    (
        (
            DownloadFailedError,
            ResponseDataLossError,
            tx_error.ConnectError,
            tx_error.ConnectionLost,
            tx_error.ConnectionDone,
        ),
        "connection",
    ),
)
_IGNORE_MESSAGES = {
    "Forbidden by robots.txt": "robots-disallowed",
    "max redirections reached": "too-many-redirects",
}


def failure_reason(failure: Failure | BaseException) -> tuple[str, str]:
    """(reason, detail) for a request's failure; reason is a key of REASONS (http-404...)."""
    exc = failure.value if isinstance(failure, Failure) else failure
    detail = str(exc)[:300]
    if isinstance(exc, PageRefused):
        return exc.reason, exc.detail
    if isinstance(exc, HttpError):
        return f"http-{exc.response.status}", ""
    if isinstance(exc, IgnoreRequest):
        return _IGNORE_MESSAGES.get(str(exc), "error"), detail
    for types, reason in _BY_TYPE:
        if isinstance(exc, types):
            return reason, detail
    return "error", f"{type(exc).__name__}: {detail}"
