"""The Content Security Policy breaks nothing, in real chromium: the live board (Server-Sent
Events, the page script) and an incident page work, and the browser reports no violation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import Site

pytestmark = [pytest.mark.slow]

#: Collects every violation the browser reports (init scripts are not subject to the page's
#: policy, so this runs before anything the policy could refuse).
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


def _watched(site: Site) -> list[str]:
    messages: list[str] = []

    def seen(message: Any) -> None:
        if "Content Security Policy" in message.text:
            messages.append(message.text)

    site.page.on("console", seen)
    site.page.add_init_script(WATCH)
    return messages


def test_the_board_and_an_incident_work_under_the_policy(site: Site):
    console = _watched(site)
    site.sign_in("ann")
    page = site.page
    response = page.goto(f"{site.url}/")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    page.evaluate("window.__notReloaded = true")

    site.alert("HighErrorRate", service="api")
    link = page.get_by_role("link", name=re.compile(r"#1 HighErrorRate"))
    link.wait_for()  # pushed over the event stream and swapped in by the page's script
    assert page.evaluate("window.__notReloaded") is True
    assert page.evaluate("window.__violations") == []

    link.click()
    page.wait_for_url(f"{site.url}/incidents/1")
    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(f"{site.url}/incidents/1")
    assert "Acknowledged" in page.locator("main").inner_text()
    assert page.evaluate("window.__violations") == []
    assert console == []

    # The watch does see a violation when there is one: an image from elsewhere.
    page.evaluate(
        "() => { const i = document.createElement('img');"
        " i.src = 'https://tocsin.invalid/x.png'; document.body.appendChild(i); }"
    )
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.__violations")[0].startswith("img-src")
