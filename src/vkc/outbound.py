"""Requests the platform makes to URLs its users give (webhooks): only to public addresses.

A URL a user registers must not turn the server into a way into its own
network (server-side request forgery): loopback, private, link-local,
carrier-grade NAT, multicast and cloud metadata addresses are refused, in
whatever form the address is written (``http://2130706433/``,
``http://[::ffff:127.0.0.1]/``) or whatever a name resolves to. The check is
made twice: :meth:`OutboundPolicy.check_url` when the URL is registered, and
:meth:`OutboundPolicy.post` at every request, which resolves the name again,
checks every address and then connects to the address it checked (the
``Host`` header and TLS server name stay the URL's), so a name re-pointed at
an internal address after registration (DNS rebinding) reaches nothing.
Redirects are never followed.

Operators who deliver to their own network name the networks that are
allowed in ``VKC_OUTBOUND_ALLOW`` (comma-separated, e.g.
``10.20.0.0/16,127.0.0.1/32``).
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from vkc.errors import AddressRefused, InputError

ALLOW_ENV = "VKC_OUTBOUND_ALLOW"
MAX_URL_LENGTH = 2048
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0[xX][0-9a-fA-F]*", re.ASCII)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``(host, port) -> addresses``; the default asks the system resolver
Resolver = Callable[[str, int], Sequence[str]]


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def is_public(address: Address) -> bool:
    """Whether ``address`` is on the public internet, looking inside IPv4-mapped, 6to4 and NAT64 forms."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class Destination:
    """A checked URL: where to connect (``address``), and the name and port the request is for."""

    url: str
    host: str
    port: int
    address: Address

    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        literal = f"[{self.address}]" if self.address.version == 6 else str(self.address)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo}@{literal}:{self.port}" if userinfo else f"{literal}:{self.port}"
        return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))

    def host_header(self) -> str:
        default = 443 if urlsplit(self.url).scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


@dataclass(frozen=True)
class OutboundPolicy:
    """Which addresses outbound requests may reach: public ones, and the operator's ``allow`` networks."""

    allow: tuple[Network, ...] = ()
    resolve: Resolver = system_resolver

    @classmethod
    def from_env(cls) -> OutboundPolicy:
        return cls(allow=parse_networks(os.environ.get(ALLOW_ENV, ""), ALLOW_ENV))

    def permits(self, address: Address) -> bool:
        return is_public(address) or any(address in network for network in self.allow)

    def check_url(self, url: Any, field: str = "url") -> str:
        """``url`` if it is an http(s) URL whose host resolves to permitted addresses only; else :class:`AddressRefused`."""
        self.destination(url, field)
        return str(url)

    def destination(self, url: Any, field: str = "url") -> Destination:
        host, port = _parse(url, field)
        try:
            literal: Address | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            found = [literal]
        else:
            try:
                found = [ipaddress.ip_address(a.split("%", 1)[0]) for a in self.resolve(host, port)]
            except (OSError, UnicodeError) as exc:
                raise AddressRefused(f"{field}: the host {host} does not resolve ({exc.__class__.__name__}); check the name", field=field) from None
            if not found:
                raise AddressRefused(f"{field}: the host {host} does not resolve; check the name", field=field)
        refused = [a for a in found if not self.permits(a)]
        if refused:
            what = "is" if literal is not None else f"resolves to {refused[0]}, which is"
            raise AddressRefused(
                f"{field}: {host} {what} not a public address (loopback, private, link-local or reserved); "
                f"an operator can allow such networks in {ALLOW_ENV}",
                field=field,
            )
        return Destination(str(url), host, port, found[0])

    def post(self, client: httpx.Client, url: str, *, content: bytes, headers: dict[str, str], timeout: float) -> httpx.Response:
        """POST to ``url`` after checking it again, connected to the address checked, never following a redirect."""
        target = self.destination(url)
        extensions = {"sni_hostname": target.host} if urlsplit(url).scheme == "https" else {}
        return client.post(
            target.pinned_url(),
            content=content,
            headers={**headers, "Host": target.host_header()},
            timeout=timeout,
            follow_redirects=False,
            extensions=extensions,
        )


def parse_networks(text: str, source: str) -> tuple[Network, ...]:
    """Comma-separated networks (``10.0.0.0/8``, ``::1/128``, or one address); a bad one is an InputError naming ``source``."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise InputError(f"{source}: {item!r} is not a network such as 10.20.0.0/16 or an address such as 127.0.0.1", field=source) from None
    return tuple(networks)


def _parse(url: Any, field: str) -> tuple[str, int]:
    if not isinstance(url, str) or not url:
        raise InputError(f"{field}: expected an http:// or https:// URL, not {url!r}", field=field)
    if len(url) > MAX_URL_LENGTH:
        raise InputError(f"{field}: the URL is {len(url)} characters long; the limit is {MAX_URL_LENGTH}", field=field)
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        raise InputError(f"{field}: the URL contains white space or a control character (such as CR or LF)", field=field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"{field}: not a valid URL ({exc})", field=field) from None
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        raise InputError(f"{field}: expected an http:// or https:// URL with a host, not {url!r}", field=field)
    if parts.fragment:
        raise InputError(f"{field}: a webhook URL has no #fragment", field=field)
    if ":" not in host and _NUMERIC_LABEL.fullmatch(host.rstrip(".").rsplit(".", 1)[-1]):
        try:
            canonical = str(ipaddress.IPv4Address(host)) == host
        except ValueError:
            canonical = False
        if not canonical:
            raise InputError(f"{field}: write an IPv4 host as four decimal numbers (such as 203.0.113.7), not {host!r}", field=field)
    return host, port or (443 if parts.scheme == "https" else 80)
