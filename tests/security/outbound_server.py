"""A server on 127.0.0.1 that misbehaves as the outbound guard's tests need it to.

``/ok`` answers 200 "ok"; ``/redirect?to=URL`` answers 302 to URL (``/loop`` to itself);
``/big?n=N`` answers N
bytes (``&sized=0``: without Content-Length, ending at close); ``/bomb`` answers 20 MiB of
zeros gzip-compressed (about 20 KB on the wire); ``/gzip`` answers "hello" gzip-compressed;
``/slow?s=S`` waits S seconds before answering; ``/trickle`` sends 1000 bytes, one every
50 ms. Every request is recorded (path and Host header). With ``tls`` (a certificate and
its key) it speaks HTTPS.
"""

from __future__ import annotations

import gzip
import ssl
import threading
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.http_handler import QuickHandler

__all__ = ["Hit", "Misbehaving"]

BOMB = gzip.compress(b"\0" * (20 * 1024 * 1024))


@dataclass(frozen=True)
class Hit:
    path: str
    host: str


class Misbehaving:
    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.hits: list[Hit] = []
        self.stop = threading.Event()
        server = self

        class Handler(QuickHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.hits.append(Hit(self.path, self.headers.get("Host", "")))
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                route = getattr(self, "_" + url.path.strip("/"), None)
                if route is None:
                    self._send(404, b"no such path")
                else:
                    route(query)

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.do_GET()

            def _send(self, status: int, body: bytes, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def _ok(self, query: dict[str, str]) -> None:
                self._send(200, b"ok")

            def _redirect(self, query: dict[str, str]) -> None:
                self._send(302, b"moved", Location=query["to"])

            def _loop(self, query: dict[str, str]) -> None:
                self._send(302, b"again", Location="/loop")

            def _big(self, query: dict[str, str]) -> None:
                n = int(query["n"])
                if query.get("sized", "1") == "1":
                    self._send(200, b"x" * n)
                    return
                self.send_response(200)
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"x" * n)
                self.close_connection = True

            def _bomb(self, query: dict[str, str]) -> None:
                self._send(200, BOMB, Content_Encoding="gzip")

            def _gzip(self, query: dict[str, str]) -> None:
                self._send(200, gzip.compress(b"hello"), Content_Encoding="gzip")

            def _slow(self, query: dict[str, str]) -> None:
                if not server.stop.wait(float(query["s"])):
                    self._send(200, b"late")

            def _trickle(self, query: dict[str, str]) -> None:
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                for _ in range(1000):
                    if server.stop.wait(0.05):
                        return
                    self.wfile.write(b"x")
                    self.wfile.flush()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.scheme = "http"
        if tls is not None:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            self.scheme = "https"
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
