"""Web catalogue benchmark: `edcat serve` over 20,000 generated tools, under concurrent load.

    python -m bench.bench_web [--tools 20000] [--clients 50] [--seconds 30]

Starts the real `edcat serve` in a subprocess on a loopback port, then keeps `--clients`
keep-alive connections busy for `--seconds` on each kind of page. Prints requests/s, p50/p95
latency and the share of responses the server's page cache answered (its `X-Edcat-Cache`
header), next to the same work done through the library directly (no HTTP, no templates, no
cache) in the same run, and the machine's load average before and after.

- list, search: a few popular views, rotated (after the first visit, the page cache serves them).
- list-pages: a different page of the whole list each request, sent as a forced reload
  (`Cache-Control: no-cache`), so every one runs its rows query and template; the counts and
  facets, which depend on the filters only, come from the counts cache (so the library
  column times the rows query alone).
- tool: 500 tool pages, rotated (mostly cached).
- tool-cold: every request a tool page no client has asked for yet in the run (each client
  walks its own share of all the tools, once: it stops when its share is done, which at
  high rates ends the page before --seconds), so each one builds its risk card and history.

Aim: p95 under 150 ms for the list and tool pages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.bench_catalogue import generate
from catalogue import ToolQuery, count_tools, import_tools, open_catalogue, query_tools
from catalogue.facets import facet_counts
from catalogue.risk import risk_card

FILTERS = (
    "pricing=freemium",
    "pricing=free",
    "audience=teachers",
    "phase=primary",
    "fact=gdpr%3Dyes",
    "audience=students&phase=secondary",
    "pricing=paid",
    "",
)
PAGES = ("list", "search", "list-pages", "tool", "tool-cold")
POPULAR_TOOLS = 500
TERMS = ("quiz", "feedback", "quiz+feedback", "phonics", "coding", "timetable", "debate", "maths")


def page_paths(page: str, slugs: list[str]) -> list[str]:
    """The URLs one kind of page is loaded with: a few popular views, or many distinct ones."""
    if page == "list":
        return [f"/?{f}&page_size=25" for f in FILTERS]
    if page == "search":
        return [f"/?q={t}&page_size=25" for t in TERMS]
    if page == "list-pages":
        return [f"/?page={n}&page_size=25" for n in range(1, 801)]
    if page == "tool":
        return [f"/tools/{slug}" for slug in slugs[:POPULAR_TOOLS]]
    return [f"/tools/{slug}" for slug in slugs[POPULAR_TOOLS:]]


def client_paths(page: str, paths: list[str], client: int, clients: int) -> list[str]:
    """What one client asks for, in order. Popular views: all of them, from a different
    start per client. Cold pages: a share no other client asks for."""
    if page == "tool-cold":
        return paths[client::clients]
    return paths[client:] + paths[:client]


FORCED_RELOAD = {"list-pages"}  # pages asked for with Cache-Control: no-cache
ONE_PASS = {"tool-cold"}  # each client asks for each of its pages once, then stops


def library_call(catalogue, page: str, slug: str, n: int) -> None:
    """What each page asks of the library, without HTTP, templates or the page cache."""
    if page in ("tool", "tool-cold"):
        risk_card(catalogue, slug)
        return
    if page == "search":
        query = ToolQuery(search=TERMS[n % len(TERMS)].replace("+", " "), limit=25)
    elif page == "list-pages":  # the page's counts come from the counts cache: rows only
        query_tools(catalogue, ToolQuery(limit=25, offset=25 * (n * 27 % 800)))  # all depths
        return
    else:
        query = ToolQuery(pricing=["freemium"], limit=25)
    query_tools(catalogue, query)
    count_tools(catalogue, query)
    facet_counts(catalogue, query)


def time_library(catalogue, page: str, slugs: list[str], repeat: int) -> list[float]:
    timings = []
    for n in range(repeat):
        start = time.perf_counter()
        library_call(catalogue, page, slugs[n % len(slugs)], n)
        timings.append(time.perf_counter() - start)
    return timings


def encoded_requests(host: str, port: int, paths: list[str], forced: bool) -> list[bytes]:
    """Each request's bytes, made once before the clock starts."""
    extra = "Cache-Control: no-cache\r\n" if forced else ""
    head = f"Host: {host}:{port}\r\n{extra}Connection: keep-alive\r\n\r\n"
    return [f"GET {path} HTTP/1.1\r\n{head}".encode() for path in paths]


@dataclass
class Tally:
    timings: list[float] = field(default_factory=list)
    errors: int = 0
    hits: int = 0
    seconds: float = 0.0  # how long the clients ran (a one-pass page may end early)


async def _client(
    host: str, port: int, requests: list[bytes], stop: float, tally: Tally, once: bool
) -> None:
    """Keep one connection busy until ``stop``; with ``once``, also stop after one pass, so a
    cold page is never asked for twice (and never comes from the page cache)."""
    reader, writer = await asyncio.open_connection(host, port)
    n = 0
    while time.perf_counter() < stop and not (once and n >= len(requests)):
        request = requests[n % len(requests)]
        n += 1
        start = time.perf_counter()
        writer.write(request)
        status, length, hit = _parse_head(await reader.readuntil(b"\r\n\r\n"))
        await reader.readexactly(length)
        tally.timings.append(time.perf_counter() - start)
        tally.errors += status != 200
        tally.hits += hit
    writer.close()


def _parse_head(head: bytes) -> tuple[int, int, bool]:
    """(status, content length, served by the page cache?) of a response head."""
    lines = head.lower().split(b"\r\n")
    status = int(lines[0].split()[1])
    length, hit = 0, False
    for line in lines[1:]:
        if line.startswith(b"content-length:"):
            length = int(line[15:])
        elif line.startswith(b"x-edcat-cache:"):
            hit = line[14:].strip() == b"hit"
    return status, length, hit


async def load(host: str, port: int, page: str, paths: list[str], clients: int, seconds: float):
    started = time.perf_counter()
    stop = started + seconds
    tally = Tally()
    forced = page in FORCED_RELOAD
    await asyncio.gather(
        *(
            _client(
                host,
                port,
                encoded_requests(host, port, client_paths(page, paths, i, clients), forced),
                stop,
                tally,
                page in ONE_PASS,
            )
            for i in range(clients)
        )
    )
    tally.seconds = time.perf_counter() - started
    return tally


def run_load(*args) -> Tally:
    """`load` on uvloop when it is installed (a lighter client leaves more CPU to the server)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(load(*args))
    return uvloop.run(load(*args))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db: Path, port: int, workers: int) -> subprocess.Popen:
    edcat = Path(sys.executable).with_name("edcat")
    command = [str(edcat)] if edcat.exists() else [sys.executable, "-m", "cli"]
    process = subprocess.Popen(
        [*command, "--db", str(db), "serve", "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "COLUMNS": "120"},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:  # the port opens before the workers are ready: wait for a page
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/overview", timeout=5):
                return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()) from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("edcat serve did not start within 30 s")


def _load_average() -> str:
    return ", ".join(f"{n:.2f}" for n in os.getloadavg()) + " (1, 5, 15 min)"


def _ms(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] * 1000 if values else float("nan")
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=2, help="edcat serve --workers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "web.db"
        source = Path(folder) / "tools.jsonl"
        generate(source, args.tools, facts_per_tool=8)
        catalogue = open_catalogue(db, create=True)
        import_tools(catalogue, source)
        slugs = [t["slug"] for t in query_tools(catalogue, ToolQuery(limit=None, sort="id"))]
        random.Random(13).shuffle(slugs)
        print(f"{args.tools:,} tools; {args.clients} clients for {args.seconds:.0f} s per page")
        print(f"load average before: {_load_average()}")
        print(
            f"{'page':10} {'lib p50':>8} {'lib p95':>8} {'req/s':>7} {'p50 ms':>7} "
            f"{'p95 ms':>7} {'cached':>7}"
        )
        port = _free_port()
        server = _serve(db, port, args.workers)
        try:
            for page in PAGES:
                direct = time_library(catalogue, page, slugs, repeat=30)
                paths = page_paths(page, slugs)
                tally = run_load("127.0.0.1", port, page, paths, args.clients, args.seconds)
                timings = tally.timings
                rate = len(timings) / tally.seconds
                print(
                    f"{page:10} {_ms(direct, 50):8.1f} {_ms(direct, 95):8.1f} {rate:7.0f} "
                    f"{_ms(timings, 50):7.1f} {_ms(timings, 95):7.1f} "
                    f"{tally.hits / max(1, len(timings)):7.0%}"
                    + (f"  ({tally.errors} non-200)" if tally.errors else "")
                )
            print(f"load average after: {_load_average()}")
        finally:
            server.terminate()
            server.wait(10)
            catalogue.close()


if __name__ == "__main__":
    main()
