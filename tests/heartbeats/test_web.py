"""``/heartbeats``: state, last ping and deadline for everyone; the token, ping URL, crontab
line and Alertmanager receiver for admins, who can rotate the token."""

from __future__ import annotations

import html

from tests.heartbeats.conftest import Beats
from tests.web.conftest import Web
from tests.web.conftest import quick_password_hashing as quick_password_hashing  # autouse


def test_everyone_sees_state_admins_see_the_token_and_snippets(beats: Beats) -> None:
    web = Web(beats.h)
    beats.ping("backup")
    beats.tick(7 * 60)
    web.account("bob")
    web.sign_in("bob")
    page = web.client.get("/heartbeats")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert 'href="/heartbeats" aria-current="page"' in page.text
    assert "heartbeat-up" in text and "heartbeat-down" in text
    assert "http://tocsin.test/api/heartbeats/backup/ping" in text
    token = beats.token("backup")
    assert token not in text
    assert "Rotate the token" not in text
    assert web.post("/heartbeats/backup/rotate").status_code == 403

    web.account("ann", admin=True)
    web.sign_in("ann")
    text = html.unescape(web.client.get("/heartbeats").text)
    assert token in text
    url = "http://tocsin.test/api/heartbeats/backup/ping"
    curl = f"curl -fsS -m 10 --retry 3 -o /dev/null -H 'Authorization: Bearer {token}' {url}"
    assert f"0 * * * * /path/to/job && {curl} || " in text
    assert "url: http://tocsin.test/api/heartbeats/backup/alertmanager" in text
    rotated = web.post("/heartbeats/backup/rotate")
    assert rotated.status_code == 200
    assert "The token of backup was rotated" in rotated.text
    assert token not in html.unescape(rotated.text)
    assert beats.token("backup") in html.unescape(rotated.text)
