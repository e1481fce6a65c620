"""Single sign-on with OpenID Connect (docs/security.md): the authorization-code flow with PKCE
(S256), ``state`` and ``nonce``.

The provider is found by discovery (``<issuer>/.well-known/openid-configuration``, whose
``issuer`` must be the configured one). The ID token from its token endpoint is checked
before anyone is signed in: its signature against the provider's key set (JWKS; fetched
again once when a token names a key not in it, after a key rotation), its issuer, audience
(this client), ``azp``, ``at_hash``, nonce, and its expiry and issue time on Tocsin's clock.

Authlib provides the protocol's pieces (the authorization URL, PKCE, client authentication
at the token endpoint, the ID token's claim rules) and joserfc, its JOSE library, the
signatures; the requests go through httpx with the TLS context Tocsin's other clients
share. Which Tocsin person an identity is, is ``services/sso_people``."""

from __future__ import annotations

import base64
import hmac
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from tocsin.engine.clock import Clock
from tocsin.errors import TocsinError
from tocsin.services.sso_settings import OidcConfig, plain_http_allowed
from tocsin.tls import client_context

__all__ = ["Identity", "Pending", "SingleSignOn", "SsoRefused"]

log = logging.getLogger("tocsin.sso")

#: A discovered configuration and key set are used this long before they are fetched again.
METADATA_TTL = timedelta(hours=1)
#: Clock skew allowed between Tocsin and the provider for the token's exp, iat and nbf.
LEEWAY = timedelta(seconds=60)
#: Signature algorithms taken for ID tokens: public-key ones (the key set has the keys).
ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
TIMEOUT = httpx.Timeout(10.0)
#: What a refused ID token's claim means, in words.
_CLAIM_WORDS = {
    "iss": "it was issued by another provider (iss)",
    "aud": "it is meant for another application (aud)",
    "azp": "it was issued to another application (azp)",
    "nonce": "it does not belong to this sign-in (nonce)",
    "at_hash": "it does not match its access token (at_hash)",
    "iat": "it was issued in the future (iat): check the clocks",
    "nbf": "it is not valid yet (nbf): check the clocks",
    "sub": "it names nobody (sub)",
}


class SsoRefused(TocsinError):
    """A single sign-on that did not work: ``str()`` is for the person at the browser,
    ``status`` the page's HTTP status, ``detail`` what the server log says."""

    def __init__(self, message: str, status: int = 401, detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail or message


@dataclass(frozen=True)
class Pending:
    """A sign-in under way: kept by the browser (in a cookie) between leaving for the
    provider and coming back."""

    state: str
    nonce: str
    verifier: str
    next: str

    def encode(self) -> str:
        text = json.dumps([self.state, self.nonce, self.verifier, self.next])
        return base64.urlsafe_b64encode(text.encode()).decode()

    @classmethod
    def decode(cls, text: str | None) -> Pending | None:
        if not text or len(text) > 4000:
            return None
        try:
            found = json.loads(base64.urlsafe_b64decode(text.encode()))
        except ValueError:
            return None
        if not isinstance(found, list) or len(found) != 4:
            return None
        if not all(isinstance(v, str) for v in found):
            return None
        return cls(*found)


@dataclass(frozen=True)
class Identity:
    """Whom the provider vouched for: its verified ID token's claims."""

    issuer: str
    subject: str
    claims: Mapping[str, Any]

    @property
    def verified_email(self) -> str | None:
        """The email, lower-cased, when the provider says it verified it."""
        email = self.claims.get("email")
        verified = self.claims.get("email_verified")
        if not isinstance(email, str) or "@" not in email:
            return None
        return email.strip().lower() if verified is True or verified == "true" else None

    @property
    def name(self) -> str:
        name = self.claims.get("name")
        return name.strip()[:200] if isinstance(name, str) else ""

    @property
    def shown(self) -> str:
        """How the person is named back to them."""
        email = self.claims.get("email")
        return email if isinstance(email, str) and email else self.subject


@dataclass(frozen=True)
class _Provider:
    metadata: Mapping[str, Any]
    keys: KeySet
    fetched: datetime


def _plain_client() -> httpx.Client:
    return httpx.Client(verify=client_context(), timeout=TIMEOUT, follow_redirects=False)


def _endpoint(metadata: Mapping[str, Any], name: str) -> str:
    url = metadata.get(name)
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise SsoRefused(
            "The sign-in provider's configuration is incomplete: ask an admin.",
            502,
            f"the discovery document has no {name}",
        )
    if url.startswith("http://") and not plain_http_allowed(url):
        raise SsoRefused(
            "The sign-in provider's configuration is not safe to use: ask an admin.",
            502,
            f"the discovery document's {name} is not https://: {url}",
        )
    return url


class SingleSignOn:
    """One OpenID Connect provider. ``begin`` sends a browser there; ``finish`` checks what
    it brought back and says who it is."""

    def __init__(
        self,
        config: OidcConfig,
        clock: Clock,
        client: Callable[[], httpx.Client] | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        #: Makes the HTTP client for a request to the provider (an outbound guard's, say).
        self._client = client or _plain_client
        self._provider: _Provider | None = None

    # -- the provider ------------------------------------------------------------------------

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            with self._client() as http:
                response = http.get(url, headers={"Accept": "application/json"})
            found = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            raise SsoRefused(
                "Tocsin could not reach the sign-in provider: try again, or ask an admin.",
                502,
                f"{what} from {url}: {exc}",
            ) from None
        if not isinstance(found, dict):
            raise SsoRefused(
                "The sign-in provider did not answer as expected: try again, or ask an admin.",
                502,
                f"{what} from {url}: HTTP {response.status_code}, not a JSON object",
            )
        return found

    def _keys(self, metadata: Mapping[str, Any]) -> KeySet:
        jwks = self._get_json(_endpoint(metadata, "jwks_uri"), "the key set")
        try:
            return KeySet.import_key_set(jwks)  # type: ignore[arg-type]
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise SsoRefused(
                "The sign-in provider's keys could not be read: ask an admin.",
                502,
                f"the key set: {exc!r}",
            ) from None

    def provider(self, *, fresh: bool = False) -> _Provider:
        """The discovered configuration and key set (fetched at most hourly)."""
        now = self.clock.now()
        known = self._provider
        if known is not None and not fresh and now - known.fetched < METADATA_TTL:
            return known
        url = self.config.issuer + "/.well-known/openid-configuration"
        metadata = self._get_json(url, "discovery")
        if str(metadata.get("issuer", "")).rstrip("/") != self.config.issuer:
            raise SsoRefused(
                "The sign-in provider is not the one configured: ask an admin.",
                502,
                f"discovery at {url} names issuer {metadata.get('issuer')!r}, "
                f"not {self.config.issuer!r}",
            )
        for name in ("authorization_endpoint", "token_endpoint"):
            _endpoint(metadata, name)
        self._provider = _Provider(metadata, self._keys(metadata), now)
        return self._provider

    # -- the flow ----------------------------------------------------------------------------

    def begin(self, next_path: str) -> tuple[str, Pending]:
        """Where to send the browser, and what it must bring back."""
        metadata = self.provider().metadata
        pending = Pending(generate_token(32), generate_token(32), generate_token(64), next_path)
        url = prepare_grant_uri(
            metadata["authorization_endpoint"],
            client_id=self.config.client_id,
            response_type="code",
            redirect_uri=self.config.redirect_uri,
            scope=list(self.config.scopes),
            state=pending.state,
            nonce=pending.nonce,
            code_challenge=create_s256_code_challenge(pending.verifier),
            code_challenge_method="S256",
        )
        return str(url), pending

    def finish(self, pending: Pending | None, answer: Mapping[str, str]) -> Identity:
        """The provider's answer (the callback's query) checked against the sign-in it
        belongs to; the code exchanged for an ID token, which is verified."""
        if pending is None:
            raise SsoRefused(
                "This sign-in took too long, or was started in another browser: "
                "please sign in again.",
                400,
                "no sign-in under way in this browser (no cookie)",
            )
        # First: the words of an error are shown only when it answers this browser's sign-in.
        if not hmac.compare_digest(answer.get("state", "").encode(), pending.state.encode()):
            raise SsoRefused(
                "This answer from the sign-in provider is not for the sign-in started in this "
                "browser: please sign in again.",
                400,
                "the state does not match this browser's",
            )
        error = answer.get("error")
        if error:
            words = answer.get("error_description") or error
            raise SsoRefused(
                f"The sign-in provider did not sign you in: {words[:300]}",
                401,
                f"the provider answered error={error!r} ({words[:300]!r})",
            )
        code = answer.get("code")
        if not code:
            raise SsoRefused(
                "The sign-in provider sent no code: please sign in again.", 400, "no code"
            )
        tokens = self._exchange(code, pending)
        return self._verify(tokens, pending)

    def _exchange(self, code: str, pending: Pending) -> Mapping[str, Any]:
        metadata = self.provider().metadata
        url = _endpoint(metadata, "token_endpoint")
        body = prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=self.config.redirect_uri,
            code_verifier=pending.verifier,
        )
        auth = ClientAuth(self.config.client_id, self.config.client_secret, self._auth_method())
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        url, headers, body = auth.prepare("POST", url, headers, body)
        try:
            with self._client() as http:
                response = http.post(url, content=body, headers=headers)
            found = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise SsoRefused(
                "Tocsin could not complete the sign-in with the provider: try again, or ask "
                "an admin.",
                502,
                f"the token endpoint {url}: {exc}",
            ) from None
        if not isinstance(found, dict) or response.status_code != 200 or "error" in found:
            said = found.get("error", "") if isinstance(found, dict) else ""
            raise SsoRefused(
                "The sign-in provider would not complete the sign-in: please sign in again, "
                "or ask an admin.",
                502,
                f"the token endpoint answered HTTP {response.status_code} {said!r}",
            )
        if not isinstance(found.get("id_token"), str):
            raise SsoRefused(
                "The sign-in provider sent no ID token: ask an admin.", 502, "no id_token"
            )
        return found

    def _auth_method(self) -> str:
        """How Tocsin proves itself at the token endpoint: its secret in the Authorization
        header unless the provider takes it only in the form; none for a public client."""
        if self.config.client_secret is None:
            return "none"
        offered = self.provider().metadata.get("token_endpoint_auth_methods_supported")
        only_post = (
            isinstance(offered, list)
            and "client_secret_basic" not in offered
            and "client_secret_post" in offered
        )
        return "client_secret_post" if only_post else "client_secret_basic"

    def _algorithms(self) -> list[str]:
        offered = self.provider().metadata.get("id_token_signing_alg_values_supported")
        if not isinstance(offered, list):
            return ["RS256"]
        return [a for a in ALGORITHMS if a in offered] or ["RS256"]

    def _verify(self, tokens: Mapping[str, Any], pending: Pending) -> Identity:
        issuer = str(self.provider().metadata["issuer"])
        registry = JWSRegistry(algorithms=self._algorithms(), strict_check_header=False)
        try:
            try:
                token = jwt.decode(tokens["id_token"], self.provider().keys, registry=registry)
            except InvalidKeyIdError:  # the provider rotated its keys: fetch them again
                keys = self.provider(fresh=True).keys
                token = jwt.decode(tokens["id_token"], keys, registry=registry)
            claims = CodeIDToken(
                token.claims,
                token.header,
                {
                    "iss": {"essential": True, "value": issuer},
                    "aud": {"essential": True, "value": self.config.client_id},
                    "sub": {"essential": True},
                },
                {
                    "nonce": pending.nonce,
                    "client_id": self.config.client_id,
                    "access_token": tokens.get("access_token"),
                },
            )
            claims.validate(
                now=int(self.clock.now().timestamp()), leeway=int(LEEWAY.total_seconds())
            )
        except JoseError as exc:
            raise SsoRefused(
                f"The sign-in provider's ID token was refused: {_why(exc)}. "
                "Please sign in again, or ask an admin.",
                401,
                f"ID token refused: {exc!r}",
            ) from None
        return Identity(issuer, str(claims["sub"]), dict(claims))


def _why(exc: JoseError) -> str:
    if isinstance(exc, ExpiredTokenError):
        return "it has expired (exp): check the clocks"
    if isinstance(exc, BadSignatureError | InvalidKeyIdError):
        return "its signature does not verify with the provider's keys"
    if isinstance(exc, MissingClaimError):
        return f"it lacks a required claim ({exc.claim})"
    if isinstance(exc, InvalidClaimError):
        return _CLAIM_WORDS.get(exc.claim, f"its {exc.claim} claim is wrong")
    return "it could not be read"
