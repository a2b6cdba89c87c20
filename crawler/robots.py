"""robots.txt as RFC 9309 reads it, in place of Scrapy's RobotsTxtMiddleware.

Scrapy parses whatever body the robots.txt request brought back and, when the request
failed, allows everything; a robots.txt bigger than DOWNLOAD_MAXSIZE fails and so allows
everything too. RFC 9309 (section 2.3.1) says instead:

- 2xx: obey the rules; parse at least the first 500 KiB (we stop the download there and
  ignore a last, cut-off line);
- 4xx ("unavailable"): no rules, everything is allowed;
- 5xx or unreachable (network error, timeout): assume complete disallow, and try again
  later (EDCAT_ROBOTS_RETRY_SECONDS). A 429 is read as a server error: the site is asking
  us to back off.

Redirects are followed by RedirectMiddleware (up to REDIRECT_MAX_TIMES, the RFC's five).
Each host's answer is cached for the crawl; pages refused because robots.txt could not be
read fail with reason `robots-unavailable`, disallowed ones with `robots-disallowed`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.http import Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object

from crawler.failures import PageRefused

ROBOTS_PARSE_LIMIT = 500 * 1024  # RFC 9309: parse at least the first 500 KiB
ROBOTS_META = "edcat_robots"  # marks our robots.txt requests
ROBOTS_PRIORITY = 1000  # before the pages waiting for it


@dataclass(frozen=True)
class Unavailable:
    """A host whose robots.txt could not be read: everything is disallowed until `until`."""

    detail: str
    until: float


def robots_body(body: bytes) -> bytes:
    """The part of a robots.txt body to parse: the first 500 KiB, without a cut-off line."""
    if len(body) <= ROBOTS_PARSE_LIMIT:
        return body
    head = body[:ROBOTS_PARSE_LIMIT]
    return head[: head.rfind(b"\n") + 1]


class RobotsPolicyMiddleware:
    """Obeys robots.txt per RFC 9309 (ROBOTSTXT_OBEY, ROBOTSTXT_PARSER, ROBOTSTXT_USER_AGENT
    as for Scrapy's middleware)."""

    def __init__(self, crawler, retry_seconds: float):
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured
        self.crawler = crawler
        self.retry_seconds = retry_seconds
        self.user_agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        self._parser_class = load_object(settings.get("ROBOTSTXT_PARSER"))
        # host -> parser, None (allow all), Unavailable, or the fetch in progress
        self._hosts: dict[str, object] = {}
        self._received: dict[int, int] = {}  # robots request id -> bytes so far
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, crawler.settings.getfloat("EDCAT_ROBOTS_RETRY_SECONDS"))

    async def process_request(self, request: Request) -> None:
        if request.meta.get("dont_obey_robotstxt") or request.meta.get(ROBOTS_META):
            return None
        rules = await self.rules_for(request)
        if isinstance(rules, Unavailable):
            raise PageRefused("robots-unavailable", rules.detail)
        if rules is not None and not rules.allowed(request.url, self.user_agent):
            self.crawler.stats.inc_value("robotstxt/forbidden")
            raise IgnoreRequest("Forbidden by robots.txt")
        return None

    async def rules_for(self, request: Request):
        """The host's parsed robots.txt, None (no rules) or Unavailable; fetched once per
        host for the crawl (again after an Unavailable expires)."""
        parts = urlparse_cached(request)
        host = parts.netloc
        cached = self._hosts.get(host)
        if isinstance(cached, Unavailable) and cached.until <= time.monotonic():
            del self._hosts[host]
        if host not in self._hosts:
            self._hosts[host] = asyncio.ensure_future(self._fetch(f"{parts.scheme}://{host}"))
        found = self._hosts[host]
        if not isinstance(found, asyncio.Future):
            return found
        result = await found
        if self._hosts.get(host) is found:
            self._hosts[host] = result
        return result

    async def _fetch(self, origin: str):
        request = Request(
            f"{origin}/robots.txt",
            priority=ROBOTS_PRIORITY,
            meta={ROBOTS_META: True, "dont_obey_robotstxt": True, "download_maxsize": 0},
            callback=NO_CALLBACK,
        )
        self.crawler.stats.inc_value("robotstxt/request_count")
        try:
            response = await self.crawler.engine.download_async(request)
        except Exception as error:  # noqa: BLE001 - any failure means "unreachable"
            return self._unavailable(f"{request.url} could not be fetched ({error})"[:300])
        finally:
            self._received.pop(id(request), None)
        return self.read(response)

    def read(self, response: Response):
        """RFC 9309's reading of a robots.txt answer (after redirects)."""
        status = response.status
        self.crawler.stats.inc_value(f"robotstxt/response_status_count/{status}")
        if 200 <= status < 300:
            return build_from_crawler(self._parser_class, self.crawler, robots_body(response.body))
        if 400 <= status < 500 and status != 429:
            return None
        return self._unavailable(f"{response.url} answered {status}")

    def _unavailable(self, detail: str) -> Unavailable:
        return Unavailable(detail, time.monotonic() + self.retry_seconds)

    def bytes_received(self, data: bytes, request: Request, spider=None) -> None:
        """Stop a robots.txt download once past the parse limit; what came is kept."""
        if not request.meta.get(ROBOTS_META):
            return
        total = self._received.get(id(request), 0) + len(data)
        self._received[id(request)] = total
        if total > ROBOTS_PARSE_LIMIT:
            raise StopDownload(fail=False)
