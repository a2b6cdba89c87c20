"""Name resolution that is also the SSRF check: resolve once, check every address, connect
to the checked addresses and nothing else.

A check that resolves a name and then lets Twisted resolve it again at connect time can be
fooled by DNS rebinding (a public answer for the check, 127.0.0.1 for the connection).
`PinnedResolver` is installed as Scrapy's TWISTED_DNS_RESOLVER, so it answers the
connection's lookup itself: each host name is looked up once per crawl (`lookup`), every
address it resolves to is checked (`AddressPolicy`), and the connection is handed exactly
those addresses, or none when any of them is refused or the lookup failed. The downloader
middleware (`crawler.middlewares.SafeTargetMiddleware`) awaits the same verdict before a
request is sent, to fail it with a reason (private-address, dns) instead of a bare
connection error.

Tests and benchmarks subclass it and override `lookup` (a resolver they control); a subclass
keeps the check and the pinning.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IHostnameResolver, IHostResolution
from zope.interface import implementer

ANY_ADDRESS = ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0")


def is_private_address(address: str) -> bool:
    """True for loopback, private, link-local, reserved, multicast or unspecified addresses
    (and anything else that is not globally routable), IPv4-mapped IPv6 included."""
    ip = _ip(address)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses a crawl may connect to: global ones, plus `allowed` networks
    (EDCAT_ALLOWED_NETWORKS, e.g. ["127.0.0.2/32"] in tests; everything with
    --allow-private)."""

    allowed: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    trusted_hosts: frozenset[str] = frozenset()  # --map-host targets: the operator's own

    @classmethod
    def from_settings(cls, settings) -> AddressPolicy:
        mapped = settings.getdict("EDCAT_HOST_MAP").values()
        trusted = frozenset((urlsplit(url).hostname or "").lower() for url in mapped)
        if settings.getbool("EDCAT_ALLOW_PRIVATE") or settings.get("EDCAT_REPLAY"):
            return cls(ANY_ADDRESS, trusted)
        networks = settings.getlist("EDCAT_ALLOWED_NETWORKS")
        return cls(tuple(ipaddress.ip_network(n, strict=False) for n in networks), trusted)

    def refuses(self, address: str) -> bool:
        ip = _ip(address)
        if any(ip.version == net.version and ip in net for net in self.allowed):
            return False
        return is_private_address(address)


@dataclass(frozen=True)
class Verdict:
    """A host's lookup, checked: its addresses, or why the crawl may not connect."""

    addresses: tuple[str, ...] = ()
    reason: str | None = None  # None (allowed), "private-address" or "dns"
    detail: str = ""


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str):
        self.name = name

    def cancel(self) -> None:  # pragma: no cover - Twisted never cancels these
        pass


@implementer(IHostnameResolver)
class PinnedResolver:
    """Scrapy's TWISTED_DNS_RESOLVER for edcat: one checked lookup per host for the crawl."""

    def __init__(self, reactor, policy: AddressPolicy, timeout: float = 20.0):
        self.reactor = reactor
        self.policy = policy
        self.timeout = timeout
        self._verdicts: dict[str, asyncio.Future[Verdict]] = {}
        self.lookups = 0  # how many names were really looked up (tests assert on it)

    @classmethod
    def from_crawler(cls, crawler, reactor) -> PinnedResolver:
        # Scrapy passes the CrawlerProcess here; only its settings are used.
        settings = crawler.settings
        return cls(reactor, AddressPolicy.from_settings(settings), settings.getfloat("DNS_TIMEOUT"))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    # what subclasses override

    def lookup(self, host: str) -> list[str]:
        """The addresses of `host` (blocking; run in a thread). Raises OSError on failure."""
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(info[4][0] for info in infos))

    # the check

    def verdict(self, host: str) -> asyncio.Future[Verdict]:
        """The checked lookup of `host`, started once and shared by every caller."""
        host = host.lower().rstrip(".")
        if host not in self._verdicts:
            self._verdicts[host] = asyncio.ensure_future(self._check(host))
        return self._verdicts[host]

    async def _check(self, host: str) -> Verdict:
        try:
            addresses = (_literal(host),)
        except ValueError:
            try:
                addresses = tuple(await self._lookup_in_thread(host))
            except (OSError, TimeoutError) as error:
                return Verdict(reason="dns", detail=f"{host}: {error or 'lookup timed out'}")
        if not addresses:
            return Verdict(reason="dns", detail=f"{host}: no addresses")
        refused = [a for a in addresses if self.policy.refuses(a)]
        if refused and host not in self.policy.trusted_hosts:
            return Verdict(addresses, "private-address", f"{host} is {refused[0]}")
        return Verdict(addresses)

    async def _lookup_in_thread(self, host: str) -> list[str]:
        self.lookups += 1
        loop = asyncio.get_running_loop()
        return await asyncio.wait_for(loop.run_in_executor(None, self.lookup, host), self.timeout)

    # IHostnameResolver: what Twisted calls when it connects

    def resolveHostName(  # noqa: N802 (Twisted's interface)
        self,
        resolutionReceiver,  # noqa: N803
        hostName: str,  # noqa: N803
        portNumber: int = 0,  # noqa: N803
        addressTypes: Iterable[type] | None = None,  # noqa: N803
        transportSemantics: str = "TCP",  # noqa: N803
    ):
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        future = self.verdict(hostName)

        def deliver(done: asyncio.Future[Verdict]) -> None:
            verdict = done.result()
            if verdict.reason is None:  # a refused host gets no address to connect to
                for address in verdict.addresses:
                    kind = IPv6Address if ":" in address else IPv4Address
                    resolutionReceiver.addressResolved(kind("TCP", address, portNumber))
            resolutionReceiver.resolutionComplete()

        future.add_done_callback(deliver)
        return resolution


def _literal(host: str) -> str:
    """`host` if it is an IP address literal (brackets allowed), else ValueError."""
    return str(ipaddress.ip_address(host.strip("[]")))
