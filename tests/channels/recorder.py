"""A real HTTP server on 127.0.0.1 (a free port) standing in for Slack, Teams or Telegram.

It records every request (method, path, headers, body) and answers each path as told:
``recorder.answer("/hook", 500, "boom")`` or ``recorder.answer("/api", 200, {"ok": True})``
(a dict or list is sent as JSON). Unconfigured paths get 200 "ok" as text.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

__all__ = ["Answer", "Recorder", "Request", "refused_url"]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    #: Header names lower-cased.
    headers: dict[str, str]
    body: bytes

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

    def __post_init__(self) -> None:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                recorder.requests.append(
                    Request(
                        "POST",
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        body,
                    )
                )
                data, content_type = recorder.answers.get(self.path, Answer()).encode()
                self.send_response(recorder.answers.get(self.path, Answer()).status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, path: str, status: int = 200, body: Any = "ok", **kw: Any) -> None:
        self.answers[path] = Answer(status, body, **kw)

    @property
    def last(self) -> Request:
        assert self.requests, "no request was received"
        return self.requests[-1]

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def refused_url() -> str:
    """An address on loopback where nothing listens: connecting is refused."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()
    return f"http://127.0.0.1:{port}"
