"""Where a change comes from: each HTTP request's origin (by path, with the client's
address), seen in sync endpoints run in the thread pool; the CLI's; the engine's."""

from __future__ import annotations

import getpass
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient

from tests.live_server import free_port
from tocsin import origin
from tocsin.api.request_origin import RequestOrigin


def _probe_app() -> RequestOrigin:
    app = FastAPI()

    def principal(request: Request) -> None:
        """A sync dependency (the thread pool, a copy of the context) names the caller."""
        if "who" in request.query_params:
            origin.identify(request.query_params["who"])

    def seen() -> dict[str, Any]:
        found = origin.current()
        return {
            "via": found.via,
            "address": found.address,
            "actor": found.actor,
            "thread": threading.current_thread().name,
        }

    @app.get("/api/probe", dependencies=[Depends(principal)])
    def api_probe() -> dict[str, Any]:
        return seen()

    @app.post("/act/{token}")
    def link_probe(token: str) -> dict[str, Any]:
        return seen()

    @app.post("/integrations/slack/interactions")
    def slack_probe() -> dict[str, Any]:
        return seen()

    @app.get("/incidents")
    def page_probe(request: Request) -> dict[str, Any]:
        # What the web session does for a signed-in person.
        request.state.viewer = type("Viewer", (), {"user_id": "ann"})()
        return seen()

    @app.get("/api/async")
    async def async_probe() -> dict[str, Any]:
        return seen()

    return RequestOrigin(app)


def test_each_request_has_its_origin_even_in_the_thread_pool() -> None:
    with TestClient(_probe_app()) as client:
        api = client.get("/api/probe").json()
        named = client.get("/api/probe?who=token:deploy").json()
        link = client.post("/act/abc").json()
        slack = client.post("/integrations/slack/interactions").json()
        page = client.get("/incidents").json()
        asynchronous = client.get("/api/async").json()
    assert api["thread"] != "MainThread" and api["thread"] != asynchronous["thread"]
    assert (api["via"], api["address"], api["actor"]) == ("api", "testclient", None)
    assert named["actor"] == "token:deploy"  # identified in a sync dependency: still seen
    assert (link["via"], slack["via"], page["via"]) == ("link", "slack", "web")
    assert page["actor"] == "ann"
    assert asynchronous["via"] == "api"
    # Outside a request: the engine.
    assert (origin.current().via, origin.current().actor) == ("engine", None)


@pytest.fixture
def served() -> Iterator[str]:
    """The probe app on a real loopback socket (uvicorn in a thread)."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(_probe_app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_the_address_is_the_clients_as_the_sign_in_lockout_counts_it(served: str) -> None:
    seen = httpx.get(f"{served}/api/probe").json()
    assert (seen["via"], seen["address"]) == ("api", "127.0.0.1")


def test_a_command_line_origin_names_the_os_user_and_host() -> None:
    found = origin.cli_origin()
    user = getpass.getuser()
    assert (found.via, found.actor) == ("cli", f"cli:{user}")
    assert found.address == f"{user}@{socket.gethostname()}"
    reset = origin.enter(found)
    try:
        assert origin.current() is found
    finally:
        reset()
    assert origin.current() is origin.ENGINE


def test_identify_outside_a_request_changes_nothing() -> None:
    origin.identify("token:stray")
    assert origin.ENGINE.actor is None
