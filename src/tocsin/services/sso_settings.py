"""Single sign-on's settings (``TOCSIN_OIDC_*``, docs/security.md), checked when Tocsin starts
so a mistake is a clear error then, not a broken sign-in page later.

They are settings, not a section of tocsin.yaml: the client secret belongs with the other
secrets of a deployment (environment, secret store), the values are fixed for the life of
the process (a reload must not change the provider under a sign-in half done), and every
node needs them before any configuration file is read."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from tocsin.errors import ConfigError
from tocsin.settings import Settings

__all__ = ["CALLBACK_PATH", "OidcConfig", "oidc_config", "plain_http_allowed"]

#: Where the provider sends the browser back to (register ``<external URL>`` + this).
CALLBACK_PATH = "/login/oidc/callback"
_LABEL = r"[a-z0-9]([a-z0-9-]*[a-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})+$")


@dataclass(frozen=True)
class OidcConfig:
    """What Tocsin needs to know about the OpenID Connect provider and itself there."""

    issuer: str
    client_id: str
    #: None: a public client (PKCE alone, ``token_endpoint_auth_method=none``).
    client_secret: str | None
    scopes: tuple[str, ...]
    #: A claim whose value is a Tocsin user id (e.g. ``preferred_username``); None: people
    #: are found by their verified email only.
    username_claim: str | None
    #: The sign-in page's button.
    button: str
    #: This Tocsin's callback address, as registered at the provider.
    redirect_uri: str
    #: People new to Tocsin with a verified email in one of these domains get an account
    #: (a viewer) when they first sign in; empty: they are refused.
    create_domains: frozenset[str]
    #: Whether the password form is offered too.
    passwords: bool


def plain_http_allowed(url: str) -> bool:
    """``http://`` only on this machine (a provider run for tests or a demo)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url(name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"TOCSIN_{name}: {url!r} is not an https:// URL")
    if parts.scheme == "http" and not plain_http_allowed(url):
        raise ConfigError(f"TOCSIN_{name}: {url!r} must be https:// (http only on loopback)")
    if parts.query or parts.fragment:
        raise ConfigError(f"TOCSIN_{name}: {url!r} must have no ?query or #fragment")
    return url.rstrip("/")


def _domains(text: str) -> frozenset[str]:
    found = set()
    for part in text.split(","):
        domain = part.strip().lower().lstrip("@")
        if not domain:
            continue
        if not _DOMAIN.match(domain):
            raise ConfigError(
                f"TOCSIN_OIDC_CREATE_PEOPLE_FROM: {part.strip()!r} is not an email domain "
                "(e.g. example.com)"
            )
        found.add(domain)
    return frozenset(found)


def oidc_config(settings: Settings) -> OidcConfig | None:
    """Single sign-on as the settings ask for it; None when it is off (no issuer).
    ConfigError naming the setting when they do not fit together."""
    if not settings.oidc_issuer:
        for name, value in (
            ("OIDC_CLIENT_ID", settings.oidc_client_id),
            ("OIDC_CLIENT_SECRET", settings.oidc_client_secret),
        ):
            if value:
                raise ConfigError(f"TOCSIN_{name} is set but TOCSIN_OIDC_ISSUER is not")
        if not settings.password_sign_in:
            raise ConfigError(
                "TOCSIN_PASSWORD_SIGN_IN=false leaves no way to sign in: "
                "set TOCSIN_OIDC_ISSUER (single sign-on) too"
            )
        return None
    issuer = _url("OIDC_ISSUER", settings.oidc_issuer.strip())
    client_id = (settings.oidc_client_id or "").strip()
    if not client_id:
        raise ConfigError("TOCSIN_OIDC_CLIENT_ID is needed with TOCSIN_OIDC_ISSUER")
    secret = settings.oidc_client_secret.get_secret_value() if settings.oidc_client_secret else ""
    scopes = [s for s in re.split(r"[\s,]+", settings.oidc_scopes) if s]
    if "openid" not in scopes:
        scopes.insert(0, "openid")
    button = settings.oidc_button.strip() or "Sign in with single sign-on"
    claim = (settings.oidc_username_claim or "").strip() or None
    return OidcConfig(
        issuer=issuer,
        client_id=client_id,
        client_secret=secret or None,
        scopes=tuple(dict.fromkeys(scopes)),
        username_claim=claim,
        button=button,
        redirect_uri=settings.public_url + CALLBACK_PATH,
        create_domains=_domains(settings.oidc_create_people_from),
        passwords=settings.password_sign_in,
    )
