"""Signing in and the live board, in real chromium."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import PASSWORD, Site

pytestmark = [pytest.mark.slow]


def test_sign_in_then_a_firing_alert_appears_on_the_board_without_reloading(site: Site):
    page = site.page
    page.goto(f"{site.url}/incidents")
    assert "/login?next=/incidents" in page.url
    site.shot("sign-in")
    page.get_by_label("User or email").fill("ann")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("Wrong user or password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{site.url}/incidents")
    page.goto(f"{site.url}/")
    board = page.locator("#home-incidents")
    assert "No open incidents." in board.inner_text()
    page.evaluate("window.__notReloaded = true")

    site.alert("HighErrorRate", service="api")

    link = page.get_by_role("link", name=re.compile(r"#1 HighErrorRate"))
    link.wait_for()  # pushed by the live stream: no reload
    assert page.evaluate("window.__notReloaded") is True
    assert "Triggered" in board.inner_text()
    assert "HighErrorRate" in page.locator("#home-alerts").inner_text()
    site.shot("home")


def test_sign_out(site: Site):
    site.sign_in("bob")
    site.page.get_by_role("button", name="Sign out").click()
    site.page.wait_for_url(re.compile(r"/login$"))
    site.page.goto(f"{site.url}/")
    assert "/login" in site.page.url
