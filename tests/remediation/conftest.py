"""A Tocsin with remediation actions against a real HTTP server on loopback, and harmless
commands (/bin/echo, /bin/false, /bin/sleep). Timeouts are tiny; the fake clock moves for
rate limits and escalation.

Users: ann (admin), bob, cat, dan. The ``platform`` policy pages dan at level 1, then cat
at level 2 after 5 minutes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.config_parts import PAGER_ROUTE
from tests.notify.conftest import Harness, firing
from tests.receiver_server import Recorder
from tests.web.conftest import Web
from tests.web.conftest import quick_password_hashing as quick_password_hashing  # autouse
from tocsin.domain.remediation import RunState
from tocsin.notify.remediation_job import RemediationJob
from tocsin.notify.remediation_requests import RUN
from tocsin.store import incidents as incident_store
from tocsin.store import remediation_runs
from tocsin.store.incidents import Event
from tocsin.store.remediation_runs import Run

CONFIG = (
    PAGER_ROUTE
    + """\
users:
  - {{id: ann, email: ann@example.com, admin: true}}
  - {{id: bob, email: bob@example.com}}
  - {{id: cat, email: cat@example.com}}
  - {{id: dan, email: dan@example.com}}
escalation_policies:
  - name: platform
    levels:
      - delay: 5m
        targets: [{{user: dan}}]
      - delay: 5m
        targets: [{{user: cat}}]
remediation:
  allowed_urls: ["{url}/ok", "{url}/fail", "{url}/slow", "http://169.254.169.254/",
                 "http://deploy.test/"{more}]
  allow_link_local: {link_local}
  actions:
{actions}
"""
)

#: The actions most tests use; ``{url}`` is the loopback server's.
ACTIONS = """\
    - name: restart-api
      description: Restart the API
      http:
        method: POST
        url: "{url}/ok"
        headers: {{X-Token: "Bearer ${{TOCSIN_TEST_TOKEN}}", Content-Type: application/json}}
        body: '{{"service": {{{{ labels.service | tojson }}}}, "incident": {{{{ incident.id }}}}}}'
      timeout: 2s
    - name: broken
      http: {{method: POST, url: "{url}/fail", body: "x"}}
      timeout: 2s
    - name: slow
      http: {{method: POST, url: "{url}/slow"}}
      timeout: 200ms
    - name: echo
      command: ["/bin/echo", "flushed", "cache"]
      timeout: 2s
    - name: exit-1
      command: ["/bin/false"]
      timeout: 2s
    - name: sleep
      command: ["/bin/sleep", "30"]
      timeout: 300ms
"""


class Remediation:
    def __init__(self, harness: Harness, server: Recorder, text: Any = None) -> None:
        #: actions, extra -> the configuration's text (for ``reconfigure``).
        self.text = text
        self.h = harness
        self.server = server
        self.runtime = harness.runtime
        self.service = harness.runtime.remediation
        self.web = Web(harness)

    @property
    def headers(self) -> dict[str, str]:
        return self.h.api

    def incident(self, title: str = "API slow") -> int:
        return self.runtime.incidents.declare(title=title, severity="SEV2", actor="ann").id

    def alert(self, name: str = "APIHighLatency", **labels: str) -> int:
        """Post a firing alert; the id of the incident it opened."""
        self.h.post(firing(name, **labels))
        self.h.tick()
        return self.runtime.incidents.incidents(limit=1)[0].id

    def run(self, incident_id: int, action: str, actor: str = "bob", **kw: Any) -> Run:
        made = self.service.request(incident_id, action, actor, dry_run=kw.get("dry_run", False))
        self.h.tick()
        return self.service.run(made.id)

    def runs(self, incident_id: int) -> list[Run]:
        return list(reversed(self.service.runs(incident_id)))

    def timeline(self, incident_id: int) -> list[Event]:
        with self.runtime.db.read() as conn:
            return [
                e
                for e in incident_store.events(conn, incident_id)
                if e.kind.startswith("remediation.")
            ]

    @property
    def job(self) -> RemediationJob:
        job = self.runtime.runner.jobs[RUN]
        assert isinstance(job, RemediationJob)
        return job

    def reconfigure(self, actions: str = ACTIONS, extra: str = "") -> None:
        """Reload the configuration with other actions (``{url}``: the server's)."""
        self.h.reload(self.text(actions, extra))

    def state(self, run_id: int) -> RunState:
        with self.runtime.db.read() as conn:
            run = remediation_runs.get(conn, run_id)
        assert run is not None
        return run.state


@pytest.fixture
def server() -> Iterator[Recorder]:
    with Recorder() as recorder:
        recorder.answer("/fail", 500, "deploy failed: no such service")
        recorder.delays["/slow"] = 1.0
        yield recorder


@pytest.fixture
def remediation(routed: Any, server: Recorder, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``remediation(actions=ACTIONS, extra="")`` -> a Remediation around a started Tocsin."""
    monkeypatch.setenv("TOCSIN_TEST_TOKEN", "s3cret-value")

    def make(
        actions: str = ACTIONS, extra: str = "", link_local: bool = False, more: str = ""
    ) -> Remediation:
        """``more``: another allowed URL prefix (``{more}`` in ``actions``)."""

        def text(actions: str, extra: str) -> str:
            configured = CONFIG.format(
                url=server.url,
                actions=actions.format(url=server.url, more=more),
                link_local=str(link_local).lower(),
                more=f', "{more}"' if more else "",
            )
            return configured + extra

        return Remediation(routed(text(actions, extra)), server, text)

    yield make
