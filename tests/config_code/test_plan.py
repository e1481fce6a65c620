"""The plan of a configuration change: named objects created, changed and deleted, other
sections as a whole, other files one by one; secrets never shown."""

from __future__ import annotations

from tocsin.config.files import Bundle
from tocsin.config.plan import Change, plan, summary

BEFORE = """\
route:
  receiver: team
  group_wait: 30s
receivers:
  - name: team
    slack_configs:
      - api_url: https://hooks.slack.com/services/T0/B0/secret-one
users:
  - {id: ann, email: ann@example.com}
  - {id: bob, email: bob@example.com}
escalation_policies:
  - name: platform
    levels:
      - {delay: 5m, targets: [{user: ann}]}
      - {delay: 5m, targets: [{user: bob}]}
paging:
  twilio: {account_sid: AC1, auth_token: first-token}
"""
AFTER = """\
route:
  receiver: team
  group_wait: 10s
receivers:
  - name: team
    slack_configs:
      - api_url: https://hooks.slack.com/services/T0/B0/secret-two
users:
  - {id: ann, email: ann@corp.example}
  - {id: cat}
escalation_policies:
  - name: platform
    levels:
      - {delay: 5m, targets: [{user: ann}]}
      - {delay: 10m, targets: [{user: cat}]}
paging:
  twilio: {account_sid: AC1, auth_token: second-token}
"""


def _bundle(text: str, files: dict[str, str] | None = None) -> Bundle:
    return Bundle("/etc/tocsin/tocsin.yaml", {"/etc/tocsin/tocsin.yaml": text, **(files or {})})


def test_named_objects_are_compared_one_by_one() -> None:
    changes = plan(_bundle(BEFORE), _bundle(AFTER))
    by = {(c.action, c.kind, c.name): c for c in changes}
    assert set(by) == {
        ("change", "section", "route"),
        ("change", "receiver", "team"),
        ("change", "user", "ann"),
        ("create", "user", "cat"),
        ("delete", "user", "bob"),
        ("change", "escalation policy", "platform"),
        ("change", "section", "paging"),
    }
    assert by["change", "user", "ann"].details == ("email: ann@example.com -> ann@corp.example",)
    assert by["change", "section", "route"].details == ("group_wait: 30s -> 10s",)
    assert by["change", "escalation policy", "platform"].details == (
        "levels[1].delay: 5m -> 10m",
        "levels[1].targets[0].user: bob -> cat",
    )
    assert summary(changes) == "Plan: 1 to create, 5 to change, 1 to delete."


def test_secrets_are_never_shown() -> None:
    shown = "\n".join(
        line for c in plan(_bundle(BEFORE), _bundle(AFTER)) for line in (str(c), *c.details)
    )
    for secret in ("secret-one", "secret-two", "first-token", "second-token"):
        assert secret not in shown
    assert "slack_configs[0].api_url: changed (hidden)" in shown
    assert "twilio.auth_token: changed (hidden)" in shown


def test_the_other_files_are_compared_by_path() -> None:
    before = _bundle(BEFORE, {"/etc/tocsin/runbooks/a.md": "a", "/etc/tocsin/runbooks/b.md": "b"})
    after = _bundle(BEFORE, {"/etc/tocsin/runbooks/a.md": "A", "/etc/tocsin/runbooks/c.md": "c"})
    assert plan(before, after) == [
        Change("create", "file", "runbooks/c.md"),
        Change("change", "file", "runbooks/a.md"),
        Change("delete", "file", "runbooks/b.md"),
    ]


def test_nothing_in_force_creates_everything_and_the_same_changes_nothing() -> None:
    everything = plan(None, _bundle(BEFORE))
    assert all(c.action == "create" for c in everything)
    assert [c.kind for c in everything] == [
        "section",
        "receiver",
        "user",
        "user",
        "escalation policy",
        "section",
    ]
    assert plan(_bundle(BEFORE), _bundle(BEFORE)) == []
    assert summary([]) == "No changes: the configuration in force is the same."


def test_a_list_without_unique_names_is_compared_whole() -> None:
    before = _bundle("users:\n  - {id: ann}\n  - {id: ann, email: x@example.com}\n")
    after = _bundle("users:\n  - {id: ann}\n")
    (change,) = plan(before, after)
    assert (change.action, change.kind, change.name) == ("change", "section", "users")
    assert change.details == ("[{id: ann}, {email: x@example.com, id: ann}] -> [{id: ann}]",)


def test_secrets_inside_what_is_added_or_replaced_are_never_shown() -> None:
    """A block added whole, a list that grew, a secret whose key is a secret only to Tocsin
    (an ntfy topic): none is printed."""
    before = _bundle(
        "receivers:\n  - name: team\n    webhook_configs:\n      - url: http://a/x\n"
        "users:\n  - {id: ann, ntfy_topic: ann-secret-topic-1}\n"
    )
    after = _bundle(
        "receivers:\n  - name: team\n    webhook_configs:\n      - url: http://a/x\n"
        "      - url: http://b/y\n        http_config:\n          basic_auth:\n"
        "            {username: u, password: BASICPASSWORD99999}\n"
        "    pagerduty_configs: [{routing_key: PDROUTINGKEYSECRET0001}]\n"
        "    telegram_configs: [{bot_token: '123456:TELEGRAMTOKENSECRET', chat_id: 1}]\n"
        "users:\n  - {id: ann, ntfy_topic: ann-secret-topic-2}\n"
        "paging:\n  twilio: {account_sid: AC1, auth_token: TWILIOSECRET777}\n"
    )
    shown = "\n".join(line for c in plan(before, after) for line in (str(c), *c.details))
    for secret in (
        "BASICPASSWORD99999",
        "PDROUTINGKEYSECRET0001",
        "TELEGRAMTOKENSECRET",
        "ann-secret-topic",
        "TWILIOSECRET777",
        "http://b/y",
    ):
        assert secret not in shown, secret
    assert "pagerduty_configs: added [{routing_key: (hidden)}]" in shown
