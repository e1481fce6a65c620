"""The SSRF address check of remediation calls (domain/remediation.py)."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ
from tocsin.domain.remediation import address_refusal, host_refusal, url_allowed

PRIVATE = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8", "100.64.0.0/10"]
LINK_LOCAL = "169.254.0.0/16"
METADATA = ["169.254.169.254", "100.100.100.200", "169.254.170.2"]

private_v4 = st.sampled_from(PRIVATE).flatmap(lambda n: st.ip_addresses(v=4, network=n))
link_local_v4 = st.ip_addresses(v=4, network=LINK_LOCAL)
metadata_v4 = st.sampled_from(METADATA).map(ipaddress.IPv4Address)
link_local_v6 = st.ip_addresses(v=6, network="fe80::/10")


def _wrapped(
    v4: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> st.SearchStrategy[ipaddress.IPv6Address]:
    """The IPv6 forms that carry an IPv4 address."""
    n = int(v4)
    teredo = (0x20010000 << 96) | (0x01020304 << 64) | (~n & 0xFFFFFFFF)
    return st.sampled_from(
        [
            ipaddress.IPv6Address((0xFFFF << 32) | n),  # ::ffff:a.b.c.d
            ipaddress.IPv6Address(n),  # ::a.b.c.d
            ipaddress.IPv6Address((0x0064FF9B << 96) | n),  # 64:ff9b::a.b.c.d
            ipaddress.IPv6Address((0x2002 << 112) | (n << 80)),  # 6to4
            ipaddress.IPv6Address(teredo),
        ]
    )


def _refused(address: object, *, allow_private: bool = False) -> bool:
    return (
        address_refusal(str(address), allow_private=allow_private, allow_link_local=False)
        is not None
    )


@FUZZ
@given(private_v4 | private_v4.flatmap(_wrapped))
def test_private_addresses_are_refused(address: object) -> None:
    assert _refused(address)
    assert not _refused(address, allow_private=True)


@FUZZ
@given(
    link_local_v4
    | metadata_v4
    | link_local_v6
    | (link_local_v4 | metadata_v4).flatmap(_wrapped)
    | st.just(ipaddress.IPv6Address("fd00:ec2::254"))
)
def test_link_local_and_metadata_are_refused_even_when_private_is_allowed(
    address: object,
) -> None:
    assert _refused(address, allow_private=True)
    assert _refused(address)
    assert host_refusal(f"[{address}]" if ":" in str(address) else str(address), False)
    # A zone index does not hide it.
    if isinstance(address, ipaddress.IPv6Address):
        assert _refused(f"{address}%eth0", allow_private=True)


@FUZZ
@given(st.ip_addresses(v=4) | st.ip_addresses(v=6))
def test_any_address_is_judged(address: object) -> None:
    ip = ipaddress.ip_address(str(address))
    reason = address_refusal(str(ip), allow_private=False, allow_link_local=False)
    if not ip.is_global or ip.is_link_local:
        assert reason is not None
    explicit = address_refusal(
        str(ip), allow_private=False, allow_link_local=False, explicit={str(ip)}
    )
    if explicit is None:
        assert not ip.is_link_local and not ip.is_multicast


@FUZZ
@given(st.text(max_size=30))
def test_any_text_is_judged(text: str) -> None:
    address_refusal(text, allow_private=False, allow_link_local=False)
    host_refusal(text, False)
    assert url_allowed(text, ["https://ops.example/api/"]) in (True, False)


@FUZZ
@given(st.from_regex(r"/[a-z/]{0,10}", fullmatch=True), st.sampled_from(["http", "https"]))
def test_url_prefixes(path: str, scheme: str) -> None:
    prefix = f"{scheme}://ops.example/api/"
    assert url_allowed(f"{scheme}://ops.example{path}", [prefix]) == path.startswith("/api/")
    other = "http" if scheme == "https" else "https"
    assert not url_allowed(f"{other}://ops.example{path}", [prefix])
