"""The public status page in real chromium at phone and desktop widths: screenshots into
test-artifacts/screenshots/, and the layout facts that make it usable (no sideways
scrolling on a phone, the banner and bars within the screen, bars coloured by downtime,
the subscribe form working with its cookie)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import SCREENSHOTS, browser  # noqa: F401 - the fixture
from tests.live_server import LiveServer
from tocsin.engine.clock import FakeClock
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import migrate

pytestmark = [pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _history(database_url: str) -> None:
    """Thirty days of a page's life, written on a fake clock that ends a minute ago."""
    now = datetime.now(UTC)
    clock = FakeClock(now - timedelta(days=30))
    runtime = Runtime.build(Settings(database_url=database_url), clock=clock, run_engine=False)
    try:
        migrate.upgrade(runtime.db)
        runtime.signing_key.load(runtime.db, clock.now())
        sp = runtime.status_page
        sp.set_page(name="Acme Cloud Status")
        core = sp.create_group("Core platform", description="What every product uses")
        api = sp.create_component("API", group_id=core.id, description="REST and GraphQL")
        web = sp.create_component("Dashboard", group_id=core.id)
        sp.create_component("Authentication", group_id=core.id)
        data = sp.create_group("Data")
        db = sp.create_component("Database clusters", group_id=data.id)
        sp.create_component(
            "Object storage (eu-west-1, us-east-1, ap-southeast-2)", group_id=data.id
        )
        sp.create_component("Status emails", showcase=False)
        for day, component, status, hours in [
            (4, api.id, "partial_outage", 3),
            (11, web.id, "degraded_performance", 8),
            (19, api.id, "major_outage", 2),
            (25, db.id, "under_maintenance", 2),
        ]:
            # At 01:00 UTC of that day: the outage stays within one day's bar, whatever the
            # time the suite runs at.
            midnight = (now - timedelta(days=30 - day)).replace(hour=0, minute=0, second=0)
            clock.set(midnight + timedelta(hours=1))
            sp.set_component_status(component, status)
            clock.advance(timedelta(hours=hours))
            sp.set_component_status(component, "operational")
        clock.set(now - timedelta(days=2))
        old = sp.publish(
            None,
            "Login errors for some users",
            "investigating",
            "We are looking into failed logins.",
            None,
            {},
            "ann",
        )
        clock.advance(timedelta(hours=1))
        sp.post_update(old.id, "resolved", "A configuration change was rolled back.", {}, "ann")
        clock.set(now - timedelta(minutes=20))
        live = sp.publish(
            None,
            "Elevated error rates on the API",
            "identified",
            "A faulty deploy raised error rates for about 10% of requests. We are rolling it back.",
            None,
            {api.id: "partial_outage"},
            "ann",
        )
        assert live.impact == "major"
        sp.schedule_maintenance(
            "Database version upgrade",
            "We upgrade the database clusters; writes pause for up to 5 minutes.",
            now + timedelta(days=2),
            now + timedelta(days=2, hours=2),
            [db.id],
            "ann",
        )
    finally:
        runtime.status_sends.close()
        runtime.messages.close()
        runtime.db.dispose()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("status-browser")
    live = LiveServer(f"sqlite:///{folder / 'tocsin.db'}", folder)
    _history(live.database_url)
    live.start()
    yield live
    live.stop()


def _overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_status_page_layout(browser: Any, server: LiveServer, name: str, viewport: dict) -> None:  # noqa: F811
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/status")
        assert page.title() == "Acme Cloud Status"
        banner = page.locator(".banner")
        assert banner.inner_text().strip() == "Partial System Outage"
        assert _overflow(page) <= 0, "the page scrolls sideways"
        box = banner.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
        bars = page.locator("svg.bars")
        assert bars.count() == 5  # the sixth component shows no uptime
        for i in range(bars.count()):
            b = bars.nth(i).bounding_box()
            assert b is not None and b["x"] + b["width"] <= viewport["width"] + 0.5
            assert b["width"] >= 250  # still readable on a phone
        assert page.locator("svg.bars").first.locator("rect").count() == 90
        # Coloured by downtime, as Statuspage: 2 h of major outage (day 19) red, 3 h of
        # partial outage (54 weighted minutes, day 4) orange, today's 20 minutes of partial
        # outage (6) yellow; 8 h of degraded performance and maintenance cost nothing: green.
        assert page.locator("svg.bars rect.day-high").count() == 1
        assert page.locator("svg.bars rect.day-mid").count() == 1
        assert page.locator("svg.bars rect.day-low").count() == 1
        assert page.get_by_role("heading", name="Elevated error rates on the API").is_visible()
        assert page.get_by_role("heading", name="Database version upgrade").is_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"status-{name}.png"), full_page=True)
        if name == "phone":
            # the long component name wraps instead of pushing the status off screen
            row = page.locator(".component", has_text="Object storage").bounding_box()
            assert row is not None and row["x"] + row["width"] <= viewport["width"]
            page.get_by_role("link", name="Subscribe by email").click()
            page.get_by_label("Email address").fill("reader@example.org")
            page.get_by_role("button", name="Subscribe").click()
            page.get_by_role("heading", name="Check your inbox").wait_for()
            assert _overflow(page) <= 0
        else:
            page.goto(f"{server.url}/status/history")
            assert page.get_by_role("heading", name="Incident history").is_visible()
            assert page.get_by_role("link", name="Login errors for some users").is_visible()
            assert _overflow(page) <= 0
            page.screenshot(path=str(SCREENSHOTS / "status-history.png"), full_page=True)
    finally:
        context.close()
