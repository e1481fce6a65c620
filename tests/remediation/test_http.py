"""HTTP actions against a real server on loopback: the request as configured, failures,
timeouts, refusals, dry runs; every run on the timeline."""

from __future__ import annotations

from typing import Any

from tocsin.domain.remediation import RunState


def test_a_run_sends_the_templated_body_and_headers(remediation: Any) -> None:
    r = remediation()
    incident = r.alert("APIHighLatency", service="checkout")
    run = r.run(incident, "restart-api")
    assert run.state is RunState.SUCCEEDED
    assert run.result == 200 and run.output == "ok"
    sent = r.server.last
    assert sent.path == "/ok"
    assert sent.json() == {"service": "checkout", "incident": incident}
    assert sent.headers["x-token"] == "Bearer s3cret-value"
    assert sent.headers["content-type"] == "application/json"
    # The secret is used, never stored or shown.
    assert run.request.as_json()["headers"]["X-Token"] == "Bearer ${TOCSIN_TEST_TOKEN}"
    kinds = [e.kind for e in r.timeline(incident)]
    assert kinds == ["remediation.requested", "remediation.running", "remediation.succeeded"]
    texts = " ".join(e.text for e in r.timeline(incident))
    assert "s3cret" not in texts
    assert f"POST {r.server.url}/ok requested by bob" in texts
    assert "succeeded (HTTP 200)" in texts


def test_a_secret_echoed_back_is_masked_in_the_output(remediation: Any) -> None:
    r = remediation()
    r.server.answer("/ok", 200, "token was Bearer s3cret-value")
    run = r.run(r.incident(), "restart-api")
    assert run.output == "token was Bearer ${TOCSIN_TEST_TOKEN}"


def test_a_500_is_a_failed_run_with_the_answer_kept(remediation: Any) -> None:
    r = remediation()
    incident = r.incident()
    run = r.run(incident, "broken")
    assert run.state is RunState.FAILED
    assert run.result == 500
    assert run.output == "deploy failed: no such service"
    assert r.timeline(incident)[-1].kind == "remediation.failed"
    assert "HTTP 500" in r.timeline(incident)[-1].text


def test_a_server_that_stalls_times_out(remediation: Any) -> None:
    r = remediation()
    incident = r.incident()
    run = r.run(incident, "slow")
    assert run.state is RunState.TIMED_OUT
    assert run.reason == "no answer within 0.2s"
    assert r.timeline(incident)[-1].kind == "remediation.timed_out"


def test_a_name_is_checked_by_the_addresses_it_resolves_to(remediation: Any) -> None:
    """A host name in allowed_urls is resolved when the action runs and each address is
    checked: a private one (not written literally in allowed_urls) or the metadata address
    (DNS rebinding) is refused, and nothing is sent."""
    r = remediation(
        actions="""\
    - name: named
      http: {{method: POST, url: "http://deploy.test/restart"}}
"""
    )
    incident = r.incident()
    asked: list[str] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append(f"{host}:{port}")
        return [address]

    r.job.resolve = resolve
    address = "10.1.2.3"
    run = r.run(incident, "named")
    assert run.state is RunState.REFUSED
    assert run.reason == (
        "10.1.2.3 is a private address; put it in allowed_urls literally or set allow_private"
    )
    address = "169.254.169.254"
    run = r.run(incident, "named")
    assert run.state is RunState.REFUSED
    assert "cloud metadata address" in (run.reason or "")
    assert asked == ["deploy.test:80", "deploy.test:80"]


def test_a_name_resolving_to_an_allowed_literal_private_address_is_refused(
    remediation: Any,
) -> None:
    """``http://127.0.0.1:<port>/ok`` is in allowed_urls literally; ``deploy.test`` is
    allowed by name. A call to deploy.test that resolves to 127.0.0.1 is refused: the
    literal address is trusted for its own URL only."""
    r = remediation(
        actions="""\
    - name: named
      http: {{method: POST, url: "http://deploy.test/restart"}}
"""
    )
    r.job.resolve = lambda host, port: ["127.0.0.1"]
    run = r.run(r.incident(), "named")
    assert run.state is RunState.REFUSED
    assert run.reason is not None and "127.0.0.1 is a loopback address" in run.reason
    assert r.server.received == []


def test_dry_run_renders_and_records_but_sends_nothing(remediation: Any) -> None:
    r = remediation()
    incident = r.alert("APIHighLatency", service="search")
    run = r.run(incident, "restart-api", dry_run=True)
    assert run.state is RunState.DRY_RUN
    assert run.request.body == f'{{"service": "search", "incident": {incident}}}'
    assert r.server.received == []
    event = r.timeline(incident)[-1]
    assert event.kind == "remediation.dry_run"
    assert "would run POST" in event.text and '"service": "search"' in event.text


def test_an_action_marked_dry_run_never_runs(remediation: Any) -> None:
    r = remediation(
        actions="""\
    - name: rehearse
      http: {{method: POST, url: "{url}/ok"}}
      dry_run: true
"""
    )
    run = r.run(r.incident(), "rehearse")
    assert run.state is RunState.DRY_RUN
    assert r.server.received == []
