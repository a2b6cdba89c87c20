"""Generated vendor sites for the crawler's fault tests, served from a thread.

`ToolSites` serves `/t<n>/` home pages for any number of tools, each linking to the same
seven buyer pages, optionally slowly, with ETag / Last-Modified validators it honours (304),
a chosen robots.txt behaviour, and (tool 0, `tricky=True`) a redirect to a page already
fetched and a meta-refresh loop. Every request is logged with the address it reached.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import crawl_sites

SECTIONS = ("features", "pricing", "privacy", "terms", "about", "for-schools", "ai")
LAST_MODIFIED = formatdate(1_780_000_000, usegmt=True)


@dataclass
class SiteState:
    """What the server does; tests change it between crawls."""

    delay: float = 0.0  # seconds per page (not robots.txt)
    robots: str = "404"  # "404", "503", "drop" (close the connection) or a robots.txt body
    conditional: bool = True  # answer 304 to a matching If-None-Match / If-Modified-Since
    tricky: bool = False  # tool 0 gets a redirect to a fetched page and a meta-refresh loop
    versions: Counter = field(default_factory=Counter)  # path -> edits (changes the page)


def page_html(tool: int, section: str, version: int, tricky: bool) -> bytes:
    links = "".join(f'<a href="/t{tool}/{s}">{s.replace("-", " ").title()}</a> ' for s in SECTIONS)
    if tricky and tool == 0:
        links += f'<a href="/t{tool}/plans">Plans</a>'
    text = (
        f"Tool {tool} helps teachers plan lessons ({section}, edit {version}). "
        "We are fully compliant with UK GDPR. Pupils get feedback straight away."
    )
    head = f"<title>Tool {tool} {section}</title>"
    if tricky and tool == 0 and section in ("ai", "ai-tour"):
        other = "ai-tour" if section == "ai" else "ai"
        head += f'<meta http-equiv="refresh" content="0; url=/t{tool}/{other}">'
    return (
        f"<!DOCTYPE html><html lang='en'><head>{head}</head><body><nav>{links}</nav>"
        f"<main><h1>Tool {tool}: {section}</h1><p>{text}</p></main></body></html>"
    ).encode()


class Handler(crawl_sites.Handler):
    """crawl_sites' handler (its redirects, its quiet log) with its own routes."""

    server: ToolSitesServer

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        self.server.log(path, self.headers.get("Host", ""))
        try:
            if path == "/robots.txt":
                return self._robots()
            time.sleep(self.server.state.delay)
            self._page(path)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _robots(self) -> None:
        robots = self.server.state.robots
        if robots == "drop":
            self.close_connection = True
            self.connection.close()
            return
        if robots in ("404", "503"):
            return self._send(int(robots), b"no robots here", "text/plain")
        return self._send(200, robots.encode(), "text/plain")

    def _page(self, path: str) -> None:
        parts = path.strip("/").split("/")
        if not parts[0].startswith("t") or not parts[0][1:].isdigit() or len(parts) > 2:
            return self._send(404, b"<html><body>Not found</body></html>")
        tool, section = int(parts[0][1:]), parts[1] if len(parts) > 1 else "home"
        if self.server.state.tricky and tool == 0 and section == "plans":
            return self._redirect(f"/t{tool}/pricing")
        if section not in (*SECTIONS, "home", "ai-tour"):
            return self._send(404, b"<html><body>Not found</body></html>")
        version = self.server.state.versions[path]
        body = page_html(tool, section, version, self.server.state.tricky)
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.server.state.conditional and self._not_modified(etag):
            self.server.count_304()
            return self._send(304, b"", headers={"ETag": etag})
        self._send(200, body, headers={"ETag": etag, "Last-Modified": LAST_MODIFIED})

    def _not_modified(self, etag: str) -> bool:
        if self.headers.get("If-None-Match") is not None:
            return self.headers["If-None-Match"] == etag
        return self.headers.get("If-Modified-Since") == LAST_MODIFIED

    def _send(self, status, body, content_type="text/html; charset=utf-8", headers=None):
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)



class ToolSitesServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, state: SiteState):
        super().__init__((host, port), Handler)
        self.state = state
        self.hits: list[tuple[str, str]] = []  # (path, Host header)
        self.not_modified = 0
        self._lock = threading.Lock()

    def log(self, path: str, host: str) -> None:
        with self._lock:
            self.hits.append((path, host))

    def count_304(self) -> None:
        with self._lock:
            self.not_modified += 1

    def paths(self) -> list[str]:
        with self._lock:
            return [path for path, _ in self.hits]

    def pages(self) -> list[str]:
        return [p for p in self.paths() if p != "/robots.txt"]

    def reset(self) -> None:
        with self._lock:
            self.hits.clear()
            self.not_modified = 0


@contextmanager
def tool_sites(state: SiteState | None = None, host: str = "127.0.0.1", port: int = 0):
    server = ToolSitesServer(host, port, state or SiteState())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def import_tools(edcat, tmp_path: Path, homes: list[str], db: Path | None = None) -> None:
    """One tool per home page, named Tool 0 ... Tool n-1, imported into the catalogue."""
    csv = tmp_path / f"tools-{len(homes)}-{abs(hash(tuple(homes)))}.csv"
    lines = ["name,url,description", *(f"Tool {n},{url},Tool {n}" for n, url in enumerate(homes))]
    csv.write_text("\n".join(lines) + "\n")
    edcat("tools", "import", str(csv), db=db)
