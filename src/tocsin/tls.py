"""One TLS context for Tocsin's outbound HTTPS clients.

Every ``httpx.Client`` otherwise builds its own context and loads the CA bundle again (about
30 ms each; a runtime has several clients). The context is read-only once made, so the
clients share it; it is made as httpx would (certifi's bundle, ``SSL_CERT_FILE`` /
``SSL_CERT_DIR`` honoured)."""

from __future__ import annotations

import functools
import ssl

import httpx

__all__ = ["client_context"]


@functools.cache
def client_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
