"""Grafana OnCall's integrations and their routes as a Tocsin route tree: each integration a
sub-route on the label its alerts carry, each route's ``routing_regex`` a matcher where it
is a plain label match (docs/import-grafana-oncall.md)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tocsin.integrations.importers.imported import Imported, slug

__all__ = ["INTEGRATION_LABEL", "matchers", "route_tree"]

Item = dict[str, Any]

INTEGRATION_LABEL = "oncall_integration"
_KINDS = {"alertmanager": ("alertmanager-webhook", "point Alertmanager's webhook_configs at it")}
_KINDS["grafana_alerting"] = ("alertmanager", "make it Grafana's external Alertmanager")
_WORD = r"[A-Za-z0-9_\-/ ]+"
_LABEL_REGEX = re.compile(
    r'^\\?"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\\?"\s*:\s*\\?"'
    rf"(?P<value>{_WORD}|\(?{_WORD}(?:\|{_WORD})+\)?)"
    r'\\?"$'
)
_LABEL_JINJA = re.compile(
    r"^\{\{\s*payload\.(?:commonLabels|labels|groupLabels)\.(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    rf"\s*==\s*[\"'](?P<value>{_WORD})[\"']\s*\}}\}}$"
)


def route_tree(
    out: Imported, integrations: list[Item], routes: list[Item], policies: Mapping[str, str]
) -> None:
    """Integrations and their routes as a route tree and its receivers (in ``out``); each
    integration reported with the command that makes it in Tocsin."""
    receivers: dict[str, Item] = {}

    def receiver(chain: Any, where: Any) -> str:
        policy = policies.get(str(chain)) if chain else None
        if chain and policy is None:
            out.check("route", where, "its escalation chain did not map: pages nobody")
        if policy is None:
            receivers.setdefault("no-escalation", {"name": "no-escalation"})
            return "no-escalation"
        # "page-": never "unrouted" or "no-escalation", whatever the chains are called
        receivers.setdefault(policy, {"name": f"page-{policy}", "escalation_policy": policy})
        return f"page-{policy}"

    trees: list[Item] = []
    taken: set[str] = set()
    for integ in integrations:
        label = integ.get("name") or integ.get("id")
        key = slug(str(label), taken)
        kind, how = _KINDS.get(str(integ.get("type")), ("webhook", "give it a --mapping"))
        note = (
            f"create it: `tocsin integration create {key} --kind {kind} "
            f"--label {INTEGRATION_LABEL}={key}` (its alerts then carry the label its "
            f"routes match), {how}"
        )
        out.check("integration", label, note)
        mine = sorted(
            (r for r in routes if r.get("integration_id") == integ.get("id")),
            key=lambda r: r.get("position") or 0,
        )
        default = integ.get("default_route") or {}
        last = [r for r in mine if r.get("is_the_last_route") or r.get("id") == default.get("id")]
        tree: Item = {"matchers": [f'{INTEGRATION_LABEL}="{key}"']}
        chain = (last[0] if last else default).get("escalation_chain_id")
        tree["receiver"] = receiver(chain, f"{label}/default")
        children = []
        for route in (r for r in mine if r not in last):
            where, found = f"{label}/{route.get('routing_regex')}", matchers(route)
            if found is None:
                out.check("route", where, "not a plain label match: write matchers by hand")
                continue
            child = {"matchers": found} if found else {}
            chain = route.get("escalation_chain_id")
            children.append(child | {"receiver": receiver(chain, where)})
            out.ok("route", where, f"as {found or 'match-all'}")
        if children:
            tree["routes"] = children
        if any((r.get("slack") or {}).get("channel_id") for r in [*mine, default]):
            out.check("route", label, "Slack channels: add slack_channel targets")
        trees.append(tree)
    if not trees:  # only schedules and chains: still a configuration Tocsin takes
        trees = [{"receiver": "unrouted"}]
        receivers["unrouted"] = {"name": "unrouted"}
        out.check("route", "unrouted", "no integration: alerts page nobody until routed")
    if len(trees) == 1:
        root = {k: v for k, v in trees[0].items() if k != "matchers"}
    else:
        root = {"receiver": "unrouted", "routes": trees}
        receivers["unrouted"] = {"name": "unrouted"}
        out.check("route", "unrouted", f"alerts without {INTEGRATION_LABEL} page nobody")
    out.sections["receivers"] = list(receivers.values())
    out.sections["route"] = {"receiver": root.pop("receiver"), "group_by": ["alertname"]}
    out.sections["route"] |= root


def matchers(route: Item) -> list[str] | None:
    """Alertmanager matchers for a routing_regex that is a plain label match
    (``"severity": "critical"``, ``{{ payload.commonLabels.team == "db" }}``); ``[]`` for
    match-all; None for anything else."""
    text = str(route.get("routing_regex") or "").strip()
    if text in ("", ".*", "{{ true }}"):
        return []
    found = (_LABEL_JINJA if route.get("routing_type") == "jinja2" else _LABEL_REGEX).match(text)
    if found is None:
        return None
    value = found["value"]
    if "|" in value:
        return [f'{found["name"]}=~"{value.strip("()")}"']
    return [f'{found["name"]}="{value}"']
