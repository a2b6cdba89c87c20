"""The crawler's parts without a crawl: settings, link policy, middlewares, failure reasons,
WARC round trip, the spider's parse callback on golden HTML, and the pipeline's tally."""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import os
import random
from pathlib import Path

import pytest
from scrapy.exceptions import DownloadTimeoutError, IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from crawler.failures import REASONS, PageRefused, failure_reason
from crawler.frontier import Entry, FrontierStore, Site, ToolFrontier, choose_links
from crawler.middlewares import (
    HtmlOnlyMiddleware,
    RedirectLoopMiddleware,
    SafeTargetMiddleware,
    SiteScopeMiddleware,
    html_verdict,
    is_private_address,
)
from crawler.resolver import AddressPolicy, PinnedResolver
from crawler.settings import build_settings
from crawler.warc import WarcIndex, WarcReplayMiddleware, WarcWriter

SUGARLABS = Path(__file__).parent / "fixtures" / "html" / "sugarlabs_www"

# --- settings: politeness is explicit and in force -------------------------------------------


def test_polite_defaults():
    settings = build_settings()
    assert settings.getbool("ROBOTSTXT_OBEY") is True
    assert 1 <= settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1.0
    assert settings.getbool("AUTOTHROTTLE_ENABLED") is True
    assert settings.getint("DOWNLOAD_TIMEOUT") == 20
    assert settings.getint("RETRY_TIMES") == 2
    assert settings.getint("REDIRECT_MAX_TIMES") == 5
    assert settings.getint("DOWNLOAD_MAXSIZE") == 5 * 1024 * 1024
    assert 0 < settings.getint("DOWNLOAD_WARNSIZE") < settings.getint("DOWNLOAD_MAXSIZE")
    assert settings.getint("DEPTH_LIMIT") == 2
    assert settings.getint("EDCAT_MAX_PAGES") == 8
    assert settings.getbool("COOKIES_ENABLED") is False
    assert settings.getbool("TELNETCONSOLE_ENABLED") is False
    assert settings.getbool("REMOTE_CONTROL_ENABLED") is False
    assert settings.getbool("EDCAT_ALLOW_PRIVATE") is False


def test_user_agent_identifies_edcat_with_a_contact_url(monkeypatch):
    monkeypatch.delenv("EDCAT_USER_AGENT", raising=False)
    agent = build_settings()["USER_AGENT"]
    assert agent.startswith("edcat/") and "(+https://" in agent
    monkeypatch.setenv("EDCAT_USER_AGENT", "edcat-trust/1.0 (+https://trust.example/bot)")
    assert build_settings()["USER_AGENT"] == "edcat-trust/1.0 (+https://trust.example/bot)"


def test_set_overrides_win_and_depth_limit_follows_max_depth():
    settings = build_settings({"DOWNLOAD_DELAY": "0", "EDCAT_MAX_DEPTH": "3"}, EDCAT_DB="x.db")
    assert settings.getfloat("DOWNLOAD_DELAY") == 0
    assert settings.getint("DEPTH_LIMIT") == 3
    assert settings["EDCAT_DB"] == "x.db"


def test_middleware_order():
    """Each check sits where it can work: private addresses before robots.txt is fetched,
    HTML sniffing after decompression, loop detection before redirects are followed,
    archive and replay next to the network."""
    ours = build_settings().getdict("DOWNLOADER_MIDDLEWARES")
    base = build_settings().getdict("DOWNLOADER_MIDDLEWARES_BASE")
    robots = base["scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"]
    compression = base["scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware"]
    redirect = base["scrapy.downloadermiddlewares.redirect.RedirectMiddleware"]
    assert ours["crawler.middlewares.SafeTargetMiddleware"] < robots
    assert ours["crawler.middlewares.HtmlOnlyMiddleware"] < compression  # responses go down
    assert ours["crawler.middlewares.RedirectLoopMiddleware"] > redirect
    assert min(ours["crawler.warc.WarcArchiveMiddleware"],
               ours["crawler.warc.WarcReplayMiddleware"]) > max(base.values())
    assert ours["scrapy.downloadermiddlewares.offsite.OffsiteMiddleware"] is None


# --- link policy ------------------------------------------------------------------------------


def test_site_includes_www_and_subdomains_but_not_other_ports_or_hosts():
    site = Site.of("https://www.quizzly.example/")
    assert site == Site("quizzly.example", None)
    assert site.contains("http://quizzly.example/pricing")
    assert site.contains("https://help.quizzly.example/privacy")
    assert not site.contains("https://notquizzly.example/")
    assert not site.contains("https://quizzly.example:8443/")
    local = Site.of("http://127.0.0.1:8001/")
    assert local.contains("http://127.0.0.1:8001/x") and not local.contains("http://127.0.0.1:8002/")
    assert Site.of("mailto:sales@quizzly.example") is None


def test_choose_links_keeps_buyer_pages_best_first_within_budget():
    links = [
        ("https://q.example/blog/ai-news", "Blog"),
        ("https://q.example/about", "About us"),
        ("https://q.example/pricing", "Pricing"),
        ("https://q.example/login", "Log in"),
        ("https://other.example/privacy", "Privacy"),
        ("https://q.example/privacy/", "Privacy"),
        ("https://q.example/privacy", "Privacy again"),
        ("https://q.example/fr/tarifs", "Français"),
    ]
    site = Site.of("https://q.example/")
    chosen = choose_links(links, site.contains, seen=set(), budget=2)
    assert [link.url for link in chosen] == ["https://q.example/pricing", "https://q.example/privacy/"]
    everything = choose_links(links, site.contains, seen={"https://q.example/about"}, budget=10)
    assert [link.url for link in everything] == [
        "https://q.example/pricing", "https://q.example/privacy/"
    ]


def test_query_variants_of_one_page_spend_one_request():
    """Eight currencies of one pricing page must not crowd out the privacy policy."""
    site = Site.of("https://q.example/")
    links = [(f"https://q.example/pricing?currency={c}", c.upper())
             for c in ("gbp", "usd", "eur", "aud", "cad", "nzd", "chf", "jpy")]
    links.append(("https://q.example/privacy", "Privacy"))
    chosen = choose_links(links, site.contains, seen={"https://q.example"}, budget=3)
    assert [link.url for link in chosen] == [
        "https://q.example/pricing?currency=gbp", "https://q.example/privacy"]
    later = choose_links(links, site.contains, seen={"https://q.example/pricing?currency=gbp"},
                         budget=3)
    assert [link.url for link in later] == ["https://q.example/privacy"]
    routed = [("https://q.example/index.php?page=privacy", "Privacy"),
              ("https://q.example/index.php?page=pricing", "Pricing")]
    assert len(choose_links(routed, site.contains, seen=set(), budget=5)) == 2


def test_frontier_counts_the_home_page_and_never_claims_twice():
    frontier = ToolFrontier(1, "http://127.0.0.1:9000/", max_pages=3)
    assert frontier.claim_home() and not frontier.claim_home()
    links = [("http://127.0.0.1:9000/pricing", "Pricing"), ("http://127.0.0.1:9000/terms", "Terms"),
             ("http://127.0.0.1:9000/about", "About")]
    claimed = frontier.claim_links(links)
    assert len(claimed) == 2  # 3 pages, home included
    assert frontier.remaining == 0 and frontier.claim_links(links) == []
    store = FrontierStore()  # what a resumed crawl reads back
    entries = [Entry(1, link.url, link.anchor, 1, link.priority) for link in claimed]
    store.claim([(frontier, [Entry(1, frontier.home, "", 0, -1), *entries], [])])
    (restored,) = store.load().values()
    assert restored.seen == frontier.seen and restored.issued == 3


def test_home_page_that_moves_site_takes_its_links_along():
    frontier = ToolFrontier(1, "http://old.example/", max_pages=8)
    frontier.claim_home()
    frontier.home_landed("https://www.new.example/en/")
    assert frontier.in_scope("https://new.example/pricing")
    assert frontier.in_scope("http://old.example/privacy")


# --- middlewares ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address, private",
    [("127.0.0.1", True), ("10.1.2.3", True), ("192.168.0.10", True), ("172.16.5.4", True),
     ("169.254.169.254", True), ("0.0.0.0", True), ("100.64.0.1", True), ("::1", True),
     ("fe80::1", True), ("::ffff:127.0.0.1", True), ("fd00::1", True),
     ("8.8.8.8", False), ("151.101.1.69", False), ("2606:4700:4700::1111", False)],
)
def test_private_addresses(address, private):
    assert is_private_address(address) is private


def _refusal(coro) -> str | None:
    try:
        asyncio.run(coro)
    except PageRefused as refused:
        return refused.reason
    return None


class FixedResolver(PinnedResolver):
    """Answers from a table instead of DNS; a name it lacks does not resolve."""

    def __init__(self, policy: AddressPolicy, table: dict[str, list[str]]):
        super().__init__(None, policy)
        self.table = table

    def lookup(self, host: str) -> list[str]:
        if host not in self.table:
            raise OSError("Name or service not known")
        return self.table[host]


def _safe_target(allowed=(), **table) -> SafeTargetMiddleware:
    policy = AddressPolicy(tuple(ipaddress.ip_network(n) for n in allowed))
    return SafeTargetMiddleware(FixedResolver(policy, {k.replace("_", "."): v
                                                       for k, v in table.items()}))


def test_safe_target_checks_every_address_and_refuses_failed_lookups():
    async def refusals(middleware, *urls):
        found = []
        for url in urls:
            try:
                await middleware.process_request(Request(url))
                found.append(None)
            except PageRefused as refused:
                found.append(refused.reason)
        return found

    strict = _safe_target(public_example=["93.184.216.34"], mixed_example=["93.184.216.34",
                          "10.0.0.7"], inside_example=["127.0.0.1"])
    urls = ("http://public.example/", "http://mixed.example/", "http://inside.example/",
            "http://nowhere.example/", "http://127.0.0.1:8000/", "http://[::1]/",
            "http://8.8.8.8/")
    assert asyncio.run(refusals(strict, *urls)) == [
        None, "private-address", "private-address", "dns", "private-address",
        "private-address", None]
    lenient = _safe_target(["0.0.0.0/0", "::/0"], inside_example=["127.0.0.1"])
    assert asyncio.run(refusals(lenient, "http://inside.example/", "http://10.0.0.1/")) == [
        None, None]
    only_one = _safe_target(["127.0.0.2/32"])
    assert asyncio.run(refusals(only_one, "http://127.0.0.2/", "http://127.0.0.3/")) == [
        None, "private-address"]
    assert _refusal(lenient.process_request(Request("ftp://files.example/x"))) == (
        "unsupported-scheme")


def test_resolver_looks_each_host_up_once_and_hands_only_checked_addresses_to_connect():
    resolver = FixedResolver(AddressPolicy(), {"a.example": ["93.184.216.34"],
                                               "b.example": ["93.184.216.35", "10.1.1.1"]})

    class Receiver:
        def __init__(self):
            self.addresses, self.done = [], False

        def resolutionBegan(self, resolution):  # noqa: N802
            pass

        def addressResolved(self, address):  # noqa: N802
            self.addresses.append((address.host, address.port))

        def resolutionComplete(self):  # noqa: N802
            self.done = True

    async def connect_twice():
        received = []
        for host in ("a.example", "a.example", "b.example"):
            receiver = Receiver()
            resolver.resolveHostName(receiver, host, 443)
            await resolver.verdict(host)
            await asyncio.sleep(0)
            received.append(receiver)
        return received

    first, second, refused = asyncio.run(connect_twice())
    assert first.addresses == second.addresses == [("93.184.216.34", 443)]
    assert refused.addresses == [] and refused.done  # nothing to connect to
    assert resolver.lookups == 2  # a.example once, b.example once


def test_site_scope_refuses_off_site_redirects_only():
    middleware = SiteScopeMiddleware()
    sites = [("127.0.0.1", 8000)]
    same = Request("http://127.0.0.1:8000/terms-of-use", meta={"edcat_sites": sites})
    assert middleware.process_request(same) is None
    off = Request("http://localhost:8000/terms-of-use",
                  meta={"edcat_sites": sites, "redirect_urls": ["http://127.0.0.1:8000/terms"]})
    with pytest.raises(PageRefused) as refused:
        middleware.process_request(off)
    assert refused.value.reason == "off-site-redirect"
    assert middleware.process_request(Request("http://anywhere.example/")) is None  # home pages


def test_redirect_loop_is_named_but_a_slash_redirect_is_not():
    middleware = RedirectLoopMiddleware()
    back = Request("http://s.example/about-us", meta={"redirect_urls": ["http://s.example/about"]})
    loop = Response(back.url, status=302, headers={"Location": "/about"})
    with pytest.raises(PageRefused) as refused:
        middleware.process_response(back, loop)
    assert refused.value.reason == "redirect-loop"
    slash = Response("http://s.example/about", status=301, headers={"Location": "/about/"})
    assert middleware.process_response(Request("http://s.example/about"), slash) is slash


@pytest.mark.parametrize(
    "content_type, body, ok",
    [("text/html; charset=utf-8", b"<!doctype html><p>hi", True),
     ("application/xhtml+xml", b"<?xml version='1.0'?><html/>", True),
     (None, b"  <html><body>no header</body></html>", True),
     ("text/html", "\ufeff<html>".encode("utf-16"), True),
     ("application/pdf", b"%PDF-1.7", False),
     ("text/html", b"\x89PNG\r\n\x1a\n\x00\x00", False),
     ("text/html", b"GIF89a\x01\x00", False),
     ("text/html", b"abc\x00\x01\x02\x03", False),
     ("text/plain", b"hello", False),
     (None, b"just some bytes", False),
     # random bytes without a NUL or a known signature: about one in ten is a control byte
     ("text/html", random.Random(7).randbytes(4096).replace(b"\x00", b"\x01"), False),
     ("text/html", b"<html>\x0c<p>a form feed\t\r\n\x1b is rare but not binary" * 30, True)],
)
def test_html_verdict(content_type, body, ok):
    assert (html_verdict(content_type, body) is None) is ok


def test_html_only_checks_page_requests_only():
    middleware = HtmlOnlyMiddleware()
    png = Response("http://s.example/tour.html", body=b"\x89PNG\r\n\x1a\n",
                   headers={"Content-Type": "text/html"})
    with pytest.raises(PageRefused):
        middleware.process_response(Request(png.url, meta={"edcat_tool": 1}), png)
    robots = Response("http://s.example/robots.txt", body=b"User-agent: *",
                      headers={"Content-Type": "text/plain"})
    assert middleware.process_response(Request(robots.url), robots) is robots


# --- failure reasons --------------------------------------------------------------------------


def test_failure_reasons():
    response = Response("http://s.example/x", status=404)
    cases = {
        "http-404": HttpError(response, "Ignoring non-200 response"),
        "timeout": DownloadTimeoutError("took longer than 1 seconds"),
        "robots-disallowed": IgnoreRequest("Forbidden by robots.txt"),
        "too-many-redirects": IgnoreRequest("max redirections reached"),
        "not-html": PageRefused("not-html", "content-type application/pdf"),
        "error": ValueError("boom"),
    }
    for reason, exc in cases.items():
        assert failure_reason(Failure(exc))[0] == reason
    for reason, _ in cases.items():
        assert reason in REASONS or reason.startswith("http-")


# --- WARC -------------------------------------------------------------------------------------


def test_warc_round_trip_keeps_raw_bodies_and_headers(tmp_path):
    archive = tmp_path / "crawl.warc.gz"
    page = gzip.compress(b"<html><title>Pricing</title></html>")
    writer = WarcWriter(archive)
    request = Request("http://s.example/pricing", headers={"User-Agent": "edcat/test"})
    writer.write(request, Response(request.url, status=200, body=page, headers={
        "Content-Type": "text/html", "Content-Encoding": "gzip", "Transfer-Encoding": "chunked"}))
    writer.write(Request("http://s.example/old"), Response(
        "http://s.example/old", status=301, headers={"Location": "/pricing"}))
    writer.close()

    index = WarcIndex(archive)
    hit = index.get("http://s.example/pricing")
    assert hit.status == 200 and hit.body == page
    headers = {k.lower(): v for k, v in hit.headers}
    assert headers["content-encoding"] == "gzip" and "transfer-encoding" not in headers
    assert index.get("http://s.example/old").status == 301
    assert index.get("http://s.example/missing") is None

    replay = WarcReplayMiddleware(index)
    answered = replay.process_request(Request("http://s.example/pricing"))
    assert answered.status == 200 and "replayed" in answered.flags
    assert replay.process_request(Request("http://s.example/robots.txt")).status == 404
    with pytest.raises(PageRefused) as refused:
        replay.process_request(Request("http://s.example/missing"))
    assert refused.value.reason == "not-in-archive"
    index.close()


# --- the spider's parse callback on golden HTML -----------------------------------------------


def _parse(spider, url: str, body: bytes, depth: int):
    from crawler.items import PageItem

    request = Request(url, meta={"edcat_tool": 1, "depth": depth, "edcat_anchor": "About us"})
    response = HtmlResponse(url, body=body, request=request,
                            headers={"Content-Type": "text/html; charset=utf-8"})

    async def collect():
        return [output async for output in spider.parse_page(response)]

    outputs = asyncio.run(collect())
    items = [o for o in outputs if isinstance(o, PageItem)]
    return items, [o for o in outputs if isinstance(o, Request)]


def _spider(max_pages: int = 8):
    from crawler.spiders import ToolSpider, ToolTarget

    spider = ToolSpider(targets=[ToolTarget(1, "Sugar Labs", "http://127.0.0.1:8000/")])
    spider.settings = build_settings({"EDCAT_MAX_PAGES": max_pages})
    spider.frontiers()[1] = ToolFrontier(1, "http://127.0.0.1:8000/", max_pages)
    spider.frontiers()[1].claim_home()
    return spider


def test_parse_home_page_yields_the_page_and_its_best_buyer_links():
    spider = _spider()
    items, requests = _parse(spider, "http://127.0.0.1:8000/",
                             (SUGARLABS / "index.html").read_bytes(), depth=0)
    (page,) = items
    assert page.kind == "home" and page.title == "Sugar Labs" and page.status == 200
    assert "Sugar" in page.text
    assert len(requests) == 7  # 8 pages per tool, home included
    urls = [r.url for r in requests]
    assert all(u.startswith("http://127.0.0.1:8000/") for u in urls)  # same site only
    assert urls[0] == "http://127.0.0.1:8000/products"  # features (priority 3) first
    assert "http://127.0.0.1:8000/students" in urls and "http://127.0.0.1:8000/about-us" in urls
    assert not any(word in u for u in urls for word in ("donate", "community-news", "FAQ"))
    assert all(r.meta["edcat_sites"] == [("127.0.0.1", 8000)] for r in requests)
    assert all(r.callback == spider.parse_page and r.errback == spider.on_failure for r in requests)


def test_parse_at_max_depth_follows_nothing_and_names_the_kind():
    spider = _spider()
    items, requests = _parse(spider, "http://127.0.0.1:8000/about-us",
                             (SUGARLABS / "about-us.html").read_bytes(), depth=2)
    assert requests == [] and items[0].kind == "about"


def test_set_option_needs_name_equals_value():
    from catalogue.errors import EdcatError
    from cli.crawl import parse_settings

    assert parse_settings(["DOWNLOAD_DELAY=0", "USER_AGENT=a=b"]) == {
        "DOWNLOAD_DELAY": "0", "USER_AGENT": "a=b"}
    with pytest.raises(EdcatError):
        parse_settings(["download_delay"])


# --- the downloader fix -----------------------------------------------------------------------


def _queue_after_one_pass(downloader_class) -> int:
    """Requests left in a concurrency-1, delay-0 slot queue after one _process_queue pass."""
    from scrapy.core.downloader import Slot

    downloader = downloader_class.__new__(downloader_class)

    async def handed_on(slot, request, queue_dfd):  # stands in for the real download task
        await asyncio.sleep(0)

    downloader._wait_for_download = handed_on
    slot = Slot(concurrency=1, delay=0, jitter=0)
    for n in range(3):
        slot.queue.append((Request(f"http://s.example/{n}"), None))

    async def one_pass():
        downloader._process_queue(slot)
        await asyncio.sleep(0.01)

    asyncio.run(one_pass())
    return len(slot.queue)


def test_downloader_keeps_one_request_per_site_without_delay():
    from scrapy.core.downloader import Downloader as ScrapyDownloader

    from crawler.downloader import Downloader

    assert _queue_after_one_pass(Downloader) == 2  # one handed on, two wait their turn
    # Scrapy 2.19 hands on all three at once; when this fails, Scrapy has fixed it and
    # crawler/downloader.py can go.
    assert _queue_after_one_pass(ScrapyDownloader) == 0


def test_one_crawl_at_a_time_per_catalogue(tmp_path):
    import subprocess
    import sys

    from crawler.run import CrawlError, crawl_lock, lock_path_for

    db = tmp_path / "catalogue.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         f"fd = os.open({str(lock_path_for(db))!r}, os.O_RDWR | os.O_CREAT)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, str(os.getpid()).encode())\n"
         "print('locked', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        expected = f"another crawl \\(process {holder.pid}\\)"
        with pytest.raises(CrawlError, match=expected), crawl_lock(db):
            pass
    finally:
        holder.kill()
        holder.wait()
    with crawl_lock(db):  # the OS released the killed holder's lock
        assert lock_path_for(db).read_text() == str(os.getpid())


# --- checks before a crawl starts: nothing to fail inside Scrapy ------------------------------


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DOWNLOAD_DELAY", "abc", "a number"),
        ("DOWNLOAD_TIMEOUT", "soon", "a number"),
        ("AUTOTHROTTLE_ENABLED", "maybe", "True or False"),
        ("CONCURRENT_REQUESTS", "2.5", "a whole number"),
        ("EDCAT_MAX_DEPTH", "abc", "a whole number"),  # build_settings reads it itself
        ("EDCAT_EXTRACT_WORKERS", "lots", "or auto"),
        ("DOWNLOADER_MIDDLEWARES", "nope", "a JSON object"),
        ("DOWNLOADER_MIDDLEWARES", "[1, 2]", "a JSON object"),
        ("LOG_LEVEL", "loud", "one of DEBUG, INFO"),
        ("EDCAT_ALLOWED_NETWORKS", "127.0.0.2/32,intranet", "'intranet' is not one"),
        ("EDCAT_STALE_DAYS", "a week", "a number"),
    ],
)
def test_set_value_scrapy_cannot_read_is_named(name, value, expected):
    from crawler.run import CrawlError, check_overrides

    with pytest.raises(CrawlError) as error:
        check_overrides({"DOWNLOAD_DELAY": "0", name: value})
    message = str(error.value)
    assert message.startswith(f"--set {name}={value}: {name} must be") and expected in message
    assert "\n" not in message


def test_set_values_scrapy_can_read_pass():
    from crawler.run import check_overrides

    check_overrides({
        "DOWNLOAD_DELAY": "0",
        "DOWNLOAD_TIMEOUT": "2.5",  # whole by default, read as a float
        "AUTOTHROTTLE_ENABLED": "False",
        "ROBOTSTXT_OBEY": "1",
        "CONCURRENT_REQUESTS": "4",
        "CLOSESPIDER_PAGECOUNT": "3",
        "EDCAT_EXTRACT_WORKERS": "auto",
        "LOG_LEVEL": "INFO",
        "DOWNLOADER_MIDDLEWARES": '{"crawler.middlewares.HtmlOnlyMiddleware": null}',
        "USER_AGENT": "anything at all",
        "EDCAT_ALLOWED_NETWORKS": "127.0.0.2/32, ::1/128",
        "EDCAT_STALE_DAYS": "7.5",
        "SOME_SPIDER_SETTING": "not Scrapy's to check",
    })


def test_check_warc_accepts_an_archive_and_names_what_else_it_got(tmp_path):
    from crawler.warc import NotWarcError, check_warc

    archive = tmp_path / "ok.warc.gz"
    WarcWriter(archive).close()  # just the warcinfo record: still an archive
    check_warc(archive)
    readme = Path(__file__).parent.parent / "README.md"
    empty = tmp_path / "empty.warc.gz"
    empty.write_bytes(b"")
    zipped = tmp_path / "notes.gz"
    zipped.write_bytes(gzip.compress(b"just some text\n"))
    binary = tmp_path / "noise.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    for path, reason in [(readme, "Unknown archive format"), (empty, "empty"),
                         (zipped, "Unknown archive format"),
                         (binary, "Unknown archive format")]:
        with pytest.raises(NotWarcError, match=reason) as error:
            check_warc(path)
        assert str(error.value).isprintable() and len(str(error.value)) <= 120


def test_replay_and_archive_files_are_checked_before_the_crawl(tmp_path):
    from crawler.run import CrawlError, check_archive_files

    good = tmp_path / "ok.warc.gz"
    WarcWriter(good).close()
    check_archive_files({"EDCAT_REPLAY": str(good), "EDCAT_ARCHIVE": str(tmp_path / "a/b.warc.gz")})
    check_archive_files({"EDCAT_ARCHIVE": str(good)})  # an existing file is overwritten
    text = tmp_path / "notes.txt"
    text.write_text("not an archive\n")
    cases = [
        ({"EDCAT_REPLAY": str(text)}, f"{text} is not a WARC archive (Unknown archive format"),
        ({"EDCAT_REPLAY": str(tmp_path / "gone.warc.gz")}, "no archive to replay at"),
        ({"EDCAT_ARCHIVE": str(tmp_path)}, f"--archive {tmp_path} is a folder"),
        ({"EDCAT_ARCHIVE": str(text / "x.warc.gz")}, f"{text} is not a folder"),
    ]
    for settings, message in cases:
        with pytest.raises(CrawlError) as error:
            check_archive_files(settings)
        assert message in str(error.value), settings
    assert not (tmp_path / "a").exists()  # checking creates nothing


def test_crawl_that_does_not_start_leaves_no_job_state(small_catalogue, monkeypatch):
    import json

    from crawler import run

    monkeypatch.setattr(run, "_run_scrapy", lambda *args: (None, 0.0))
    job_dir = run.job_dir_for(small_catalogue.path)
    with pytest.raises(run.CrawlError, match="the crawl did not start"):
        run.crawl(small_catalogue.path, run.CrawlOptions(all_tools=True))
    assert not job_dir.exists()  # so `--resume` has nothing to repeat

    # A resumed crawl's job state is the interrupted crawl's: it stays.
    job_dir.mkdir()
    recorded = run.CrawlOptions(all_tools=True).recorded()
    (job_dir / run.OPTIONS_FILE).write_text(json.dumps(recorded))
    with pytest.raises(run.CrawlError, match="the crawl did not start"):
        run.crawl(small_catalogue.path, run.CrawlOptions(resume=True))
    assert (job_dir / run.OPTIONS_FILE).exists()


def test_recorded_archive_paths_are_absolute(tmp_path, monkeypatch):
    """A crawl resumed from another folder must append to the archive it started."""
    from crawler import run

    monkeypatch.chdir(tmp_path)
    options = run.CrawlOptions(all_tools=True, archive=Path("a.warc.gz"),
                               replay=Path("old/b.warc.gz"))
    recorded = run.CrawlOptions.from_recorded(options.recorded())
    assert recorded.archive == tmp_path / "a.warc.gz"
    assert recorded.replay == tmp_path / "old" / "b.warc.gz"


def test_bad_options_fail_before_job_state_is_written(small_catalogue, tmp_path, monkeypatch):
    from crawler import run

    def started(*args):
        raise AssertionError("the crawl started")

    monkeypatch.setattr(run, "_run_scrapy", started)
    text = tmp_path / "notes.txt"
    text.write_text("not an archive\n")
    for options in [
        run.CrawlOptions(all_tools=True, replay=text),
        run.CrawlOptions(all_tools=True, archive=tmp_path),
        run.CrawlOptions(all_tools=True, settings={"DOWNLOAD_DELAY": "abc"}),
        run.CrawlOptions(all_tools=True, settings={"EDCAT_REPLAY": str(text)}),
    ]:
        with pytest.raises(run.CrawlError):
            run.crawl(small_catalogue.path, options)
        assert not run.job_dir_for(small_catalogue.path).exists(), options


# --- robots.txt and loops through pages ---------------------------------------------------------


def test_robots_body_keeps_the_first_500_kib_without_a_cut_off_line():
    from crawler.robots import ROBOTS_PARSE_LIMIT, robots_body

    small = b"User-agent: *\nDisallow: /x\n"
    assert robots_body(small) == small
    big = b"User-agent: *\n" + b"Disallow: /private-area\n" * 40_000
    kept = robots_body(big)
    assert len(kept) <= ROBOTS_PARSE_LIMIT and kept.endswith(b"/private-area\n")
    assert len(kept) > ROBOTS_PARSE_LIMIT - 30


def test_meta_refresh_loop_through_pages_is_named():
    from crawler.middlewares import MetaRefreshLoopMiddleware

    middleware = MetaRefreshLoopMiddleware()
    back = Request("http://s.example/tour", meta={"redirect_urls": ["http://s.example/ai"]})
    page = HtmlResponse(back.url, body=b'<meta http-equiv="refresh" content="0; url=/ai">')
    with pytest.raises(PageRefused) as refused:
        middleware.process_response(back, page)
    assert refused.value.reason == "redirect-loop"
    onward = HtmlResponse("http://s.example/ai", body=b'<meta http-equiv="refresh" '
                          b'content="0; url=/tour">')
    assert middleware.process_response(Request(onward.url), onward) is onward
    assert middleware.process_response(back, Response(back.url, status=302, headers={
        "Location": "/ai"})).status == 302  # 3xx loops are RedirectLoopMiddleware's


def test_a_dropped_redirect_is_recorded_against_the_link_followed():
    spider = _spider()
    dropped = Request("http://127.0.0.1:8000/", meta={
        "edcat_tool": 1, "edcat_entry": "http://127.0.0.1:8000/home",
        "redirect_urls": ["http://127.0.0.1:8000/home"]})
    spider.request_dropped(dropped)
    (failure,) = spider.store.tally()["failures"]
    assert failure["reason"] == "redirect-to-fetched"
    assert failure["url"] == "http://127.0.0.1:8000/home"
    assert failure["detail"] == "http://127.0.0.1:8000/home -> http://127.0.0.1:8000/"


def _downloader_with(waiting: int, fetching: int, max_requests: int = 0):
    """Our Downloader with `waiting` requests behind a site's delay and `fetching` others."""
    from scrapy.core.downloader import Slot

    from crawler.downloader import Downloader

    downloader = Downloader.__new__(Downloader)
    downloader.total_concurrency, downloader.max_requests = 4, max_requests
    downloader.slots, downloader.active = {}, set()
    for n in range(waiting + fetching):
        request = Request(f"http://s{n}.example/")
        slot = Slot(concurrency=1, delay=1.0, jitter=0)
        if n < waiting:
            slot.queue.append((request, None))
            slot.latercall = object()  # a pending "delay has passed" call
        downloader.slots[f"s{n}"], downloader.active = slot, downloader.active | {request}
    return downloader


def test_requests_waiting_out_a_delay_hold_no_slot():
    assert not _downloader_with(waiting=10, fetching=3).needs_backout()
    assert _downloader_with(waiting=10, fetching=4).needs_backout()
    assert _downloader_with(waiting=0, fetching=4).needs_backout()
    assert _downloader_with(waiting=10, fetching=0, max_requests=10).needs_backout()


def test_the_downloader_cap_settings_are_set():
    from crawler import settings

    assert settings.CONCURRENT_REQUESTS_PER_DOMAIN == 1
    assert settings.EDCAT_DOWNLOADER_MAX_REQUESTS > settings.CONCURRENT_REQUESTS


def test_robots_unavailable_disallows_until_the_retry_then_reads_again():
    from scrapy.statscollectors import MemoryStatsCollector

    from crawler.robots import RobotsPolicyMiddleware

    answers = [Response("http://s.example/robots.txt", status=503),
               Response("http://s.example/robots.txt", status=200,
                        body=b"User-agent: *\nDisallow: /private\n")]

    class Engine:
        async def download_async(self, request):
            return answers.pop(0)

    class Crawler:
        settings = build_settings()
        signals = type("Signals", (), {"connect": lambda *args, **kwargs: None})()
        engine = Engine()
        spider = None

    crawler = Crawler()
    crawler.stats = MemoryStatsCollector(crawler)
    middleware = RobotsPolicyMiddleware(crawler, retry_seconds=0)

    async def reasons(*paths):
        found = []
        for path in paths:
            try:
                await middleware.process_request(Request("http://s.example" + path))
                found.append(None)
            except IgnoreRequest as refused:
                found.append(getattr(refused, "reason", "robots-disallowed"))
        return found

    assert asyncio.run(reasons("/pricing", "/pricing", "/private")) == [
        "robots-unavailable", None, "robots-disallowed"]
    assert answers == []  # read again after the retry time, then cached
