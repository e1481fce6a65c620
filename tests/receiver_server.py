"""A real HTTP server on 127.0.0.1 standing in for a notification receiver: it records each
request and answers with the status (and body) it is told to, per path."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Received", "ReceiverServer"]


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    #: time.monotonic() when the request arrived.
    at: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ReceiverServer:
    """``answers[path]``: statuses (with bodies) to give, in order; then 200 "ok"."""

    received: list[Received] = field(default_factory=list)
    answers: dict[str, deque[tuple[int, str]]] = field(default_factory=dict)
    #: Seconds to wait before answering, per path (a slow receiver).
    delays: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                recorder.received.append(
                    Received("POST", self.path, dict(self.headers.items()), body, time.monotonic())
                )
                time.sleep(recorder.delays.get(self.path, 0))
                queue = recorder.answers.get(self.path)
                status, text = queue.popleft() if queue else (200, "ok")
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def answer(self, path: str, *answers: tuple[int, str]) -> None:
        self.answers.setdefault(path, deque()).extend(answers)

    def bodies(self, path: str) -> list[Any]:
        return [r.json() for r in self.received if r.path == path]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
