"""``remediation:`` in tocsin.yaml: compiled into frozen actions, every mistake named by
file, line and key."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.config.test_paging_config import load
from tocsin.domain.remediation import EscalationTrigger, RateLimit, RemediationConfig
from tocsin.errors import ConfigError

BASE = """route:
  receiver: r
receivers:
  - name: r
users:
  - {id: ann}
escalation_policies:
  - name: platform
    levels:
      - targets: [{user: ann}]
      - targets: [{user: ann}]
remediation:
  allowed_urls: ["https://deploy.example.com/api/", "http://127.0.0.1:9000/"]
  actions:
    - name: restart-api
      description: Rolling restart
      http:
        method: post
        url: "https://deploy.example.com/api/restart"
        headers: {Authorization: "Bearer ${DEPLOY_TOKEN}"}
        body: '{"service": {{ labels.service | tojson }}, "incident": {{ incident.id }}}'
      timeout: 15s
      dangerous: true
      rate_limit: {runs: 3, per: 1h}
      triggers:
        matchers: ['alertname="APIHighLatency"']
        escalation: {policy: platform, level: 2}
    - name: flush
      command: ["/usr/local/bin/flush-cache", "--region", "eu"]
"""


def test_no_section_no_actions(tmp_path: Path) -> None:
    config = load(tmp_path, "route:\n  receiver: r\nreceivers:\n  - name: r\n")
    assert config.remediation == RemediationConfig()


def test_the_section_compiles(tmp_path: Path) -> None:
    section = load(tmp_path, BASE).remediation
    restart = section.actions["restart-api"]
    assert restart.http is not None and restart.http.method == "POST"
    assert restart.http.headers == (("Authorization", "Bearer ${DEPLOY_TOKEN}"),)
    assert restart.timeout == timedelta(seconds=15)
    assert restart.rate_limit == RateLimit(3, timedelta(hours=1))
    assert restart.escalation == EscalationTrigger("platform", 2)
    assert restart.matches({"alertname": "APIHighLatency"})
    assert not restart.matches({"alertname": "Other"})
    assert restart.http.body is not None
    assert restart.http.body.render({"labels": {"service": "x"}, "incident": {"id": 4}}) == (
        '{"service": "x", "incident": 4}'
    )
    # A label is the alert sender's text: tojson keeps it a JSON string, whatever it holds.
    hostile = 'x", "admin": true, "y": "'
    rendered = restart.http.body.render({"labels": {"service": hostile}, "incident": {"id": 4}})
    assert json.loads(rendered) == {"service": hostile, "incident": 4}
    flush = section.actions["flush"]
    assert flush.command is not None and flush.command.argv[0] == "/usr/local/bin/flush-cache"
    assert flush.timeout == timedelta(seconds=10) and not flush.dangerous
    assert section.approval_ttl == timedelta(hours=1)
    assert section.matcher_actions == (restart,)
    assert section.explicit_addresses == frozenset({"127.0.0.1"})


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("      dangerous: true\n", "      dangerous: true\n      shell: yes\n", ".shell: is not"),
        ("    - name: flush\n", "    - name: flush\n      http: {url: x}\n", "exactly one of"),
        ('command: ["/usr/local/bin', 'command: ["usr/local/bin', ".command.0: must be an absol"),
        ("api/restart", "other/restart", ".http.url: https://deploy.example.com/other/restart"),
        (
            "https://deploy.example.com/api/restart",
            "http://169.254.169.254/latest",
            ".http.url: 169.254.169.254 is a cloud metadata",
        ),
        (
            "https://deploy.example.com/api/restart",
            "http://metadata.google.internal/x",
            ".http.url: metadata.google.internal is a cloud metadata service",
        ),
        ("{{ incident.id }}}'", "{{ incident.id }'", ".http.body: template error"),
        ("{{ labels.service | tojson }}", "{{ secrets.x }}", ".http.body: unknown name(s) sec"),
        ('alertname="APIHighLatency"', "alertname", ".triggers.matchers.0:"),
        ("policy: platform", "policy: nope", ".triggers.escalation.policy: no escalation"),
        ("level: 2}", "level: 3}", ".triggers.escalation.level: platform has 2 level(s)"),
        ("timeout: 15s", "timeout: 21s", ".timeout: at most 20s"),
        ("  actions:\n", "  approval_ttl: soon\n  actions:\n", "remediation.approval_ttl:"),
        ("per: 1h", "per: soon", ".rate_limit.per:"),
        ("method: post", "method: TRACE", ".http.method: must be one of"),
        ("name: flush", "name: restart-api", ".name: action 'restart-api' is not unique"),
        ("name: flush", "name: Flush It", ".name: must be lower case"),
        ('"http://127.0.0.1:9000/"', '"ftp://x/"', "allowed_urls.1: 'ftp://x/' is not"),
    ],
)
def test_mistakes_name_file_line_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in BASE
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, BASE.replace(old, new, 1))
    text = str(caught.value)
    assert message in text, text
    assert re.search(r"tocsin\.yaml:\d+: remediation\.", text), text


def test_link_local_is_allowed_when_asked(tmp_path: Path) -> None:
    text = BASE.replace(
        "https://deploy.example.com/api/restart", "http://169.254.169.254/latest", 1
    ).replace(
        '  allowed_urls: ["https://deploy.example.com/api/",',
        '  allow_link_local: true\n  allowed_urls: ["http://169.254.169.254/", '
        '"https://deploy.example.com/api/",',
    )
    section = load(tmp_path, text).remediation
    assert section.allow_link_local
    assert section.actions["restart-api"].what == "POST http://169.254.169.254/latest"


def test_approval_ttl_is_configurable(tmp_path: Path) -> None:
    text = BASE.replace("  actions:\n", "  approval_ttl: 15m\n  actions:\n", 1)
    assert load(tmp_path, text).remediation.approval_ttl == timedelta(minutes=15)
