"""Secrets in tocsin.yaml given as ``${NAME}`` or ``enc:`` (tocsin secrets encrypt), and
the file as /api/v2/status shows it: every secret blanked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tocsin.channels.slack import SlackChannel
from tocsin.channels.telegram import TelegramChannel
from tocsin.config.secret_refs import redacted_text
from tocsin.errors import ConfigError
from tocsin.secret_box import SecretBox, new_key
from tocsin.services.configuration import load_configuration

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
BOX = SecretBox([new_key().encode()], "TOCSIN_SECRET_KEYS")
TELEGRAM = "123456789:AAplantedTelegramToken_abcdefghij"
SLACK = "xoxb-planted-slack-bot-token-0001"

CONFIG = """\
route: {{receiver: team}}
receivers:
  - name: team
    telegram_configs:
      - {{api_url: "http://127.0.0.1:9", bot_token: {telegram}, chat_id: -1001}}
    slack_configs:
      - bot_token: {slack}
        api_url: http://127.0.0.1:9/api/
        channel: "#ops"
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "tocsin.yaml"
    path.write_text(text)
    return str(path)


def channels(path: str, box: SecretBox | None = BOX) -> tuple[TelegramChannel, SlackChannel]:
    config = load_configuration(path, lambda: box)
    telegram, slack = (spec.channel for spec in config.channels["team"])
    assert isinstance(telegram, TelegramChannel) and isinstance(slack, SlackChannel)
    return telegram, slack


def test_references_to_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TG_TOKEN", TELEGRAM)
    monkeypatch.setenv("SLACK_BOT", SLACK)
    path = write(tmp_path, CONFIG.format(telegram='"${TG_TOKEN}"', slack="${SLACK_BOT}"))
    telegram, slack = channels(path)
    assert telegram.token == TELEGRAM and f"/bot{TELEGRAM}/" in telegram.url
    assert slack.bot is not None and slack.bot.token == SLACK


def test_an_unset_variable_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, CONFIG.format(telegram='"${TOCSIN_TEST_UNSET_1}"', slack=SLACK))
    with pytest.raises(ConfigError) as caught:
        channels(path)
    assert str(caught.value) == (
        f"{path}:5: receivers.0.telegram_configs.0.bot_token: "
        "${TOCSIN_TEST_UNSET_1} is not set in the environment"
    )


def test_encrypted_values_are_decrypted_with_the_keys(tmp_path: Path) -> None:
    sealed = BOX.seal(SLACK, NOW)
    telegram, slack = channels(
        write(tmp_path, CONFIG.format(telegram=f"'{BOX.seal(TELEGRAM, NOW)}'", slack=sealed))
    )
    assert telegram.token == TELEGRAM
    assert slack.bot is not None and slack.bot.token == SLACK


def test_a_value_no_key_decrypts_is_named_never_guessed(tmp_path: Path) -> None:
    other = SecretBox([new_key().encode()], "an old key")
    path = write(tmp_path, CONFIG.format(telegram=TELEGRAM, slack=other.seal(SLACK, NOW)))
    with pytest.raises(ConfigError) as caught:
        channels(path)
    text = str(caught.value)
    assert text.startswith(f"{path}:7: receivers.0.slack_configs.0.bot_token: cannot decrypt")
    assert "TOCSIN_SECRET_KEYS" in text and SLACK not in text
    with pytest.raises(ConfigError, match="is encrypted, and no key is set"):
        channels(path, box=None)


def test_remediation_keeps_its_references_and_refuses_enc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEPLOY_TOKEN", "deploy-secret-value")
    action = """
escalation_policies: [{{name: ops, levels: [{{targets: [{{user: ann}}]}}]}}]
users: [{{id: ann}}]
remediation:
  allowed_urls: ["http://127.0.0.1:9/"]
  actions:
    - name: restart
      http: {{url: "http://127.0.0.1:9/restart", headers: {{Authorization: "{value}"}}}}
"""
    base = CONFIG.format(telegram=TELEGRAM, slack=SLACK)
    config = load_configuration(
        write(tmp_path, base + action.format(value="${DEPLOY_TOKEN}")), lambda: BOX
    )
    (restart,) = config.remediation.actions.values()
    assert restart.http is not None and dict(restart.http.headers) == {
        "Authorization": "${DEPLOY_TOKEN}"
    }
    sealed = BOX.seal("deploy-secret-value", NOW)
    with pytest.raises(ConfigError, match="remediation reads secrets from"):
        load_configuration(write(tmp_path, base + action.format(value=sealed)), lambda: BOX)


def test_the_shown_text_blanks_every_secret_and_keeps_the_rest() -> None:
    text = """\
global:
  smtp_auth_password: "smtp-planted-password"   # kept comment
  slack_api_url: https://hooks.slack.com/services/T0/B0/planted
receivers:
  - name: team
    webhook_configs:
      - url: http://127.0.0.1:9/hook/planted-url-token
        http_config: {basic_auth: {username: u, password: 'basic-planted'}}
    telegram_configs: [{bot_token: "${TG_TOKEN}", chat_id: 1}]
paging:
  twilio: {account_sid: AC1, auth_token: twilio-planted, from: "+1555"}
  slack: {signing_secret: signing-planted}
prometheus: {url: http://prometheus:9090}
"""
    shown = redacted_text(text)
    for planted in (
        "smtp-planted",
        "services/T0",
        "planted-url",
        "basic-planted",
        "twilio-planted",
    ):
        assert planted not in shown
    assert "signing-planted" not in shown
    assert "smtp_auth_password: <secret>   # kept comment" in shown
    assert "password: <secret>}}" in shown
    assert '"${TG_TOKEN}"' in shown and "url: http://prometheus:9090" in shown
    assert "account_sid: AC1" in shown
    assert redacted_text("route: {receiver: a}\n") == "route: {receiver: a}\n"
