"""Web catalogue benchmark: `edcat serve` over 20,000 generated tools, under concurrent load.

    python -m bench.bench_web [--tools 20000] [--clients 50] [--seconds 30]

Starts the real `edcat serve` in a subprocess on a loopback port, then keeps `--clients`
keep-alive connections busy for `--seconds` on each of three pages: the browse list (with its
facet counts), a full-text search and a tool page. Prints requests/s and p50/p95 latency, next
to the same work done through the library directly (no HTTP, no templates, no page cache) in
the same run. "list" and "search" rotate through a few popular views (the page cache serves
repeats); "list-pages" asks for a different page each time, so it shows the uncached cost.
Aim: p95 under 150 ms for the list and tool pages.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
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
TERMS = ("quiz", "feedback", "quiz+feedback", "phonics", "coding", "timetable", "debate", "maths")


def page_paths(page: str, slugs: list[str]) -> list[str]:
    """The URLs one kind of page is loaded with: a few popular views, or many distinct ones."""
    if page == "list":
        return [f"/?{f}&page_size=25" for f in FILTERS]
    if page == "search":
        return [f"/?q={t}&page_size=25" for t in TERMS]
    if page == "list-pages":  # every request a different page: the cache rarely helps
        return [f"/?page={n}&page_size=25" for n in range(1, 801)]
    return [f"/tools/{slug}" for slug in slugs]


def library_call(catalogue, page: str, slug: str, n: int) -> None:
    """What each page asks of the library, without HTTP, templates or the page cache."""
    if page == "tool":
        risk_card(catalogue, slug)
        return
    if page == "search":
        query = ToolQuery(search=TERMS[n % len(TERMS)].replace("+", " "), limit=25)
    elif page == "list-pages":
        query = ToolQuery(limit=25, offset=25 * (n % 800))
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


async def _client(host: str, port: int, paths: list[str], stop: float, out: list[float]) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    errors, n = 0, 0
    while time.perf_counter() < stop:
        path = paths[n % len(paths)]
        n += 1
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\n\r\n"
        start = time.perf_counter()
        writer.write(request.encode())
        await writer.drain()
        status, length = await _read_head(reader)
        await reader.readexactly(length)
        out.append(time.perf_counter() - start)
        errors += status != 200
    writer.close()
    return errors


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, int]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split()[1])
    length = 0
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
    return status, length


async def load(host: str, port: int, paths: list[str], clients: int, seconds: float):
    stop = time.perf_counter() + seconds
    timings: list[float] = []
    errors = await asyncio.gather(
        *(_client(host, port, paths[i:] + paths[:i], stop, timings) for i in range(clients))
    )
    return timings, sum(errors)


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
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()) from None
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("edcat serve did not start within 30 s")


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
        slugs = [t["slug"] for t in query_tools(catalogue, ToolQuery(limit=500))]
        print(f"{args.tools:,} tools; {args.clients} clients for {args.seconds:.0f} s per page")
        print(f"{'page':10} {'lib p50':>8} {'lib p95':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}")
        port = _free_port()
        server = _serve(db, port, args.workers)
        try:
            for page in ("list", "search", "list-pages", "tool"):
                direct = time_library(catalogue, page, slugs, repeat=30)
                paths = page_paths(page, slugs)
                timings, errors = asyncio.run(
                    load("127.0.0.1", port, paths, args.clients, args.seconds)
                )
                rate = len(timings) / args.seconds
                print(
                    f"{page:10} {_ms(direct, 50):8.1f} {_ms(direct, 95):8.1f} {rate:7.0f} "
                    f"{_ms(timings, 50):7.1f} {_ms(timings, 95):7.1f}"
                    + (f"  ({errors} non-200)" if errors else "")
                )
        finally:
            server.terminate()
            server.wait(10)
            catalogue.close()


if __name__ == "__main__":
    main()
