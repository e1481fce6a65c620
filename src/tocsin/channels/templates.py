"""Message templates: Jinja2 in a sandbox, given Alertmanager's template data.

The data has Alertmanager's names so that templates read like the ones teams already have,
in Jinja's syntax: ``{{ CommonLabels.alertname }}``, ``{% for a in Alerts.Firing %}``,
``{{ a.Annotations.summary }}``, ``{{ ExternalURL }}``. Templates are compiled and rendered
against a sample when the configuration loads, so a broken one is a configuration error
then, never a blank message later. A missing label renders as an empty string.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import jinja2
from jinja2 import meta
from jinja2.sandbox import SandboxedEnvironment

from tocsin.channels.notification import Notification, PayloadAlert

__all__ = ["DEFAULT_TITLE", "Template", "TemplateError", "template_data"]

NAMES = frozenset(
    {
        "Receiver",
        "Status",
        "Alerts",
        "GroupLabels",
        "CommonLabels",
        "CommonAnnotations",
        "ExternalURL",
        "GroupKey",
        "TruncatedAlerts",
    }
)


#: The title every chat receiver uses by default, as Alertmanager's:
#: ``[FIRING:2] HighLatency (cluster=eu)`` (alert names, then the other group labels).
DEFAULT_TITLE = (
    '[{{ Status|upper }}{% if Status == "firing" %}:{{ Alerts.Firing|length }}{% endif %}] '
    '{{ Alerts|map(attribute="Labels.alertname")|select|unique|join(", ") or Receiver }}'
    '{% set rest = GroupLabels|dictsort|rejectattr("0", "eq", "alertname")|list %}'
    "{% if rest %} ({% for k, v in rest %}{{ k }}={{ v }}{% if not loop.last %}, "
    "{% endif %}{% endfor %}){% endif %}"
)


class TemplateError(ValueError):
    """A template that does not compile, names unknown data, or fails on sample data."""


class AlertList(list[dict[str, Any]]):
    """A list of alerts with Alertmanager's ``.Firing`` and ``.Resolved`` views."""

    @property
    def Firing(self) -> list[dict[str, Any]]:  # noqa: N802 - Alertmanager's name
        return [a for a in self if a["Status"] == "firing"]

    @property
    def Resolved(self) -> list[dict[str, Any]]:  # noqa: N802 - Alertmanager's name
        return [a for a in self if a["Status"] == "resolved"]


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    return {k: v for k, v in maps[0].items() if all(m.get(k) == v for m in maps[1:])}


def _alert(a: PayloadAlert) -> dict[str, Any]:
    return {
        "Status": "firing" if a.firing else "resolved",
        "Labels": dict(a.labels),
        "Annotations": dict(a.annotations),
        "StartsAt": a.starts_at,
        "EndsAt": None if a.firing else a.ends_at,
        "GeneratorURL": a.generator_url,
        "Fingerprint": a.fingerprint,
    }


def template_data(n: Notification) -> dict[str, Any]:
    alerts = AlertList(_alert(a) for a in n.alerts)
    return {
        "Receiver": n.receiver,
        "Status": n.status,
        "Alerts": alerts,
        "GroupLabels": dict(n.group_labels),
        "CommonLabels": _common([a["Labels"] for a in alerts]),
        "CommonAnnotations": _common([a["Annotations"] for a in alerts]),
        "ExternalURL": n.external_url,
        "GroupKey": n.group_key,
        "TruncatedAlerts": 0,
    }


def _sample() -> Notification:
    started = datetime(2026, 1, 1, tzinfo=UTC)
    alert = PayloadAlert(
        fingerprint="0123456789abcdef",
        labels={"alertname": "Sample", "severity": "critical", "instance": "host:9100"},
        annotations={"summary": "A sample alert", "runbook_url": "https://example.test/rb"},
        starts_at=started,
        ends_at=None,
        generator_url="",
        firing=True,
    )
    return Notification("sample", "{}:{}", {"alertname": "Sample"}, [alert], "http://tocsin")


_env = SandboxedEnvironment(
    undefined=jinja2.ChainableUndefined, autoescape=False, keep_trailing_newline=False
)
#: The same, escaping every value for HTML (``Template(source, html=True)``): alert content
#: is text from outside, never markup; ``|safe`` is the template author's explicit choice.
_html_env = SandboxedEnvironment(
    undefined=jinja2.ChainableUndefined, autoescape=True, keep_trailing_newline=False
)
for _e in (_env, _html_env):
    _e.filters["join_labels"] = lambda m: ", ".join(f"{k}={v}" for k, v in sorted(m.items()))


class Template:
    """A compiled template; ``render`` raises TemplateError, never returns a half message."""

    def __init__(self, source: str, *, extra_names: Iterable[str] = (), html: bool = False) -> None:
        self.source = source
        env = _html_env if html else _env
        try:
            parsed = env.parse(source)
            unknown = meta.find_undeclared_variables(parsed) - NAMES - set(extra_names)
            if unknown:
                raise TemplateError(
                    "unknown name(s) "
                    + ", ".join(sorted(unknown))
                    + "; available: "
                    + ", ".join(sorted(NAMES))
                )
            self._template = env.from_string(source)
        except jinja2.TemplateError as exc:
            raise TemplateError(_describe(exc)) from None
        self.render_data(template_data(_sample()))  # fails now, not at 3 a.m.

    def render(self, notification: Notification) -> str:
        return self.render_data(template_data(notification))

    def render_data(self, data: dict[str, Any]) -> str:
        try:
            return self._template.render(data)
        except (jinja2.TemplateError, TypeError, ValueError, AttributeError) as exc:
            raise TemplateError(_describe(exc)) from None


def _describe(exc: Exception) -> str:
    line = getattr(exc, "lineno", None)
    where = f" (template line {line})" if line else ""
    return f"template error{where}: {exc}"
