"""Security headers on every answer of the web UI and the API: every GET route of the app's
router is asked, signed out and signed in."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.web.app_routes import api_routes, filled
from tocsin.web.security_headers import DOCS_POLICY, POLICY, SecurityHeaders

EVERYWHERE = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
#: Server-Sent Events: a signed-in request would stream for ten minutes (signed out, it is
#: sent to the sign-in page like any page).
STREAMS = {"/ui/live"}


def _checked(r, path: str, *, signed_in: bool) -> None:
    for name, value in EVERYWHERE.items():
        assert r.headers.get(name) == value, (path, r.status_code, name)
    policy = r.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy, path
    if path not in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        assert "'unsafe-inline'" not in policy and "script-src 'self';" in policy, path
    assert "strict-transport-security" not in r.headers, path  # served over http here
    cache = r.headers.get("cache-control", "")
    if signed_in and r.headers.get("content-type", "").startswith("text/html"):
        assert "no-store" in cache, (path, cache)
    assert cache in ("", "no-store", "no-cache") or "no-store" in cache, (path, cache)


def test_every_get_route_answers_with_the_security_headers(web):
    w = web()
    w.alert()
    gets = [path for method, path, _ in api_routes(w.client.app) if method == "GET"]
    assert {"/", "/incidents/{incident_id}", "/api/incidents", "/status", "/docs"} <= set(gets)
    w.client.cookies.clear()
    for path in gets:
        _checked(w.client.get(filled(path, {}), follow_redirects=False), path, signed_in=False)
    w.sign_in("ann")
    for path in gets:
        if path not in STREAMS:
            r = w.client.get(filled(path, {}), follow_redirects=False)
            _checked(r, path, signed_in=True)


def test_pages_static_files_and_ingest_answers_carry_them_too(web):
    w = web()
    r = w.client.get("/static/tocsin.js")
    assert r.status_code == 200 and r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"] == POLICY
    posted = w.client.post(
        "/api/v2/alerts", json=[], headers={"Authorization": f"Bearer {w.harness.token}"}
    )
    assert posted.status_code == 200  # the intake fast path, outside FastAPI's routing
    assert posted.headers["x-frame-options"] == "DENY"
    assert posted.headers["cache-control"] == "no-store"


def test_the_api_docs_may_load_their_viewer_from_its_cdn_and_nothing_else(web):
    r = web().client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == DOCS_POLICY
    assert "https://cdn.jsdelivr.net" in r.text  # what the policy allows is what it loads


def _tiny(https: bool) -> TestClient:
    async def hello(request):
        return PlainTextResponse("hi", headers={"X-Frame-Options": "SAMEORIGIN"})

    return TestClient(SecurityHeaders(Starlette(routes=[Route("/", hello)]), https=https))


def test_strict_transport_security_only_when_served_over_https():
    assert _tiny(True).get("/").headers["strict-transport-security"] == "max-age=31536000"
    assert "strict-transport-security" not in _tiny(False).get("/").headers


def test_a_header_the_answer_set_itself_is_kept():
    r = _tiny(False).get("/", headers={"Cookie": "tocsin_session=x"})
    assert r.headers["x-frame-options"] == "SAMEORIGIN"
    assert r.headers["cache-control"] == "no-store"
    assert "cache-control" not in _tiny(False).get("/").headers
