"""Hostile networks and servers, end to end: DNS rebinding and private answers against the
pinned resolver (a resolver the test scripts, on loopback), and robots.txt per RFC 9309
(4xx, 5xx, unreachable, oversized)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crawl_servers import SiteState, import_tools, tool_sites

pytestmark = pytest.mark.slow

FAST = ["--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=False", "--format", "json"]
TESTS = Path(__file__).parent


def test_rebinding_resolver_is_pinned_and_private_or_failed_answers_are_refused(
    edcat, tmp_path
):
    # One port on two loopback addresses: 127.0.0.2 stands in for a public server (the one
    # address this test allows), 127.0.0.3 for the private network behind the crawler.
    with tool_sites(host="127.0.0.2") as public:
        port = public.server_port
        with tool_sites(host="127.0.0.3", port=port) as private:
            homes = [f"http://{host}:{port}/t{n}/"
                     for n, host in enumerate(("rebind.test", "mixed.test", "nowhere.test"))]
            import_tools(edcat, tmp_path, homes)
            dns_log = tmp_path / "dns.log"
            env = {
                "PYTHONPATH": str(TESTS),
                "EDCAT_TEST_DNS_LOG": str(dns_log),
                "EDCAT_TEST_DNS": json.dumps({
                    "rebind.test": [["127.0.0.2"], ["127.0.0.3"]],  # public, then private
                    "mixed.test": [["93.184.216.34", "127.0.0.3"]],
                }),
            }
            result = edcat(
                "crawl", "--all", *FAST,
                "--set", "TWISTED_DNS_RESOLVER=scripted_resolver.ScriptedResolver",
                "--set", "EDCAT_ALLOWED_NETWORKS=127.0.0.2/32",
                env=env,
            )
    summary = json.loads(result.stdout)
    assert summary["pages"] == 8 and summary["tools_visited"] == 1
    assert summary["failed"] == {"dns": 1, "private-address": 1}
    assert private.hits == []  # never reached, not even robots.txt
    assert {host for _, host in public.hits} == {f"rebind.test:{port}"}
    assert sorted(dns_log.read_text().split()) == ["mixed.test", "nowhere.test", "rebind.test"]


ROBOTS_CASES = {
    "404": "404",  # no robots.txt: everything allowed
    "503": "503",  # a server error: everything disallowed
    "drop": "drop",  # unreachable: everything disallowed
    # 6 MB (more than DOWNLOAD_MAXSIZE): the first 500 KiB are read, the rest is not
    "huge": "User-agent: *\nDisallow: /t3/pricing\n" + "# padding\n" * 600_000
    + "Disallow: /t3/features\n",
}


def test_robots_txt_per_rfc_9309(edcat, tmp_path):
    states = {name: SiteState(robots=body) for name, body in ROBOTS_CASES.items()}
    with (tool_sites(states["404"]) as allowing, tool_sites(states["503"]) as failing,
          tool_sites(states["drop"]) as dropping, tool_sites(states["huge"]) as huge):
        sites = (allowing, failing, dropping, huge)
        homes = [f"http://127.0.0.1:{site.server_port}/t{n}/" for n, site in enumerate(sites)]
        import_tools(edcat, tmp_path, homes)
        summary = json.loads(edcat("crawl", "--all", "--allow-private", *FAST).stdout)
    assert summary["failed"] == {"robots-disallowed": 1, "robots-unavailable": 2}
    assert summary["pages"] == 8 + 7
    assert allowing.paths().count("/robots.txt") == 1 and len(allowing.pages()) == 8
    assert failing.pages() == dropping.pages() == []  # not even the home page
    assert failing.paths().count("/robots.txt") == 3  # retried (RETRY_TIMES = 2), then given up
    assert huge.paths().count("/robots.txt") == 1
    assert "/t3/pricing" not in huge.pages() and "/t3/features" in huge.pages()
