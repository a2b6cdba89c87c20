"""Request fingerprints that include the tool, so each tool fetches a page it shares with another.

Scrapy's duplicate filter keys requests by URL. Two tools on one host (Google Classroom and
Google Forms; Khan Academy and Khanmigo) often link to one vendor-wide privacy policy: with
URL-only fingerprints the second tool's request is dropped and its pages and facts miss what
that policy says. Within one tool, a URL is still fetched once.
"""

from __future__ import annotations

import hashlib

from scrapy import Request
from scrapy.utils.request import RequestFingerprinter


class ToolRequestFingerprinter:
    def __init__(self, crawler=None):
        self._scrapy = RequestFingerprinter(crawler)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        base = self._scrapy.fingerprint(request)
        tool = request.meta.get("edcat_tool")
        if tool is None:
            return base
        return hashlib.sha1(base + f"|tool={tool}".encode(), usedforsecurity=False).digest()
