"""End to end in a real browser: Debian's chromium (/usr/bin/chromium), driven by Playwright
for Python, against a real Tocsin server process on loopback (SQLite, the real clock).

Without chromium or Playwright these tests skip and say why, except under CI=true, where
that is a failure (.ci/run installs both). Screenshots of the pages go to
``test-artifacts/screenshots/`` (or ``$TOCSIN_TEST_ARTIFACTS/screenshots``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live_server import LiveServer
from tests.receiver_server import ReceiverServer
from tocsin.domain.integrations import IntegrationKind
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import migrate

IN_CI = os.environ.get("CI", "").lower() == "true"
CHROMIUM = os.environ.get("TOCSIN_TEST_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("TOCSIN_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "screenshots"
PASSWORD = "correct horse battery"

CONFIG = """
route:
  receiver: pager
  group_by: [alertname, service]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
  routes:
    - matchers: ['severity="info"']
      receiver: chat
receivers:
  - name: pager
    escalation_policy: platform
  - name: chat
    webhook_configs: [{{url: "{url}/hook"}}]
users:
  - {{id: ann, name: Ann Example, email: ann@example.com, webhook_url: "{url}/ann", admin: true}}
  - {{id: bob, name: Bob Example, email: bob@example.com, webhook_url: "{url}/bob"}}
teams:
  - {{name: platform, members: [ann, bob]}}
schedules:
  - name: primary
    time_zone: UTC
    layers:
      - name: weekly
        start: 2026-01-05T09:00:00
        rotation: {{type: weekly}}
        users: [ann, bob]
escalation_policies:
  - name: platform
    team: platform
    levels:
      - delay: 5m
        targets: [{{schedule: primary}}]
      - delay: 5m
        targets: [{{user: bob}}]
"""


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module. Playwright's sync API runs an event loop in this thread
    while it is open; closing it after each module keeps it from leaking into tests that
    run their own (asyncio.run)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed (pip install playwright)")
    if not shutil.which(CHROMIUM):
        _missing(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


class Site:
    """A Tocsin server and a signed-out browser tab on it."""

    def __init__(self, server: LiveServer, page: Any, token: str, api_token: str) -> None:
        self.server = server
        self.url = server.url
        self.page = page
        self.token = token
        #: For the API (a service token that may do everything); ``token`` sends alerts.
        self.api = {"Authorization": f"Bearer {api_token}"}

    def sign_in(self, user: str = "ann") -> None:
        page = self.page
        page.goto(f"{self.url}/")
        page.get_by_label("User or email").fill(user)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{self.url}/")

    def alert(self, name: str, *, resolved: bool = False, **labels: str) -> None:
        now = datetime.now(UTC)
        body = [
            {
                "labels": {"alertname": name, **labels},
                "annotations": {
                    "summary": f"{name} on {labels.get('service', 'everything')}",
                    "runbook_url": f"https://runbooks.example.com/{name}",
                },
                "startsAt": (now - timedelta(minutes=1)).isoformat(),
                "endsAt": (now if resolved else now + timedelta(hours=1)).isoformat(),
            }
        ]
        response = httpx.post(
            f"{self.url}/api/v2/alerts",
            json=body,
            headers={"Authorization": f"Bearer {self.token}"},
        )
        assert response.status_code == 200, response.text

    def shot(self, name: str) -> Path:
        """A full-page screenshot into the test artifacts."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


def _prepare(database_url: str, config: Path) -> tuple[str, str]:
    """The database migrated, ann (admin) and bob able to sign in, a Prometheus integration
    and an API token (done in this process: faster than CLI runs; the CLI's own tests cover
    it). Their tokens: the integration's, the API token."""
    runtime = Runtime.build(Settings(database_url=database_url, config=str(config)))
    try:
        migrate.upgrade(runtime.db)
        runtime.accounts.create("ann", PASSWORD, admin=True)
        runtime.accounts.create("bob", PASSWORD)
        _, token = runtime.integrations.create("prometheus", IntegrationKind.ALERTMANAGER)
        _, api_token = runtime.api_tokens.create(
            kind="service", name="tests", scope="manage", created_by="tests"
        )
        return token, api_token
    finally:
        runtime.db.dispose()


@pytest.fixture
def site(browser: Any, tmp_path: Path) -> Iterator[Site]:
    receiver = ReceiverServer()
    config = tmp_path / "tocsin.yaml"
    config.write_text(CONFIG.format(url=receiver.url))
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
