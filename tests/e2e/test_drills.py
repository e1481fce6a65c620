"""A team walks the example tabletop scenario in real chromium: start a session, answer the
first question, step through with Next and Back, answer the debrief, finish with notes, and
read the report. Each page is checked for accessibility basics and screenshotted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.drills.conftest import EXAMPLES
from tests.e2e.conftest import CONFIG, Site, _prepare
from tests.live_server import LiveServer
from tests.receiver_server import ReceiverServer
from tests.web.accessibility import check_page

pytestmark = [pytest.mark.slow]


@pytest.fixture
def tabletop_site(browser: Any, tmp_path: Path) -> Iterator[Site]:
    receiver = ReceiverServer()
    config = tmp_path / "tocsin.yaml"
    config.write_text(CONFIG.format(url=receiver.url) + f"drills: {{scenarios: {EXAMPLES}}}\n")
    server = LiveServer(
        f"sqlite:///{tmp_path / 'tocsin.db'}", tmp_path, env={"TOCSIN_CONFIG": str(config)}
    )
    try:
        token, api_token = _prepare(server.database_url, config)
        server.start()
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield Site(server, page, token, api_token)
        context.close()
    finally:
        server.stop()
        receiver.close()


def _accessible(site: Site, name: str) -> None:
    problems = check_page(site.page.content())
    assert not problems, f"{name}: {problems}"
    site.shot(name)


def test_walk_the_example_tabletop_scenario(tabletop_site: Site) -> None:
    site = tabletop_site
    site.sign_in("ann")
    page = site.page
    page.get_by_role("link", name="Drills").first.click()
    page.get_by_role("link", name="Tabletop exercises").first.click()
    page.wait_for_url(f"{site.url}/drills/tabletop")
    _accessible(site, "tabletop-scenarios")
    page.get_by_label(re.compile("^Participants")).fill("bob")
    page.get_by_role("button", name="Start a session").click()
    page.wait_for_url(re.compile(r"/drills/tabletop/sessions/\d+$"))
    main = page.locator("main")
    assert "Step 1 of 4" in main.inner_text()
    assert "What do you do first" in main.inner_text()
    _accessible(site, "tabletop-step-1")

    page.get_by_label("The team's answer").first.fill("Acknowledge and open the API dashboard")
    page.get_by_role("button", name="Record answer").first.click()
    page.wait_for_load_state()
    assert "Acknowledge and open the API dashboard" in page.locator("main").inner_text()

    page.get_by_role("button", name="Next").click()
    page.wait_for_load_state()
    assert "Step 2 of 4" in page.locator("main").inner_text()
    assert "connection from pool" in page.locator("main").inner_text()
    page.get_by_role("button", name="Back").click()
    page.wait_for_load_state()
    assert "Step 1 of 4" in page.locator("main").inner_text()
    for _ in range(3):
        page.get_by_role("button", name="Next", exact=True).click()
        page.wait_for_load_state()
    assert "Step 4 of 4" in page.locator("main").inner_text()
    page.get_by_role("button", name="Next: debrief").click()
    page.wait_for_load_state()
    assert "What went well?" in page.locator("main").inner_text()
    _accessible(site, "tabletop-debrief")
    page.get_by_label("The team's answer").first.fill("Paging was fast")
    page.get_by_role("button", name="Record answer").first.click()
    page.wait_for_load_state()
    page.get_by_label("Notes").fill("Index the orders filter column")
    page.get_by_role("button", name="Finish the session").click()
    page.wait_for_url(re.compile(r"/report$"))
    report = page.locator("main").inner_text()
    for text in (
        "Acknowledge and open the API dashboard",
        "Paging was fast",
        "Index the orders filter column",
        "ann, bob",
    ):
        assert text in report, text
    _accessible(site, "tabletop-report")
