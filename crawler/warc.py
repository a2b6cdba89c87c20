"""Archive every response to a WARC file, and answer a later crawl from it.

`--archive FILE.warc.gz` (WarcArchiveMiddleware) writes each response, with its request, as
gzip-per-record WARC 1.0 records, as the server sent them (before decompression, so a
replay goes through the same middlewares). `--replay FILE.warc.gz` (WarcReplayMiddleware)
answers every request from such a file instead of the network, so a crawl can be re-run
offline and gives the same pages and facts. A URL the archive lacks fails with reason
`not-in-archive`; a missing robots.txt is answered with a 404 (allow all), as a live site
without one would. A replayed response carries its record's WARC-Date in
`request.meta["edcat_fetched_at"]`, so its page and facts are dated when they were recorded,
not when they were replayed.

The archived body is the one Scrapy received: chunked transfer coding is already undone, so
the `Transfer-Encoding` header is dropped and `Content-Length` set to match.
"""

from __future__ import annotations

import http
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Request, Response
from scrapy.responsetypes import responsetypes
from w3lib.url import canonicalize_url
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.failures import PageRefused

DROPPED_HEADERS = {"transfer-encoding", "content-length"}


def _header_pairs(headers: Headers) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
        if name.decode("latin-1").lower() not in DROPPED_HEADERS
    ]


def _status_line(status: int) -> str:
    try:
        return f"{status} {http.HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class WarcWriter:
    """Appends request/response record pairs to a gzip-per-record WARC file."""

    def __init__(self, path: Path, append: bool = False, software: str = "edcat"):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        new = not append or not path.exists() or path.stat().st_size == 0
        self._file = path.open("ab" if append else "wb")
        self._writer = WARCWriter(self._file, gzip=True)
        if new:
            info = {"software": software, "format": "WARC File Format 1.0"}
            self._writer.write_record(self._writer.create_warcinfo_record(path.name, info))

    def write(self, request: Request, response: Response) -> None:
        body = response.body
        headers = _header_pairs(response.headers) + [("Content-Length", str(len(body)))]
        protocol = getattr(response, "protocol", None) or "HTTP/1.1"
        http_headers = StatusAndHeaders(_status_line(response.status), headers, protocol=protocol)
        warc_headers = {}
        if getattr(response, "ip_address", None) is not None:
            warc_headers["WARC-IP-Address"] = str(response.ip_address)
        record = self._writer.create_warc_record(
            request.url,
            "response",
            payload=BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        self._writer.write_record(record)
        self._writer.write_record(self._request_record(request, record))
        self._file.flush()  # an interrupted crawl keeps what it fetched

    def _request_record(self, request: Request, response_record):
        parts = urlsplit(request.url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [("Host", parts.netloc), *_header_pairs(request.headers)]
        http_headers = StatusAndHeaders(
            f"{request.method} {target} HTTP/1.1", headers, is_http_request=True
        )
        record = self._writer.create_warc_record(
            request.url,
            "request",
            payload=BytesIO(request.body),
            length=len(request.body),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Concurrent-To": response_record.rec_headers.get_header("WARC-Record-ID")
            },
        )
        return record

    def close(self) -> None:
        self._file.close()


@dataclass(frozen=True)
class ArchivedResponse:
    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    recorded_at: datetime | None = None  # the record's WARC-Date


class NotWarcError(ValueError):
    """A file given as a WARC archive that is not one; the message says why, on one line."""


def check_warc(path: Path) -> None:
    """Raise NotWarcError unless every record of `path` reads as a WARC record, so a wrong or
    damaged `--replay` file is a user error before the crawl starts, not a traceback inside
    Scrapy (WarcIndex reads the same records). OSError (a missing or unreadable file) is left
    to the caller."""
    with path.open("rb") as handle:
        records = ArchiveIterator(handle)
        number, first = 0, None
        try:
            for number, record in enumerate(records, start=1):  # noqa: B007 (named below)
                first = first or record
        except ArchiveLoadFailed as error:
            raise NotWarcError(_damaged(number + 1, str(error))) from None
        except Exception as error:  # gzip, zlib, header parsing: any of them means "not WARC"
            raise NotWarcError(_damaged(number + 1, f"{type(error).__name__}: {error}")) from None
    if first is None:
        raise NotWarcError("it is empty")
    if first.format != "warc":
        raise NotWarcError(f"it is in the older {first.format.upper()} format")


def _damaged(number: int, reason: str) -> str:
    if number == 1:
        return _one_line(reason)
    return _one_line(f"record {number} is damaged: " + reason.split(", first line")[0])


def _one_line(text: str, limit: int = 120) -> str:
    """`text` as one printable line of at most `limit` characters (it may quote binary)."""
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class WarcIndex:
    """Response records of a WARC file by URL (exact, then canonicalised); the last record
    for a URL wins. Only offsets are kept in memory; bodies are read on demand."""

    def __init__(self, path: Path):
        self.path = path
        self._offsets: dict[str, int] = {}
        with path.open("rb") as handle:
            records = ArchiveIterator(handle)
            for record in records:
                if record.rec_type != "response":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI")
                offset = records.get_record_offset()
                self._offsets[url] = offset
                self._offsets.setdefault(canonicalize_url(url), offset)
        self._file = path.open("rb")

    def __len__(self) -> int:
        return len(self._offsets)

    def get(self, url: str) -> ArchivedResponse | None:
        offset = self._offsets.get(url, self._offsets.get(canonicalize_url(url)))
        if offset is None:
            return None
        self._file.seek(offset)
        record = next(iter(ArchiveIterator(self._file)))
        status = int(record.http_headers.get_statuscode())
        return ArchivedResponse(
            url=url,
            status=status,
            headers=list(record.http_headers.headers),
            body=record.raw_stream.read(),
            recorded_at=_warc_date(record.rec_headers.get_header("WARC-Date")),
        )

    def close(self) -> None:
        self._file.close()


def _warc_date(value: str | None) -> datetime | None:
    """WARC-Date (ISO 8601 in UTC, e.g. 2026-11-23T15:31:41Z) as an aware datetime."""
    try:
        parsed = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    return parsed.replace(tzinfo=parsed.tzinfo or UTC) if parsed else None


class WarcArchiveMiddleware:
    """Writes every response that reaches the engine to EDCAT_ARCHIVE."""

    def __init__(self, writer: WarcWriter):
        self.writer = writer

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("EDCAT_ARCHIVE")
        if not path:
            raise NotConfigured
        append = crawler.settings.getbool("EDCAT_ARCHIVE_APPEND")
        middleware = cls(WarcWriter(Path(path), append=append))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_response(self, request: Request, response: Response) -> Response:
        original = request.meta.get("edcat_mapped_from")  # see HostMapMiddleware
        self.writer.write(request.replace(url=original) if original else request, response)
        return response

    def spider_closed(self) -> None:
        self.writer.close()


class WarcReplayMiddleware:
    """Answers every request from the WARC file EDCAT_REPLAY; the network is never used."""

    def __init__(self, index: WarcIndex):
        self.index = index

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("EDCAT_REPLAY")
        if not path:
            raise NotConfigured
        middleware = cls(WarcIndex(Path(path)))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request) -> Response:
        archived = self.index.get(request.url)
        if archived is None:
            if urlsplit(request.url).path == "/robots.txt":
                return Response(request.url, status=404, request=request, flags=["replayed"])
            raise PageRefused("not-in-archive", request.url)
        request.meta["edcat_fetched_at"] = archived.recorded_at
        headers = Headers(archived.headers)
        response_class = responsetypes.from_args(
            headers=headers, url=request.url, body=archived.body
        )
        return response_class(
            url=request.url,
            status=archived.status,
            headers=headers,
            body=archived.body,
            request=request,
            flags=["replayed"],
        )

    def spider_closed(self) -> None:
        self.index.close()
