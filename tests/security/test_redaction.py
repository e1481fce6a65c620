"""The net under every log line and stored error: remembered secrets and secrets known by
their shape are blanked, in messages, in arguments (which formatters may read) and in
tracebacks."""

from __future__ import annotations

import logging

import httpx
import pytest

from tocsin import redaction
from tocsin.redaction import redact


def test_remembered_secrets_and_shapes_are_blanked() -> None:
    redaction.remember("remembered-secret-4711", "short", None)
    assert redact("a remembered-secret-4711 b") == "a <secret> b"
    assert redact("short stays") == "short stays"  # too short to be told apart from words
    cases = {
        "POST https://api.telegram.org/bot12345678:AAE-x_yz0123456789abc/sendMessage": (
            "POST https://api.telegram.org/bot<secret>/sendMessage"
        ),
        "token xoxb-1234-5678-abcdefgh used": "token <secret> used",
        "https://hooks.slack.com/services/T0AB/B0CD/abcdEFGH1234": (
            "https://hooks.slack.com/services/T0AB/B0CD/<secret>"
        ),
        "postgresql://tocsin:pa55word@db/tocsin": "postgresql://tocsin:<secret>@db/tocsin",
        "GET /api/heartbeats/backup/ping?token=abc123def&x=1": (
            "GET /api/heartbeats/backup/ping?token=<secret>&x=1"
        ),
        "{'Authorization': 'Basic dXNlcjpwYXNz'}": "{'Authorization': 'Basic <secret>'}",
        "nothing secret here: /api/v2/alerts 200": "nothing secret here: /api/v2/alerts 200",
    }
    for text, expected in cases.items():
        assert redact(text) == expected


def test_every_log_record_is_blanked(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A server started in this process earlier (uvicorn's logging setup) may have stopped
    # its access log from reaching the root logger, where caplog listens.
    monkeypatch.setattr(logging.getLogger("uvicorn.access"), "propagate", True)
    monkeypatch.setattr(logging.getLogger("uvicorn.access"), "disabled", False)
    monkeypatch.setattr(logging.getLogger("uvicorn.access"), "level", logging.NOTSET)
    redaction.install()
    redaction.remember("logged-secret-0815")
    caplog.set_level(logging.DEBUG)
    url = httpx.URL("http://127.0.0.1:9/bot987654:AAplanted_token_value/sendMessage")
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "POST", url, "HTTP/1.1 200 OK")
    access = logging.getLogger("uvicorn.access")
    access.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/x?token=qwerty123", "1.1", 200)
    try:
        raise RuntimeError("failed with logged-secret-0815")
    except RuntimeError:
        logging.getLogger("tocsin.test").exception("while sending %s", "logged-secret-0815")
    text = caplog.text
    assert "AAplanted_token_value" not in text and "qwerty123" not in text
    assert "logged-secret-0815" not in text
    assert "bot<secret>/sendMessage" in text and "while sending <secret>" in text
    assert "RuntimeError: failed with <secret>" in text
    # uvicorn's access formatter unpacks the arguments: they are kept, each blanked
    # (a handler an earlier test in this process left on a parent logger may show it twice)
    records = [r for r in caplog.records if r.name == "uvicorn.access"]
    assert records
    for record in records:
        assert isinstance(record.args, tuple) and record.args[2] == "/x?token=<secret>"
