"""The address rules of outbound requests (``tocsin.outbound_rules``), as pure functions:
each address's kind, IPv4 inside IPv6, what each rule refuses and how it says so, the
allowlist and its setting."""

from __future__ import annotations

import ipaddress

import pydantic
import pytest

from tocsin.outbound import Outbound, Trust
from tocsin.outbound_rules import Allowlist, Kind, Rule, kind_of
from tocsin.settings import Settings


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("93.184.216.34", Kind.PUBLIC),
        ("2606:4700::1111", Kind.PUBLIC),
        ("0.0.0.0", Kind.UNSPECIFIED),
        ("::", Kind.UNSPECIFIED),
        ("224.0.0.1", Kind.MULTICAST),
        ("ff02::1", Kind.MULTICAST),
        ("169.254.169.254", Kind.METADATA),
        ("fd00:ec2::254", Kind.METADATA),
        ("169.254.170.2", Kind.METADATA),
        ("100.100.100.200", Kind.METADATA),
        ("169.254.1.1", Kind.LINK_LOCAL),
        ("fe80::1", Kind.LINK_LOCAL),
        ("127.0.0.1", Kind.LOOPBACK),
        ("127.8.9.10", Kind.LOOPBACK),
        ("::1", Kind.LOOPBACK),
        ("10.0.0.1", Kind.PRIVATE),
        ("172.31.255.255", Kind.PRIVATE),
        ("192.168.0.1", Kind.PRIVATE),
        ("fd12:3456::1", Kind.PRIVATE),
        ("fec0::1", Kind.PRIVATE),  # site-local (deprecated, still routed in places)
        ("100.64.0.1", Kind.OTHER),  # carrier-grade NAT
    ],
)
def test_each_address_has_one_kind(address: str, kind: Kind) -> None:
    assert kind_of(ipaddress.ip_address(address)) is kind


USER = Outbound().rule(Trust.USER)
CONFIGURED = Outbound().rule(Trust.CONFIGURED)
HINT = "; add it to TOCSIN_OUTBOUND_ALLOW to allow it"
LINK_LOCAL = "fe80::1 is a link-local address"
NEVER = "0.0.0.0 is not an address to call (unspecified)"


@pytest.mark.parametrize(
    ("address", "user", "configured"),
    [
        ("93.184.216.34", None, None),
        ("127.0.0.1", f"127.0.0.1 is a loopback address{HINT}", None),
        ("10.0.0.1", f"10.0.0.1 is a private address{HINT}", None),
        ("100.64.0.1", f"100.64.0.1 is not a public address{HINT}", None),
        (
            "169.254.169.254",
            f"169.254.169.254 is a cloud metadata address (link-local){HINT}",
            f"169.254.169.254 is a cloud metadata address (link-local){HINT}",
        ),
        ("fe80::1%eth0", f"{LINK_LOCAL}{HINT}", f"{LINK_LOCAL}{HINT}"),
        ("0.0.0.0", NEVER, NEVER),
        ("[::1]", f"::1 is a loopback address{HINT}", None),
        ("not-an-ip", "'not-an-ip' is not an IP address", "'not-an-ip' is not an IP address"),
    ],
)  # fmt: skip
def test_what_each_trust_refuses(address: str, user: str | None, configured: str | None) -> None:
    assert USER.refusal(address) == user
    assert CONFIGURED.refusal(address) == configured


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("::ffff:169.254.169.254", "169.254.169.254"),  # IPv4-mapped
        ("::a9fe:a9fe", "169.254.169.254"),  # IPv4-compatible
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64
        ("64:ff9b:1::a9fe:a9fe", "169.254.169.254"),  # NAT64, local use
        ("2002:a9fe:a9fe::1", "169.254.169.254"),  # 6to4
        ("2001:0:4136:e378:8000:63bf:5601:5601", "169.254.169.254"),  # Teredo client
        ("::ffff:10.0.0.1", "10.0.0.1"),
        ("::ffff:0:a9fe:a9fe", "169.254.169.254"),  # IPv4-translated
        ("64:ff9b::7f00:1", "127.0.0.1"),
    ],
)
def test_an_ipv4_address_inside_ipv6_is_judged_as_itself(address: str, inner: str) -> None:
    reason = USER.refusal(address)
    assert reason is not None and f"carries {inner}: {inner} is a" in reason
    if inner.startswith("169.254."):
        assert CONFIGURED.refusal(address) is not None  # never, even for the admin's URLs
    assert USER.refusal("64:ff9b::5db8:d822") is None  # NAT64 of a public address


def test_a_rule_allows_what_it_says_and_no_more() -> None:
    private = Rule(private=True)
    assert private.refusal("10.0.0.1") is None
    assert private.refusal("169.254.169.254") is not None
    link_local = Rule(link_local=True)
    assert link_local.refusal("169.254.169.254") is None
    assert link_local.refusal("10.0.0.1") is not None
    explicit = Rule(explicit=frozenset({"10.0.0.1", "169.254.1.1"}))
    assert explicit.refusal("10.0.0.1") is None
    assert explicit.refusal("10.0.0.2") is not None
    assert explicit.refusal("169.254.1.1") is not None  # explicit never covers link-local
    assert Rule(private=True, link_local=True).refusal("224.0.0.1") is not None


def test_a_metadata_service_name_is_refused_before_it_is_looked_up() -> None:
    assert CONFIGURED.host_refusal("metadata.google.internal") == (
        f"metadata.google.internal is a cloud metadata service{HINT}"
    )
    assert CONFIGURED.host_refusal("Metadata.Google.Internal.") is not None
    assert CONFIGURED.host_refusal("hooks.example.com") is None
    assert CONFIGURED.host_refusal("[fd00:ec2::254]") is not None
    allowed = Rule(allow=Allowlist.parse("metadata.google.internal"))
    assert allowed.host_refusal("metadata.google.internal") is None


def test_the_allowlist_reads_networks_addresses_and_names() -> None:
    allow = Allowlist.parse(" 10.0.0.0/8, 127.0.0.1 ,fd00::/8, Hooks.Internal., *.corp.example,")
    assert [str(n) for n in allow.networks] == ["10.0.0.0/8", "127.0.0.1/32", "fd00::/8"]
    assert allow.has_host("hooks.internal") and allow.has_host("HOOKS.INTERNAL.")
    assert allow.has_host("pager.eu.corp.example")
    assert not allow.has_host("corp.example.evil.test") and not allow.has_host("xcorp.example")
    rule = Rule(allow=allow)
    assert rule.refusal("10.9.8.7") is None and rule.refusal("fd00::1") is None
    assert rule.refusal("::ffff:127.0.0.1") is None  # the IPv4 address inside is allowed
    assert rule.refusal("192.168.1.1") is not None
    assert not Allowlist.parse("") and not Allowlist.parse(" , ")
    for bad in ("10.0.0.0/33", "hooks internal", "http://hooks.internal/", "a*b.example"):
        with pytest.raises(ValueError, match="is not an address, a network"):
            Allowlist.parse(bad)


def test_the_setting_is_checked_when_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOCSIN_OUTBOUND_ALLOW", "10.0.0.0/8, hooks internal")
    with pytest.raises(pydantic.ValidationError, match="outbound_allow"):
        Settings()
    monkeypatch.setenv("TOCSIN_OUTBOUND_ALLOW", "10.0.0.0/8,hooks.internal")
    monkeypatch.setenv("TOCSIN_OUTBOUND_MAX_RESPONSE_BYTES", "2048")
    monkeypatch.setenv("TOCSIN_OUTBOUND_TIMEOUT", "PT12S")
    outbound = Outbound.from_environment()
    assert outbound.allow == Allowlist.parse("10.0.0.0/8,hooks.internal")
    assert (outbound.max_response_bytes, outbound.total) == (2048, 12.0)
