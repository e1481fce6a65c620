"""Paging one person: the generic HTTP SMS gateway, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.channels.contact_pages import (
    SMS_TEXT,
    deliver,
    form,
    page,
)
from tests.http_handler import QuickHandler
from tests.receiver_server import ReceiverServer, refused_url
from tocsin.channels.sms_gateway import GatewaySms, GatewayTemplate
from tocsin.channels.templates import TemplateError


def test_the_gateway_posts_json_with_the_default_params(receiver: ReceiverServer) -> None:
    result = deliver(GatewaySms(f"{receiver.url}/sms"), "+15557654321")
    assert result.ok and result.status_code == 200
    assert receiver.last.path == "/sms"
    assert receiver.last.json() == {"to": "+15557654321", "text": SMS_TEXT}


def test_the_gateway_renders_templates_into_form_fields_with_headers(
    receiver: ReceiverServer,
) -> None:
    params = {
        "number": "{{ to }}",
        "message": "{{ subject }} ({{ reply_code }})",
        "url": "{{ link }}",
        "ref": "{{ idempotency_key }}",
        "api_key": "gw-key-123",
    }
    sender = GatewaySms(
        f"{receiver.url}/send",
        content_type="form",
        headers={"X-Gateway": "tocsin"},
        params={k: GatewayTemplate(v) for k, v in params.items()},
    )
    assert deliver(sender, "+15557654321").ok
    request = receiver.last
    assert request.headers["x-gateway"] == "tocsin"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form(request) == {
        "number": "+15557654321",
        "message": "[P1] API latency high (K7)",
        "url": "https://tocsin.test/incidents/42",
        "ref": "inc42-l0-n0-u7",
        "api_key": "gw-key-123",
    }


def test_the_gateway_text_respects_its_max_length(receiver: ReceiverServer) -> None:
    sender = GatewaySms(f"{receiver.url}/sms", max_length=160)
    assert deliver(sender, "+15557654321", page(body="long " * 100)).ok
    text = receiver.last.json()["text"]
    assert len(text) <= 160 and text.endswith("https://tocsin.test/incidents/42")


class GetServer:
    """A loopback server that records GET requests (ReceiverServer records POSTs)."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(QuickHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def get_server() -> Iterator[GetServer]:
    server = GetServer()
    yield server
    server.close()


def test_a_get_gateway_sends_query_parameters(get_server: GetServer) -> None:
    sender = GatewaySms(
        f"{get_server.url}/cgi/send?user=ops",
        http_method="GET",
        params={"to": GatewayTemplate("{{ to }}"), "msg": GatewayTemplate("{{ subject }}")},
    )
    assert deliver(sender, "+15557654321").ok
    (path,) = get_server.paths
    parts = urlsplit(path)
    assert parts.path == "/cgi/send"
    assert dict(parse_qsl(parts.query)) == {
        "user": "ops",
        "to": "+15557654321",
        "msg": "[P1] API latency high",
    }


@pytest.mark.parametrize(
    ("success_status", "status", "ok", "retryable"),
    [
        ((), 200, True, False),
        ((), 204, True, False),
        ((202,), 202, True, False),
        ((202,), 200, False, False),
        ((), 400, False, False),
        ((), 503, False, True),
        ((), 429, False, True),
    ],
)
def test_gateway_answers_map_to_results(
    receiver: ReceiverServer,
    success_status: tuple[int, ...],
    status: int,
    ok: bool,
    retryable: bool,
) -> None:
    receiver.answer("/sms", status, "answer")
    result = deliver(GatewaySms(f"{receiver.url}/sms", success_status=success_status), "+1555")
    assert result.ok is ok and result.retryable is retryable and result.status_code == status


def test_gateway_secrets_are_blanked_in_errors(receiver: ReceiverServer) -> None:
    receiver.answer("/sms", 401, "bad key gw-key-123 or token Bearer hdr-secret-9")
    sender = GatewaySms(
        f"{receiver.url}/sms",
        headers={"Authorization": "Bearer hdr-secret-9"},
        params={"to": GatewayTemplate("{{ to }}"), "key": GatewayTemplate("gw-key-123")},
    )
    result = deliver(sender, "+1555")
    assert not result.ok and not result.retryable
    assert result.error == "HTTP 401: bad key <secret> or token <secret>"


def test_gateway_unreachable_is_retried() -> None:
    result = deliver(GatewaySms(f"{refused_url()}/sms"), "+1555")
    assert not result.ok and result.retryable


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("{{ phone }}", "unknown name(s) phone"),
        ("{{ to ", "template error"),
        ("{{ to.missing.attr }}", "template error"),
    ],
)
def test_a_bad_gateway_template_fails_when_compiled(source: str, error: str) -> None:
    with pytest.raises(TemplateError, match=error.replace("(", r"\(").replace(")", r"\)")):
        GatewayTemplate(source)
