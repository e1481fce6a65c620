"""The Slack receiver against a real HTTP server on 127.0.0.1: configuration, the
Alertmanager-shaped webhook body, posting as an app through slack_sdk, and how answers map
to results."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.receiver_server import Recorder, refused_url
from tocsin.channels.notification import Notification, PayloadAlert, SendResult
from tocsin.channels.registry import build_receivers
from tocsin.channels.slack import SlackChannel

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
Problems = list[tuple[list[str | int], str]]


@pytest.fixture
def server() -> Iterator[Recorder]:
    with Recorder() as recorder:
        yield recorder


def build(cfg: dict[str, Any], globals_: dict[str, Any] | None = None) -> tuple[Any, Problems]:
    problems: Problems = []
    receivers, _ = build_receivers(
        [{"name": "team", "slack_configs": [cfg]}],
        globals_ or {},
        lambda keys, text: problems.append((keys, text)),
    )
    specs = receivers["team"]
    return (specs[0].channel if specs else None), problems


def channel(**cfg: Any) -> SlackChannel:
    built, problems = build(cfg)
    assert problems == []
    assert isinstance(built, SlackChannel)
    return built


def alert(instance: str, *, firing: bool = True, severity: str = "critical", **ann: str) -> Any:
    return PayloadAlert(
        fingerprint=f"fp-{instance}",
        labels={
            "alertname": "HighLatency",
            "job": "api",
            "instance": instance,
            "severity": severity,
        },
        annotations=ann,
        starts_at=T0,
        ends_at=None if firing else T0 + timedelta(minutes=5),
        generator_url="http://prometheus.test/graph?g0.expr=up",
        firing=firing,
    )


def notification(*alerts: PayloadAlert) -> Notification:
    return Notification(
        receiver="team",
        group_key='{}:{job="api"}',
        group_labels={"alertname": "HighLatency", "job": "api"},
        alerts=list(alerts)
        or [
            alert(
                "web-1",
                summary="p99 <!channel> & rising",
                description="Latency above 2s",
                runbook_url="https://runbooks.test/latency",
                dashboard_url="https://grafana.test/d/api",
            ),
            alert("web-2", summary="p99 high"),
        ],
        external_url="http://tocsin.test/",
    )


def send(ch: SlackChannel, n: Notification | None = None) -> SendResult:
    with httpx.Client() as client:
        return ch.send(n or notification(), client)


# --- configuration ----------------------------------------------------------------------------


def test_defaults_follow_alertmanager(server: Recorder) -> None:
    ch = channel(api_url=f"{server.url}/hook")
    assert ch.send_resolved is False
    assert ch.url == f"{server.url}/hook"
    assert ch.bot is None


def test_api_url_falls_back_to_the_global_url_then_the_global_file(tmp_path: Path) -> None:
    ch, problems = build({}, {"slack_api_url": "https://hooks.slack.test/services/A"})
    assert problems == []
    assert ch.url == "https://hooks.slack.test/services/A"

    secret = tmp_path / "slack"
    secret.write_text("https://hooks.slack.test/services/B\n")
    ch, problems = build({}, {"slack_api_url_file": str(secret)})
    assert problems == []
    assert ch.url == "https://hooks.slack.test/services/B"


def test_api_url_file_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "slack"
    secret.write_text("https://hooks.slack.test/services/C")
    ch, problems = build({"api_url_file": str(secret)}, {"slack_api_url": "https://ignored.test"})
    assert problems == []
    assert ch.url == "https://hooks.slack.test/services/C"


def test_a_missing_url_is_reported_at_api_url() -> None:
    ch, problems = build({"channel": "#ops"})
    assert ch is None
    [(keys, text)] = problems
    assert keys == ["receivers", 0, "slack_configs", 0, "api_url"]
    assert "global.slack_api_url" in text


def test_a_bot_token_needs_a_channel() -> None:
    ch, problems = build({"bot_token": "xoxb-1"})
    assert ch is None
    assert problems == [(["receivers", 0, "slack_configs", 0, "channel"], problems[0][1])]
    assert "bot token" in problems[0][1]


def test_a_template_syntax_error_is_a_configuration_problem_at_its_key() -> None:
    ch, problems = build({"api_url": "https://hooks.slack.test/x", "title": "{{ Status "})
    assert ch is None
    [(keys, text)] = problems
    assert keys == ["receivers", 0, "slack_configs", 0, "title"]
    assert "template error" in text


def test_an_unknown_template_name_is_a_configuration_problem() -> None:
    cfg = {"api_url": "https://hooks.slack.test/x", "text": "{{ Alertz|length }}"}
    ch, problems = build(cfg)
    assert ch is None
    [(keys, text)] = problems
    assert keys[-1] == "text"
    assert "Alertz" in text


def test_fields_and_actions_are_validated_like_alertmanager() -> None:
    _, problems = build(
        {
            "api_url": "https://hooks.slack.test/x",
            "fields": [{"title": "only a title"}],
            "actions": [{"type": "button", "text": "no target"}],
            "colour": "red",
        }
    )
    keys = sorted(str(k[4:]) for k, _ in problems)
    assert keys == ["['actions', 0]", "['colour']", "['fields', 0, 'value']"]


def test_update_message_is_refused_rather_than_ignored() -> None:
    _, problems = build({"api_url": "https://hooks.slack.test/x", "update_message": True})
    assert problems and "not supported" in problems[0][1]


# --- the webhook request ----------------------------------------------------------------------


def test_the_default_webhook_body_is_alertmanagers_attachment(server: Recorder) -> None:
    result = send(channel(api_url=f"{server.url}/services/T/B/X"))
    assert result.ok and result.status_code == 200
    request = server.last
    assert request.path == "/services/T/B/X"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert set(body) == {"attachments"}  # empty channel/username/icons are left out
    [att] = body["attachments"]
    assert set(att) == {
        "title", "title_link", "text", "fallback", "callback_id", "footer", "color", "mrkdwn_in",
    }  # fmt: skip
    assert att["title"] == "[FIRING:2] HighLatency (job=api)"
    assert att["title_link"] == "http://tocsin.test/alerts"
    assert att["fallback"] == "[FIRING:2] HighLatency (job=api) | http://tocsin.test/alerts"
    assert att["color"] == "danger"
    assert att["mrkdwn_in"] == ["fallback", "pretext", "text"]
    assert att["callback_id"] == "" and att["footer"] == ""


def test_the_default_text_has_severity_annotations_and_links(server: Recorder) -> None:
    send(channel(api_url=f"{server.url}/hook"))
    text = server.last.json()["attachments"][0]["text"]
    assert "*Firing: HighLatency* · severity `critical`" in text
    # alert text is escaped: no channel ping, no forged link
    assert "p99 &lt;!channel&gt; &amp; rising" in text
    assert "<!channel>" not in text
    assert "Latency above 2s" in text
    assert "<https://runbooks.test/latency|Runbook>" in text
    assert "<https://grafana.test/d/api|Dashboard>" in text
    assert "<http://prometheus.test/graph?g0.expr=up|Source>" in text
    assert text.endswith("<http://tocsin.test/alerts|View in Tocsin>")


def test_colour_is_warning_when_only_warnings_fire(server: Recorder) -> None:
    send(channel(api_url=f"{server.url}/hook"), notification(alert("a", severity="warning")))
    assert server.last.json()["attachments"][0]["color"] == "warning"


def test_a_resolved_notification(server: Recorder) -> None:
    ch = channel(api_url=f"{server.url}/hook", send_resolved=True)
    assert ch.send_resolved is True
    assert send(ch, notification(alert("web-1", firing=False, summary="back"))).ok
    att = server.last.json()["attachments"][0]
    assert att["title"] == "[RESOLVED] HighLatency (job=api)"
    assert att["color"] == "good"
    assert att["text"].startswith("*Resolved: HighLatency*")


def test_configured_fields_render_templates(server: Recorder) -> None:
    ch = channel(
        api_url=f"{server.url}/hook",
        channel="#ops-{{ CommonLabels.job }}",
        username="Tocsin",
        icon_emoji=":rotating_light:",
        link_names=True,
        message_text="{{ Alerts|length }} alerts for {{ GroupLabels.job }}",
        title="{{ CommonLabels.alertname }} on {{ Alerts[0].Labels.instance }}",
        text="{% for a in Alerts %}{{ a.Annotations.summary }};{% endfor %}",
        pretext="heads up",
        footer="{{ Receiver }}",
        short_fields=True,
        mrkdwn_in=["text"],
        fields=[
            {"title": "Job", "value": "{{ CommonLabels.job }}"},
            {"title": "Count", "value": "{{ Alerts|length }}", "short": False},
        ],
        actions=[
            {"type": "button", "text": "Runbook", "url": "{{ Alerts[0].Annotations.runbook_url }}"},
            {
                "type": "button",
                "text": "Ack",
                "name": "ack",
                "value": "{{ GroupKey }}",
                "confirm": {"text": "Sure?"},
            },
        ],
    )
    assert send(ch).ok
    body = server.last.json()
    assert body["channel"] == "#ops-api"
    assert body["username"] == "Tocsin"
    assert body["icon_emoji"] == ":rotating_light:"
    assert body["link_names"] is True
    assert body["text"] == "2 alerts for api"
    [att] = body["attachments"]
    assert att["title"] == "HighLatency on web-1"
    assert att["text"] == "p99 <!channel> & rising;p99 high;"  # a custom template, as written
    assert att["pretext"] == "heads up"
    assert att["footer"] == "team"
    assert att["mrkdwn_in"] == ["text"]
    assert att["fields"] == [
        {"title": "Job", "value": "api", "short": True},
        {"title": "Count", "value": "2", "short": False},
    ]
    assert att["actions"] == [
        {"type": "button", "text": "Runbook", "url": "https://runbooks.test/latency"},
        {
            "type": "button",
            "text": "Ack",
            "name": "ack",
            "value": '{}:{job="api"}',
            "confirm": {"text": "Sure?"},
        },
    ]


def test_http_config_authorization_is_sent(server: Recorder) -> None:
    ch = channel(api_url=f"{server.url}/hook", http_config={"bearer_token": "s3cret"})
    send(ch)
    assert server.last.headers["authorization"] == "Bearer s3cret"


def test_a_long_title_is_cut_to_alertmanagers_limit(server: Recorder) -> None:
    send(channel(api_url=f"{server.url}/hook", title="{{ 'x' * 2000 }}"))
    title = server.last.json()["attachments"][0]["title"]
    assert len(title) == 1024 and title.endswith("…")


# --- webhook answers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "ok", "retryable"),
    [
        (200, "ok", True, False),
        (200, "invalid_token", False, False),
        (404, "channel_not_found", False, False),
        (400, "invalid_payload", False, False),
        (429, "rate limited", False, True),
        (500, "oops", False, True),
        (503, "unavailable", False, True),
        (200, {"ok": False, "error": "not_in_channel"}, False, False),
        (200, {"ok": False, "error": "ratelimited"}, False, True),
        (200, {"ok": True, "ts": "1.2", "channel": "C1"}, True, False),
    ],
)
def test_webhook_answers_map_to_results(
    server: Recorder, status: int, body: Any, ok: bool, retryable: bool
) -> None:
    server.answer("/hook", status, body)
    result = send(channel(api_url=f"{server.url}/hook"))
    assert (result.ok, result.retryable, result.status_code) == (ok, retryable, status)
    if not ok:
        assert result.error


def test_a_refused_connection_is_retryable() -> None:
    result = send(channel(api_url=f"{refused_url()}/hook"))
    assert not result.ok and result.retryable
    assert "ConnectError" in (result.error or "")


# --- posting as a Slack app (bot token) -------------------------------------------------------


POSTED = {"ok": True, "channel": "C024BE91L", "ts": "1712345678.000100"}


def test_a_bot_posts_through_chat_post_message(server: Recorder) -> None:
    server.answer("/api/chat.postMessage", 200, POSTED)
    ch = channel(bot_token="xoxb-test", channel="#ops", api_url=f"{server.url}/api/")
    assert ch.bot is not None and ch.url is None
    result = send(ch)
    assert result.ok
    assert result.details == {"ts": "1712345678.000100", "channel": "C024BE91L"}
    request = server.last
    assert request.path == "/api/chat.postMessage"
    assert request.headers["authorization"] == "Bearer xoxb-test"
    body = request.json()
    assert body["channel"] == "#ops"
    assert body["attachments"][0]["title"] == "[FIRING:2] HighLatency (job=api)"


def test_a_bot_token_file_and_an_api_url_naming_the_method(
    server: Recorder, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("xoxb-from-file\n")
    server.answer("/api/chat.postMessage", 200, POSTED)
    ch = channel(
        bot_token_file=str(token),
        channel="C1",
        api_url=f"{server.url}/api/chat.postMessage",
    )
    assert send(ch).ok
    assert server.last.headers["authorization"] == "Bearer xoxb-from-file"


def test_alertmanagers_app_token_and_app_url_work_the_same(server: Recorder) -> None:
    server.answer("/slack/chat.postMessage", 200, POSTED)
    ch = channel(app_token="xoxb-app", channel="C1", app_url=f"{server.url}/slack/")
    assert send(ch).ok
    assert server.last.path == "/slack/chat.postMessage"


def test_a_bot_ignores_the_global_webhook_url(server: Recorder) -> None:
    ch, problems = build(
        {"bot_token": "xoxb-1", "channel": "C1"}, {"slack_api_url": f"{server.url}/hook"}
    )
    assert problems == []
    assert ch.bot is not None
    assert ch.bot.base_url == "https://slack.com/api/"


@pytest.mark.parametrize(
    ("status", "body", "retryable"),
    [
        (200, {"ok": False, "error": "channel_not_found"}, False),
        (200, {"ok": False, "error": "invalid_auth"}, False),
        (200, {"ok": False, "error": "ratelimited"}, True),
        (429, {"ok": False, "error": "ratelimited"}, True),
        (500, "<html>upstream error</html>", True),
        (503, {"ok": False, "error": "service_unavailable"}, True),
    ],
)
def test_bot_failures_map_to_results(
    server: Recorder, status: int, body: Any, retryable: bool
) -> None:
    server.answer("/api/chat.postMessage", status, body)
    result = send(channel(bot_token="xoxb-1", channel="C1", api_url=f"{server.url}/api/"))
    assert not result.ok
    assert result.retryable is retryable
    assert result.status_code == status
    if isinstance(body, dict):
        assert body["error"] in (result.error or "")


def test_a_bot_facing_a_refused_connection_is_retryable() -> None:
    result = send(channel(bot_token="xoxb-1", channel="C1", api_url=f"{refused_url()}/api/"))
    assert not result.ok and result.retryable
