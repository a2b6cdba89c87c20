"""Downloader middlewares: the checks every request and response goes through.

Each refuses by raising `PageRefused(reason)`, which reaches the spider's errback and ends
as a failure with that reason in the crawl summary. Their order is set in
`crawler.settings.DOWNLOADER_MIDDLEWARES`.
"""

from __future__ import annotations

from urllib.parse import urldefrag, urljoin, urlsplit

from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request, Response
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import get_meta_refresh

from crawler.failures import PageRefused
from crawler.frontier import Site
from crawler.resolver import PinnedResolver, is_private_address  # noqa: F401 (re-exported)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = ("text/html", "application/xhtml+xml")
# Magic numbers of files that servers like to label text/html.
BINARY_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"BZh",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\x00\x00\x01\x00",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\x7fELF",
    b"MZ",
)
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


# --- refusing unsafe targets ------------------------------------------------------------------


class SafeTargetMiddleware:
    """Only http(s) URLs, and no loopback / private / link-local hosts unless allowed
    (--allow-private, EDCAT_ALLOWED_NETWORKS): a catalogue's URLs come from public lists and
    must not make the crawler probe the network it runs in (SSRF).

    The check is `crawler.resolver.PinnedResolver`'s: this middleware awaits its verdict
    for the request's host and refuses the request with its reason; the resolver then hands
    the connection exactly the addresses it checked (no second lookup, so no rebinding).
    Every request passes here: redirects, robots.txt and mapped hosts (their real URL) too.
    """

    def __init__(self, resolver=None, replaying: bool = False, mapped_hosts=frozenset()):
        self.resolver = resolver  # None: the one installed on the reactor, looked up lazily
        self.replaying = replaying
        self.mapped_hosts = frozenset(host.lower() for host in mapped_hosts)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(
            replaying=bool(settings.get("EDCAT_REPLAY")),  # no network, nothing to probe
            mapped_hosts=settings.getdict("EDCAT_HOST_MAP").keys(),  # never connected to
        )

    def _installed_resolver(self) -> PinnedResolver:
        """The reactor's resolver (installed when the crawl starts, after this middleware
        is built); anything but a PinnedResolver would crawl unchecked, so it stops the crawl."""
        from twisted.internet import reactor

        resolver = reactor.nameResolver
        if not isinstance(resolver, PinnedResolver):
            raise RuntimeError(
                "TWISTED_DNS_RESOLVER must be crawler.resolver.PinnedResolver or a subclass: "
                "it is where the private-address check is made"
            )
        return resolver

    async def process_request(self, request: Request) -> None:
        parts = urlparse_cached(request)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PageRefused("unsupported-scheme", request.url)
        if self.replaying or MAPPED_FROM in request.meta or parts.hostname in self.mapped_hosts:
            return None  # replaying; or a --map-host host and the operator's copy of it
        if self.resolver is None:
            self.resolver = self._installed_resolver()
        verdict = await self.resolver.verdict(parts.hostname)
        if verdict.reason is not None:
            raise PageRefused(verdict.reason, verdict.detail)
        return None


# --- keeping to the tool's site ---------------------------------------------------------------


class SiteScopeMiddleware:
    """Refuses a request (in practice: a redirect) that leaves the tool's site.

    The spider puts the tool's sites in `meta["edcat_sites"]` on every request after the home
    page; the home page itself may redirect anywhere (products move domain), and where it
    lands becomes part of the tool's site.
    """

    def process_request(self, request: Request) -> None:
        sites = request.meta.get("edcat_sites")
        url = request.meta.get(MAPPED_FROM, request.url)  # a mapped request keeps its real URL
        if not sites or any(Site(*site).contains(url) for site in sites):
            return None
        came_from = request.meta.get("redirect_urls")
        if came_from:
            raise PageRefused("off-site-redirect", f"{came_from[0]} -> {request.url}")
        raise PageRefused("off-site-redirect", request.url)


class RedirectLoopMiddleware:
    """Refuses a redirect back to a URL already in its chain, naming it a loop.

    Without this, Scrapy's duplicate filter silently drops the looping request and the page
    vanishes from the crawl without a trace.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        target = self.redirect_target(request, response)
        if target is None:
            return response
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in {urldefrag(url)[0] for url in chain}:
            raise PageRefused("redirect-loop", " -> ".join([*chain, target]))
        return response

    def redirect_target(self, request: Request, response: Response) -> str | None:
        location = response.headers.get(b"Location")
        if response.status in REDIRECT_STATUSES and location:
            return urldefrag(urljoin(request.url, location.decode("latin-1").strip()))[0]
        return None


class MetaRefreshLoopMiddleware(RedirectLoopMiddleware):
    """The same for `<meta http-equiv="refresh">`: a loop through pages that answer 200.
    Sits between HttpCompressionMiddleware (590) and MetaRefreshMiddleware (580), so it
    reads decompressed pages before they are followed."""

    def redirect_target(self, request: Request, response: Response) -> str | None:
        if not isinstance(response, HtmlResponse) or not 200 <= response.status < 300:
            return None
        _, url = get_meta_refresh(response)
        return urldefrag(url)[0] if url else None


# --- HTML only --------------------------------------------------------------------------------


# Text has next to no control bytes besides tab, line breaks and form feed; random or
# compressed bytes have about one in ten (27 of 256 values).
MAX_CONTROL_SHARE = 0.05
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\r\x0c")


def _control_share(head: bytes) -> float:
    return (len(head) - len(head.translate(None, _CONTROL_BYTES))) / len(head) if head else 0.0


def html_verdict(content_type: str | None, body: bytes) -> str | None:
    """None if this looks like an HTML page, else why not (for the failure detail)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    head = body[:1024]
    if media and media not in HTML_TYPES:
        return f"content-type {media}"
    if any(head.startswith(magic) for magic in BINARY_MAGIC):
        return f"binary content ({head[:4]!r}) served as {media or 'no content-type'}"
    if b"\x00" in head and not head.startswith(UTF16_BOMS):
        return f"binary content served as {media or 'no content-type'}"
    if not head.startswith(UTF16_BOMS) and _control_share(head) > MAX_CONTROL_SHARE:
        return f"binary content served as {media or 'no content-type'}"
    if not media and not head.lstrip().startswith(b"<"):
        return "no content-type and no markup"
    return None


class HtmlOnlyMiddleware:
    """Refuses successful answers to page requests that are not HTML (reason `not-html`).

    Sits after HttpCompressionMiddleware, so it sniffs decompressed bodies; robots.txt and
    other non-page requests pass untouched.
    """

    def process_response(self, request: Request, response: Response) -> Response:
        if "edcat_tool" not in request.meta or not 200 <= response.status < 300:
            return response
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1")
        problem = html_verdict(content_type, response.body)
        if problem is not None:
            raise PageRefused("not-html", problem)
        return response


# --- fetching a host's pages from elsewhere ---------------------------------------------------

MAPPED_FROM = "edcat_mapped_from"


class HostMapMiddleware:
    """Fetches the pages of a mapped host from another address, keeping their real URLs.

    EDCAT_HOST_MAP = {"www.sugarlabs.org": "http://127.0.0.1:8001"}: a request for
    https://www.sugarlabs.org/about-us/ is sent to http://127.0.0.1:8001/about-us/, and the
    response comes back as https://www.sugarlabs.org/about-us/ to everything above this
    middleware (the spider, the pipeline, the WARC archive). It is how the demo's archive of
    real pages is recorded from a local copy, and how a crawl can be tried against staging.
    """

    def __init__(self, host_map: dict[str, str]):
        self.host_map = {host.lower(): base.rstrip("/") for host, base in host_map.items()}

    @classmethod
    def from_crawler(cls, crawler):
        host_map = crawler.settings.getdict("EDCAT_HOST_MAP")
        if not host_map:
            raise NotConfigured
        return cls(host_map)

    def process_request(self, request: Request) -> Request | None:
        if MAPPED_FROM in request.meta:
            return None
        parts = urlparse_cached(request)
        base = self.host_map.get((parts.hostname or "").lower())
        if base is None:
            return None
        target = base + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return request.replace(url=target, meta={**request.meta, MAPPED_FROM: request.url})

    def process_response(self, request: Request, response: Response) -> Response:
        original = request.meta.get(MAPPED_FROM)
        if original is None:
            return response
        headers = response.headers.copy()
        location = headers.get(b"Location")
        if location:  # a redirect on the copy points back into the real site
            target = urljoin(original, location.decode("latin-1").strip())
            base = self.host_map[(urlsplit(original).hostname or "").lower()]
            if target.startswith(base):
                target = urljoin(original, target[len(base) :] or "/")
            headers[b"Location"] = target.encode("latin-1")
        return response.replace(url=original, headers=headers)
