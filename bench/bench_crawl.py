"""Crawl throughput, unchanged recrawl and scale, each against a baseline in the same run.

    python -m bench.bench_crawl [--tools 250] [--hosts 10] [--only throughput|recrawl|scale]

throughput: the edcat spider against a bare Scrapy spider on the same local pages.
recrawl: the same sites crawled twice; the second crawl's conditional requests are answered
304 (aim: 3x faster than the first). scale: 1,000 host names (all 127.0.0.1, through a
resolver that is still edcat's pinned, checked one) x 8 pages at the DEFAULT politeness
settings (aim: under 15 minutes).

Serves generated vendor sites (each tool: a home page linking to features, pricing, privacy,
terms, about, for-schools and AI pages, plus a blog and a login link that are not followed:
8 pages of ~25 kB with 0.5-5 kB of text each) from a separate process on 127.0.0.1 ...
127.0.0.N (one Scrapy download slot per host), then crawls all of it twice in subprocesses:

- edcat: `edcat crawl --all` into a fresh catalogue: discovers the links, extracts text,
  metadata and facts (in EDCAT_EXTRACT_WORKERS "auto" worker processes: one per spare core),
  stores pages with history in batches, keeps JOBDIR state;
- bare: a Scrapy spider that is handed the same URLs and only downloads them.

Both use crawler/settings.py (robots.txt obeyed, one request at a time per host, 16 in all)
EXCEPT the politeness delays, which are 0 here (DOWNLOAD_DELAY=0, AutoThrottle off): with
them the benchmark measures the delay, not the code. Pages/s is pages over Scrapy's
elapsed_time_seconds (engine start to spider close; process start-up excluded).
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from crawler.resolver import PinnedResolver

LAST_MODIFIED = "Mon, 02 Nov 2026 09:00:00 GMT"
BENCH_SETTINGS = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "LOG_LEVEL": "ERROR"}
SECTIONS = ("features", "pricing", "privacy", "terms", "about", "for-schools", "ai")
SENTENCES = (
    "Teachers in {i} primary schools use Tool {n} to plan lessons and set quizzes.",
    "Pupils get feedback on question {i} straight away, and teachers see the results.",
    "Our platform is GDPR compliant and student data is stored in the UK.",
    "Plans start at £{n} per pupil per year, billed annually, for up to {i} classes.",
    "We never use student data to train AI models; section {i} of our policy says how.",
    "It works with Google Classroom and Microsoft Teams, and syncs {i} times a day.",
    "Pupils can ask the AI tutor for a hint when they are stuck on step {i}.",
)
# Paragraphs of text per page: like real vendor sites, short marketing pages and long
# privacy policies and terms (~0.5 kB of text per paragraph of seven sentences).
PARAGRAPHS = {"home": 2, "features": 3, "pricing": 1, "privacy": 10, "terms": 8,
              "about": 2, "for-schools": 2, "ai": 2}
# Markup around the text, as on real sites (~20 kB: styles, menus, scripts, footer).
BOILERPLATE_CSS = "".join(f".c{i}{{margin:{i}px;padding:{i % 7}px;color:#{i:06x}}}"
                          for i in range(400))
FOOTER = "".join(f'<li><a href="/legal/{i}">Footer link {i}</a></li>' for i in range(60))


def page_html(tool: int, section: str) -> bytes:
    """A vendor page of ~25 kB: navigation, 0.5-5 kB of text, styles, scripts, footer."""
    links = "".join(f'<li><a href="/t{tool}/{s}">{s.replace("-", " ").title()}</a></li>'
                    for s in SECTIONS)
    links += (f'<li><a href="/t{tool}/blog">Blog</a></li>'
              f'<li><a href="/t{tool}/login">Log in</a></li>')
    body = "".join(
        "<p>" + " ".join(s.format(n=tool, i=i * 7 + j) for j, s in enumerate(SENTENCES)) + "</p>"
        for i in range(PARAGRAPHS.get(section, 2))
    )
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Tool {tool} '
        f'{section}</title><meta name="description" content="Tool {tool}: {section}.">'
        f"<style>{BOILERPLATE_CSS}</style>"
        f'<script type="application/ld+json">{{"@context": "https://schema.org", "@type": '
        f'"SoftwareApplication", "name": "Tool {tool}"}}</script></head><body><header><nav>'
        f'<ul>{links}</ul></nav></header><main><h1>Tool {tool}: {section}</h1>{body}</main>'
        f'<footer><ul>{FOOTER}</ul><p>© Tool {tool} Ltd</p></footer>'
        f'<script>window.dataLayer = [{{"page": "{section}"}}];</script></body></html>'
    ).encode()


class BenchHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        parts = self.path.strip("/").split("/")
        if parts[0] == "robots.txt" or not parts[0].startswith("t"):
            body, status = b"", 404
        else:
            section = parts[1] if len(parts) > 1 else "home"
            body, status = page_html(int(parts[0][1:]), section), 200
        # Validators, as real servers send them; pages never change here, so a conditional
        # request (If-None-Match) is answered 304 without a body.
        etag = f'"{zlib.crc32(body):08x}"'
        if status == 200 and self.headers.get("If-None-Match") == etag:
            body, status = b"", 304
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
        if status in (200, 304):
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
        self.end_headers()
        self.wfile.write(body)


def _serve(hosts: list[str], conn) -> None:
    servers = [ThreadingHTTPServer((host, 0), BenchHandler) for host in hosts]
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    conn.send([s.server_port for s in servers])
    while True:
        time.sleep(3600)


def start_servers(host_count: int):
    """Sites on 127.0.0.1 ... 127.0.0.N, served from one separate process."""
    hosts = [f"127.0.0.{i}" for i in range(1, host_count + 1)]
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_serve, args=(hosts, child), daemon=True)
    process.start()
    if not parent.poll(30):
        raise RuntimeError("the benchmark server did not start")
    return process, list(zip(hosts, parent.recv(), strict=True))


def tool_urls(sites: list[tuple[str, int]], tools: int) -> list[str]:
    return [f"http://{host}:{port}/t{n}/" for n in range(tools)
            for host, port in [sites[n % len(sites)]]]


def import_homes(workdir: Path, homes: list[str]) -> list[str]:
    """Import one tool per home page into workdir/bench.db; the edcat command to run on it."""
    tools_file = workdir / "tools.csv"
    with tools_file.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "url"])
        writer.writerows([f"Tool {n}", url] for n, url in enumerate(homes))
    edcat = [sys.executable, "-m", "cli", "--db", str(workdir / "bench.db")]
    subprocess.run([*edcat, "tools", "import", str(tools_file)], check=True, capture_output=True)
    return edcat


def crawl_all(edcat: list[str], settings: dict[str, str], *options: str) -> dict:
    """`edcat crawl --all` in a subprocess; its JSON summary, plus the wall-clock seconds."""
    sets = [arg for k, v in settings.items() for arg in ("--set", f"{k}={v}")]
    started = time.monotonic()
    result = subprocess.run(
        [*edcat, "crawl", "--all", "--format", "json", *options, *sets],
        check=True, capture_output=True, text=True,
    )
    summary = json.loads(result.stdout)
    summary["wall_seconds"] = round(time.monotonic() - started, 2)
    return summary


def run_edcat(workdir: Path, homes: list[str]) -> dict:
    summary = crawl_all(import_homes(workdir, homes), BENCH_SETTINGS, "--allow-private")
    return {"pages": summary["pages"], "failed": summary["failed_total"],
            "seconds": summary["elapsed_seconds"]}


def run_bare(workdir: Path, homes: list[str]) -> dict:
    urls = [home + s for home in homes for s in ("", *SECTIONS)]
    url_file = workdir / "urls.txt"
    url_file.write_text("\n".join(urls))
    result = subprocess.run(
        [sys.executable, "-m", "bench.bench_crawl", "--bare-worker", str(url_file)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def bare_worker(url_file: Path) -> None:
    """The bare spider: same settings, none of edcat's components; it only downloads."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from crawler.settings import build_settings

    urls = url_file.read_text().split()

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self):
            for url in urls:
                yield scrapy.Request(url, callback=self.parse)

        def parse(self, response):
            self.crawler.stats.inc_value("bare/pages")

    settings = build_settings(BENCH_SETTINGS)
    settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    settings.set("DOWNLOADER_MIDDLEWARES", {}, priority="cmdline")
    # Scrapy's own resolver: edcat's refuses the loopback sites without --allow-private.
    settings.set("TWISTED_DNS_RESOLVER", "scrapy.resolver.CachingThreadedResolver",
                 priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler)
    process.start()
    stats = crawler.stats
    print(json.dumps({"pages": stats.get_value("bare/pages", 0), "failed": 0,
                      "seconds": round(stats.get_value("elapsed_time_seconds"), 2)}))


def extraction_ms(homes: list[str]) -> float:
    """Mean CPU ms of crawler.analysis.analyse_page (extract + facts) on these pages."""
    from crawler.analysis import analyse_page

    pages = [(page_html(n, section), f"http://bench/t{n}/{section}")
             for n in range(10) for section in ("home", *SECTIONS)]
    started = time.process_time()
    for body, url in pages:
        analyse_page(body, url, "text/html; charset=utf-8")
    return 1000 * (time.process_time() - started) / len(pages)


def bench_throughput(args) -> None:
    """edcat against the bare spider, same pages, same run."""
    server, sites = start_servers(args.hosts)
    results: dict[str, list[dict]] = {"bare scrapy": [], "edcat": []}
    try:
        homes = tool_urls(sites, args.tools)
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                results["bare scrapy"].append(run_bare(Path(tmp), homes))
                results["edcat"].append(run_edcat(Path(tmp), homes))
    finally:
        server.terminate()
    print(f"{args.tools} tools x 8 pages on {args.hosts} hosts, best of {args.repeat}; "
          "politeness delays 0 for the benchmark")
    rates = {}
    for name, runs in results.items():
        best = min(runs, key=lambda r: r["seconds"])
        rates[name] = best["pages"] / best["seconds"]
        print(f"{name:12} {best['pages']:5d} pages  {best['failed']:3d} failed  "
              f"{best['seconds']:7.2f} s  {rates[name]:7.1f} pages/s")
    ratio = rates["bare scrapy"] / rates["edcat"]
    print(f"edcat takes {ratio:.2f}x the bare spider's time (aim: within 2x)")
    per_page = 1000 / rates["edcat"]
    print(f"of edcat's {per_page:.1f} ms per page, extraction (crawler.extract + crawler.facts) "
          f"costs {extraction_ms(homes):.1f} ms of CPU, inline or in a worker process")


def bench_recrawl(tools: int, hosts: int) -> None:
    """The same sites crawled twice into one catalogue: the second crawl sends the stored
    ETags, every page answers 304 and is re-observed without download or extraction."""
    server, sites = start_servers(hosts)
    try:
        homes = tool_urls(sites, tools)
        with tempfile.TemporaryDirectory() as tmp:
            edcat = import_homes(Path(tmp), homes)
            first = crawl_all(edcat, BENCH_SETTINGS, "--allow-private")
            again = crawl_all(edcat, BENCH_SETTINGS, "--allow-private")
    finally:
        server.terminate()
    print(f"unchanged recrawl: {tools} tools x 8 pages on {hosts} hosts, politeness delays 0")
    for name, run in (("first crawl", first), ("recrawl", again)):
        print(f"{name:12} {run['pages']:5d} pages ({run['new']} new, {run['not_modified']} "
              f"answered 304)  {run['failed_total']} failed  {run['elapsed_seconds']:7.2f} s "
              f"crawling, {run['wall_seconds']:6.2f} s with start-up")
    ratio = first["elapsed_seconds"] / again["elapsed_seconds"]
    wall = first["wall_seconds"] / again["wall_seconds"]
    print(f"the recrawl is {ratio:.2f}x faster ({wall:.2f}x with process start-up; aim: 3x)")


class LoopbackResolver(PinnedResolver):
    """Answers 127.0.0.1 for every *.bench.test name: many sites, one local server. Still
    edcat's resolver: each name looked up once, its address checked and pinned."""

    def lookup(self, host: str) -> list[str]:
        if host.endswith(".bench.test"):
            return ["127.0.0.1"]
        return super().lookup(host)


def bench_scale(hosts: int) -> None:
    """One tool on each of `hosts` host names x 8 pages, at edcat's DEFAULT politeness
    (robots.txt, one request at a time per host, 1 s delay with jitter, AutoThrottle)."""
    server, ((address, port),) = start_servers(1)
    homes = [f"http://site{n}.bench.test:{port}/t{n}/" for n in range(hosts)]
    settings = {
        "TWISTED_DNS_RESOLVER": "bench.bench_crawl.LoopbackResolver",
        "EDCAT_ALLOWED_NETWORKS": f"{address}/32",  # the address check runs, and passes
        "LOG_LEVEL": "ERROR",
    }
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run = crawl_all(import_homes(Path(tmp), homes), settings)
    finally:
        server.terminate()
    minutes = run["elapsed_seconds"] / 60
    print(f"{hosts} hosts x 8 pages at default politeness: {run['pages']} pages, "
          f"{run['failed_total']} failed, {minutes:.1f} min ({run['wall_seconds'] / 60:.1f} min "
          f"with start-up), {run['pages'] / run['elapsed_seconds']:.1f} pages/s (aim: < 15 min)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tools", type=int, default=250)
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2,
                        help="alternate the two crawls this many times; keep the best of each")
    parser.add_argument("--recrawl-tools", type=int, default=100)
    parser.add_argument("--scale-hosts", type=int, default=1000)
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="run only this part (repeatable; default: all)")
    parser.add_argument("--bare-worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_worker:
        return bare_worker(args.bare_worker)
    parts = args.only or PARTS
    if "throughput" in parts:
        bench_throughput(args)
    if "recrawl" in parts:
        bench_recrawl(args.recrawl_tools, args.hosts)
    if "scale" in parts:
        bench_scale(args.scale_hosts)


PARTS = ("throughput", "recrawl", "scale")

if __name__ == "__main__":
    main()
