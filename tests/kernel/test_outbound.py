"""Outbound requests go to public addresses only: every written form of an internal address, names that resolve to one, rebinding, redirects."""

from __future__ import annotations

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from vkc.errors import AddressRefused, InputError
from vkc.outbound import OutboundPolicy, is_public, parse_networks

INTERNAL = [
    "http://127.0.0.1:8000/",
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://localhost:22/",
    "http://[::1]:5432/",
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:7f00:1]/",
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://10.1.2.3/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://0.0.0.0/",
    "http://224.0.0.251/",  # multicast
    "http://192.0.2.1/",  # documentation
]
ODD_FORMS = ["http://2130706433/", "http://0x7f000001/", "http://017700000001/", "http://127.1/", "http://0177.0.0.1/", "http://1.2.3.0x4/"]


@pytest.mark.parametrize("url", INTERNAL)
def test_internal_addresses_are_refused_in_every_form(url: str) -> None:
    with pytest.raises(AddressRefused, match=r"url: .* not a public address .* VKC_OUTBOUND_ALLOW") as info:
        OutboundPolicy().check_url(url)
    assert info.value.code == "address-refused" and info.value.detail["field"] == "url"


@pytest.mark.parametrize("url", ODD_FORMS)
def test_numeric_hosts_must_be_written_as_four_decimal_numbers(url: str) -> None:
    with pytest.raises(InputError, match="write an IPv4 host as four decimal numbers"):
        OutboundPolicy().check_url(url)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://93.184.215.14/a\r\nX-Injected: 1", "white space or a control character"),
        ("http://93.184.215.14/a b", "white space or a control character"),
        ("ftp://93.184.215.14/", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("http:///nohost", "with a host"),
        ("http://93.184.215.14:99999/", "not a valid URL"),
        ("http://93.184.215.14/#part", "no #fragment"),
        ("http://" + "a" * 3000 + ".org/", "the limit is 2048"),
        (None, "expected an http:// or https:// URL"),
    ],
)
def test_malformed_urls_name_the_problem(url, words: str) -> None:
    with pytest.raises(InputError, match=words):
        OutboundPolicy().check_url(url)


def test_public_addresses_pass() -> None:
    policy = OutboundPolicy(resolve=lambda host, port: ["93.184.215.14"])
    for url in ("https://93.184.215.14/hook", "http://[2606:4700:4700::1111]:8080/x?y=1", "https://cafe.be/x", "https://deadbeef.0x.example/"):
        assert policy.check_url(url) == url  # names of hex letters are names, not numbers
    assert is_public(ipaddress.ip_address("2001:4860:4860::8888"))


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    mixed = OutboundPolicy(resolve=lambda host, port: ["93.184.215.14", "10.0.0.5"])
    with pytest.raises(AddressRefused, match="hooks.example resolves to 10.0.0.5, which is not a public address"):
        mixed.check_url("https://hooks.example/x")
    unresolvable = OutboundPolicy(resolve=lambda host, port: (_ for _ in ()).throw(OSError("no such name")))
    with pytest.raises(AddressRefused, match="the host nowhere.example does not resolve"):
        unresolvable.check_url("https://nowhere.example/x")


def test_the_allow_list_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("VKC_OUTBOUND_ALLOW", "127.0.0.1/32, 10.20.0.0/16")
    policy = OutboundPolicy.from_env()
    assert policy.check_url("http://127.0.0.1:9/x") and policy.check_url("http://10.20.3.4/")
    with pytest.raises(AddressRefused):
        policy.check_url("http://10.21.0.1/")
    with pytest.raises(InputError, match="VKC_OUTBOUND_ALLOW: 'intranet' is not a network"):
        parse_networks("10.0.0.0/8,intranet", "VKC_OUTBOUND_ALLOW")


class Receiver:
    """A real HTTP server on loopback that records each request's Host header and answers ``status``."""

    def __init__(self, status: int = 204, location: str | None = None) -> None:
        self.hosts: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.hosts.append(self.headers["Host"])
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def test_a_request_goes_to_the_address_checked_with_the_name_as_host(receiver: Receiver) -> None:
    policy = OutboundPolicy(allow=parse_networks("127.0.0.1", "test"), resolve=lambda host, port: ["127.0.0.1"])
    with httpx.Client() as client:
        r = policy.post(client, f"http://hooks.example:{receiver.port}/hook", content=b"{}", headers={}, timeout=5)
    assert r.status_code == 204 and receiver.hosts == [f"hooks.example:{receiver.port}"]


def test_a_name_rebound_to_an_internal_address_after_the_check_reaches_nothing(receiver: Receiver) -> None:
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])
    policy = OutboundPolicy(resolve=lambda host, port: next(answers))
    url = f"http://rebind.example:{receiver.port}/hook"
    assert policy.check_url(url) == url  # at subscription: public
    with httpx.Client() as client, pytest.raises(AddressRefused, match="resolves to 127.0.0.1"):
        policy.post(client, url, content=b"{}", headers={}, timeout=5)  # at delivery: loopback
    assert receiver.hosts == []


def test_redirects_are_not_followed() -> None:
    inner = Receiver()
    outer = Receiver(302, location=f"http://127.0.0.1:{inner.port}/inside")
    try:
        policy = OutboundPolicy(allow=parse_networks("127.0.0.1/32", "test"))
        with httpx.Client(follow_redirects=True) as client:  # even a client set to follow
            r = policy.post(client, f"http://127.0.0.1:{outer.port}/hook", content=b"{}", headers={}, timeout=5)
        assert r.status_code == 302 and len(outer.hosts) == 1 and inner.hosts == []
    finally:
        inner.close()
        outer.close()
