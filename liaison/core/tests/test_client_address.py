"""Whose address a request is: X-Forwarded-For counts only when a proxy the operator listed passed it on."""

import ipaddress

import pytest
from django.test import RequestFactory

from liaison.core.audit import client_address


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1")]


def request(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_a_forwarded_for_from_an_untrusted_address_is_ignored(proxies):
    assert client_address(request("203.0.113.5", "1.2.3.4")) == "203.0.113.5"


def test_a_forwarded_for_from_a_trusted_proxy_names_the_client(proxies):
    assert client_address(request("10.0.0.2", "198.51.100.7")) == "198.51.100.7"


def test_the_right_most_untrusted_hop_wins_over_what_the_client_wrote(proxies):
    """The client wrote 1.2.3.4; our proxies appended 198.51.100.7 (who reached them) and 10.0.0.3."""
    assert client_address(request("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.3")) == "198.51.100.7"


def test_a_chain_of_only_our_proxies_gives_the_farthest(proxies):
    assert client_address(request("::1", "10.1.1.1,10.0.0.3")) == "10.1.1.1"


def test_garbage_in_the_header_stops_at_the_last_trusted_proxy(proxies):
    assert client_address(request("10.0.0.2", "<script>, 10.0.0.7")) == "10.0.0.7"
    assert client_address(request("10.0.0.2", "")) == "10.0.0.2"


def test_an_ipv6_client_is_written_in_its_short_form(proxies):
    assert client_address(request("10.0.0.2", "2001:db8:0:0:0:0:0:1")) == "2001:db8::1"


def test_without_trusted_proxies_the_header_is_never_read(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(request("127.0.0.1", "198.51.100.7")) == "127.0.0.1"
