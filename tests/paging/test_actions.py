"""Acknowledging from wherever the page arrived: a signed link (GET asks, POST acts), a
phone call's keypad, an SMS reply (Twilio's signature checked) and a Slack button (Slack's
signing checked, replays refused)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from tocsin.integrations.twilio_inbound import twilio_signature


def _link(p: Any, kind: str = "ack", user: str = "ann") -> str:
    """The path of the signed link in the page ``user`` got."""
    incident = p.only()
    page = next(m for m in p.view(incident.id).pages if m.user == user)
    url = next(a["url"] for a in page.details["actions"] if a["kind"] == kind)
    assert url.startswith("http://tocsin.test/act/")
    return urlsplit(url).path


def test_a_link_asks_on_get_and_acts_on_post(pager: Any) -> None:
    p = pager()
    p.alert()
    path = _link(p)
    shown = p.h.client.get(path)
    assert shown.status_code == 200 and "Acknowledge incident #1?" in shown.text
    assert p.only().status.value == "triggered"  # a link preview changes nothing
    done = p.h.client.post(path)
    assert done.status_code == 200 and "is acknowledged" in done.text
    incident = p.only()
    assert (incident.status.value, incident.acknowledged_by) == ("acknowledged", "ann")
    again = p.h.client.post(path, headers={"Accept": "application/json"})
    assert again.json() == {"id": 1, "status": "acknowledged"}
    assert p.kinds(1).count("acknowledged") == 1
    ack = next(e for e in p.view(1).timeline if e.kind == "acknowledged")
    assert ack.text == "Acknowledged by ann (link)"


def test_a_link_resolves(pager: Any) -> None:
    p = pager()
    p.alert()
    assert p.h.client.post(_link(p, "resolve")).status_code == 200
    assert p.only().status.value == "resolved"


def test_altered_and_expired_links_are_refused(pager: Any) -> None:
    p = pager()
    p.alert()
    path = _link(p)
    token = path.rsplit("/", 1)[1]
    altered = path[: -len(token)] + token[:-1] + ("A" if token[-1] != "A" else "B")
    refused = p.h.client.post(altered)
    assert refused.status_code == 403 and "not valid" in refused.text
    p.h.clock.advance(timedelta(days=8))
    expired = p.h.client.post(path)
    assert expired.status_code == 403 and "expired" in expired.text
    assert p.only().status.value == "triggered"


def test_a_phone_keypad_acknowledges_with_4_only(pager: Any) -> None:
    p = pager()
    p.alert()
    path = _link(p)
    other = p.h.client.post(path, data={"Digits": "1"})
    assert "Not acknowledged" in other.text and p.only().status.value == "triggered"
    four = p.h.client.post(path, data={"Digits": "4"})
    assert four.headers["content-type"].startswith("text/xml")
    assert "<Say>Incident 1 is acknowledged. Goodbye.</Say>" in four.text
    ack = next(e for e in p.view(1).timeline if e.kind == "acknowledged")
    assert ack.text == "Acknowledged by ann (voice)"


SMS_URL = "http://tocsin.test/integrations/twilio/sms"


def _sms(p: Any, body: str, phone: str = "+15550000001", token: str = "twilio-secret") -> Any:
    params = {"From": phone, "To": "+15559990000", "Body": body, "MessageSid": "SM1"}
    return p.h.client.post(
        "/integrations/twilio/sms",
        content=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_signature(token, SMS_URL, params),
        },
    )


def test_an_sms_reply_acknowledges(pager: Any) -> None:
    p = pager()
    p.alert()
    code = p.only().reply_code
    answer = _sms(p, f"4 {code.lower()}")
    assert answer.status_code == 200
    assert "<Message>Incident #1 is acknowledged.</Message>" in answer.text
    assert p.only().acknowledged_by == "ann"
    assert "Acknowledged by ann (sms)" in [e.text for e in p.view(1).timeline]


def test_an_sms_reply_without_a_code_acts_on_the_latest_page(pager: Any) -> None:
    p = pager()
    p.alert()
    assert "is resolved" in _sms(p, "6").text


def test_forged_and_unknown_sms_replies_change_nothing(pager: Any) -> None:
    p = pager()
    p.alert()
    forged = _sms(p, "4", token="not-the-token")
    assert forged.status_code == 403
    stranger = _sms(p, "4", phone="+15557777777")
    assert "does not know this number" in stranger.text
    assert "Reply" in _sms(p, "what is this").text
    assert p.only().status.value == "triggered"


def _slack(p: Any, action_id: str, user: str = "U0BOB", *, age: int = 0, secret: str = "") -> Any:
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": "bob"},
        "actions": [{"action_id": action_id, "value": "1", "type": "button"}],
        "response_url": "https://hooks.slack.com/actions/T0/1/x",
        "channel": {"id": "D0BOB"},
        "message": {"ts": "1.000"},
        "container": {"type": "message"},
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    ts = str(int(p.now().timestamp()) - age)
    key = (secret or "slack-signing-secret").encode()
    mac = hmac.new(key, b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return p.h.client.post(
        "/integrations/slack/interactions",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": f"v0={mac}",
        },
    )


def test_a_slack_button_acknowledges_as_the_person_pressing_it(pager: Any) -> None:
    p = pager()
    p.alert()
    answer = _slack(p, "tocsin_ack")
    assert answer.status_code == 200 and answer.json()["text"] == "Incident #1 is acknowledged."
    assert p.only().acknowledged_by == "bob"


def test_forged_and_replayed_slack_requests_are_refused(pager: Any) -> None:
    p = pager()
    p.alert()
    assert _slack(p, "tocsin_ack", secret="guessed").status_code == 401
    replay = _slack(p, "tocsin_ack", age=6 * 60)
    assert replay.status_code == 401
    stranger = _slack(p, "tocsin_ack", user="U0NOBODY")
    assert "not a Tocsin user" in stranger.json()["text"]
    assert p.only().status.value == "triggered"


def _status(p: Any, url: str, params: dict[str, str], token: str = "twilio-secret") -> Any:
    parts = urlsplit(url)
    return p.h.client.post(
        f"{parts.path}?{parts.query}",
        content=urlencode(params),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": twilio_signature(token, url, params),
        },
    )


def test_twilio_delivery_reports_reach_the_timeline(pager: Any) -> None:
    from urllib.parse import parse_qsl

    from tests.paging.conftest import TWILIO_SMS

    p = pager()
    p.alert()
    p.run(120)  # ann's SMS
    sms = next(r for r in p.server.requests if r.path == TWILIO_SMS)
    callback = dict(parse_qsl(sms.body.decode()))["StatusCallback"]
    assert callback.startswith("http://tocsin.test/integrations/twilio/status?key=")
    assert _status(p, callback, {"MessageSid": "SM1", "MessageStatus": "sent"}).status_code == 204
    assert "delivered" not in p.kinds(1)  # not final yet
    forged = _status(p, callback, {"MessageStatus": "delivered"}, token="wrong")
    assert forged.status_code == 403 and "delivered" not in p.kinds(1)
    done = _status(p, callback, {"MessageSid": "SM1", "MessageStatus": "delivered"})
    assert done.status_code == 204
    delivered = [e for e in p.view(1).timeline if e.kind == "delivered"]
    assert [e.text for e in delivered] == ["sms to ann delivered"]
    failed = _status(p, callback, {"MessageStatus": "undelivered", "ErrorCode": "30003"})
    assert failed.status_code == 204
    assert "sms to ann not delivered: undelivered (30003)" in [e.text for e in p.view(1).timeline]
    unknown = _status(p, callback.split("key=")[0] + "key=nope", {"MessageStatus": "delivered"})
    assert unknown.status_code == 404


def test_an_sms_code_only_acts_on_incidents_that_paged_the_sender(pager: Any) -> None:
    p = pager()
    p.alert()
    code = p.only().reply_code
    answer = _sms(p, f"4 {code}", phone="+15550000002")  # bob: not paged yet (level 2)
    assert f"No open incident {code} paged you." in answer.text
    assert p.only().status.value == "triggered"


def test_the_open_link_shows_the_incident_with_buttons_that_act(pager: Any) -> None:
    p = pager()
    p.alert()
    shown = p.h.client.get(_link(p, "open"))
    assert shown.status_code == 200
    assert "HighErrorRate" in shown.text and "Level 1 of platform" in shown.text
    ack_path = shown.text.split('<form method=post action="')[1].split('"')[0]
    assert ack_path.startswith("/act/")
    assert p.h.client.post(ack_path).status_code == 200
    assert p.only().acknowledged_by == "ann"
