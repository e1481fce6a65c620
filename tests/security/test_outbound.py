"""The outbound guard (``tocsin.outbound``) against real servers on 127.0.0.1: what is
refused (before any connection), redirects checked hop by hop, the allowlist, the answer
size limit (gzip bombs too), timeouts and the whole-request deadline, and TLS checked
against the host name while the connection goes to the checked address."""

from __future__ import annotations

import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.security.outbound_server import Misbehaving
from tocsin.outbound import TRUST, Outbound, Refused, TooLarge, Trust, guarded_client
from tocsin.outbound_rules import Allowlist

HINT = "; add it to TOCSIN_OUTBOUND_ALLOW to allow it"


@pytest.fixture
def server() -> Iterator[Misbehaving]:
    s = Misbehaving()
    yield s
    s.close()


def _never(host: str, port: int) -> list[str]:
    raise AssertionError(f"{host} should not have been looked up")


def _names(**table: list[str]) -> Outbound:
    """Outbound settings whose names resolve as ``table`` says (dots as underscores)."""
    known = {k.replace("_", "."): v for k, v in table.items()}
    return Outbound(resolve=lambda host, port: known[host])


def test_a_url_a_user_gave_may_not_reach_loopback_or_private_addresses(
    server: Misbehaving,
) -> None:
    with guarded_client(Outbound(resolve=_never), trust=Trust.USER) as client:
        for url, reason in [
            (f"{server.url}/ok", f"127.0.0.1 is a loopback address{HINT}"),
            ("http://10.1.2.3/hook", f"10.1.2.3 is a private address{HINT}"),
            ("http://100.64.0.7/hook", f"100.64.0.7 is not a public address{HINT}"),
            (
                f"http://[::ffff:127.0.0.1]:{server.port}/ok",
                f"::ffff:7f00:1 carries 127.0.0.1: 127.0.0.1 is a loopback address{HINT}",
            ),
            ("http://[fd12::1]/", f"fd12::1 is a private address{HINT}"),
        ]:
            with pytest.raises(Refused) as refused:
                client.post(url, json={})
            assert str(refused.value) == reason
    assert server.hits == []  # refused before connecting


def test_link_local_and_metadata_are_refused_even_for_configured_urls(
    server: Misbehaving,
) -> None:
    with guarded_client(Outbound(resolve=_never)) as client:
        assert client.get(f"{server.url}/ok").text == "ok"  # loopback: the admin's network
        for url, reason in [
            ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata"),
            ("http://[fd00:ec2::254]/latest/", "fd00:ec2::254 is a cloud metadata address"),
            ("http://100.100.100.200/", "100.100.100.200 is a cloud metadata address"),
            ("http://169.254.10.1/", "169.254.10.1 is a link-local address"),
            ("http://[fe80::1]/", "fe80::1 is a link-local address"),
            ("http://[64:ff9b::a9fe:a9fe]/", "carries 169.254.169.254"),
            ("http://metadata.google.internal/", "metadata.google.internal is a cloud metadata"),
            (f"http://0.0.0.0:{server.port}/ok", "0.0.0.0 is not an address to call"),
        ]:
            with pytest.raises(Refused, match=reason.replace(".", r"\.")):
                client.get(url)
    assert [h.path for h in server.hits] == ["/ok"]


def test_a_name_is_checked_by_every_address_and_the_connection_pinned(
    server: Misbehaving,
) -> None:
    """The name is resolved once per connection, by the guard; one refused address among
    its answers refuses it (a rebinding name answering public and private); the request
    still names the host it was made for."""
    answers = {"hooks.example.test": ["127.0.0.1", "169.254.169.254"]}
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return answers[host]

    url = f"http://hooks.example.test:{server.port}/ok"
    with guarded_client(Outbound(resolve=resolve)) as client:
        with pytest.raises(Refused, match="169.254.169.254 is a cloud metadata"):
            client.get(url)
        assert server.hits == []
        answers["hooks.example.test"] = ["127.0.0.1"]
        assert client.get(url).text == "ok"
        answers["hooks.example.test"] = ["169.254.169.254"]  # too late: the connection is kept
        assert client.get(url).text == "ok"
    assert asked == ["hooks.example.test", "hooks.example.test"]
    assert [h.host for h in server.hits] == [f"hooks.example.test:{server.port}"] * 2


def test_a_redirect_to_a_refused_address_is_refused(server: Misbehaving) -> None:
    metadata = quote("http://169.254.169.254/latest/meta-data/iam/")
    with (
        guarded_client(Outbound(), follow_redirects=True) as client,
        pytest.raises(Refused, match="169.254.169.254 is a cloud metadata"),
    ):
        client.post(f"{server.url}/redirect?to={metadata}", json={})
    private = quote(f"http://10.0.0.8:{server.port}/ok")
    user = Outbound(allow=Allowlist.parse("127.0.0.1"))
    with (
        guarded_client(user, trust=Trust.USER, follow_redirects=True) as client,
        pytest.raises(Refused, match="10.0.0.8 is a private address"),
    ):
        client.get(f"{server.url}/redirect?to={private}")
    assert [h.path.split("?")[0] for h in server.hits] == ["/redirect", "/redirect"]


def test_redirects_to_allowed_addresses_are_followed_a_few_times(server: Misbehaving) -> None:
    with guarded_client(Outbound(), follow_redirects=True) as client:
        answer = client.get(f"{server.url}/redirect?to={quote(server.url + '/ok')}")
        assert answer.status_code == 200 and answer.text == "ok"
        with pytest.raises(httpx.TooManyRedirects):
            client.get(f"{server.url}/loop")
    # The first pair, then the loop: the first request and Outbound.max_redirects more.
    assert len(server.hits) == 2 + 1 + Outbound().max_redirects
    with guarded_client(Outbound()) as client:  # not followed unless asked
        assert client.get(f"{server.url}/redirect?to=/ok").status_code == 302


def test_an_allowlisted_private_address_or_host_is_allowed(server: Misbehaving) -> None:
    for allow in ("127.0.0.0/8", "127.0.0.1", "10.0.0.0/8, 127.0.0.1/32"):
        outbound = Outbound(allow=Allowlist.parse(allow))
        with guarded_client(outbound, trust=Trust.USER) as client:
            assert client.get(f"{server.url}/ok").text == "ok"
    names = Outbound(
        allow=Allowlist.parse("hooks.internal, *.corp.example"),
        resolve=lambda host, port: ["127.0.0.1"],
    )
    with guarded_client(names, trust=Trust.USER) as client:
        for host in ("hooks.internal", "pager.corp.example"):
            assert client.get(f"http://{host}:{server.port}/ok").text == "ok"
        with pytest.raises(Refused, match="127.0.0.1 is a loopback address"):
            client.get(f"http://other.internal:{server.port}/ok")
    # An allowlist never lets through what is never called.
    with (
        guarded_client(Outbound(allow=Allowlist.parse("0.0.0.0/0"))) as client,
        pytest.raises(Refused, match="not an address to call"),
    ):
        client.get(f"http://0.0.0.0:{server.port}/ok")


def test_a_request_may_ask_for_the_stricter_rule_of_a_url_a_user_gave(
    server: Misbehaving,
) -> None:
    """One client, two pools: a connection made for a configured URL is not lent to a
    request for a user's URL."""
    with guarded_client(Outbound()) as client:
        assert client.get(f"{server.url}/ok").text == "ok"
        with pytest.raises(Refused, match="loopback"):
            client.get(f"{server.url}/ok", extensions={TRUST: Trust.USER})
    assert len(server.hits) == 1


def test_an_oversized_answer_is_an_error_not_read_into_memory(server: Misbehaving) -> None:
    small = Outbound(max_response_bytes=1000)
    with guarded_client(small) as client:
        assert len(client.get(f"{server.url}/big?n=1000").content) == 1000
        for path in ("/big?n=1001", "/big?n=5000000&sized=0"):
            with pytest.raises(TooLarge, match="larger than 1000 bytes"):
                client.get(f"{server.url}{path}")
        with (
            client.stream("GET", f"{server.url}/big?n=5000") as answer,  # streamed: the same
            pytest.raises(TooLarge),
        ):
            answer.read()
    with guarded_client(Outbound()) as client:  # 1 MiB by default
        assert client.get(f"{server.url}/gzip").text == "hello"  # decoded by the guard
        with pytest.raises(TooLarge, match=f"larger than {1024 * 1024} bytes"):
            client.get(f"{server.url}/bomb")  # 20 KB on the wire, 20 MiB inflated


def test_a_slow_server_times_out(server: Misbehaving) -> None:
    with guarded_client(Outbound(), timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"{server.url}/slow?s=5")
        assert time.monotonic() - started < 2


def test_a_trickling_answer_is_cut_at_the_whole_request_deadline(server: Misbehaving) -> None:
    """Each byte comes well within the read timeout: the request's deadline ends it."""
    with guarded_client(Outbound(total=0.6), timeout=0.3) as client:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout, match="did not finish within 0.6s"):
            client.get(f"{server.url}/trickle")
        assert 0.5 < time.monotonic() - started < 2


@pytest.fixture(scope="module")
def named_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for hooks.example.test only (no IP address in it)."""
    if shutil.which("openssl") is None:
        pytest.skip("the TLS test needs the openssl command to make a certificate")
    folder = tmp_path_factory.mktemp("outbound-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=hooks.example.test",
            "-addext", "subjectAltName=DNS:hooks.example.test",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_tls_checks_the_host_name_while_connecting_to_the_checked_address(
    named_certificate: tuple[Path, Path],
) -> None:
    server = Misbehaving(tls=named_certificate)
    try:
        trust = ssl.create_default_context(cafile=str(named_certificate[0]))
        outbound = _names(hooks_example_test=["127.0.0.1"])
        with guarded_client(outbound, verify=trust) as client:
            answer = client.get(f"https://hooks.example.test:{server.port}/ok")
            assert answer.text == "ok"
            # The address itself is not what the certificate names: refused by TLS.
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                client.get(f"https://127.0.0.1:{server.port}/ok")
        assert [h.host for h in server.hits] == [f"hooks.example.test:{server.port}"]
    finally:
        server.close()
