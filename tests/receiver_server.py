"""A real HTTP server on 127.0.0.1 (a free port) standing in for a notification receiver: a
webhook endpoint, Slack, Teams or Telegram.

It records every request (method, path, headers, body, arrival time) and answers each path
as told: ``answer("/hook", 500, "boom")`` or ``answer("/api", 200, {"ok": True})`` from then
on (a dict or list is sent as JSON); ``answer_once("/hook", (503, "busy"), (500, "oops"))``
for the next requests only; ``delays["/hook"] = 1.5`` to answer slowly. Other paths get
200 "ok" as text.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from tests.http_handler import QuickHandler

__all__ = ["Answer", "ReceiverServer", "Recorder", "Request", "refused_url"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    #: Header names lower-cased.
    headers: dict[str, str]
    body: bytes
    #: time.monotonic() when the request arrived.
    at: float = 0.0

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: Any = "ok"
    #: Defaults to application/json for dict/list bodies, text/plain otherwise.
    content_type: str | None = None

    def encode(self) -> tuple[bytes, str]:
        if isinstance(self.body, dict | list):
            return json.dumps(self.body).encode(), self.content_type or "application/json"
        return str(self.body).encode(), self.content_type or "text/plain; charset=utf-8"


@dataclass
class Recorder:
    requests: list[Request] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    once: dict[str, deque[Answer]] = field(default_factory=dict)
    #: Seconds to wait before answering, per path.
    delays: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        recorder = self

        class Handler(QuickHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                recorder.requests.append(
                    Request(
                        "POST",
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                        time.monotonic(),
                    )
                )
                time.sleep(recorder.delays.get(self.path, 0))
                queue = recorder.once.get(self.path)
                answer = queue.popleft() if queue else recorder.answers.get(self.path, Answer())
                data, content_type = answer.encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Request]:
        return self.requests

    def answer(self, path: str, status: int = 200, body: Any = "ok", **kw: Any) -> None:
        """Answer ``path`` like this from now on."""
        self.answers[path] = Answer(status, body, **kw)

    def answer_once(self, path: str, *answers: tuple[int, Any]) -> None:
        """Give these answers to the next requests to ``path``, in order."""
        self.once.setdefault(path, deque()).extend(Answer(s, b) for s, b in answers)

    def bodies(self, path: str) -> list[Any]:
        return [r.json() for r in self.requests if r.path == path]

    @property
    def last(self) -> Request:
        assert self.requests, "no request was received"
        return self.requests[-1]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> Recorder:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


#: The name the notification tests use.
ReceiverServer = Recorder


def refused_url() -> str:
    """An address on loopback where nothing listens: connecting is refused."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}"
