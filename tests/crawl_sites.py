"""Fixture sites served on 127.0.0.1 for the crawler tests (see tests/fixtures/sites/README.md).

`SiteServer` serves one site directory from a thread on a random port and logs every request
(path, Host, User-Agent, start and end times), so tests can assert what the crawler asked for
and how politely. `serve(site)` is a context manager around it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

SITES = Path(__file__).parent / "fixtures" / "sites"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@dataclass(frozen=True)
class Hit:
    path: str
    host: str
    user_agent: str
    started: float
    ended: float


class Site:
    """A site directory and its site.json (root, base, routes)."""

    def __init__(self, directory: Path):
        self.directory = directory
        config_file = directory / "site.json"
        config = json.loads(config_file.read_text()) if config_file.exists() else {}
        self.root = (directory / config.get("root", ".")).resolve()
        self.base = Site((directory / config["base"]).resolve()) if "base" in config else None
        self.routes: dict[str, dict] = config.get("routes", {})

    def route(self, path: str) -> dict:
        if path in self.routes:
            return self.routes[path]
        for key, route in self.routes.items():
            if key.endswith("*") and path.startswith(key[:-1]):
                return route
        return {}

    def file_for(self, path: str) -> Path | None:
        name = path.strip("/")
        candidates = [name] if "." in name.rsplit("/", 1)[-1] else []
        candidates += [f"{name}.html", f"{name}/index.html"] if name else ["index.html"]
        for candidate in candidates:
            found = self.root / candidate
            if found.is_file() and self.root in found.resolve().parents:
                return found
        return self.base.file_for(path) if self.base else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SiteHTTPServer

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        started = time.monotonic()
        self.server.enter()
        try:
            self._answer(urlsplit(self.path).path)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler gave up on us (timeout, size limit): expected here
        finally:
            self.server.leave(
                Hit(self.path, self.headers.get("Host", ""),
                    self.headers.get("User-Agent", ""), started, time.monotonic())
            )

    def _answer(self, path: str) -> None:
        site = self.server.site
        route = site.route(path)
        if "sleep" in route:
            time.sleep(route["sleep"])
        if "redirect" in route:
            return self._redirect(route["redirect"].format(port=self.server.server_port))
        if route.get("redirect_chain"):
            return self._redirect(_next_number(path))
        if "status" in route:
            return self._send(route["status"], b"<html><body>Error</body></html>")
        if "size" in route:
            return self._big(route["size"], chunked=route.get("chunked", False))
        if "binary" in route:
            return self._send(200, PNG + bytes(range(256)) * (route["binary"] // 256))
        if route.get("calendar"):
            return self._send(200, _calendar_page(path))
        if route.get("chain"):
            return self._send(200, _chain_page(path))
        found = site.file_for(route.get("file", path))
        if found is None:
            return self._send(404, b"<html><body>Not found</body></html>")
        content_type = route.get("content_type") or (
            "text/plain" if found.suffix == ".txt" else "text/html; charset=utf-8"
        )
        return self._send(200, found.read_bytes(), content_type)

    def _send(self, status: int, body: bytes, content_type: str = "text/html") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _big(self, size: int, chunked: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        if chunked:  # no length: the body ends when the connection closes
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(size))
        self.end_headers()
        line = b"<p>" + b"x" * 1017 + b"</p>\n"
        for _ in range(size // len(line)):
            self.wfile.write(line)


def _next_number(path: str) -> str:
    head, number = path.rstrip("/").rsplit("/", 1)
    return f"{head}/{int(number) + 1}"


def _calendar_page(path: str) -> bytes:
    match = re.search(r"/(\d{4})/(\d{1,2})", path)
    year, month = (int(match.group(1)), int(match.group(2))) if match else (2026, 11)
    year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return (
        f"<html><head><title>Events {path}</title></head><body><h1>Events</h1>"
        f'<a href="/events/{year}/{month}">Next month</a></body></html>'
    ).encode()


def _chain_page(path: str) -> bytes:
    return (
        f"<html><head><title>Features {path}</title></head><body><h1>More features</h1>"
        f"<p>Feature page {path} for teachers.</p>"
        f'<a href="{_next_number(path)}">More features</a></body></html>'
    ).encode()


class SiteHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Site, host: str = "127.0.0.1"):
        super().__init__((host, 0), Handler)
        self.site = site
        self.hits: list[Hit] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self, hit: Hit) -> None:
        with self._lock:
            self.in_flight -= 1
            self.hits.append(hit)


class SiteServer:
    """One fixture site on 127.0.0.1:<random port>, served from a thread."""

    def __init__(self, site: str):
        self.httpd = SiteHTTPServer(Site(SITES / site))
        self.port = self.httpd.server_port
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self) -> SiteServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def switch(self, site: str) -> None:
        """Serve another version of the site from now on (v1 -> v2)."""
        self.httpd.site = Site(SITES / site)

    @property
    def hits(self) -> list[Hit]:
        return list(self.httpd.hits)

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]

    def count(self, path: str) -> int:
        return sum(1 for hit in self.hits if hit.path == path)

    def reset(self) -> None:
        with self.httpd._lock:
            self.httpd.hits.clear()
            self.httpd.max_in_flight = 0


@contextmanager
def serve(*sites: str) -> Iterator[list[SiteServer]]:
    servers = [SiteServer(site).start() for site in sites]
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def tools_csv(path: Path, tools: dict[str, str]) -> Path:
    """A tools file naming each tool and its home page (URLs on the local servers)."""
    lines = ["name,url,description"]
    lines += [f"{name},{url},Fixture site {name}" for name, url in tools.items()]
    path.write_text("\n".join(lines) + "\n")
    return path
