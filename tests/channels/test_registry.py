"""Building receivers from an existing alertmanager.yml: unknown types and Go templates load
with a warning naming the key and line; they are never dropped silently."""

from __future__ import annotations

from pathlib import Path

from tocsin.channels.registry import UnsupportedChannel
from tocsin.services.configuration import load_configuration

CONFIG = """route:
  receiver: team
receivers:
  - name: team
    slack_configs:
      - api_url: http://127.0.0.1:9/hook
        title: '{{ template "slack.default.title" . }}'
        text: '{{ range .Alerts }}{{ .Annotations.summary }}{{ end }}'
        color: '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}'
        fields:
          - {title: Cluster, value: '{{ .CommonLabels.cluster }}'}
        username: tocsin
    pagerduty_configs:
      - routing_key: abc
"""


def test_go_templates_and_unsupported_types_load_with_warnings(tmp_path: Path) -> None:
    path = tmp_path / "alertmanager.yml"
    path.write_text(CONFIG)
    config = load_configuration(str(path))
    warnings = "\n".join(config.warnings)
    for key, line in (("title", 7), ("text", 8), ("color", 9), ("fields", 10)):
        assert f"{path}:{line}: receivers.0.slack_configs.0.{key}: is an Alertmanager (Go)" in (
            warnings
        )
    assert "username" not in warnings  # plain values stay
    assert f"{path}:14: receivers.0.pagerduty_configs.0: receiver type pagerduty_configs" in (
        warnings
    )
    specs = config.channels["team"]
    assert [s.name for s in specs] == ["slack[0]", "pagerduty[0]"]
    assert isinstance(specs[1].channel, UnsupportedChannel)


def test_jinja_templates_are_not_mistaken_for_go(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(
        CONFIG.split("    pagerduty_configs")[0]
        .replace('{{ template "slack.default.title" . }}', "{{ CommonLabels.alertname | title }}")
        .replace("{{ range .Alerts }}{{ .Annotations.summary }}{{ end }}", "{{ Status }}")
        .replace('{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}', "danger")
        .replace("{{ .CommonLabels.cluster }}", "{{ CommonLabels.cluster }}")
    )
    assert load_configuration(str(path)).warnings == ()
