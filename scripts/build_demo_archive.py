"""Record data/archive/demo-sites.warc.gz: the real product-site HTML in ../shared/data/html,
crawled by edcat as if it were live, so `make demo` can replay a real crawl offline.

    python scripts/build_demo_archive.py [--html ../shared/data/html] [--out data/archive]

Each site is served from its saved files on 127.0.0.1 (a random port per site) and crawled
with `edcat crawl --archive ... --map-host HOST=http://127.0.0.1:PORT`, so the archive holds
the sites' real URLs (https://www.sugarlabs.org/about-us/ ...). Links to pages that were not
saved get the local server's 404, which the archive records too: a replay reproduces the crawl
exactly, failures included. Writes `tools.csv` (the crawled tools) beside the archive.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

# name, real homepage (as in data/seed/tools.jsonl where the tool is there), saved site
SITES = [
    ("Sugar Labs", "https://www.sugarlabs.org/", "sugarlabs_www"),
    ("Desmos", "https://www.desmos.com/", "homepages-2018/desmos.com.html"),
    ("ClassDojo", "https://www.classdojo.com/", "homepages-2018/classdojo.com.html"),
    ("Kahoot!", "https://kahoot.com/", "homepages-2018/kahoot.com.html"),
    ("Remind", "https://www.remind.com/", "homepages-2018/remind.com.html"),
    ("Starfall", "http://www.starfall.com/", "homepages-2018/starfall.com.html"),
    ("Tynker", "http://www.tynker.com/", "homepages-2018/tynker.com.html"),
    ("WolframAlpha", "https://www.wolframalpha.com/", "homepages-2018/wolframalpha.com.html"),
    ("edX", "https://www.edx.org/", "homepages-2018/edx.org.html"),
]
DESCRIPTIONS = {
    "Sugar Labs": "Sugar, Sugarizer and Music Blocks: free software learning environments.",
}


def resolver(saved: Path) -> Callable[[str], Path | None]:
    """Path -> file: a saved homepage answers '/' only; a saved site folder maps
    /about-us/ to about-us.html (as the site was assembled)."""
    saved = saved.resolve()
    if saved.is_file():
        return lambda path: saved if path in ("", "/") else None

    def find(path: str) -> Path | None:
        name = path.strip("/") or "index"
        for candidate in (saved / f"{name}.html", saved / name / "index.html"):
            if candidate.is_file() and saved in candidate.resolve().parents:
                return candidate
        return None

    return find


class SavedSiteHandler(BaseHTTPRequestHandler):
    def __init__(self, *args, find: Callable[[str], Path | None], **kwargs):
        self.find = find
        super().__init__(*args, **kwargs)

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        found = self.find(urlsplit(self.path).path)
        body = found.read_bytes() if found else b"<html><body>Not saved.</body></html>"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(saved: Path, stack: ExitStack) -> int:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SavedSiteHandler, find=resolver(saved)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stack.callback(server.server_close)
    stack.callback(server.shutdown)
    return server.server_port


def edcat(*args: str) -> str:
    command = [sys.executable, "-m", "cli", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(f"edcat {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", type=Path, default=Path("../shared/data/html"))
    parser.add_argument("--out", type=Path, default=Path("data/archive"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tools = args.out / "tools.csv"
    with tools.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "url", "description"])  # no source: keep the seed's
        for name, url, _ in SITES:
            writer.writerow([name, url, DESCRIPTIONS.get(name, "")])
    archive = args.out / "demo-sites.warc.gz"
    archive.unlink(missing_ok=True)
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        host_map = []
        for _, url, saved in SITES:
            port = serve(args.html / saved, stack)
            host_map += ["--map-host", f"{urlsplit(url).hostname}=http://127.0.0.1:{port}"]
        db = str(Path(tmp) / "record.db")
        edcat("--db", db, "tools", "import", str(tools))
        summary = edcat(
            "--db",
            db,
            "crawl",
            "--all",
            "--archive",
            str(archive),
            "--allow-private",
            "--set",
            "DOWNLOAD_DELAY=0",
            "--set",
            "AUTOTHROTTLE_ENABLED=False",
            "--format",
            "json",
            *host_map,
        )
    print(json.dumps(json.loads(summary), indent=2))
    print(f"wrote {archive} ({archive.stat().st_size:,} bytes) and {tools}")


if __name__ == "__main__":
    main()
