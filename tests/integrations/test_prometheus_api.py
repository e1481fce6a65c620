"""Tocsin's client of Prometheus' query API against a loopback server answering as the API
docs show (https://prometheus.io/docs/prometheus/latest/querying/api/): values, NaN, the
error envelope, an answer that is not JSON, and a Prometheus that cannot be reached."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from tests.http_handler import QuickHandler
from tests.live_server import free_port
from tocsin.errors import Unavailable
from tocsin.integrations.prometheus_api import RESTING, PrometheusApi

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Fake:
    def __init__(self, port: int) -> None:
        self.asked: list[dict[str, list[str]]] = []
        empty = {"resultType": "vector", "result": []}
        self.answer: tuple[int, Any] = (200, {"status": "success", "data": empty})
        fake = self

        class Handler(QuickHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                fake.asked.append({"path": [self.path], **parse_qs(body)})
                status, payload = fake.answer
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def fake() -> Iterator[Fake]:
    server = Fake(free_port())
    yield server
    server.server.shutdown()
    server.server.server_close()


def api(port: int, clock: list[float] | None = None) -> PrometheusApi:
    ticks = clock if clock is not None else [0.0]
    return PrometheusApi(f"http://127.0.0.1:{port}/", monotonic=lambda: ticks[0])


def test_instant_values_nan_and_the_time_asked(fake: Fake) -> None:
    fake.answer = (
        200,
        {
            "status": "success",
            "data": {
                "resultType": "vector",
                "result": [
                    {"metric": {"le": "0.1"}, "value": [1772366400, "3.5"]},
                    {"metric": {"le": "+Inf"}, "value": [1772366400, "NaN"]},
                ],
            },
        },
    )
    got = api(fake.server.server_port).instant("sum(x)", AT)
    assert [(s.labels, s.value) for s in got] == [({"le": "0.1"}, 3.5), ({"le": "+Inf"}, None)]
    asked = fake.asked[0]
    assert asked["path"] == ["/api/v1/query"] and asked["query"] == ["sum(x)"]
    assert asked["time"] == [f"{AT.timestamp():.3f}"] and asked["timeout"] == ["10s"]


def test_range_points(fake: Fake) -> None:
    fake.answer = (
        200,
        {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [{"metric": {}, "values": [[1772366400, "1"], [1772366460, "2"]]}],
            },
        },
    )
    (series,) = api(fake.server.server_port).range(
        "x", AT, AT + timedelta(minutes=1), timedelta(minutes=1)
    )
    assert series.points == [(AT, 1.0), (AT + timedelta(minutes=1), 2.0)]
    assert fake.asked[0]["step"] == ["60s"]


def test_errors_say_what_prometheus_said(fake: Fake) -> None:
    fake.answer = (
        400,
        {"status": "error", "errorType": "bad_data", "error": "1:5: parse error: unexpected"},
    )
    with pytest.raises(Unavailable, match="answered 400: 1:5: parse error: unexpected"):
        api(fake.server.server_port).instant("sum(", AT)
    fake.answer = (502, b"<html>Bad Gateway</html>")
    with pytest.raises(Unavailable, match="answered 502 without JSON"):
        api(fake.server.server_port).instant("x", AT)


def test_an_unreachable_prometheus_is_not_asked_again_for_a_while() -> None:
    port = free_port()
    clock = [100.0]
    client = api(port, clock)
    with pytest.raises(Unavailable, match="cannot be reached") as first:
        client.instant("x", AT)
    fake = Fake(port)  # Prometheus is back, but Tocsin does not ask yet
    try:
        with pytest.raises(Unavailable) as again:
            client.instant("x", AT)
        assert str(again.value) == str(first.value) and fake.asked == []
        clock[0] += RESTING
        assert client.instant("1", AT) == [] and len(fake.asked) == 1
    finally:
        fake.server.shutdown()
        fake.server.server_close()
