"""The incident page's communication: the update form (prefilled; to the status page too),
the next update due and overdue, paging someone to help, and a chat room on request."""

from __future__ import annotations

from datetime import timedelta

from tests.slack_server import SlackServer
from tests.web.accessibility import check_page

CADENCE = """incidents:
  update_every: {SEV1: 30m}
"""


def declare(w, severity="SEV1"):
    return w.runtime.incidents.declare(
        title="Checkout 5xx", severity=severity, actor="ann", service="checkout", summary="5xx"
    )


def test_the_update_form_starts_from_a_draft_and_posts_everywhere(web):
    w = web(CADENCE)
    w.sign_in("ann")
    component = w.runtime.status_page.create_component(name="Checkout")
    incident = declare(w)
    text = w.client.get(f"/incidents/{incident.id}").text
    assert check_page(text) == []
    assert (
        'id="update-affected" name="affected" rows="2" maxlength="4000">checkout</textarea>' in text
    )
    assert (
        'id="update-status" name="status" rows="2" maxlength="4000">Investigating</textarea>'
        in text
    )
    assert 'id="update-impact" name="impact" rows="2" maxlength="4000">5xx</textarea>' in text
    assert "Next update</dt>" in text and ">13:30</time>" in text  # ann reads Berlin time
    answer = w.post(
        f"/incidents/{incident.id}/update",
        {
            "affected": "Checkout",
            "status": "Identified",
            "impact": "Card payments fail",
            "actions": "Rolling back",
            "next_update": "15m",
            "publish": "1",
            "public_name": "Payment errors",
            "public_status": "identified",
            "public_body": "We know why payments fail.",
            f"component-{component.id}": "partial_outage",
        },
    )
    assert answer.status_code == 303, answer.text
    done = w.runtime.incidents.get(incident.id)
    assert done.next_update_at == w.harness.clock.now() + timedelta(minutes=15)
    summary = w.client.get("/status/api/v2/summary.json").json()
    assert summary["incidents"][0]["name"] == "Payment errors"
    assert summary["components"][0]["status"] == "partial_outage"
    page = w.client.get(f"/incidents/{incident.id}").text
    assert "Updates the public incident “Payment errors” (identified)" in page
    assert "Affected: Checkout\nStatus: Identified" in page
    assert "Published on the status page (identified)" in page


def test_a_bad_update_keeps_what_was_typed(web):
    w = web()
    w.sign_in("ann")
    incident = declare(w, "SEV3")
    answer = w.post(
        f"/incidents/{incident.id}/update",
        {"affected": "", "status": "", "impact": "", "actions": "", "message": ""},
    )
    assert answer.status_code == 400
    assert "message: an update needs some text" in answer.text
    first = w.post(
        f"/incidents/{incident.id}/update",
        {
            "message": "Looking",
            "publish": "1",
            "public_status": "investigating",
            "public_body": "x",
        },
    )
    assert first.status_code == 400
    assert "statusPage.name: a first public post needs a public title" in first.text
    assert (
        'id="update-message" name="message" rows="2" maxlength="4000">Looking</textarea>'
        in first.text
    )
    assert w.runtime.incidents.view(incident.id).timeline[-1].kind != "status-update"


def test_an_overdue_update_is_said_on_the_page(web):
    w = web(CADENCE)
    w.sign_in("bob")
    incident = declare(w)
    w.harness.tick(31 * 60)
    text = w.client.get(f"/incidents/{incident.id}").text
    assert '<strong class="overdue">Overdue since' in text
    assert "A stakeholder update is due (since 12:30 UTC, 1 min late): nobody" in text


def test_page_someone_to_help(web):
    w = web()
    w.sign_in("bob")
    incident = declare(w, "SEV3")
    answer = w.post(f"/incidents/{incident.id}/responder", {"target": "schedule:primary"})
    assert answer.status_code == 303
    assert any(
        e.text == "bob paged ann (on call for primary)"
        for e in w.runtime.incidents.view(incident.id).timeline
    )
    wrong = w.post(f"/incidents/{incident.id}/responder", {"target": "team:x"})
    assert wrong.status_code == 400 and "choose a person or a schedule" in wrong.text


def test_a_slack_channel_on_request_and_its_link(web):
    slack = SlackServer()
    try:
        slack.add_user("U0ANN", "ann@example.com")
        extra = (
            "incidents:\n  slack: {channel_for: []}\n"
            f'paging:\n  slack: {{bot_token: xoxb-test, api_url: "{slack.url}"}}\n'
        )
        w = web(extra)
        w.sign_in("ann")
        incident = declare(w, "SEV3")
        text = w.client.get(f"/incidents/{incident.id}").text
        assert "Make a Slack channel" in text
        assert w.post(f"/incidents/{incident.id}/room", {"provider": "slack"}).status_code == 303
        w.harness.tick()
        text = w.client.get(f"/incidents/{incident.id}").text
        channel = slack.channel("inc-20260301-checkout-5xx")
        assert f'<a href="https://slack.com/app_redirect?channel={channel.id}">' in text
        assert "Make a Slack channel" not in text
    finally:
        slack.close()
