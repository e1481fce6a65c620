"""One deadline bounds a run: a name lookup that hangs, or a server trickling its answer,
ends at the action's timeout (the engine's lease is never outlived). Redirects are never
followed: a 3xx, even to the metadata service, is recorded as the run's answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest

from tests.http_handler import QuickHandler
from tocsin.domain.remediation import RunState
from tocsin.integrations.remediation_http import call

METADATA = "http://169.254.169.254/latest/meta-data/iam/security-credentials/"


class _Server:
    """``/redirect`` answers 302 to the metadata service; ``/trickle`` sends its answer a
    byte every 50ms for 5 seconds."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.stop = threading.Event()
        server = self

        class Handler(QuickHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                server.hits.append(self.path)
                if self.path.endswith("/redirect"):
                    self.send_response(302)
                    self.send_header("Location", METADATA)
                    self.send_header("Content-Length", "5")
                    self.end_headers()
                    self.wfile.write(b"moved")
                    return
                self.send_response(200)
                self.send_header("Content-Length", "100")
                self.end_headers()
                for _ in range(100):
                    if server.stop.wait(0.05):
                        return
                    self.wfile.write(b"x")
                    self.wfile.flush()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def slow_server() -> Iterator[_Server]:
    server = _Server()
    yield server
    server.close()


ACTIONS = """\
    - name: redirected
      http: {{method: POST, url: "{more}/redirect"}}
      timeout: 2s
    - name: trickled
      http: {{method: POST, url: "{more}/trickle"}}
      timeout: 300ms
    - name: named
      http: {{method: POST, url: "http://deploy.test/restart"}}
      timeout: 300ms
"""


def test_a_redirect_is_recorded_not_followed(remediation: Any, slow_server: _Server) -> None:
    r = remediation(actions=ACTIONS, more=slow_server.url)
    run = r.run(r.incident(), "redirected")
    assert run.state is RunState.FAILED
    assert (run.result, run.reason, run.output) == (302, "answered HTTP 302", "moved")
    assert slow_server.hits == ["/hooks/redirect"]  # one request; the Location not followed


def test_a_trickled_answer_is_cut_at_the_deadline(remediation: Any, slow_server: _Server) -> None:
    r = remediation(actions=ACTIONS, more=slow_server.url)
    started = time.monotonic()
    run = r.run(r.incident(), "trickled")
    assert time.monotonic() - started < 1.5  # not 5s: the answer is still trickling
    assert run.state is RunState.TIMED_OUT
    assert r.timeline(run.incident_id)[-1].kind == "remediation.timed_out"


def test_the_http_call_checks_its_deadline_while_reading(slow_server: _Server) -> None:
    """Each read is quick, so no per-read timeout fires: the total deadline does."""
    started = time.monotonic()
    outcome = call("POST", f"{slow_server.url}/trickle", headers={}, body=None, timeout=0.3)
    assert time.monotonic() - started < 1.0
    assert outcome.state is RunState.TIMED_OUT and outcome.result == 200
    assert outcome.reason == "the answer did not finish within 0.3s"
    assert 1 <= len(outcome.output) < 100 and set(outcome.output) == {"x"}


def test_a_name_lookup_that_hangs_ends_at_the_deadline(
    remediation: Any, slow_server: _Server
) -> None:
    r = remediation(actions=ACTIONS, more=slow_server.url)
    release = threading.Event()

    def hang(host: str, port: int) -> list[str]:
        release.wait(10)
        return ["93.184.216.34"]

    r.job.resolve = hang
    try:
        started = time.monotonic()
        run = r.run(r.incident(), "named")
        assert time.monotonic() - started < 2
        assert run.state is RunState.TIMED_OUT
        assert run.reason == "no answer within 0.3s"
    finally:
        release.set()
