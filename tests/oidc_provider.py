"""A real OpenID Connect provider on 127.0.0.1 (a free port) for single sign-on tests.

It speaks the authorization-code flow as a company's identity provider would: discovery
(``/.well-known/openid-configuration``), ``/authorize`` (it signs in ``identity`` at once and
redirects back with a one-time code, or with ``deny``'s error), ``/token`` (client
authentication, the code, its redirect URI and the PKCE verifier all checked; an RS256 ID
token signed with its key), and ``/jwks``.

Tests make it misbehave on purpose: ``claims`` replaces claims of the next ID tokens (None
removes one), ``sign_with`` signs them with another key, ``metadata`` changes the discovery
document, ``rotate()`` switches to a new key. ``now`` is its clock (the test's FakeClock).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.http_handler import QuickHandler

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "OidcProvider", "rsa_key"]

CLIENT_ID = "tocsin-test"
CLIENT_SECRET = "a client secret for tests"
CALLBACK = "http://tocsin.test/login/oidc/callback"


@functools.cache
def rsa_key(kid: str) -> RSAKey:
    """An RSA key (made once per test session: making one takes a while)."""
    return RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})


@dataclass(frozen=True)
class Grant:
    """What an authorization code was issued for."""

    redirect_uri: str
    nonce: str | None
    challenge: str
    method: str
    claims: dict[str, Any]


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str] = field(default_factory=dict)


class OidcProvider:
    def __init__(
        self,
        now: Callable[[], float] = time.time,
        *,
        client_id: str = CLIENT_ID,
        client_secret: str | None = CLIENT_SECRET,
        redirect_uri: str = CALLBACK,
    ) -> None:
        self.now = now
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        #: Whom /authorize signs in.
        self.identity: dict[str, Any] = {
            "sub": "248289761001",
            "email": "ann@example.com",
            "email_verified": True,
            "name": "Ann Example",
        }
        self.key = rsa_key("key-1")
        self.keys = [self.key]
        #: Claims replaced in the ID tokens issued from now on (None: left out).
        self.claims: dict[str, Any] = {}
        #: Sign ID tokens with this key instead (its kid is the real key's).
        self.sign_with: RSAKey | None = None
        #: /authorize redirects back with this error instead of a code.
        self.deny: str | None = None
        #: Changes to the discovery document.
        self.metadata: dict[str, Any] = {}
        self.codes: dict[str, Grant] = {}
        self.seen: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rotate(self) -> None:
        """Sign with a new key from now on (the key set has both)."""
        self.key = rsa_key("key-2")
        self.keys = [self.key, *self.keys]

    def requests_to(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    # -- endpoints -----------------------------------------------------------------------

    def discovery(self) -> dict[str, Any]:
        document = {
            "issuer": self.url,
            "authorization_endpoint": self.url + "/authorize",
            "token_endpoint": self.url + "/token",
            "jwks_uri": self.url + "/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile"],
        }
        document.update(self.metadata)
        return document

    def authorize(self, params: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        """Sign ``identity`` in at once: back to the client with a code (or ``deny``)."""
        if params.get("client_id") != self.client_id:
            return 400, {}, "unknown client_id"
        redirect = params.get("redirect_uri", "")
        if redirect != self.redirect_uri:  # never redirect to an unregistered address
            return 400, {}, f"redirect_uri {redirect!r} is not registered"
        back: dict[str, str] = {}
        if "state" in params:
            back["state"] = params["state"]
        if self.deny:
            back |= {"error": self.deny, "error_description": "The user said no."}
        elif params.get("response_type") != "code" or "openid" not in params.get("scope", "").split(
            " "
        ):
            back["error"] = "invalid_request"
        elif params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            back |= {"error": "invalid_request", "error_description": "PKCE (S256) required"}
        else:
            code = secrets.token_urlsafe(16)
            self.codes[code] = Grant(
                redirect,
                params.get("nonce"),
                params["code_challenge"],
                params["code_challenge_method"],
                dict(self.identity),
            )
            back["code"] = code
        return 302, {"Location": f"{redirect}?{urlencode(back)}"}, ""

    def _client_ok(self, params: dict[str, str], headers: dict[str, str]) -> bool:
        basic = headers.get("authorization", "")
        if basic.startswith("Basic "):
            sent = base64.b64decode(basic[6:]).decode()
            return sent == f"{self.client_id}:{self.client_secret}"
        if self.client_secret is None:  # a public client: PKCE alone
            return params.get("client_id") == self.client_id
        return (params.get("client_id"), params.get("client_secret")) == (
            self.client_id,
            self.client_secret,
        )

    def token(self, params: dict[str, str], headers: dict[str, str]) -> tuple[int, Any]:
        if not self._client_ok(params, headers):
            return 401, {"error": "invalid_client"}
        if params.get("grant_type") != "authorization_code":
            return 400, {"error": "unsupported_grant_type"}
        grant = self.codes.pop(params.get("code", ""), None)  # a code works once
        if grant is None or params.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant"}
        verifier = params.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
            return 400, {"error": "invalid_grant", "error_description": "PKCE check failed"}
        access = secrets.token_urlsafe(24)
        return 200, {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": self.id_token(grant),
        }

    def id_token(self, grant: Grant) -> str:
        now = int(self.now())
        claims: dict[str, Any] = {
            "iss": self.url,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "auth_time": now,
            **grant.claims,
        }
        if grant.nonce is not None:
            claims["nonce"] = grant.nonce
        for name, value in self.claims.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        key = self.sign_with or self.key
        return jwt.encode({"alg": "RS256", "kid": self.key.kid, "typ": "JWT"}, claims, key)

    def jwks(self) -> dict[str, Any]:
        return dict(KeySet(list(self.keys)).as_dict(private=False))

    # -- HTTP ------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(QuickHandler):
            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode() if isinstance(body, dict) else str(body).encode()
                self.send_response(status)
                kind = "application/json" if isinstance(body, dict) else "text/plain"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _seen(self, params: dict[str, str]) -> str:
                path = urlsplit(self.path).path
                headers = {k.lower(): v for k, v in self.headers.items()}
                provider.seen.append(Seen(self.command, path, params, headers))
                return path

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                query = parse_qs(urlsplit(self.path).query)
                params = {k: v[0] for k, v in query.items()}
                path = self._seen(params)
                if path == "/.well-known/openid-configuration":
                    self._send(200, provider.discovery())
                elif path == "/jwks":
                    self._send(200, provider.jwks())
                elif path == "/authorize":
                    status, headers, body = provider.authorize(params)
                    self._send(status, body, headers)
                else:
                    self._send(404, "not found")

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                form = parse_qs(self.rfile.read(length).decode())
                params = {k: v[0] for k, v in form.items()}
                path = self._seen(params)
                if path == "/token":
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    self._send(*provider.token(params, headers))
                else:
                    self._send(404, "not found")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> OidcProvider:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
