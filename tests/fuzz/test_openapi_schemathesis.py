"""Schemathesis over the whole OpenAPI document: every operation, valid and invalid input,
against the app in-process on a real database (SQLite and PostgreSQL), with the demo's
configuration loaded and a few objects made first so that ids and names lead somewhere.

Each case must get an answer that is not a server error, has a status code, content type
and body the document declares for the operation. Bounded for CI:
``TOCSIN_SCHEMATHESIS_EXAMPLES`` (default 10) cases per operation and database, from
Schemathesis' positive and negative strategies; derandomized unless ``TOCSIN_FUZZ_RANDOM``
is set, as the rest of the fuzz suite. The number of cases run is printed at the end of
each database's run (docs/security.md, "Fuzzing").

The operations are driven here with Hypothesis rather than by ``schema.parametrize()`` on a
``schemathesis.pytest.from_fixture`` schema: that loader (schemathesis 4.32) reads
``request.node._nodeid``, which pytest 9.2 no longer has.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import START
from tests.receiver_server import ReceiverServer
from tocsin.api.app import create_app
from tocsin.cli.demo_runbooks import write_demo_files
from tocsin.cli.demo_sink import demo_config
from tocsin.domain.integrations import IntegrationKind
from tocsin.engine.clock import FakeClock
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings

EXAMPLES = int(os.environ.get("TOCSIN_SCHEMATHESIS_EXAMPLES", "10"))
RANDOM = os.environ.get("TOCSIN_FUZZ_RANDOM", "") != ""

CONFIG = schemathesis.Config.from_dict({"generation": {"deterministic": not RANDOM}})
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

#: Operations whose credentials are an integration's token, by the integration's kind.
INGEST = {
    "/api/v2/alerts": IntegrationKind.ALERTMANAGER,
    "/integrations/alertmanager": IntegrationKind.ALERTMANAGER_WEBHOOK,
    "/v2/alerts": IntegrationKind.OPSGENIE,
    "/v2/alerts/{identifier}/close": IntegrationKind.OPSGENIE,
    "/v2/alerts/{identifier}/acknowledge": IntegrationKind.OPSGENIE,
}


#: Path parameters naming what the demo configuration has: every other case asks for one
#: of these (generated names almost never exist, and the code behind them would go untried).
KNOWN = {
    "name": "follow-the-sun",  # a schedule (a heartbeat's below)
    "slo_id": "checkout-requests",
    "slug": "instance-down",
    "user_id": "sam",
    "user": "sam",
}
HEARTBEAT = "nightly-backup"


@dataclass
class Target:
    """The app under test, its credentials, and what the run did."""

    runtime: Runtime
    api_token: str
    api_token_id: int
    spare_token_id: int
    integration_tokens: dict[IntegrationKind, str]
    heartbeat_token: str
    cases: int = 0
    #: Answers by class ("2xx": ...), to show how deep the cases reached.
    answers: dict[str, int] = field(default_factory=dict)

    def prepare(self, case: Case) -> dict[str, str]:
        """Credentials for ``case`` (the headers to send), names that exist in every other
        case, and no revoking the run's own token."""
        path = case.operation.path
        params = dict(case.path_parameters or {})
        if self.cases % 2 == 0:
            for name in params.keys() & KNOWN.keys():
                params[name] = HEARTBEAT if path.startswith("/api/heartbeats/") else KNOWN[name]
            if path.startswith("/api/heartbeats/{name}/"):
                query = dict(case.query or {})
                query["token"] = self.heartbeat_token
                case.query = query
        if path == "/api/tokens/{token_id}/revoke" and _as_int(params.get("token_id")) == (
            self.api_token_id
        ):
            params["token_id"] = self.spare_token_id
        if path == "/integrations/webhook/{token}":
            params["token"] = self.integration_tokens[IntegrationKind.WEBHOOK]
        if params:
            case.path_parameters = params
        if path == "/v2/enqueue" and isinstance(case.body, dict) and "routing_key" in case.body:
            case.body["routing_key"] = self.integration_tokens[IntegrationKind.PAGERDUTY]
        kind = INGEST.get(path)
        token = self.api_token if kind is None else self.integration_tokens[kind]
        return {"Authorization": f"Bearer {token}"}


def _as_int(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _seed(client: TestClient, headers: dict[str, str]) -> None:
    """A few objects for ids to find (1 and 2 are what generated ids hit most)."""
    for url, body in (
        ("/api/incidents", {"title": "Checkout is down"}),
        ("/api/incidents", {"title": "Slow searches"}),
        ("/api/incidents/1/action-items", {"title": "Add an alert", "owner": "sam"}),
        ("/api/status-page/groups", {"name": "Core"}),
        ("/api/status-page/components", {"name": "API", "group_id": 1}),
        ("/api/status-page/incidents", {"name": "Slow API", "body": "Looking into it"}),
    ):
        made = client.post(url, json=body, headers=headers)
        assert made.status_code == 201, (url, made.text)


@pytest.fixture
def target(db_url: str, tmp_path: Path) -> Iterator[Target]:
    receiver = ReceiverServer()
    paths = write_demo_files(tmp_path, "2026-02-20", "2025-06-01")
    config = demo_config(
        tmp_path / "tocsin.yaml", receiver.url, scenarios=paths["scenarios"], heartbeats=True
    )
    settings_ = Settings(
        database_url=db_url,
        config=str(config),
        sqlite_synchronous="NORMAL",
        external_url="http://tocsin.test",
        # Thousands of calls with one token on a clock that stands still.
        rate_limit_api=0,
        rate_limit_integration=0,
    )
    runtime = Runtime.build(settings_, clock=FakeClock(START), run_engine=False)
    runtime.start()
    spare, _ = runtime.api_tokens.create(
        kind="service", name="spare", scope="manage", created_by="tests"
    )
    row, token = runtime.api_tokens.create(
        kind="service", name="fuzz", scope="manage", created_by="tests"
    )
    integration_tokens = {
        kind: runtime.integrations.create(f"fuzz-{kind.value}", kind)[1] for kind in IntegrationKind
    }
    heartbeat = runtime.heartbeats.token(HEARTBEAT)
    found = Target(runtime, token, row.id, spare.id, integration_tokens, heartbeat)
    with TestClient(create_app(runtime, manage_runtime=False)) as client:
        _seed(client, {"Authorization": f"Bearer {token}"})
    yield found
    runtime.stop()
    receiver.close()


def _exercise(operation: APIOperation, target: Target) -> str | None:
    """Run ``operation``'s cases; the first failure Hypothesis found (shrunk), or None."""
    cases = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )

    @HYPOTHESIS
    @given(case=cases)
    def run(case: Case) -> None:
        target.cases += 1
        headers = target.prepare(case)
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the app raised: a 500 with no answer to check
            repro = case.as_curl_command(headers)
            raise AssertionError(f"{type(exc).__name__}: {exc}\n{repro}") from exc
        kind = f"{response.status_code // 100}xx"
        target.answers[kind] = target.answers.get(kind, 0) + 1
        case.validate_response(response, checks=CHECKS, headers=headers)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # Schemathesis' FailureGroup is the latter
        return f"{operation.label}: {exc}"
    return None


def test_openapi(
    target: Target, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(target.runtime, manage_runtime=False)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operations += 1
        if isinstance(result, Err):  # the document itself is wrong here
            failures.append(str(result.err()))
            continue
        found = _exercise(result.ok(), target)
        if found is not None:
            failures.append(found)
    line = (
        f"schemathesis [{request.node.callspec.id}]: {target.cases} cases over {operations} "
        f"operations ({EXAMPLES} generated per operation; answers "
        f"{', '.join(f'{k} {n}' for k, n in sorted(target.answers.items()))}), "
        f"{len(failures)} failing"
    )
    with capsys.disabled():  # the counts go in CI's log, passing or not
        print(f"\n{line}")
    assert not failures, "\n\n".join([line, *failures])
