"""No secret Tocsin is given shows anywhere: planted in a configuration (inline, as
``${NAME}``, as ``enc:``, in a ``*_file``), used by deliveries that succeed and that fail
against real loopback servers, then looked for in every log record of every logger at
DEBUG (httpx and httpcore included), in what the process printed, in every row of every
table, and in the API's answers."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from tests.notify.conftest import firing
from tests.receiver_server import Recorder, refused_url
from tests.slack_server import SlackServer
from tests.smtp_server import Recorder as MailRecorder
from tests.smtp_server import smtp_server
from tocsin.api.app import create_app
from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import FakeClock
from tocsin.secret_box import SecretBox, new_key
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store.tables import metadata

KEY = new_key()
TELEGRAM = "987654321:AAplantedTelegram_Token-zyxwvutsrq"
SLACK_BOT = "xoxb-planted-0000-slack-bot-token"
SMTP_PASSWORD = "smtp-planted-P4ssw0rd"
TWILIO = "twilio-planted-auth-token-77"
SIGNING = "signing-planted-secret-55"
WEBHOOK_PASSWORD = "webhook-planted-password-31"
URL_TOKEN = "planted-url-token-99"
PLANTED = (TELEGRAM, SLACK_BOT, SMTP_PASSWORD, TWILIO, SIGNING, WEBHOOK_PASSWORD, URL_TOKEN)
#: How a secret may show up encoded: HTTP basic auth and SMTP AUTH PLAIN.
ENCODED = (
    base64.b64encode(f"tocsin:{WEBHOOK_PASSWORD}".encode()).decode(),
    base64.b64encode(f"AC0123:{TWILIO}".encode()).decode(),
    base64.b64encode(f"\0alice\0{SMTP_PASSWORD}".encode()).decode(),
)

CONFIG = """\
global:
  smtp_smarthost: 127.0.0.1:{smtp}
  smtp_from: tocsin@example.test
  smtp_require_tls: false
  smtp_auth_username: alice
  smtp_auth_password: ${{TOCSIN_LEAKTEST_SMTP}}
route:
  receiver: up
  group_by: [alertname]
  group_wait: 0s
  routes:
    - {{matchers: [alertname="Down"], receiver: down}}
receivers:
  - name: up
    escalation_policy: oncall
    webhook_configs:
      - url: {http}/hook/{url_token}
        http_config: {{basic_auth: {{username: tocsin, password: {webhook_password}}}}}
    telegram_configs:
      - {{api_url: "{http}", bot_token: "{telegram}", chat_id: -1001}}
    slack_configs:
      - {{bot_token: "{slack_enc}", api_url: "{slack}", channel: "#ops", text: "an alert"}}
    email_configs:
      - {{to: ops@example.test}}
  - name: down
    webhook_configs:
      - url: {refused}/hook/{url_token}
        http_config: {{basic_auth: {{username: tocsin, password: {webhook_password}}}}}
    telegram_configs:
      - {{api_url: "{refused}", bot_token: "{telegram}", chat_id: -1001}}
users:
  - id: ann
    phone: "+15550000001"
    notification_rules: {{high: [{{method: sms}}]}}
escalation_policies:
  - name: oncall
    levels: [{{targets: [{{user: ann}}]}}]
paging:
  twilio:
    account_sid: AC0123
    auth_token_file: {twilio_file}
    from: "+15559990000"
    base_url: {http}/twilio
  slack: {{bot_token: "{slack_enc}", signing_secret: {signing}, api_url: "{slack}"}}
"""

TWILIO_SMS = "/twilio/2010-04-01/Accounts/AC0123/Messages.json"
TELEGRAM_PATH = f"/bot{TELEGRAM}/sendMessage"


class Mail(MailRecorder):
    """An SMTP server that takes alice's planted password, until told to refuse it."""

    refuse = False

    def auth(self, server: Any, session: Any, envelope: Any, mech: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword) and data.password == SMTP_PASSWORD.encode()
        return AuthResult(success=ok and not self.refuse, handled=False)


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every logger at DEBUG, those that set their own level too (httpx, alembic ...)."""
    caplog.set_level(logging.DEBUG)
    names = [*logging.root.manager.loggerDict, "httpx", "httpcore", "slack_sdk", "aiosmtplib"]
    for name in names:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def far_ends() -> Iterator[tuple[Recorder, SlackServer, Mail, int]]:
    mail = Mail()
    options = {
        "authenticator": mail.auth,
        "auth_required": True,
        "auth_require_tls": False,
    }
    with Recorder() as http, smtp_server(mail, **options) as (_, smtp_port):
        slack = SlackServer(token=SLACK_BOT)
        try:
            yield http, slack, mail, smtp_port
        finally:
            slack.close()


def found_in(text: str) -> list[str]:
    return [s for s in (*PLANTED, *ENCODED) if s in text]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_no_planted_secret_is_logged_stored_or_answered(
    db_url: str,
    tmp_path: Path,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    everything_logged: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    far_ends: tuple[Recorder, SlackServer, Mail, int],
) -> None:
    http, slack, mail, smtp_port = far_ends
    monkeypatch.setenv("TOCSIN_LEAKTEST_SMTP", SMTP_PASSWORD)
    twilio_file = tmp_path / "twilio-token"
    twilio_file.write_text(TWILIO + "\n")
    box = SecretBox([KEY.encode()], "test")
    config = tmp_path / "tocsin.yaml"
    config.write_text(
        CONFIG.format(
            smtp=smtp_port,
            http=http.url,
            refused=refused_url(),
            slack=slack.url,
            url_token=URL_TOKEN,
            webhook_password=WEBHOOK_PASSWORD,
            telegram=TELEGRAM,
            slack_enc=box.seal(SLACK_BOT, datetime(2026, 3, 1, tzinfo=UTC)),
            twilio_file=twilio_file,
            signing=SIGNING,
        )
    )
    slack.add_user("U0ANN", "ann@example.test", "Ann")
    http.answer(TELEGRAM_PATH, 200, {"ok": True, "result": {"message_id": 1}})
    http.answer(TWILIO_SMS, 201, {"sid": "SM1", "status": "queued"})
    settings = Settings(
        database_url=db_url,
        config=str(config),
        sqlite_synchronous="NORMAL",
        external_url="http://tocsin.test",
        secret_keys=SecretStr(KEY),
    )
    runtime = Runtime.build(settings, clock=clock, run_engine=False)
    runtime.start()
    try:
        _, token = runtime.integrations.create("prom", IntegrationKind.ALERTMANAGER)
        client = TestClient(create_app(runtime, manage_runtime=False))

        def post(*alerts: dict[str, Any]) -> None:
            answer = client.post(
                "/api/v2/alerts", json=list(alerts), headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 200, answer.text

        def tick(seconds: float = 0) -> None:
            if seconds:
                clock.advance(timedelta(seconds=seconds))
            runtime.runner.run_due()
            runtime.runner.run_due()

        # Deliveries that succeed: every far end took its secret.
        post(firing("Up", severity="critical"))
        tick()
        assert any(r.path == TELEGRAM_PATH for r in http.requests)
        assert any(r.path == f"/hook/{URL_TOKEN}" for r in http.requests)
        assert any(r.path == TWILIO_SMS for r in http.requests)
        assert slack.named("chat.postMessage")
        assert mail.sent_to("ops@example.test")

        # Deliveries that fail: answers that echo the secrets back, refused auth, refused
        # connections.
        http.answer(
            TELEGRAM_PATH,
            401,
            {"ok": False, "error_code": 401, "description": f"Unauthorized bot{TELEGRAM}"},
        )
        http.answer(f"/hook/{URL_TOKEN}", 500, f"cannot POST /hook/{URL_TOKEN} as {ENCODED[0]}")
        http.answer(TWILIO_SMS, 401, {"code": 20003, "message": f"bad token {TWILIO}"})
        slack.fail_next("chat.postMessage", "invalid_auth")
        mail.refuse = True
        post(firing("Up", severity="critical", instance="b"), firing("Down", severity="low"))
        tick(301)
        tick(301)
        with runtime.db.read() as conn:
            stored = "\n".join(
                repr(row) for table in metadata.sorted_tables for row in conn.execute(select(table))
            )
        assert "HTTP 500" in stored and "Telegram error 401" in stored
        assert "authentication failed" in stored and "ConnectError" in stored

        shown = [
            repr(runtime.current.routing),  # as a traceback's locals or a debugger shows it
            client.get("/api/v2/status", headers={"Authorization": f"Bearer {token}"}).text,
            client.get("/api/v2/receivers", headers={"Authorization": f"Bearer {token}"}).text,
        ]
        client.close()
    finally:
        runtime.stop()

    out, err = capfd.readouterr()
    # aiosmtpd's own log ("mail.log") is the far end's, not Tocsin's
    records = [r for r in everything_logged.records if r.name != "mail.log"]
    text = logging.Formatter("%(name)s %(message)s")
    logged = "\n".join(f"{text.format(r)} {r.__dict__}" for r in records)
    assert "HTTP Request: POST" in logged  # httpx did log its requests
    assert found_in(logged) == []
    assert found_in(out + err) == []
    assert found_in(stored) == []
    assert found_in("\n".join(shown)) == []
