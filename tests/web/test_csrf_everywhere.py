"""CSRF on every form: every web page a signed-in admin can open is rendered and each of
its POST forms must carry the session's secret; a POST to each web POST route without it
is refused. The routes come from the app's router, not from a list kept by hand."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.web.app_routes import api_routes, filled, params
from tocsin.services.runbooks import Fields

#: Forms whose authority is a signed link, not a session: the status page's confirm and
#: unsubscribe buttons (RFC 8058 one-click unsubscribe must work from a mail client's POST).
#: Without the link's token they are refused (400).
SIGNED_LINKS = {"/status/subscribe/confirm", "/status/unsubscribe"}
#: Double-submit forms of people not signed in: sign-in, status page subscription.
DOUBLE_SUBMIT = {"/login": 401, "/status/subscribe": 403}
STREAMS = {"/ui/live"}


class Forms(HTMLParser):
    """Each ``<form method=post>``: its action and the names of its fields."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, set[str]]] = []
        self._open: tuple[str, set[str]] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            if (found.get("method") or "get").lower() == "post":
                self._open = (found.get("action") or "", set())
                self.forms.append(self._open)
            else:
                self._open = None
        elif tag in ("input", "button", "select", "textarea") and self._open and found.get("name"):
            self._open[1].add(str(found["name"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def _data(w) -> dict[str, str]:
    """Values for the pages' path parameters: an incident, its alert, a delivery, ..."""
    w.alert("HighErrorRate", service="api", severity="critical")
    w.alert("DiskFull", service="db", severity="info")  # to the webhook: a delivery
    w.harness.tick(60)
    w.runtime.runbooks.create("disk-full", Fields("Disk full", "Free some space."), "ann")
    fingerprint = re.search(r'href="/alerts/([0-9a-f]+)"', w.client.get("/alerts").text)
    deliveries = w.harness.deliveries()
    messages = w.harness.messages()
    return {
        "incident_id": "1",
        "fingerprint": fingerprint.group(1) if fingerprint else "0",
        "name": "primary",
        "user_id": "bob",
        "slug": "disk-full",
        "delivery_id": str(deliveries[0].id) if deliveries else "1",
        "message_id": str(messages[0].id) if messages else "1",
    }


def test_every_post_form_on_every_page_carries_the_csrf_secret(web):
    w = web()
    w.sign_in("ann")
    values = _data(w)
    csrf = w.csrf()
    rendered, forms = [], 0
    for method, path, _ in api_routes(w.client.app):
        if method != "GET" or path.startswith("/api") or path in STREAMS:
            continue
        url = filled(path, values)
        r = w.client.get(url, follow_redirects=False)
        if r.status_code != 200 or not r.headers["content-type"].startswith("text/html"):
            continue
        rendered.append(path)
        parser = Forms()
        parser.feed(r.text)
        for action, fields in parser.forms:
            forms += 1
            if action.split("?")[0] in SIGNED_LINKS:
                assert "t=" in action, (path, action)
                continue
            assert "csrf" in fields, f"{url}: the form posting to {action!r} has no csrf field"
            if action.split("?")[0] not in DOUBLE_SUBMIT:
                assert f'name="csrf" value="{csrf}"' in r.text, url
    # The pages with a parameter were found, not just the lists.
    assert {"/", "/incidents/{incident_id}", "/people/{user_id}", "/runbooks/{slug}"} <= set(
        rendered
    ), rendered
    assert len(rendered) >= 30 and forms >= 20, (len(rendered), forms)


def test_every_web_post_route_refuses_a_form_without_the_secret(web):
    w = web()
    w.sign_in("ann")
    values = _data(w)
    web_posts = [
        path
        for method, path, route in api_routes(w.client.app)
        if method == "POST" and route.endpoint.__module__.startswith("tocsin.web.")
    ]
    assert {"/logout", "/incidents/{incident_id}/{action}", "/people/{user_id}/password"} <= set(
        web_posts
    )
    for path in web_posts:
        url = filled(path, {**values, "action": "acknowledge"})
        r = w.client.post(url, data={"note": "x"}, follow_redirects=False)
        if path in SIGNED_LINKS:
            assert r.status_code == 400, (path, r.status_code)
        elif path in DOUBLE_SUBMIT:
            assert r.status_code == DOUBLE_SUBMIT[path], (path, r.status_code)
        else:
            assert r.status_code == 403, (path, r.status_code, r.text[:300])
        # A wrong secret is no better than none.
        if path not in SIGNED_LINKS:
            bad = w.client.post(url, data={"csrf": "0" * 64}, follow_redirects=False)
            assert bad.status_code in (401, 403), (path, bad.status_code)
    assert w.client.get("/", follow_redirects=False).status_code == 200  # still signed in


def test_params_are_filled_for_every_web_page():
    # The helper's own check: an unknown parameter takes the default.
    assert filled("/a/{x}/b/{y}", {"x": "1"}) == "/a/1/b/1"
    assert params("/a/{x}/b/{y:path}") == ["x", "y"]
