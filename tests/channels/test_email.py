"""The email receiver against a real SMTP server (aiosmtpd) on 127.0.0.1: configuration,
the message, STARTTLS, implicit TLS, AUTH, and how SMTP failures are classified."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.live_server import free_port
from tests.smtp_server import Recorder, smtp_server
from tocsin.channels.email import EmailChannel
from tocsin.channels.notification import Notification, PayloadAlert
from tocsin.channels.registry import build_receivers

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1: (cert, key)."""
    if shutil.which("openssl") is None:
        pytest.skip("TLS tests need the openssl command to make a self-signed certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


# --- building channels and notifications ----------------------------------------------------

Problems = list[tuple[list[str | int], str]]


def build(cfg: dict[str, Any], globals_: dict[str, Any] | None = None) -> tuple[Any, Problems]:
    problems: Problems = []
    receivers, _ = build_receivers(
        [{"name": "team", "email_configs": [cfg]}],
        globals_ or {},
        lambda keys, text: problems.append((keys, text)),
    )
    specs = receivers["team"]
    return (specs[0].channel if specs else None), problems


def channel(port: int, **cfg: Any) -> EmailChannel:
    base: dict[str, Any] = {
        "to": "oncall@example.test, Second <second@example.test>",
        "from": "Tocsin <tocsin@example.test>",
        "smarthost": f"127.0.0.1:{port}",
        "require_tls": False,
    }
    built, problems = build({**base, **cfg})
    assert problems == []
    assert isinstance(built, EmailChannel)
    return built


def alert(instance: str, firing: bool = True, **annotations: str) -> PayloadAlert:
    return PayloadAlert(
        fingerprint=f"fp-{instance}",
        labels={"alertname": "HighLatency", "job": "api", "instance": instance, "sev": "page"},
        annotations=annotations,
        starts_at=T0,
        ends_at=None if firing else T0 + timedelta(minutes=7),
        generator_url="http://prometheus.test/graph?g0.expr=up",
        firing=firing,
    )


FIRING = Notification(
    receiver="team",
    group_key='{}:{alertname="HighLatency"}',
    group_labels={"alertname": "HighLatency"},
    alerts=[
        alert(
            "web-1",
            summary="p99 <script>alert(1)</script> & rising",
            description="Latency above 2s for 10m",
            runbook_url="https://runbooks.test/latency?a=1&b=2",
            dashboard_url="https://grafana.test/d/api",
        ),
        alert("web-2", summary="p99 high"),
    ],
    external_url="http://tocsin.test/",
)

RESOLVED = Notification(
    receiver="team",
    group_key=FIRING.group_key,
    group_labels=FIRING.group_labels,
    alerts=[alert("web-1", firing=False, summary="p99 high")],
    external_url="http://tocsin.test",
)


def send(ch: EmailChannel, notification: Notification = FIRING) -> Any:
    with httpx.Client() as client:
        return ch.send(notification, client)


def parts(message: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): str(part.get_content())
        for part in message.walk()
        if not part.is_multipart()
    }


# --- configuration ----------------------------------------------------------------------------


def test_globals_fill_in_missing_values_field_by_field(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-file\n")
    globals_ = {
        "smtp_from": "global@example.test",
        "smtp_smarthost": "mail.example.test:587",
        "smtp_hello": "tocsin.example.test",
        "smtp_auth_username": "global-user",
        "smtp_auth_password_file": str(secret),
        "smtp_auth_identity": "global-identity",
        "smtp_require_tls": False,
    }
    built, problems = build({"to": "a@example.test", "auth_username": "own-user"}, globals_)
    assert problems == []
    assert isinstance(built, EmailChannel)
    assert (built.host, built.port, built.hello) == (
        "mail.example.test",
        587,
        "tocsin.example.test",
    )
    assert built.sender.source == "global@example.test"
    assert (built.auth_username, built.auth_password) == ("own-user", "from-file")
    assert built.auth_identity == "global-identity"
    assert built.require_tls is False and built.implicit_tls is False
    assert built.send_resolved is False

    own, _ = build(
        {"to": "a@example.test", "from": "own@example.test", "smarthost": "smtp.test:465"},
        {"smtp_smarthost": "ignored.test:25"},
    )
    assert isinstance(own, EmailChannel)
    assert (own.host, own.port, own.implicit_tls) == ("smtp.test", 465, True)
    assert own.sender.source == "own@example.test"
    assert own.require_tls is True and own.hello == "localhost"


@pytest.mark.parametrize(
    ("cfg", "globals_", "key", "words"),
    [
        ({"smarthost": "m.test:25", "from": "f@x.test"}, {}, "to", "required"),
        ({"to": "a@x.test"}, {"smtp_from": "f@x.test"}, "smarthost", "smtp_smarthost"),
        ({"to": "a@x.test", "smarthost": "m.test:25"}, {}, "from", "smtp_from"),
        ({"to": "a@x.test", "smarthost": "no-port"}, {"smtp_from": "f@x.test"}, "smarthost", ":"),
        ({"to": "a@x.test", "html": "{{ Nope }}"}, {}, "html", "unknown name"),
        ({"to": "a@x.test", "text": "{% if %}"}, {}, "text", "template error"),
        ({"to": "a@x.test", "headers": {"X-A": "{{ Alerts | nofilter }}"}}, {}, "headers", "X-A"),
        ({"to": "a@x.test", "headers": {"subject": "a", "Subject": "b"}}, {}, "headers", "dup"),
        ({"to": "a@x.test", "auth_password": "a", "auth_password_file": "f"}, {}, None, "most"),
    ],
)
def test_configuration_errors_name_the_key(
    cfg: dict[str, Any], globals_: dict[str, Any], key: str | None, words: str
) -> None:
    full_globals = {"smtp_from": "f@x.test", "smtp_smarthost": "m.test:25", **globals_}
    if key in ("smarthost", "from"):
        full_globals = globals_
    built, problems = build(cfg, full_globals)
    assert built is None
    assert len(problems) == 1, problems
    keys, text = problems[0]
    assert keys[:4] == ["receivers", 0, "email_configs", 0]
    if key is not None:
        assert keys[4:] == [key]
    assert words in text


# --- delivery -----------------------------------------------------------------------------


def test_firing_notification_is_a_multipart_message_with_escaped_html() -> None:
    with smtp_server() as (server, port):
        result = send(channel(port))
    assert result.ok, result.error
    [got] = server.received
    assert got.mail_from == "tocsin@example.test"
    assert got.rcpt_tos == ["oncall@example.test", "second@example.test"]
    msg = got.message
    assert msg["Subject"] == "[FIRING:2] HighLatency (api page)"
    assert msg["To"] == "oncall@example.test, Second <second@example.test>"
    assert msg["From"] == "Tocsin <tocsin@example.test>"
    assert msg["Date"] and msg["Message-Id"].endswith("@example.test>")
    assert msg.get_content_type() == "multipart/alternative"
    body = parts(msg)
    assert list(body) == ["text/plain", "text/html"]
    text, html = body["text/plain"], body["text/html"]

    assert "p99 <script>alert(1)</script> & rising" in text
    assert "Latency above 2s for 10m" in text
    assert "instance=web-1" in text and "instance=web-2" in text
    assert "Runbook: https://runbooks.test/latency?a=1&b=2" in text
    assert "Started: 2026-03-01 12:00:00 UTC" in text
    assert "http://tocsin.test/alerts" in text

    assert "<script>" not in html
    assert "p99 &lt;script&gt;alert(1)&lt;/script&gt; &amp; rising" in html
    assert '<a href="https://runbooks.test/latency?a=1&amp;b=2">Runbook</a>' in html
    assert '<a href="https://grafana.test/d/api">Dashboard</a>' in html
    assert '<a href="http://tocsin.test/alerts">View in Tocsin</a>' in html


def test_custom_headers_and_templates() -> None:
    cfg = {
        "headers": {
            "subject": "{{ CommonLabels.alertname }}: {{ Alerts.Firing|length }} on {{ Receiver }}",
            "X-Team": "sre-{{ CommonLabels.job }}",
            "To": "Oncall <oncall@example.test>",
        },
        "text": "{% for a in Alerts %}{{ a.Labels.instance }}\n{% endfor %}",
        "html": "",
        "to": "{{ CommonLabels.job }}-oncall@example.test",
    }
    with smtp_server() as (server, port):
        result = send(channel(port, **cfg))
    assert result.ok, result.error
    [got] = server.received
    assert got.rcpt_tos == ["api-oncall@example.test"]
    assert got.message["Subject"] == "HighLatency: 2 on team"
    assert got.message["X-Team"] == "sre-api"
    assert got.message["To"] == "Oncall <oncall@example.test>"
    assert got.message.get_content_type() == "text/plain"
    assert got.message.get_content().splitlines() == ["web-1", "web-2"]


def test_a_label_cannot_inject_headers() -> None:
    cfg = {"headers": {"Subject": "{{ Alerts[0].Annotations.summary }}"}}
    evil = alert("web-1", summary="hi\r\nBcc: victim@example.test")
    with smtp_server() as (server, port):
        result = send(channel(port, **cfg), Notification("team", "g", {}, [evil], ""))
    assert result.ok, result.error
    [got] = server.received
    assert got.message["Subject"] == "hi Bcc: victim@example.test"
    assert got.message["Bcc"] is None


def test_resolved_notification() -> None:
    with smtp_server() as (server, port):
        ch = channel(port, send_resolved=True)
        result = send(ch, RESOLVED)
    assert ch.send_resolved is True
    assert result.ok, result.error
    [got] = server.received
    assert got.message["Subject"] == "[RESOLVED] HighLatency (web-1 api page)"
    body = parts(got.message)
    assert "0 firing, 1 resolved" in body["text/plain"]
    assert "Ended: 2026-03-01 12:07:00 UTC" in body["text/plain"]
    assert "Resolved (1)" in body["text/html"] and "Firing (" not in body["text/html"]


# --- AUTH -------------------------------------------------------------------------------------


def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"alice", b"s3cret")
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_auth_with_username_and_password(mechanism: str) -> None:
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    options = {
        "authenticator": authenticator,
        "auth_required": True,
        "auth_require_tls": False,
        "auth_exclude_mechanism": [other],
    }
    with smtp_server(**options) as (server, port):
        good = send(channel(port, auth_username="alice", auth_password="s3cret"))
        bad = send(channel(port, auth_username="alice", auth_password="wrong"))
        anonymous = send(channel(port))
    assert good.ok, good.error
    assert [r.authenticated for r in server.received] == [True]
    assert not bad.ok and not bad.retryable and bad.status_code == 535
    assert "authentication failed: SMTP 535" in (bad.error or "")
    assert not anonymous.ok and anonymous.status_code == 530 and not anonymous.retryable


# --- TLS ------------------------------------------------------------------------------------


def test_starttls_required_and_verified(certificate: tuple[Path, Path]) -> None:
    cert = str(certificate[0])
    with smtp_server(tls_context=server_tls(certificate), require_starttls=True) as (server, port):
        trusted = send(channel(port, require_tls=True, tls_config={"ca_file": cert}))
        opportunistic = send(channel(port, require_tls=False, tls_config={"ca_file": cert}))
        untrusted = send(channel(port, require_tls=True))
    assert trusted.ok, trusted.error
    assert opportunistic.ok, opportunistic.error
    assert [r.tls for r in server.received] == [True, True]
    assert not untrusted.ok and not untrusted.retryable
    assert "CERTIFICATE_VERIFY_FAILED" in (untrusted.error or "")


def test_require_tls_fails_when_the_server_has_no_starttls() -> None:
    with smtp_server() as (server, port):
        result = send(channel(port, require_tls=True))
    assert not result.ok and not result.retryable
    assert "does not offer STARTTLS" in (result.error or "")
    assert server.received == []


def test_implicit_tls_with_server_name(certificate: tuple[Path, Path]) -> None:
    tls = {"ca_file": str(certificate[0]), "server_name": "localhost"}
    with smtp_server(ssl_context=server_tls(certificate)) as (server, port):
        result = send(channel(port, force_implicit_tls=True, tls_config=tls))
        wrong_name = send(
            channel(port, force_implicit_tls=True, tls_config={**tls, "server_name": "other"})
        )
    assert result.ok, result.error
    assert [r.tls for r in server.received] == [True]
    assert not wrong_name.ok and not wrong_name.retryable


# --- failures -------------------------------------------------------------------------------


def test_recipient_rejected_with_550_is_not_retried() -> None:
    replies = {
        "oncall@example.test": "550 5.1.1 <oncall@example.test>: no such user",
        "second@example.test": "550 5.1.1 <second@example.test>: no such user",
    }
    with smtp_server(Recorder(replies)) as (server, port):
        result = send(channel(port))
    assert not result.ok and not result.retryable and result.status_code == 550
    assert "550 5.1.1 <oncall@example.test>: no such user" in (result.error or "")
    assert server.received == []


def test_some_recipients_rejected_is_reported_not_retried() -> None:
    replies = {"second@example.test": "550 5.1.1 no such user"}
    with smtp_server(Recorder(replies)) as (server, port):
        result = send(channel(port))
    assert [r.rcpt_tos for r in server.received] == [["oncall@example.test"]]
    assert not result.ok and not result.retryable
    assert "delivered to oncall@example.test" in (result.error or "")
    assert "second@example.test (SMTP 550" in (result.error or "")


def test_temporary_rejection_is_retried() -> None:
    replies = {
        a: "451 4.3.0 try again later" for a in ("oncall@example.test", "second@example.test")
    }
    with smtp_server(Recorder(replies)) as (_, port):
        result = send(channel(port))
    assert not result.ok and result.retryable and result.status_code == 451
    assert "451 4.3.0 try again later" in (result.error or "")


def test_refused_connection_is_retried() -> None:
    port = free_port()  # nothing listens on it
    result = send(channel(port))
    assert not result.ok and result.retryable
    assert f"127.0.0.1:{port}" in (result.error or "")
