"""The JSON ingest parsers (integrations/): arbitrary JSON is either an alert or an
InputError naming the fields that are wrong, never another exception."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.conftest import FUZZ
from tests.fuzz.strategies import LABELS, SCALARS, documents
from tocsin.domain.alerts import Action
from tocsin.errors import InputError
from tocsin.integrations.alertmanager_api import parse_postable_alerts
from tocsin.integrations.opsgenie import parse_action, parse_create
from tocsin.integrations.pagerduty import parse_event
from tocsin.integrations.webhook import WebhookMapping, parse_webhook

NOW = datetime(2026, 1, 1, tzinfo=UTC)
TIMES = st.sampled_from(["2026-01-01T00:00:00Z", "2025-12-31T23:00:00+01:00", "yesterday", ""])


def _shaped(keys: list[str], values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Objects with the parser's own keys (and others), each holding anything."""
    return st.dictionaries(st.sampled_from([*keys, "x"]), values, max_size=len(keys))


VALUES = documents() | TIMES | LABELS
ALERTMANAGER = st.lists(
    _shaped(["labels", "annotations", "startsAt", "endsAt", "generatorURL"], VALUES), max_size=3
)
PAGERDUTY = _shaped(
    ["routing_key", "event_action", "dedup_key", "payload", "client", "client_url", "links"],
    VALUES
    | st.sampled_from(["trigger", "acknowledge", "resolve"])
    | _shaped(
        ["summary", "source", "severity", "timestamp", "component", "custom_details"],
        SCALARS | st.sampled_from(["critical", "info"]) | TIMES,
    ),
)
OPSGENIE = _shaped(
    ["message", "alias", "description", "priority", "tags", "entity", "source", "details", "note"],
    VALUES | st.sampled_from(["P1", "P3", "P9"]) | st.lists(st.text(max_size=5), max_size=3),
)
WEBHOOK = _shaped(
    ["title", "status", "dedup_key", "severity", "labels", "annotations", "url", "starts_at"],
    VALUES | st.sampled_from(["firing", "resolved", "acknowledged", "open"]),
)


def _body(document: Any) -> bytes:
    return json.dumps(document).encode()


BODIES = st.binary(max_size=30) | st.text(max_size=30).map(str.encode)


def _refused_well(exc: InputError) -> None:
    assert exc.problems, "an InputError says what is wrong"
    for problem in exc.problems:
        assert problem.problem
        assert problem.field, f"no field named in {exc}"


@FUZZ
@given(documents().map(_body) | ALERTMANAGER.map(_body) | BODIES)
def test_alertmanager_api(body: bytes) -> None:
    try:
        events = parse_postable_alerts(body, now=NOW, resolve_timeout=timedelta(minutes=5))
    except InputError as exc:
        _refused_well(exc)
        return
    for event in events:
        assert event.labels and event.ends_at is not None
        assert event.starts_at is None or event.starts_at <= event.ends_at


@FUZZ
@given(documents().map(_body) | PAGERDUTY.map(_body) | BODIES)
def test_pagerduty(body: bytes) -> None:
    try:
        event, dedup_key = parse_event(body, integration_id=1, new_dedup_key="new", now=NOW)
    except InputError as exc:
        _refused_well(exc)
        return
    assert event.dedup_key == dedup_key
    if event.action is Action.TRIGGER:
        assert event.labels["alertname"]


@FUZZ
@given(documents().map(_body) | OPSGENIE.map(_body) | BODIES)
def test_opsgenie(body: bytes) -> None:
    try:
        event = parse_create(body, integration_id=1, new_alias="new")
    except InputError as exc:
        _refused_well(exc)
    else:
        assert event.labels["alertname"] and event.dedup_key
    try:
        parse_action(body, action=Action.RESOLVE, fingerprint="f", dedup_key="d")
    except InputError as exc:
        _refused_well(exc)


MAPPING = WebhookMapping(
    title="alert.name",
    status="state",
    status_values={"open": "firing", "closed": "resolved"},
    labels={"host": "where.host"},
)


@FUZZ
@given(documents().map(_body) | WEBHOOK.map(_body) | BODIES, st.booleans())
def test_webhook(body: bytes, mapped: bool) -> None:
    try:
        event = parse_webhook(body, integration_id=1, mapping=MAPPING if mapped else None)
    except InputError as exc:
        _refused_well(exc)
        return
    assert event.labels["alertname"]
    assert "" not in event.labels.values()
