"""What an on-call engineer does during an incident, in real chromium: a firing alert
becomes an incident, they acknowledge it, write a note and resolve it; they silence an alert
from its page; they take over a shift from the calendar. Each page is screenshotted into the
test artifacts and checked for labels, heading order and status in words."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.conftest import SCREENSHOTS, Site
from tests.web.accessibility import check_page

pytestmark = [pytest.mark.slow]


def _accessible(site: Site, name: str) -> None:
    problems = check_page(site.page.content())
    assert not problems, f"{name}: {problems}"
    site.shot(name)


def test_a_firing_alert_becomes_an_incident_that_is_acknowledged_noted_and_resolved(site):
    site.sign_in("ann")
    site.alert("HighErrorRate", service="checkout", severity="critical")
    page = site.page
    page.get_by_role("link", name=re.compile(r"#1 HighErrorRate")).click()
    page.wait_for_url(f"{site.url}/incidents/1")
    header = page.locator("main")
    assert "Triggered" in header.inner_text()
    assert page.get_by_role("link", name="Runbook", exact=True).first.get_attribute("href") == (
        "https://runbooks.example.com/HighErrorRate"
    )
    _accessible(site, "incident-triggered")

    page.get_by_role("button", name="Acknowledge").click()
    page.wait_for_url(f"{site.url}/incidents/1")
    assert "Acknowledged" in page.locator("main").inner_text()
    assert "Acknowledged by ann" in page.locator("main").inner_text()

    page.get_by_label("Note for the timeline").fill("Rolled back deploy 4812.")
    page.get_by_role("button", name="Add note").click()
    page.wait_for_url(f"{site.url}/incidents/1")
    timeline = page.get_by_role("heading", name="Timeline").locator("xpath=..")
    assert "Rolled back deploy 4812." in timeline.inner_text()

    page.get_by_label(re.compile("^Resolution")).fill("Error rate back to normal.")
    page.get_by_role("button", name="Resolve incident").click()
    page.wait_for_url(f"{site.url}/incidents/1")
    text = page.locator("main").inner_text()
    assert "Resolved" in text and "Error rate back to normal." in text
    _accessible(site, "incident-resolved")

    # The server agrees: the API shows the incident resolved by ann.
    api = httpx.get(f"{site.url}/api/incidents/1", headers=site.api).json()
    assert api["status"] == "resolved" and api["resolvedBy"] == "ann"
    page.goto(f"{site.url}/incidents")
    _accessible(site, "incidents")


def test_silence_an_alert_from_its_page(site):
    site.sign_in("ann")
    site.alert("DiskFull", service="db", severity="info")
    page = site.page
    page.goto(f"{site.url}/alerts")
    _accessible(site, "alerts")
    page.get_by_role("link", name="DiskFull", exact=True).click()
    _accessible(site, "alert")
    page.get_by_role("link", name=re.compile("Silence this alert")).click()
    # The form is prefilled with the alert's labels as matchers.
    values = page.locator("input[name$='-value']").evaluate_all("els => els.map(e => e.value)")
    assert {"DiskFull", "db", "info"} <= set(values)
    page.get_by_label(re.compile("^Comment")).fill("Disk is being replaced.")
    _accessible(site, "silence-new")
    page.get_by_role("button", name="Create silence").click()
    page.wait_for_url(re.compile(r"/silences#silence-"))
    assert "Disk is being replaced." in page.locator("main").inner_text()
    _accessible(site, "silences")
    page.goto(f"{site.url}/alerts")
    assert "DiskFull" not in page.locator("main").inner_text().split("more")[0]
    page.goto(f"{site.url}/alerts?suppressed=1")
    assert re.search(r"[Ss]ilenced", page.locator("main").inner_text())


def test_take_over_a_shift_from_the_calendar(site):
    site.sign_in("bob")
    page = site.page
    page.goto(f"{site.url}/oncall")
    _accessible(site, "oncall")
    section = page.locator("#schedule-primary")
    row = section.locator("tr", has=page.get_by_role("link", name="ann")).first
    row.get_by_role("link", name=re.compile("Override")).click()
    page.wait_for_url(re.compile(r"/oncall/primary/override\?"))
    page.get_by_label("Who takes over").select_option("bob")
    _accessible(site, "override-new")
    page.get_by_role("button", name="Create the override").click()
    page.wait_for_url(re.compile(r"/oncall#schedule-primary"))
    overrides = page.locator("#schedule-primary").inner_text()
    assert re.search(r"bob\s+from", overrides), overrides
    page.goto(f"{site.url}/oncall/policies")
    _accessible(site, "policies")


def test_every_main_page_is_readable_on_a_phone(site, browser):
    site.sign_in("ann")
    site.alert("HighErrorRate", service="api", severity="critical")
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.context.add_cookies(site.page.context.cookies())
    for path, name in [
        ("/", "phone-home"),
        ("/incidents/1", "phone-incident"),
        ("/alerts", "phone-alerts"),
        ("/oncall", "phone-oncall"),
        ("/integrations", "phone-integrations"),
        ("/deliveries", "phone-deliveries"),
        ("/people/ann", "phone-person"),
    ]:
        page.goto(f"{site.url}{path}")
        assert page.url.endswith(path), page.url  # still signed in
        # Nothing wider than the screen except what scrolls on purpose (tables, calendars).
        wide = page.evaluate(
            "() => [...document.querySelectorAll('main > *')]"
            ".filter(e => e.scrollWidth > window.innerWidth + 1).map(e => e.tagName + '#' + e.id)"
        )
        assert not wide, f"{path}: {wide}"
        assert not check_page(page.content()), path
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    phone.close()


def test_post_an_update_to_the_timeline_and_the_status_page(site):
    site.sign_in("ann")
    site.alert("HighErrorRate", service="checkout", severity="critical")
    auth = site.api
    made = httpx.post(
        f"{site.url}/api/status-page/components", json={"name": "Checkout"}, headers=auth
    )
    assert made.status_code == 201, made.text
    page = site.page
    page.goto(f"{site.url}/incidents/1")
    # The form starts from the incident: its service and firing alert, its status.
    assert page.get_by_label("Affected", exact=True).input_value() == "checkout (HighErrorRate)"
    assert page.get_by_label("Status", exact=True).input_value() == "Investigating"
    page.get_by_label("Impact", exact=True).fill("Some checkouts fail.")
    page.get_by_label("Actions", exact=True).fill("Rolling back deploy 4812.")
    page.get_by_text("Also on the public status page").click()
    page.get_by_label("Post to the status page").check()
    page.get_by_label("Public title").fill("Checkout errors")
    page.get_by_label("What the status page says").fill("Some checkouts fail; we are on it.")
    page.get_by_label(re.compile("^Checkout")).select_option("partial_outage")
    _accessible(site, "incident-update-form")
    page.get_by_role("button", name="Post update").click()
    page.wait_for_url(f"{site.url}/incidents/1")
    timeline = page.get_by_role("heading", name="Timeline").locator("xpath=..").inner_text()
    assert "Impact: Some checkouts fail." in timeline
    assert "Published on the status page (investigating)" in timeline
    page.goto(f"{site.url}/status")
    text = page.locator("body").inner_text()
    assert "Checkout errors" in text and "Some checkouts fail; we are on it." in text
    assert "HighErrorRate" not in text  # the internal incident stays inside
    _accessible(site, "status-page-with-incident")
