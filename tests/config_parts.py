"""Pieces of tocsin.yaml that several suites' configurations share, to put before their own
text (they hold no braces but ``{smtp}``, so the whole stays one ``str.format`` template)."""

from __future__ import annotations

__all__ = ["PAGER_ROUTE", "SMTP_GLOBAL"]

#: Mail through the loopback SMTP server the suite starts; ``{smtp}`` is its port.
SMTP_GLOBAL = """\
global:
  smtp_smarthost: 127.0.0.1:{smtp}
  smtp_from: Tocsin <tocsin@example.com>
  smtp_require_tls: false
"""

#: Every alert, grouped by alert name and service and sent at once, pages through the
#: ``platform`` escalation policy.
PAGER_ROUTE = """\
route:
  receiver: pager
  group_by: [alertname, service]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: pager
    escalation_policy: platform
"""
