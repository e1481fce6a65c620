"""The base of the suite's stand-in HTTP servers' request handlers."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

__all__ = ["QuickHandler"]


class QuickHandler(BaseHTTPRequestHandler):
    """Writes an answer's head and body in one go: without it, each answer waits about
    40 ms for the client's delayed ACK (Nagle's algorithm), which slows every test that
    sends through these servers."""

    disable_nagle_algorithm = True
