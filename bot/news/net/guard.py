"""SSRF guard: which addresses a fetch may connect to, checked after DNS resolution.

The check happens inside the connection layer (``GuardedNetworkBackend``): the name is
resolved once, every address is validated, and the socket is opened to a validated
address. TLS still uses the host name for SNI and certificate checks, and the Host
header is untouched. So a DNS answer that changes between "check" and "connect"
(DNS rebinding) cannot sneak a private address past the guard.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpcore

from bot.news.net.errors import BlockedAddressError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
# (host name as written in the URL, resolved address) -> reason it is refused, or None.
AddressPolicy = Callable[[str, IPAddress], str | None]


# Addresses cloud providers use for instance metadata (credentials live there).
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)

# Written out rather than relying only on ``ip.is_global``: its answer for some ranges
# changed between Python patch releases (e.g. 192.0.0.0/24 is "global" on 3.11.7).
_BLOCKED_NETWORKS: tuple[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.ip_network(net), reason)
    for net, reason in (
        ("0.0.0.0/8", "an unspecified ('this network') address"),
        ("10.0.0.0/8", "a private address"),
        ("100.64.0.0/10", "a carrier-grade NAT (shared) address"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", "a private address"),
        ("192.0.0.0/24", "an IETF protocol-assignment address"),
        ("192.0.2.0/24", "a documentation address"),
        ("192.88.99.0/24", "a 6to4 relay address"),
        ("192.168.0.0/16", "a private address"),
        ("198.18.0.0/15", "a benchmarking address"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved address"),
        ("::/128", "an unspecified address"),
        ("::1/128", "a loopback address"),
        ("::/96", "a deprecated IPv4-compatible address"),
        ("::ffff:0:0/96", "an IPv4-mapped address"),  # nothing public resolves to these
        ("100::/64", "a discard-only address"),
        ("2001::/23", "an IETF protocol-assignment address"),
        ("2001:db8::/32", "a documentation address"),
        ("fc00::/7", "a private (unique local) address"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a deprecated site-local address"),
        ("ff00::/8", "a multicast address"),
    )
)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def blocked_reason(ip: IPAddress) -> str | None:
    """Why connecting to ``ip`` is refused, or None if it is a public unicast address."""
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address):
        # Addresses that embed an IPv4 address are judged by the embedded one.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip.teredo is not None:
            embedded = ip.teredo[1]
        if embedded is None and any(ip in net for net in _NAT64):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = blocked_reason(embedded)
            if inner is not None:
                return f"{inner} (embedded in an IPv6 address)"
    for net, reason in _BLOCKED_NETWORKS:
        if ip.version == net.version and ip in net:
            return reason
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "a non-public address"
    return None


def default_policy(host: str, ip: IPAddress) -> str | None:
    """The production policy: only public unicast addresses, whatever the name."""
    return blocked_reason(ip)


def parse_ip(host: str) -> IPAddress | None:
    """The address if ``host`` is an IP literal (brackets allowed), else None."""
    text = host.strip("[]")
    text = text.split("%", 1)[0]  # drop an IPv6 zone id
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the OS resolver (getaddrinfo), keeping its order, without duplicates."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = str(sockaddr[0])
        if addr not in out:
            out.append(addr)
    return out


@dataclass
class HostGuard:
    """Resolves a host and decides which of its addresses may be connected to."""

    allow_private: bool = False
    resolver: Resolver = system_resolver
    policy: AddressPolicy = field(default=default_policy)

    def check_literal(self, host: str) -> None:
        """Refuse an IP-literal host early, before any connection machinery runs."""
        ip = parse_ip(host)
        if ip is not None and not self.allow_private:
            reason = self.policy(host, ip)
            if reason is not None:
                raise BlockedAddressError(
                    f"refused to fetch from {host}: it is {reason}, "
                    "and fetching from internal addresses is not allowed"
                )

    async def resolve(self, host: str, port: int) -> list[str]:
        """Addresses to connect to, all validated; raises BlockedAddressError otherwise.

        If *any* address the name resolves to is refused, the whole name is refused:
        picking the "good" one would still let an attacker mix answers to probe.
        """
        literal = parse_ip(host)
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = await self.resolver(host, port)
            except OSError as exc:
                why = exc.strerror or str(exc)  # "Name or service not known", no "[Errno -2]"
                raise httpcore.ConnectError(f"could not resolve {host}: {why}") from exc
            if not addresses:
                raise httpcore.ConnectError(f"could not resolve {host}: no addresses")
        if self.allow_private:
            return addresses
        for text in addresses:
            ip = parse_ip(text)
            reason = "not an IP address" if ip is None else self.policy(host, ip)
            if reason is not None:
                shown = host if literal is not None else f"{host} (resolves to {text})"
                raise BlockedAddressError(
                    f"refused to fetch from {shown}: it is {reason}, "
                    "and fetching from internal addresses is not allowed"
                )
        return addresses


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the guard approved.

    httpx has no hook between DNS resolution and connect, so we sit one layer down:
    httpcore hands us the host name, we resolve + validate and open the socket to the
    validated IP ourselves; httpcore then does TLS with the original name for SNI.
    """

    def __init__(self, guard: HostGuard, inner: httpcore.AsyncNetworkBackend | None = None):
        self._guard = guard
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await self._guard.resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        last: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        assert last is not None  # resolve() never returns an empty list
        raise last

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedAddressError("refused to connect to a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
