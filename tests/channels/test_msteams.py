"""The Microsoft Teams receivers (connector MessageCard and Workflows Adaptive Card) against
a real HTTP server on 127.0.0.1: configuration, request shape, and answers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.receiver_server import Recorder, refused_url
from tocsin.channels.msteams import MSTeamsChannel, MSTeamsV2Channel
from tocsin.channels.notification import Notification, PayloadAlert, SendResult
from tocsin.channels.registry import build_receivers

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
Problems = list[tuple[list[str | int], str]]


@pytest.fixture
def server() -> Iterator[Recorder]:
    with Recorder() as recorder:
        yield recorder


def build(key: str, cfg: dict[str, Any]) -> tuple[Any, Problems]:
    problems: Problems = []
    receivers, _ = build_receivers(
        [{"name": "team", key: [cfg]}], {}, lambda keys, text: problems.append((keys, text))
    )
    specs = receivers["team"]
    return (specs[0].channel if specs else None), problems


def v1(**cfg: Any) -> MSTeamsChannel:
    built, problems = build("msteams_configs", cfg)
    assert problems == []
    assert isinstance(built, MSTeamsChannel)
    return built


def v2(**cfg: Any) -> MSTeamsV2Channel:
    built, problems = build("msteamsv2_configs", cfg)
    assert problems == []
    assert isinstance(built, MSTeamsV2Channel)
    return built


def alert(instance: str, *, firing: bool = True, **ann: str) -> PayloadAlert:
    return PayloadAlert(
        fingerprint=f"fp-{instance}",
        labels={"alertname": "DiskFull", "job": "node", "instance": instance, "severity": "page"},
        annotations=ann,
        starts_at=T0,
        ends_at=None if firing else T0 + timedelta(minutes=5),
        generator_url="",
        firing=firing,
    )


FIRING = Notification(
    receiver="team",
    group_key="{}:{}",
    group_labels={"alertname": "DiskFull"},
    alerts=[
        alert(
            "db-1",
            summary="Disk 95% full",
            description="/var is filling up",
            runbook_url="https://runbooks.test/disk",
        ),
        alert("db-2", summary="Disk 91% full"),
    ],
    external_url="http://tocsin.test",
)
RESOLVED = Notification(
    receiver="team",
    group_key="{}:{}",
    group_labels={"alertname": "DiskFull"},
    alerts=[alert("db-1", firing=False)],
    external_url="http://tocsin.test",
)


def send(ch: MSTeamsChannel | MSTeamsV2Channel, n: Notification = FIRING) -> SendResult:
    with httpx.Client() as client:
        return ch.send(n, client)


# --- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["msteams_configs", "msteamsv2_configs"])
def test_defaults_and_a_missing_url(key: str) -> None:
    ch, problems = build(key, {"webhook_url": "https://teams.test/hook"})
    assert problems == []
    assert ch.send_resolved is True
    assert ch.url == "https://teams.test/hook"

    ch, problems = build(key, {})
    assert ch is None
    [(keys, text)] = problems
    assert keys == ["receivers", 0, key, 0]
    assert "webhook_url" in text


def test_webhook_url_file_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "teams"
    secret.write_text("https://teams.test/secret\n")
    assert v2(webhook_url_file=str(secret)).url == "https://teams.test/secret"


def test_v2_has_no_summary_field() -> None:
    _, problems = build("msteamsv2_configs", {"webhook_url": "https://t.test", "summary": "x"})
    assert [k[-1] for k, _ in problems] == ["summary"]


def test_template_errors_are_configuration_problems_at_their_key() -> None:
    _, problems = build("msteams_configs", {"webhook_url": "https://t.test", "summary": "{% if %}"})
    assert [k[-1] for k, _ in problems] == ["summary"]
    assert "template error" in problems[0][1]
    _, problems = build("msteamsv2_configs", {"webhook_url": "https://t.test", "text": "{{ Foo }}"})
    assert [k[-1] for k, _ in problems] == ["text"]
    assert "Foo" in problems[0][1]


# --- connector MessageCard --------------------------------------------------------------------


def test_a_message_card_like_alertmanagers(server: Recorder) -> None:
    server.answer("/webhookb2/x", 200, "1")
    result = send(v1(webhook_url=f"{server.url}/webhookb2/x"))
    assert result.ok and result.status_code == 200
    body = server.last.json()
    assert set(body) == {"@context", "type", "title", "summary", "text", "themeColor"}
    assert body["@context"] == "http://schema.org/extensions"
    assert body["type"] == "MessageCard"
    assert body["themeColor"] == "8C1A1A"
    assert body["title"] == body["summary"] == "[FIRING:2] DiskFull"
    text = body["text"]
    assert "**Firing: DiskFull** (severity page)" in text
    assert "Disk 95% full" in text and "/var is filling up" in text
    assert "[Runbook](https://runbooks.test/disk)" in text
    assert text.endswith("[View in Tocsin](http://tocsin.test/alerts)")


def test_a_resolved_message_card_is_green(server: Recorder) -> None:
    send(v1(webhook_url=f"{server.url}/h"), RESOLVED)
    body = server.last.json()
    assert body["themeColor"] == "2DC72D"
    assert body["title"] == "[RESOLVED] DiskFull"


def test_custom_templates_render_labels_and_annotations(server: Recorder) -> None:
    ch = v1(
        webhook_url=f"{server.url}/h",
        title="{{ CommonLabels.job }}: {{ Alerts.Firing|length }} firing",
        summary="{{ GroupLabels.alertname }}",
        text="{% for a in Alerts %}{{ a.Labels.instance }}={{ a.Annotations.summary }} "
        "{% endfor %}",
    )
    send(ch)
    body = server.last.json()
    assert body["title"] == "node: 2 firing"
    assert body["summary"] == "DiskFull"
    assert body["text"] == "db-1=Disk 95% full db-2=Disk 91% full "


@pytest.mark.parametrize(
    ("status", "body", "ok", "retryable"),
    [
        (200, "1", True, False),
        (200, "", True, False),
        (200, "Microsoft Teams endpoint returned HTTP error 429 with ContextId x", False, True),
        (200, "Webhook message delivery failed with error: HTTP error 413", False, False),
        (400, "Summary or Text is required.", False, False),
        (404, "not found", False, False),
        (429, "slow down", False, True),
        (502, "bad gateway", False, True),
    ],
)
def test_connector_answers_map_to_results(
    server: Recorder, status: int, body: str, ok: bool, retryable: bool
) -> None:
    server.answer("/h", status, body)
    result = send(v1(webhook_url=f"{server.url}/h"))
    assert (result.ok, result.retryable, result.status_code) == (ok, retryable, status)


# --- Workflows Adaptive Card ------------------------------------------------------------------


def test_an_adaptive_card_in_the_workflows_envelope(server: Recorder) -> None:
    server.answer("/workflows/x", 202, "")
    result = send(v2(webhook_url=f"{server.url}/workflows/x"))
    assert result.ok and result.status_code == 202
    body = server.last.json()
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.2")
    assert card["msteams"] == {"width": "full"}
    heading, text = card["body"]
    assert heading == {
        "type": "TextBlock",
        "text": "[FIRING:2] DiskFull",
        "weight": "Bolder",
        "size": "Medium",
        "wrap": True,
        "style": "heading",
        "color": "Attention",
    }
    assert text["type"] == "TextBlock" and text["wrap"] is True
    assert "[Runbook](https://runbooks.test/disk)" in text["text"]


def test_a_resolved_adaptive_card_is_good(server: Recorder) -> None:
    send(v2(webhook_url=f"{server.url}/w"), RESOLVED)
    heading = server.last.json()["attachments"][0]["content"]["body"][0]
    assert heading["color"] == "Good"
    assert heading["text"] == "[RESOLVED] DiskFull"


@pytest.mark.parametrize(
    ("status", "ok", "retryable"),
    [(202, True, False), (200, True, False), (400, False, False), (401, False, False),
     (429, False, True), (500, False, True)],
)  # fmt: skip
def test_workflow_answers_map_to_results(
    server: Recorder, status: int, ok: bool, retryable: bool
) -> None:
    server.answer("/w", status, "")
    result = send(v2(webhook_url=f"{server.url}/w"))
    assert (result.ok, result.retryable, result.status_code) == (ok, retryable, status)


def test_http_config_headers_are_sent(server: Recorder) -> None:
    send(v2(webhook_url=f"{server.url}/w", http_config={"basic_auth": {"username": "u"}}))
    assert server.last.headers["authorization"].startswith("Basic ")


@pytest.mark.parametrize("key", ["msteams_configs", "msteamsv2_configs"])
def test_a_refused_connection_is_retryable(key: str) -> None:
    ch, problems = build(key, {"webhook_url": f"{refused_url()}/h"})
    assert problems == []
    result = send(ch)
    assert not result.ok and result.retryable
