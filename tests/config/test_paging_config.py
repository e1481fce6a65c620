"""``users:`` contact methods and rules, ``teams:``, ``escalation_policies:``, ``incidents:``,
``paging:`` and the ``escalation_policy`` receiver: every problem named with file, line and
key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tocsin.domain.escalation import Mode, TargetKind
from tocsin.domain.incidents import Severity, Urgency
from tocsin.domain.users import ContactMethod, Rule
from tocsin.errors import ConfigError
from tocsin.services.configuration import load_configuration

GOOD = """route:
  receiver: pager
receivers:
  - name: pager
    escalation_policy: platform
users:
  - id: ann
    email: ann@example.com
    phone: "+4915112345678"
    ntfy_topic: ann-pages
    slack_user_id: U0ANN
    notification_rules:
      high: [{method: sms, delay: 2m}, {method: push}]
      low: [{method: email}]
  - {id: bob, phone: "+15550000002", admin: true}
teams:
  - {name: platform, members: [ann], managers: [bob]}
schedules:
  - name: primary
    time_zone: UTC
    layers:
      - {start: 2026-01-05T00:00:00, rotation: {type: weekly}, users: [ann, bob]}
escalation_policies:
  - name: platform
    team: platform
    owner: bob
    repeat: 2
    ack_timeout: 30m
    levels:
      - {delay: 5m, targets: [{schedule: primary}, {slack_channel: C0OPS}]}
      - {delay: 10m, mode: round_robin, targets: [{user: ann}, {user: bob}]}
incidents:
  severity_map: {critical: SEV1, warning: SEV2}
  urgency: {SEV2: low}
paging:
  ntfy: {base_url: "https://ntfy.example.com"}
"""


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "tocsin.yaml"
    path.write_text(text)
    return load_configuration(str(path))


def test_a_full_paging_configuration_compiles(tmp_path: Path) -> None:
    config = load(tmp_path, GOOD)
    ann = config.users["ann"]  # type: ignore[attr-defined]
    assert ann.rules["high"] == (
        Rule(ContactMethod.PUSH),
        Rule(ContactMethod.SMS, timedelta(minutes=2)),
    )  # sorted by delay
    assert ann.address(ContactMethod.VOICE) == "+4915112345678"
    team = config.teams["platform"]  # type: ignore[attr-defined]
    assert team.members == ("ann", "bob") and team.managers == ("bob",)
    policy = config.escalation_policies["platform"]  # type: ignore[attr-defined]
    assert policy.repeat == 2 and policy.ack_timeout == timedelta(minutes=30)
    assert [t.kind for t in policy.levels[0].targets] == [
        TargetKind.SCHEDULE,
        TargetKind.SLACK_CHANNEL,
    ]
    assert policy.levels[1].mode is Mode.ROUND_ROBIN
    assert config.receiver_policies == {"pager": "platform"}  # type: ignore[attr-defined]
    rules = config.incidents  # type: ignore[attr-defined]
    assert rules.severity_map["warning"] is Severity.SEV2
    assert rules.urgency[Severity.SEV2] is Urgency.LOW
    assert rules.urgency[Severity.SEV1] is Urgency.HIGH


def test_default_rules_follow_the_methods_a_person_has(tmp_path: Path) -> None:
    config = load(tmp_path, GOOD)
    bob = config.users["bob"]  # type: ignore[attr-defined]
    assert bob.rules_for("high") == (
        Rule(ContactMethod.SMS, timedelta(minutes=1)),
        Rule(ContactMethod.VOICE, timedelta(minutes=5)),
    )
    assert bob.rules_for("low") == (Rule(ContactMethod.SMS),)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            'phone: "+4915112345678"',
            "phone: 0151-123",
            "users.0.phone: user 'ann': '0151-123' is not an E.164",
        ),
        (
            "high: [{method: sms, delay: 2m}, {method: push}]",
            "high: [{method: webhook}]",
            "users.0.notification_rules.high.0.method: "
            "user 'ann' has no address for webhook (set webhook_url)",
        ),
        (
            "{method: sms, delay: 2m}",
            "{method: pigeon}",
            "users.0.notification_rules.high.0.method: Input should be",
        ),
        (
            "{method: sms, delay: 2m}",
            "{method: sms, delay: soon}",
            "notification_rules.high.0.delay: not a valid duration",
        ),
        ("members: [ann]", "members: [zed]", "teams.0.members.0: team 'platform': no user 'zed'"),
        (
            "{schedule: primary}",
            "{schedule: nightly}",
            "levels.0.targets.0.schedule: escalation policy 'platform': no schedule 'nightly'",
        ),
        (
            "{user: ann}, {user: bob}",
            "{user: ann, schedule: primary}",
            "levels.1.targets.0: escalation policy 'platform': a target is exactly one of",
        ),
        (
            "{delay: 5m,",
            "{delay: 30s,",
            "levels.0.delay: escalation policy 'platform': a level's delay must be at least 1m",
        ),
        (
            "owner: bob",
            "owner: zed",
            "escalation_policies.0.owner: escalation policy 'platform': no user 'zed'",
        ),
        (
            "team: platform\n    owner",
            "team: ops\n    owner",
            "escalation_policies.0.team: escalation policy 'platform': no team 'ops'",
        ),
        (
            "  - name: primary\n    time_zone: UTC",
            "  - name: primary\n    team: ops\n    time_zone: UTC",
            "schedules.0.team: no team 'ops' in teams",
        ),
        (
            "{name: platform, members: [ann], managers: [bob]}",
            "{name: platform, members: [ann], services: [api]}\n  - {name: b, services: [api]}",
            "teams.1.services.0: team 'b': service 'api' is owned by team 'platform'",
        ),
        (
            "escalation_policy: platform",
            "escalation_policy: nobody",
            "receivers.0.escalation_policy: no escalation policy 'nobody'",
        ),
        (
            "warning: SEV2}",
            "warning: SEV7}",
            "incidents.severity_map.warning: 'SEV7' is not a severity",
        ),
        (
            'base_url: "https://ntfy.example.com"',
            "hostname: x",
            "paging.ntfy.hostname: is not a known field",
        ),
        (
            "repeat: 2",
            "repeat: -1",
            "escalation_policies.0.repeat: Input should be greater than or equal to 0",
        ),
    ],
)
def test_problems_name_file_line_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in GOOD
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, GOOD.replace(old, new, 1))
    text = str(caught.value)
    assert message in text, text
    assert "tocsin.yaml:" in text
