"""The incident lifecycle as the engine carries it: acknowledgement timeouts, snoozes,
auto-resolve and follow-ups, reassignment, merging, escalating now, schedule gaps, the
fallback, policy snapshots, round robin and urgency."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.notify.conftest import resolved
from tests.paging.conftest import CONFIG

ACK_TIMEOUT = CONFIG.replace(
    "    team: platform\n    levels:", "    team: platform\n    ack_timeout: 30m\n    levels:"
)


def test_an_acknowledgement_that_times_out_pages_again(pager: Any) -> None:
    assert ACK_TIMEOUT != CONFIG
    p = pager(config=ACK_TIMEOUT)
    p.alert()
    p.service.acknowledge(1, "ann")
    p.run(29 * 60)
    assert p.sent().count(("push", "ann-pages")) == 1
    p.run(60)
    assert p.only().status.value == "triggered"
    assert p.sent().count(("push", "ann-pages")) == 2
    assert "ack-timeout" in p.kinds(1)
    p.run(120)  # and the rules run again from the start: the SMS at 2 minutes
    assert p.sent().count(("sms", "+15550000001")) == 1


def test_a_snooze_quiets_then_pages_again(pager: Any) -> None:
    p = pager()
    p.alert()
    incident = p.service.snooze(1, "ann", timedelta(minutes=30))
    assert incident.status.value == "acknowledged" and incident.snoozed_until is not None
    p.run(29 * 60)
    assert p.sent().count(("push", "ann-pages")) == 1
    p.run(60)
    assert p.sent().count(("push", "ann-pages")) == 2
    assert p.kinds(1)[-4:].count("snooze-ended") == 1


def test_all_alerts_resolved_resolves_and_a_new_firing_opens_a_linked_incident(pager: Any) -> None:
    p = pager()
    p.alert()
    p.h.post(resolved(p.h, "HighErrorRate", severity="critical", service="api"))
    p.run(60)
    first = p.only()
    assert (first.status.value, first.resolved_by) == ("resolved", "tocsin")
    # A SEV1 needs a postmortem: it is drafted within the minute (docs/postmortems.md).
    assert p.kinds(1)[-3:] == ["alert-resolved", "resolved", "postmortem"]
    p.run(600)
    assert p.sent().count(("sms", "+15550000001")) == 0  # resolved before 2 minutes
    p.h.post(
        {
            "labels": {"alertname": "HighErrorRate", "severity": "critical", "service": "api"},
            "startsAt": p.now().isoformat(),
        }
    )
    p.run(60)
    second = p.incidents()[-1]
    assert second.id == 2 and second.previous_id == 1 and second.status.value == "triggered"
    assert "linked" in p.kinds(2)


def test_reassigning_pages_the_new_person_and_stops_the_old_steps(pager: Any) -> None:
    p = pager()
    p.alert()
    p.service.reassign(1, "ann", users=["cat"])
    p.run()
    assert len(p.mail.received) == 1 and "cat@example.com" in p.mail.received[0].rcpt_tos
    p.run(600)
    assert p.sent().count(("sms", "+15550000001")) == 0  # ann's SMS step is stale
    assert p.sent().count(("push", "bob-pages")) == 0  # no policy levels either
    assert "reassigned" in p.kinds(1)


def test_merging_moves_alerts_and_the_groups_updates(pager: Any) -> None:
    p = pager()
    p.alert(service="api")
    p.alert(service="web")
    assert [i.id for i in p.incidents()] == [1, 2]
    p.service.merge(2, 1, "ann")
    two, one = p.view(2), p.view(1)
    assert two.incident.status.value == "resolved" and two.incident.merged_into == 1
    assert {a.alertname for a in one.alerts} == {"HighErrorRate"} and len(one.alerts) == 2
    p.alert("Latency", service="web")  # a new alert of the merged group's labels
    p.h.post(
        {
            "labels": {"alertname": "HighErrorRate", "severity": "critical", "service": "web"},
            "endsAt": p.now().isoformat(),
        }
    )
    p.run(60)
    assert len(p.incidents()) == 3  # Latency is a new group: its own incident
    assert "alert-resolved" in p.kinds(1)


def test_escalate_now_pages_the_next_level_at_once(pager: Any) -> None:
    p = pager()
    p.alert()
    p.service.escalate(1, "ann")
    p.run()
    assert ("push", "bob-pages") in p.sent()
    p.run(300)  # the next level was due now, not again at 5 minutes
    assert p.sent().count(("push", "bob-pages")) == 1


NO_GAP_ALERTS = "on_call: {gap_alerts: {enabled: false}}"
GAP = CONFIG.replace(
    "users: [ann]\n",
    'users: [ann]\n        restrictions: [{{type: daily, start: "00:00", duration: 1h}}]\n',
)


def test_a_schedule_gap_skips_the_level_and_says_so(pager: Any) -> None:
    assert GAP != CONFIG and NOBODY != GAP
    p = pager(NO_GAP_ALERTS, config=GAP)
    p.alert()  # 12:00: nobody on primary
    assert sorted(p.sent()) == [("push", "bob-pages"), ("slack", "C0OPS")]
    kinds = p.kinds(1)
    assert "nobody-on-call" in kinds
    gap = next(e for e in p.view(1).timeline if e.kind == "nobody-on-call")
    assert gap.text == "Nobody is on call for schedule primary (level 1)"


NOBODY = GAP.replace(
    "        targets: [{{user: bob}}]", "        targets: [{{schedule: primary}}]"
).replace("{{schedule: primary}}, {{slack_channel: C0OPS}}", "{{schedule: primary}}")


def test_when_nobody_at_all_can_be_reached_the_admins_are_paged(pager: Any) -> None:
    p = pager(NO_GAP_ALERTS, config=NOBODY)
    p.alert()
    assert "fallback" in p.kinds(1)
    assert [m.rcpt_tos for m in p.mail.received] == [["cat@example.com"]]


def test_pages_in_flight_keep_the_policy_they_started_with(pager: Any) -> None:
    p = pager()
    p.alert()
    text = p.h.config.read_text().replace("targets: [{user: bob}]", "targets: [{user: cat}]")
    p.h.reload(text)
    p.run(300)
    assert ("push", "bob-pages") in p.sent() and not p.mail.received


ROUND_ROBIN = CONFIG.replace(
    "        targets: [{{schedule: primary}}, {{slack_channel: C0OPS}}]",
    "        mode: round_robin\n        targets: [{{user: ann}}, {{user: bob}}]",
)


def test_round_robin_takes_turns_across_incidents(pager: Any) -> None:
    assert ROUND_ROBIN != CONFIG
    p = pager(config=ROUND_ROBIN)
    for service in ("a", "b", "c"):
        p.alert(service=service)
    firsts = [s[1] for s in p.sent() if s[0] == "push"]
    assert firsts == ["ann-pages", "bob-pages", "ann-pages"]


def test_low_urgency_uses_the_low_rules(pager: Any) -> None:
    p = pager()
    p.alert(severity="warning")
    incident = p.only()
    assert (incident.severity.value, incident.urgency.value) == ("SEV3", "low")
    assert ("push", "ann-pages") not in p.sent()
    assert [m.rcpt_tos for m in p.mail.received] == [["ann@example.com"]]


def test_a_worse_alert_raises_the_severity(pager: Any) -> None:
    p = pager()
    p.h.post(
        {
            "labels": {"alertname": "Errors", "severity": "warning", "service": "api"},
            "startsAt": "2026-03-01T12:00:00Z",
        },
        {
            "labels": {"alertname": "Errors", "severity": "critical", "service": "api", "pod": "x"},
            "startsAt": "2026-03-01T12:00:00Z",
        },
    )
    p.run()
    assert p.only().severity.value == "SEV1"


def test_resolving_by_hand_while_alerts_fire_does_not_page_again(pager: Any) -> None:
    p = pager()
    p.alert()
    p.service.resolve(1, "ann")
    p.run(60)
    p.run(600)
    assert [(i.id, i.status.value) for i in p.incidents()] == [(1, "resolved")]
    assert p.sent().count(("push", "ann-pages")) == 1
    p.h.post(resolved(p.h, "HighErrorRate", severity="critical", service="api"))
    p.run(60)
    assert "alert-resolved" in p.kinds(1)  # the record stays complete
    p.h.post(  # a new firing: a new incident
        {
            "labels": {"alertname": "HighErrorRate", "severity": "critical", "service": "api"},
            "startsAt": p.now().isoformat(),
        }
    )
    p.run(60)
    assert [i.previous_id for i in p.incidents()] == [None, 1]


def test_an_alert_that_resolves_while_silenced_still_resolves_its_incident(pager: Any) -> None:
    p = pager()
    p.alert()
    silence = {
        "matchers": [{"name": "alertname", "value": "HighErrorRate", "isRegex": False}],
        "startsAt": p.now().isoformat(),
        "endsAt": (p.now() + timedelta(hours=2)).isoformat(),
        "createdBy": "ann",
        "comment": "known",
    }
    answer = p.h.client.post(
        "/api/v2/silences", json=silence, headers={"Authorization": f"Bearer {p.h.token}"}
    )
    assert answer.status_code == 200, answer.text
    p.h.post(resolved(p.h, "HighErrorRate", severity="critical", service="api"))
    p.run(60)
    assert p.only().status.value == "resolved"


UNREACHABLE = (
    CONFIG.replace(
        "  - {{id: cat, email: cat@example.com, admin: true}}",
        "  - {{id: cat, email: cat@example.com, admin: true}}\n  - {{id: dan}}",
    )
    .replace("        targets: [{{user: bob}}]", "        targets: [{{user: dan}}]")
    .replace("{{schedule: primary}}, {{slack_channel: C0OPS}}", "{{user: dan}}")
)


def test_people_who_cannot_be_paged_count_as_nobody(pager: Any) -> None:
    assert UNREACHABLE.count("user: dan") == 2
    p = pager(config=UNREACHABLE)
    p.alert()
    kinds = p.kinds(1)
    assert kinds.count("notify-failed") == 2 and "fallback" in kinds
    assert [m.rcpt_tos for m in p.mail.received] == [["cat@example.com"]]
