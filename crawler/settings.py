"""Every Scrapy setting edcat crawls with, in one place, each with the reason for its value.

Scrapy's own defaults are not polite (robots.txt ignored, 8 parallel requests per site, no
delay, a generic user agent), so each politeness setting is set here explicitly and
tests/test_crawl_units.py asserts it. `build_settings` turns these plus the options of one
crawl (`edcat crawl ...`) into the `Settings` a crawl runs with; `--set NAME=VALUE` overrides
any of them, as `scrapy crawl -s` does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from typing import Any

USER_AGENT_ENV = "EDCAT_USER_AGENT"
CONTACT_URL = "https://github.com/edcat/edcat"  # where a site owner can reach us


def _edcat_version() -> str:
    try:
        return version("edcat")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.1"


# --- identity and politeness ------------------------------------------------------------------

BOT_NAME = "edcat"
# Identifies us and says where to complain; robots.txt rules for "edcat" apply to us.
USER_AGENT = f"edcat/{_edcat_version()} (+{CONTACT_URL})"  # $EDCAT_USER_AGENT overrides
ROBOTSTXT_OBEY = True  # read per RFC 9309 by crawler.robots (5xx / unreachable = disallow)
EDCAT_ROBOTS_RETRY_SECONDS = 300.0  # a robots.txt that could not be read is tried again after
# Vendor sites are often small; one request at a time per site, with a pause between them.
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0  # seconds; the minimum AutoThrottle may go down to
DOWNLOAD_DELAY_JITTER = 0.5  # 0.5x-1.5x the delay, so requests do not look machine-timed
# Many sites in parallel is fine: each one still sees a single slow visitor. A request only
# waiting out its site's delay does not count (crawler/downloader.py), else with a 1 s delay
# most of these slots would sit idle.
CONCURRENT_REQUESTS = 16
# ... but all requests in the downloader, waiting or fetching, stay bounded (memory).
EDCAT_DOWNLOADER_MAX_REQUESTS = 256
# Scrapy's downloader, fixed to keep the per-site limit when the delay is 0 (see the module).
DOWNLOADER = "crawler.downloader.Downloader"
# Back off when a site answers slowly: aim for one request in flight per site.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# --- limits -----------------------------------------------------------------------------------

DOWNLOAD_TIMEOUT = 20  # a vendor page that takes longer is failing; 180 s (Scrapy) stalls a crawl
DNS_TIMEOUT = 20
# Resolves each host once, checks every address (SSRF) and connects to those addresses only.
TWISTED_DNS_RESOLVER = "crawler.resolver.PinnedResolver"
RETRY_TIMES = 2  # 3 attempts for timeouts, dropped connections and 5xx / 429
REDIRECT_MAX_TIMES = 5  # real sites need 1-3 (http -> https -> www -> /en/); more is a loop
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024  # no vendor page needs more; bigger is a file or a trap
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
METAREFRESH_MAXDELAY = 10  # follow "redirect in 0-10 s" pages, not "reload every minute" ones
EDCAT_MAX_PAGES = 8  # per tool, home page included: home, features, pricing, privacy, terms...
EDCAT_MAX_DEPTH = 2  # home -> section -> sub-page is where buyer pages live
DEPTH_LIMIT = EDCAT_MAX_DEPTH  # Scrapy's DepthMiddleware enforces it as a backstop
EDCAT_EXTRACT_WORKERS = "auto"  # processes for extraction: auto = spare cores for 20+ tools
# Outputs of one response handled in parallel. A page yields one item and a few requests;
# Scrapy's 100 starts 100 asyncio tasks per response, a third of the crawl's overhead.
CONCURRENT_ITEMS = 4
EDCAT_STORE_BATCH = 50  # pages per catalogue transaction (one per page is ~10x slower)
EDCAT_STORE_SECONDS = 1.0  # ... or whatever arrived within this time, so little waits
# Pages waiting for the storing thread (crawler/pipelines.py) before the crawl waits for it:
# a few batches, so a slow commit does not stall fetching, and memory stays bounded.
EDCAT_STORE_QUEUE = 500
# How long the storing thread waits out a catalogue another process keeps locked (each try
# is the catalogue's own bounded retry, about 30 s) before the crawl stops: `tools import`
# writes a whole file in one transaction, about 60 s for 100,000 rows, and fetching goes on
# meanwhile until EDCAT_STORE_QUEUE pages are waiting. 0 stops at the first locked-out try.
EDCAT_STORE_PATIENCE = 600.0  # seconds

# --- what is kept quiet or off ----------------------------------------------------------------

COOKIES_ENABLED = False  # public pages only; no sessions, no tracking consent state
TELNETCONSOLE_ENABLED = False  # no listening ports from a crawl
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19's code-execution HTTP endpoint: never
LOG_LEVEL = "ERROR"  # every failed page is in the summary; the log is for bugs
RETRY_GIVE_UP_LOG_LEVEL = "INFO"  # a page that failed after retries is a recorded outcome
HTTPCACHE_ENABLED = False  # `--cache` turns it on (RFC 2616 revalidation, ETag / 304)
HTTPCACHE_POLICY = "scrapy.extensions.httpcache.RFC2616Policy"
HTTPCACHE_GZIP = True
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

# --- edcat components -------------------------------------------------------------------------

EDCAT_ALLOW_PRIVATE = False  # loopback / private / link-local targets are refused (SSRF)
EDCAT_ALLOWED_NETWORKS: list[str] = []  # ... except these (tests: ["127.0.0.2/32"])
EDCAT_CONDITIONAL = True  # send stored ETag / Last-Modified; a 304 re-observes the page
EDCAT_STALE_DAYS = None  # --stale-days: only revisit pages not fetched for this many days
EDCAT_JOB_DIR = None  # the crawl's job state (options, durable frontier); see crawler.run
EDCAT_ARCHIVE = None  # path of a WARC file to write every response to
EDCAT_REPLAY = None  # path of a WARC file to answer every request from
EDCAT_HOST_MAP: dict[str, str] = {}  # host -> base URL to fetch its pages from (--map-host)
EDCAT_ARCHIVE_APPEND = False  # a resumed crawl adds to its archive
EDCAT_DB = None  # catalogue file the pipeline writes to
EDCAT_CRAWL_OPTIONS: dict[str, Any] = {}  # recorded in crawl_runs.options

DOWNLOADER_MIDDLEWARES = {
    # Our scope check replaces Scrapy's OffsiteMiddleware: each tool has its own site.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.SafeTargetMiddleware": 40,  # before robots.txt is fetched
    "crawler.middlewares.SiteScopeMiddleware": 45,
    # RFC 9309 robots.txt in place of Scrapy's (which reads a failed robots.txt as allow-all).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.robots.RobotsPolicyMiddleware": 100,
    "crawler.recrawl.ConditionalRequestMiddleware": 550,  # If-None-Match / If-Modified-Since
    "crawler.middlewares.HtmlOnlyMiddleware": 560,  # sees decompressed bodies
    "crawler.middlewares.MetaRefreshLoopMiddleware": 585,  # decompressed, before 580
    "crawler.middlewares.RedirectLoopMiddleware": 650,  # before RedirectMiddleware (600)
    "crawler.warc.WarcArchiveMiddleware": 950,  # raw responses, as the server sent them
    "crawler.warc.WarcReplayMiddleware": 960,  # answers instead of the network
    "crawler.middlewares.HostMapMiddleware": 970,  # real URLs above, the copy's address below
}
ITEM_PIPELINES = {"crawler.pipelines.CataloguePipeline": 300}
# URL + tool: tools sharing a host each fetch a page they share (a vendor-wide privacy policy).
REQUEST_FINGERPRINTER_CLASS = "crawler.fingerprint.ToolRequestFingerprinter"


def user_agent(override: str | None = None) -> str:
    """The user agent: an explicit override, else $EDCAT_USER_AGENT, else edcat's own."""
    return override or os.environ.get(USER_AGENT_ENV) or USER_AGENT


def build_settings(overrides: Mapping[str, Any] | None = None, **edcat: Any):
    """Scrapy `Settings` for one crawl: this module, then the `edcat` keyword values
    (EDCAT_DB=..., USER_AGENT=...), then `overrides` (`--set`) at command-line priority."""
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule(__name__, priority="project")
    settings.set("USER_AGENT", user_agent(), priority="project")
    settings.setdict({k: v for k, v in edcat.items() if v is not None}, priority="project")
    if overrides:
        settings.setdict(dict(overrides), priority="cmdline")
    # Scrapy's depth limit follows edcat's, whichever way that was set.
    settings.set("DEPTH_LIMIT", settings.getint("EDCAT_MAX_DEPTH"), priority="cmdline")
    return settings
