"""``domain.alerts.apply``: what each event does to the fingerprint's head alert."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.alerts import (
    Action,
    Alert,
    AlertEvent,
    AlertStatus,
    Identity,
    Outcome,
    Resolution,
    apply,
    effective_status,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def ev(
    action: Action = Action.TRIGGER,
    *,
    identity: Identity = Identity.LABELS,
    starts_at: datetime | None = T0,
    ends_at: datetime | None = None,
    timeout: bool = False,
    annotations: dict[str, str] | None = None,
) -> AlertEvent:
    return AlertEvent(
        fingerprint="00000000000000aa",
        identity=identity,
        action=action,
        labels={"alertname": "X"} if action is Action.TRIGGER else {},
        annotations=annotations or {},
        starts_at=starts_at,
        ends_at=ends_at,
        ends_at_is_timeout=timeout,
    )


def step(head: Alert | None, event: AlertEvent, now: datetime) -> tuple[Alert | None, Outcome]:
    new, outcome = apply(head, event, integration_id=1, new_uid=f"uid-{now.isoformat()}", now=now)
    return (new if new is not None else head), outcome


def test_first_trigger_creates_a_firing_alert() -> None:
    alert, outcome = step(None, ev(ends_at=T0 + 5 * MIN, timeout=True), T0)
    assert outcome is Outcome.CREATED
    assert alert is not None
    assert alert.status is AlertStatus.FIRING
    assert alert.starts_at == T0
    assert alert.ends_at == T0 + 5 * MIN
    assert alert.receive_count == 1


def test_trigger_without_start_starts_now() -> None:
    alert, _ = step(None, ev(starts_at=None), T0 + MIN)
    assert alert is not None and alert.starts_at == T0 + MIN


def test_resend_is_unchanged_but_counted_and_extends_ends_at() -> None:
    a, _ = step(None, ev(ends_at=T0 + 5 * MIN, timeout=True), T0)
    b, outcome = step(a, ev(ends_at=T0 + 6 * MIN, timeout=True), T0 + MIN)
    assert outcome is Outcome.UNCHANGED
    assert b is not None and b.receive_count == 2 and b.ends_at == T0 + 6 * MIN
    assert b.uid == a.uid  # type: ignore[union-attr]


def test_changed_annotations_are_an_update() -> None:
    a, _ = step(None, ev(annotations={"summary": "one"}), T0)
    b, outcome = step(a, ev(annotations={"summary": "two"}), T0 + MIN)
    assert outcome is Outcome.UPDATED
    assert b is not None and b.annotations == {"summary": "two"} and b.updated_at == T0 + MIN


def test_earliest_start_wins() -> None:
    a, _ = step(None, ev(starts_at=T0), T0)
    b, _ = step(a, ev(starts_at=T0 - MIN), T0 + MIN)
    assert b is not None and b.starts_at == T0 - MIN


def test_a_later_explicit_ends_at_beats_an_earlier_timeout() -> None:
    # Alertmanager's Alert.Merge: "a non-timeout timestamp always rules if it is the latest".
    a, _ = step(None, ev(ends_at=T0 + 9 * MIN, timeout=False), T0)
    b, _ = step(a, ev(ends_at=T0 + 6 * MIN, timeout=True), T0 + MIN)
    assert b is not None and b.ends_at == T0 + 9 * MIN and not b.ends_at_is_timeout
    c, _ = step(b, ev(ends_at=T0 + 12 * MIN, timeout=True), T0 + 2 * MIN)
    assert c is not None and c.ends_at == T0 + 12 * MIN and c.ends_at_is_timeout


def test_acknowledge_then_retrigger_stays_acknowledged() -> None:
    a, _ = step(None, ev(identity=Identity.DEDUP_KEY), T0)
    b, outcome = step(a, ev(Action.ACKNOWLEDGE, identity=Identity.DEDUP_KEY), T0 + MIN)
    assert outcome is Outcome.ACKNOWLEDGED
    assert b is not None and b.status is AlertStatus.ACKNOWLEDGED and b.acknowledged_at == T0 + MIN
    c, outcome = step(b, ev(identity=Identity.DEDUP_KEY), T0 + 2 * MIN)
    assert outcome is Outcome.UNCHANGED and c is not None
    assert c.status is AlertStatus.ACKNOWLEDGED
    _, outcome = step(c, ev(Action.ACKNOWLEDGE, identity=Identity.DEDUP_KEY), T0 + 3 * MIN)
    assert outcome is Outcome.UNCHANGED


def test_resolve_uses_past_ends_at_or_now() -> None:
    a, _ = step(None, ev(), T0)
    b, outcome = step(a, ev(Action.RESOLVE, ends_at=T0 + MIN), T0 + 2 * MIN)
    assert outcome is Outcome.RESOLVED
    assert b is not None and b.status is AlertStatus.RESOLVED and b.resolved_at == T0 + MIN
    assert b.resolution is Resolution.SOURCE
    c, _ = step(a, ev(Action.RESOLVE, ends_at=T0 + 9 * MIN), T0 + 2 * MIN)
    assert c is not None and c.resolved_at == T0 + 2 * MIN  # a future endsAt is not a resolve time


def test_ack_and_resolve_for_nothing_open_are_ignored() -> None:
    for action in (Action.ACKNOWLEDGE, Action.RESOLVE):
        new, outcome = apply(None, ev(action), integration_id=1, new_uid="u", now=T0)
        assert (new, outcome) == (None, Outcome.IGNORED)
    a, _ = step(None, ev(identity=Identity.DEDUP_KEY), T0)
    b, _ = step(a, ev(Action.RESOLVE, identity=Identity.DEDUP_KEY), T0 + MIN)
    new, outcome = apply(b, ev(Action.ACKNOWLEDGE), integration_id=1, new_uid="u", now=T0 + 2 * MIN)
    assert (new, outcome) == (None, Outcome.IGNORED)


def test_pagerduty_trigger_after_resolve_opens_a_new_alert() -> None:
    a, _ = step(None, ev(identity=Identity.DEDUP_KEY, starts_at=None), T0)
    b, _ = step(a, ev(Action.RESOLVE, identity=Identity.DEDUP_KEY), T0 + MIN)
    c, outcome = step(b, ev(identity=Identity.DEDUP_KEY, starts_at=None), T0 + 2 * MIN)
    assert outcome is Outcome.CREATED
    assert c is not None and b is not None and c.uid != b.uid and c.starts_at == T0 + 2 * MIN


def test_stale_resend_of_a_resolved_firing_is_ignored() -> None:
    # An HA pair's lagging member re-sends the firing that the other one already resolved.
    a, _ = step(None, ev(starts_at=T0), T0)
    b, _ = step(a, ev(Action.RESOLVE, starts_at=T0, ends_at=T0 + MIN), T0 + MIN)
    _, outcome = step(b, ev(starts_at=T0, ends_at=T0 + 9 * MIN, timeout=True), T0 + 2 * MIN)
    assert outcome is Outcome.IGNORED


def test_a_new_firing_after_resolve_is_a_new_alert() -> None:
    a, _ = step(None, ev(starts_at=T0), T0)
    b, _ = step(a, ev(Action.RESOLVE, starts_at=T0, ends_at=T0 + MIN), T0 + MIN)
    c, outcome = step(b, ev(starts_at=T0 + 3 * MIN), T0 + 3 * MIN)
    assert outcome is Outcome.CREATED and c is not None and c.uid != a.uid  # type: ignore[union-attr]


def test_sender_returning_after_timeout_reopens_the_same_alert() -> None:
    a, _ = step(None, ev(starts_at=T0, ends_at=T0 + 5 * MIN, timeout=True), T0)
    assert a is not None
    assert effective_status(a, T0 + 5 * MIN) is AlertStatus.RESOLVED
    b, outcome = step(a, ev(starts_at=T0, ends_at=T0 + 12 * MIN, timeout=True), T0 + 7 * MIN)
    assert outcome is Outcome.REOPENED
    assert b is not None and b.uid == a.uid and b.status is AlertStatus.FIRING
    assert b.resolved_at is None and b.ends_at == T0 + 12 * MIN


def test_effective_status_before_and_at_ends_at() -> None:
    a, _ = step(None, ev(ends_at=T0 + 5 * MIN, timeout=True), T0)
    assert a is not None
    assert effective_status(a, T0 + 5 * MIN - timedelta(microseconds=1)) is AlertStatus.FIRING
    assert effective_status(a, T0 + 5 * MIN) is AlertStatus.RESOLVED
    assert effective_status(replace(a, ends_at=None), T0 + 999 * MIN) is AlertStatus.FIRING


actions = st.sampled_from(list(Action))
identities = st.sampled_from(list(Identity))


@given(st.lists(st.tuples(actions, st.integers(0, 3), st.booleans()), max_size=30), identities)
def test_any_event_sequence_keeps_the_alert_consistent(
    script: list[tuple[Action, int, bool]], identity: Identity
) -> None:
    head: Alert | None = None
    now = T0
    received = 0
    for action, start_offset, with_end in script:
        now += MIN
        event = ev(
            action,
            identity=identity,
            starts_at=T0 + start_offset * MIN,
            ends_at=now + 5 * MIN if with_end else None,
            timeout=with_end,
        )
        new, outcome = apply(head, event, integration_id=1, new_uid=f"u{now}", now=now)
        if new is None:
            assert outcome is Outcome.IGNORED
            continue
        received = received + 1 if head is not None and new.uid == head.uid else 1
        head = new
        assert head.receive_count == received
        assert (head.status is AlertStatus.RESOLVED) == (head.resolved_at is not None)
        if head.status is AlertStatus.ACKNOWLEDGED:
            assert head.acknowledged_at is not None
        assert head.ends_at is None or head.ends_at >= head.starts_at or head.resolved_at


def test_resolve_keeps_the_labels_the_alert_was_raised_with() -> None:
    raised = replace(ev(identity=Identity.DEDUP_KEY), labels={"alertname": "X", "severity": "page"})
    a, _ = step(None, raised, T0)
    resolving = replace(ev(Action.RESOLVE, identity=Identity.DEDUP_KEY), labels={"alertname": "X"})
    b, _ = step(a, resolving, T0 + MIN)
    assert b is not None and dict(b.labels) == {"alertname": "X", "severity": "page"}
