"""Single sign-on as a browser does it: Tocsin's button, over real HTTP to the OpenID Connect
provider on loopback (``tests/oidc_provider.py``), and back to Tocsin's callback."""

from __future__ import annotations

import re
from html import unescape

import httpx

from tests.oidc_provider import CALLBACK
from tests.web.conftest import Web

__all__ = ["at_provider", "back_to_tocsin", "problem", "signed_in_as", "sso_sign_in"]

TOCSIN = "http://tocsin.test"


def at_provider(w: Web, next_path: str = "/") -> httpx.Response:
    """Click the button: Tocsin sends the browser to the provider, which (over real HTTP)
    signs the person in and answers with its redirect back to Tocsin."""
    w.client.cookies.delete("tocsin_session")
    start = w.client.get("/login/oidc", params={"next": next_path}, follow_redirects=False)
    assert start.status_code == 303, start.text
    assert start.headers["location"].startswith(f"{urlbase(w)}/authorize?")
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"].startswith(CALLBACK + "?")
    return answer


def urlbase(w: Web) -> str:
    sso = w.runtime.sso
    assert sso is not None
    return sso.config.issuer


def back_to_tocsin(w: Web, location: str) -> httpx.Response:
    """Follow the provider's redirect (Tocsin's external URL is http://tocsin.test; the
    test client is that site)."""
    assert location.startswith(TOCSIN)
    return w.client.get(location.removeprefix(TOCSIN), follow_redirects=False)


def sso_sign_in(w: Web, next_path: str = "/") -> httpx.Response:
    """The whole flow; Tocsin's answer to the callback."""
    return back_to_tocsin(w, at_provider(w, next_path).headers["location"])


def signed_in_as(w: Web) -> str | None:
    """The user id of who the browser is signed in as (the header's link to their page);
    None when a page sends it to sign in."""
    home = w.client.get("/", follow_redirects=False)
    if home.status_code != 200:
        return None
    found = re.search(r'<div class="who">\s*<a href="/people/([^"]+)">', home.text)
    assert found, home.text
    return found.group(1)


def problem(r: httpx.Response) -> str:
    found = re.search(r'role="alert"[^>]*>\s*(.*?)\s*<', r.text, re.S)
    assert found, r.text
    return unescape(found.group(1).strip())
