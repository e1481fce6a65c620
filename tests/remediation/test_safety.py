"""The safety rules, as pure functions and the guard: which URLs are allowed, which
addresses refused, rate-limit windows; the call goes to the address the guard checked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.receiver_server import ReceiverServer
from tocsin.domain.remediation import (
    RateLimit,
    RemediationConfig,
    RunState,
    address_refusal,
    address_rule,
    frees_at,
    host_refusal,
    truncate,
    url_allowed,
)
from tocsin.integrations.remediation_http import call
from tocsin.notify.status_webhook_guard import WebhookGuard
from tocsin.outbound import Guard, Refused

ALLOWED = ["https://deploy.example.com/api/", "http://127.0.0.1:9000/"]


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://deploy.example.com/api/restart", True),
        ("https://deploy.example.com/api/", True),
        ("https://DEPLOY.example.com:443/api/x", True),
        ("https://deploy.example.com/apix", False),
        ("https://deploy.example.com/other", False),
        ("http://deploy.example.com/api/restart", False),  # another scheme
        ("https://deploy.example.com:8443/api/restart", False),  # another port
        ("https://deploy.example.com.evil.test/api/", False),
        ("https://evil.test/?https://deploy.example.com/api/", False),
        ("http://127.0.0.1:9000/flush", True),
        ("http://127.0.0.1:9001/flush", False),
        ("ftp://deploy.example.com/api/", False),
        ("not a url", False),
    ],
)
def test_url_allowed(url: str, allowed: bool) -> None:
    assert url_allowed(url, ALLOWED) is allowed


@pytest.mark.parametrize(
    ("address", "private", "link_local", "explicit", "refused"),
    [
        ("93.184.216.34", False, False, (), None),
        ("169.254.169.254", True, False, (), "cloud metadata"),
        ("169.254.10.1", True, False, (), "link-local"),
        ("fe80::1", True, False, (), "link-local"),
        ("fd00:ec2::254", True, False, (), "cloud metadata"),
        ("100.100.100.200", True, False, (), "cloud metadata"),
        ("::ffff:169.254.169.254", True, False, (), "cloud metadata"),
        ("169.254.169.254", False, True, (), None),
        ("127.0.0.1", False, False, (), "loopback"),
        ("10.0.0.5", False, False, (), "private"),
        ("10.0.0.5", True, False, (), None),
        ("127.0.0.1", False, False, ("127.0.0.1",), None),
        ("0.0.0.0", True, True, (), "not an address to call"),
    ],
)
def test_address_refusal(
    address: str, private: bool, link_local: bool, explicit: tuple[str, ...], refused: str | None
) -> None:
    reason = address_refusal(
        address, allow_private=private, allow_link_local=link_local, explicit=explicit
    )
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe carries 169.254.169.254"),  # NAT64
        ("64:ff9b::a00:1", "carries 10.0.0.1: 10.0.0.1 is a private"),
        ("64:ff9b::7f00:1", "carries 127.0.0.1: 127.0.0.1 is a loopback"),
        ("64:ff9b:1::a9fe:a9fe", "cloud metadata"),  # NAT64, local use (RFC 8215)
        ("::a9fe:a9fe", "carries 169.254.169.254"),  # IPv4-compatible
        ("::a00:1", "carries 10.0.0.1"),
        ("::ffff:a9fe:a9fe", "carries 169.254.169.254"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "carries 10.0.0.1"),
        ("2002:a9fe:a9fe::1", "carries 169.254.169.254"),  # 6to4
        ("2002:7f00:1::", "carries 127.0.0.1"),
        ("2001:0:4136:e378:8000:63bf:5601:5601", "carries 169.254.169.254"),  # Teredo client
        ("::1", "loopback"),
        ("64:ff9b::5db8:d822", None),  # NAT64 of 93.184.216.34, public
        ("2606:4700::6810:84e5", None),
    ],
)
def test_ipv4_inside_ipv6_counts_as_the_ipv4_address(address: str, refused: str | None) -> None:
    reason = address_refusal(address, allow_private=False, allow_link_local=False)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and refused in reason, reason


def test_a_private_address_is_trusted_only_for_its_own_literal_url() -> None:
    """127.0.0.1 written in allowed_urls allows http://127.0.0.1:9000/..., not a name in
    allowed_urls that resolves to 127.0.0.1."""
    config = RemediationConfig(
        allowed_urls=("https://deploy.example.com/", "http://127.0.0.1:9000/")
    )
    assert config.explicit_for("http://127.0.0.1:9000/flush") == frozenset({"127.0.0.1"})
    assert config.explicit_for("https://deploy.example.com/restart") == frozenset()
    assert config.explicit_for("http://10.0.0.1/") == frozenset()  # not in allowed_urls


def test_host_refusal() -> None:
    assert host_refusal("metadata.google.internal", False) is not None
    assert host_refusal("[fd00:ec2::254]", False) is not None
    assert host_refusal("deploy.example.com", False) is None
    assert host_refusal("127.0.0.1", False) is None  # private: a matter for allowed_urls
    assert host_refusal("169.254.169.254", True) is None


def test_rate_limit_window() -> None:
    t0 = datetime(2026, 3, 1, 12, tzinfo=UTC)
    limit = RateLimit(3, timedelta(hours=1))
    runs = [t0, t0 + timedelta(minutes=10), t0 + timedelta(minutes=20)]
    assert frees_at(runs[:2], limit, t0 + timedelta(minutes=30)) is None
    assert frees_at(runs, limit, t0 + timedelta(minutes=30)) == t0 + timedelta(hours=1)
    assert frees_at(runs, limit, t0 + timedelta(hours=1)) is None
    assert frees_at(runs, None, t0) is None


def test_truncate_says_how_much_was_cut() -> None:
    assert truncate("short") == "short"
    cut = truncate("x" * 20, limit=8)
    assert cut == "xxxxxxxx\n[... 12 more bytes cut]"


def _guard(address: str, *, link_local: bool = False) -> Guard:
    rule = address_rule(allow_private=False, allow_link_local=link_local)
    return Guard(rule, lambda host, port: [address])


def test_the_guard_refuses_a_name_resolving_to_metadata() -> None:
    with pytest.raises(Refused, match="cloud metadata"):
        _guard("169.254.169.254").addresses("deploy.example.com", 80)


def test_the_guard_allows_link_local_when_asked() -> None:
    """Allowed: not refused by the guard (nothing is sent there in the tests)."""
    assert _guard("169.254.169.254", link_local=True).addresses("meta.test", 80) == [
        "169.254.169.254"
    ]


def test_the_call_goes_to_the_checked_address_under_its_own_name(
    receiver: ReceiverServer,
) -> None:
    """The name resolves (here) to 127.0.0.1, which the rule allows: the connection goes
    there, and the request still names the host it was made for."""
    port = receiver.url.rsplit(":", 1)[1]
    guard = Guard(
        address_rule(allow_private=True, allow_link_local=False), lambda h, p: ["127.0.0.1"]
    )
    outcome = call(
        "POST", f"http://deploy.test:{port}/ok", headers={}, body="x", timeout=2, guard=guard
    )
    assert outcome.state is RunState.SUCCEEDED
    assert receiver.last.headers["host"] == f"deploy.test:{port}"


def test_the_status_page_guard_is_unchanged() -> None:
    """Without a rule of its own the guard is the status page's (and its setting)."""
    guard = WebhookGuard(False, lambda host, port: ["10.0.0.1"])
    with pytest.raises(Refused, match="TOCSIN_STATUS_WEBHOOKS_ALLOW_PRIVATE"):
        guard.addresses("hooks.test", 80)
    assert WebhookGuard(True).addresses("10.0.0.1", 80) == ["10.0.0.1"]
    with pytest.raises(Refused, match="cloud metadata"):  # private allowed, metadata never
        WebhookGuard(True).addresses("169.254.169.254", 80)
