"""Single sign-on in real chromium: a Tocsin server process and an OpenID Connect provider
on loopback; the person clicks the button, the browser goes to the provider and back, and
they are signed in (or shown why not). Screenshots go to the test artifacts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import CONFIG, SCREENSHOTS, _prepare
from tests.live_server import LiveServer
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.receiver_server import ReceiverServer
from tests.web.accessibility import check_page

pytestmark = [pytest.mark.slow]


@pytest.fixture
def tocsin(browser: Any, tmp_path: Path) -> Iterator[tuple[LiveServer, OidcProvider, Any]]:
    receiver = ReceiverServer()
    config = tmp_path / "tocsin.yaml"
    config.write_text(CONFIG.format(url=receiver.url))
    server = LiveServer(f"sqlite:///{tmp_path / 'tocsin.db'}", tmp_path)
    provider = OidcProvider(redirect_uri=f"{server.url}/login/oidc/callback")
    server.env |= {
        "TOCSIN_CONFIG": str(config),
        "TOCSIN_EXTERNAL_URL": server.url,
        "TOCSIN_OIDC_ISSUER": provider.url,
        "TOCSIN_OIDC_CLIENT_ID": CLIENT_ID,
        "TOCSIN_OIDC_CLIENT_SECRET": CLIENT_SECRET,
        "TOCSIN_OIDC_BUTTON": "Sign in with Example SSO",
    }
    try:
        _prepare(server.database_url, config)
        server.start()
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield server, provider, page
        context.close()
    finally:
        server.stop()
        provider.close()
        receiver.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_the_button_signs_in_through_the_provider(tocsin):
    server, provider, page = tocsin
    provider.identity.update(email="bob@example.com", name="Bob at the provider")
    page.goto(f"{server.url}/incidents")  # sent to sign in, to come back here
    page.wait_for_url(f"{server.url}/login?next=/incidents")
    assert check_page(page.content()) == []
    shot(page, "sso-sign-in")
    page.get_by_role("link", name="Sign in with Example SSO").click()
    page.wait_for_url(f"{server.url}/incidents")
    assert page.locator(".who a").first.inner_text() == "Bob Example"
    assert len(provider.requests_to("/token")) == 1
    shot(page, "sso-signed-in")


def test_someone_unknown_sees_why(tocsin):
    server, provider, page = tocsin
    provider.identity.update(email="zed@example.com")
    page.goto(f"{server.url}/login")
    page.get_by_role("link", name="Sign in with Example SSO").click()
    page.wait_for_url(f"{server.url}/login/oidc/callback*")
    alert = page.get_by_role("alert").inner_text()
    assert "no one in Tocsin has the email zed@example.com" in alert
    assert check_page(page.content()) == []
    shot(page, "sso-unknown-person")
