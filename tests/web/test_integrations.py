"""Integrations: where each sender posts on this Tocsin and what to paste into its
configuration; admins create integrations and rotate tokens, each token shown once."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from tests.notify.conftest import firing
from tests.web.accessibility import check_page
from tocsin.domain.integrations import IntegrationKind


def accessible(html: str) -> None:
    assert check_page(html) == []


def switch(w, user: str) -> None:
    w.client.cookies.clear()
    assert w.sign_in(user).status_code == 303


def shown_token(html: str) -> str:
    found = re.search(r'<input id="token" class="token mono" value="([0-9a-f]{32})"', html)
    assert found, html
    return found.group(1)


def post_alert(w, token: str) -> int:
    return w.client.post(
        "/api/v2/alerts",
        json=[firing("ViaNewToken")],
        headers={"Authorization": f"Bearer {token}"},
    ).status_code


def test_each_kind_shows_its_urls_and_snippets(web):
    w = web()
    for kind in IntegrationKind:
        if kind is not IntegrationKind.ALERTMANAGER:  # the harness made "prom" already
            w.runtime.integrations.create(f"{kind.value}-1", kind)
    w.sign_in("bob")
    r = w.client.get("/integrations")
    assert r.status_code == 200
    accessible(r.text)
    text = unescape(r.text)
    assert 'prom <span class="muted">· Prometheus (Alertmanager API v2)</span>' in text
    assert "http://tocsin.test/api/v2/alerts" in text
    # prometheus.yml: Prometheus adds /api/v2/alerts to scheme://target itself.
    assert "alerting:\n  alertmanagers:\n    - scheme: http\n      api_version: v2\n" in text
    assert 'static_configs: [{targets: ["tocsin.test:80"]}]' in text
    assert 'authorization:\n        credentials: "<token>"' in text
    # alertmanager.yml webhook receiver, authenticated with the token.
    assert "webhook_configs:\n      - url: http://tocsin.test/integrations/alertmanager\n" in text
    assert 'http_config:\n          authorization:\n            credentials: "<token>"' in text
    # PagerDuty: the Events URL and the routing key.
    assert "http://tocsin.test/v2/enqueue" in text and 'routing_key: "<token>"' in text
    # Opsgenie: the API URL (senders add v2/alerts) and the GenieKey.
    assert "api_url: http://tocsin.test/\n" in text and "GenieKey <token>" in text
    assert "http://tocsin.test/integrations/webhook/<token>" in text
    # No token is ever on the page, and bob (not an admin) gets no forms.
    assert w.harness.token not in text
    assert 'action="/integrations"' not in text and "/rotate" not in text
    assert "Only admins and team managers can add integrations and rotate tokens." in text


def test_an_admin_creates_an_integration_and_sees_its_token_once(web):
    w = web()
    w.sign_in("ann")
    page = w.client.get("/integrations")
    assert 'action="/integrations"' in page.text and 'id="kind"' in page.text
    r = w.post("/integrations", {"name": "prometheus-prod", "kind": "alertmanager"})
    assert r.status_code == 200
    accessible(r.text)
    token = shown_token(r.text)
    assert "it is not shown again" in r.text
    assert f'credentials: "{token}"' in unescape(r.text)  # the snippets carry it
    assert post_alert(w, token) == 200
    assert [v.alert.labels["alertname"] for v in w.runtime.views.open()] == ["ViaNewToken"]
    again = w.client.get("/integrations").text
    assert token not in again and "prometheus-prod" in again
    stored = {i.name: i for i in w.runtime.integrations.list()}["prometheus-prod"]
    assert stored.kind is IntegrationKind.ALERTMANAGER and token not in stored.token_hash


def test_a_bad_or_taken_name_is_refused_keeping_the_form(web):
    w = web()
    w.sign_in("ann")
    r = w.post("/integrations", {"name": "prom", "kind": "pagerduty"})
    assert r.status_code == 409
    assert "an integration named &#39;prom&#39; already exists" in r.text
    assert re.search(r'<option value="pagerduty" selected>', r.text)
    r = w.post("/integrations", {"name": "x", "kind": "carrier-pigeon"})
    assert r.status_code == 400 and "choose one of the kinds listed" in r.text
    r = w.post("/integrations", {"name": "", "kind": "webhook"})
    assert r.status_code == 400 and "must be 1 to 200 printable characters" in r.text
    assert [i.name for i in w.runtime.integrations.list()] == ["prom"]


def test_rotating_a_token_shows_the_new_one_and_the_old_one_stops_working(web):
    w = web()
    w.sign_in("ann")
    old = w.harness.token
    assert post_alert(w, old) == 200
    prom = w.runtime.integrations.list()[0]
    page = w.client.get("/integrations").text
    assert f'action="/integrations/{prom.id}/rotate"' in page and "data-confirm=" in page
    w.harness.clock.advance(timedelta(hours=1))
    r = w.post(f"/integrations/{prom.id}/rotate")
    assert r.status_code == 200
    new = shown_token(r.text)
    assert new != old and "the old one no longer works" in r.text
    assert post_alert(w, new) == 200
    assert post_alert(w, old) == 401
    assert "token rotated" in w.client.get("/integrations").text
    assert w.post("/integrations/9999/rotate").status_code == 404


def test_non_admins_cannot_create_or_rotate(web):
    w = web()
    switch(w, "bob")
    prom = w.runtime.integrations.list()[0]
    assert w.post("/integrations", {"name": "mine", "kind": "webhook"}).status_code == 403
    r = w.post(f"/integrations/{prom.id}/rotate")
    assert r.status_code == 403 and "only an admin can change this" in r.text  # no team's
    assert [i.name for i in w.runtime.integrations.list()] == ["prom"]
    assert post_alert(w, w.harness.token) == 200  # the token was not rotated


def test_a_public_url_with_https_and_a_path_gives_prometheus_its_prefix():
    from tocsin.web.integration_setup import setup

    text = setup(IntegrationKind.ALERTMANAGER, "https://ops.example.com/tocsin/", "T").snippets[0]
    assert "    - scheme: https\n      path_prefix: /tocsin\n" in text.text
    assert '[{targets: ["ops.example.com:443"]}]' in text.text
    assert 'credentials: "T"' in text.text
