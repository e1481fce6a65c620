"""The Telegram receiver against a real HTTP server on 127.0.0.1 playing the Bot API:
configuration, the sendMessage request, escaping for each parse mode, and answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.receiver_server import Recorder, refused_url
from tocsin.channels.notification import Notification, PayloadAlert, SendResult
from tocsin.channels.registry import build_receivers
from tocsin.channels.telegram import TelegramChannel, truncate

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TOKEN = "123456:ABC-token"
PATH = f"/bot{TOKEN}/sendMessage"
SENT = {"ok": True, "result": {"message_id": 77, "chat": {"id": -1001}}}
Problems = list[tuple[list[str | int], str]]


@pytest.fixture
def server() -> Iterator[Recorder]:
    with Recorder() as recorder:
        recorder.answer(PATH, 200, SENT)
        yield recorder


def build(cfg: dict[str, Any], globals_: dict[str, Any] | None = None) -> tuple[Any, Problems]:
    problems: Problems = []
    receivers, _ = build_receivers(
        [{"name": "team", "telegram_configs": [cfg]}],
        globals_ or {},
        lambda keys, text: problems.append((keys, text)),
    )
    specs = receivers["team"]
    return (specs[0].channel if specs else None), problems


def channel(server: Recorder, **cfg: Any) -> TelegramChannel:
    built, problems = build({"api_url": server.url, "bot_token": TOKEN, "chat_id": -1001, **cfg})
    assert problems == []
    assert isinstance(built, TelegramChannel)
    return built


def alert(instance: str, *, firing: bool = True, **ann: str) -> PayloadAlert:
    return PayloadAlert(
        fingerprint=f"fp-{instance}",
        labels={"alertname": "CertExpiry", "job": "edge", "instance": instance, "severity": "warn"},
        annotations=ann,
        starts_at=T0,
        ends_at=None if firing else T0 + timedelta(minutes=5),
        generator_url="http://prometheus.test/graph?a=1&b=2",
        firing=firing,
    )


FIRING = Notification(
    receiver="team",
    group_key="{}:{}",
    group_labels={"alertname": "CertExpiry", "job": "edge"},
    alerts=[
        alert(
            "lb-1",
            summary="cert <b>expires</b> in 3 days & counting",
            description="renew *now*",
            runbook_url="https://runbooks.test/cert?x=1&y=2",
        )
    ],
    external_url="http://tocsin.test",
)


def send(ch: TelegramChannel, n: Notification = FIRING) -> SendResult:
    with httpx.Client() as client:
        return ch.send(n, client)


# --- configuration ----------------------------------------------------------------------------


def test_defaults_follow_alertmanager(server: Recorder) -> None:
    ch, problems = build({"bot_token": TOKEN, "chat_id": 42})
    assert problems == []
    assert ch.url == f"https://api.telegram.org/bot{TOKEN}/sendMessage"
    assert (ch.send_resolved, ch.parse_mode, ch.disable_notification) == (True, "HTML", False)


def test_api_url_falls_back_to_the_global_one() -> None:
    ch, problems = build(
        {"bot_token": TOKEN, "chat_id": 42}, {"telegram_api_url": "http://tg.test/"}
    )
    assert problems == []
    assert ch.url == f"http://tg.test/bot{TOKEN}/sendMessage"


def test_token_and_chat_id_from_files(tmp_path: Path) -> None:
    (tmp_path / "token").write_text(TOKEN + "\n")
    (tmp_path / "chat").write_text("-100200\n")
    ch, problems = build(
        {"bot_token_file": str(tmp_path / "token"), "chat_id_file": str(tmp_path / "chat")}
    )
    assert problems == []
    assert (ch.chat_id, ch.token) == (-100200, TOKEN)


@pytest.mark.parametrize(
    ("cfg", "where", "words"),
    [
        ({"bot_token": TOKEN}, [], "chat_id"),
        ({"chat_id": 1}, [], "bot_token"),
        ({"bot_token": TOKEN, "chat_id": "general"}, ["chat_id"], "integer"),
        ({"bot_token": TOKEN, "chat_id": 1, "parse_mode": "html"}, ["parse_mode"], "HTML"),
        ({"bot_token": TOKEN, "chat_id": 1, "message": "{{ Alerts[0 }}"}, ["message"], "template"),
        ({"bot_token": TOKEN, "chat_id": 1, "message": "{{ Nope }}"}, ["message"], "Nope"),
        ({"bot_token": TOKEN, "chat_id": 1, "token": "x"}, ["token"], "not a known field"),
    ],
)
def test_configuration_problems_name_their_key(
    cfg: dict[str, Any], where: list[str], words: str
) -> None:
    ch, problems = build(cfg)
    assert ch is None
    [(keys, text)] = problems
    assert keys == ["receivers", 0, "telegram_configs", 0, *where]
    assert words in text


# --- the request ------------------------------------------------------------------------------


def test_send_message_request_shape(server: Recorder) -> None:
    result = send(channel(server, message_thread_id=9, disable_notifications=True))
    assert result.ok and result.details == {"message_id": 77}
    request = server.last
    assert request.path == PATH
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert set(body) == {
        "chat_id", "text", "parse_mode", "disable_notification", "message_thread_id",
    }  # fmt: skip
    assert body["chat_id"] == -1001
    assert body["parse_mode"] == "HTML"
    assert body["disable_notification"] is True
    assert body["message_thread_id"] == 9


def test_the_default_html_message_escapes_alert_text(server: Recorder) -> None:
    send(channel(server))
    text = server.last.json()["text"]
    assert text.startswith("🔥 <b>[FIRING:1] CertExpiry (job=edge)</b>")
    assert "<b>Firing: CertExpiry</b> (severity warn)" in text
    assert "cert &lt;b&gt;expires&lt;/b&gt; in 3 days &amp; counting" in text
    assert "<i>renew *now*</i>" in text
    assert '<a href="https://runbooks.test/cert?x=1&amp;y=2">Runbook</a>' in text
    assert '<a href="http://prometheus.test/graph?a=1&amp;b=2">Source</a>' in text
    assert text.endswith('<a href="http://tocsin.test/alerts">View in Tocsin</a>')
    # only the template's own tags are markup
    assert set(re.findall(r"</?(\w+)", text)) == {"b", "i", "a"}


def test_a_resolved_notification(server: Recorder) -> None:
    resolved = Notification("team", "{}:{}", {"alertname": "CertExpiry"}, [alert("lb-1",
                            firing=False)], "http://tocsin.test")  # fmt: skip
    send(channel(server), resolved)
    text = server.last.json()["text"]
    assert text.startswith("✅ <b>[RESOLVED] CertExpiry</b>")
    assert "<b>Resolved: CertExpiry</b>" in text


def test_markdown_v2_default_message_is_escaped(server: Recorder) -> None:
    send(channel(server, parse_mode="MarkdownV2"))
    body = server.last.json()
    assert body["parse_mode"] == "MarkdownV2"
    text = body["text"]
    assert text.startswith(r"\[FIRING:1\] CertExpiry \(job\=edge\)")
    assert r"renew \*now\*" in text
    assert r"Runbook: https://runbooks\.test/cert?x\=1&y\=2" in text


def test_no_parse_mode_sends_plain_text_without_parse_mode(server: Recorder) -> None:
    send(channel(server, parse_mode=""))
    body = server.last.json()
    assert "parse_mode" not in body
    assert "cert <b>expires</b> in 3 days & counting" in body["text"]


def test_a_custom_message_renders_labels_and_annotations(server: Recorder) -> None:
    message = "{{ CommonLabels.instance }}: {{ Alerts[0].Annotations.summary }} <b>!</b>"
    send(channel(server, message=message))
    assert server.last.json()["text"] == (
        "lb-1: cert &lt;b&gt;expires&lt;/b&gt; in 3 days &amp; counting <b>!</b>"
    )


def test_a_long_message_is_cut_to_telegrams_limit(server: Recorder) -> None:
    send(channel(server, message="<b>{{ 'x' * 5000 }}</b>"))
    text = server.last.json()["text"]
    assert text == "<b>" + "x" * 4095 + "…</b>"


def test_html_truncation_never_splits_tags_or_entities() -> None:
    text = '<a href="https://x.test">' + "&amp;" * 10 + "</a>"
    cut = truncate(text, "HTML", limit=5)
    assert cut == '<a href="https://x.test">' + "&amp;" * 4 + "…</a>"
    assert truncate("short <b>x</b>", "HTML", limit=10) == "short <b>x</b>"
    assert truncate("a" * 10, "MarkdownV2", limit=5) == "aaaa…"


# --- answers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "ok", "retryable", "words"),
    [
        (200, SENT, True, False, ""),
        (400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"},
         False, False, "chat not found"),
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"},
         False, False, "blocked"),
        (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 5",
               "parameters": {"retry_after": 5}}, False, True, "retry after"),
        (502, "<html>Bad Gateway</html>", False, True, "502"),
        (200, {"ok": False, "error_code": 400, "description": "odd"}, False, False, "odd"),
    ],
)  # fmt: skip
def test_answers_map_to_results(
    server: Recorder, status: int, body: Any, ok: bool, retryable: bool, words: str
) -> None:
    server.answer(PATH, status, body)
    result = send(channel(server))
    assert (result.ok, result.retryable, result.status_code) == (ok, retryable, status)
    assert words in (result.error or "")


def test_a_refused_connection_is_retryable_and_does_not_leak_the_token() -> None:
    ch, problems = build({"api_url": refused_url(), "bot_token": TOKEN, "chat_id": 1})
    assert problems == []
    result = send(ch)
    assert not result.ok and result.retryable
    assert TOKEN not in (result.error or "")
