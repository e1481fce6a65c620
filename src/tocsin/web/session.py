"""Who is looking: the session cookie, the sign-in redirect, and CSRF checks on every form.

A form carries the session's CSRF secret in a hidden ``csrf`` field; a POST without the
right one is refused with 403 (and so is one whose Origin is another site's)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from tocsin.domain.access import Need, Principal, Role, refusal
from tocsin.services.access import person_principal
from tocsin.web.access import need_of

if TYPE_CHECKING:
    from tocsin.services.runtime import Runtime

__all__ = [
    "COOKIE",
    "SignInNeeded",
    "Viewer",
    "acting",
    "allow",
    "keep_session",
    "secure_cookies",
    "viewer",
    "viewing",
]

COOKIE = "tocsin_session"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person."""

    user_id: str
    name: str
    csrf: str
    zone: ZoneInfo
    #: What they may do (their role, the teams they manage).
    principal: Principal = Principal("", Role.STAKEHOLDER)

    @property
    def admin(self) -> bool:
        return self.principal.role is Role.ADMIN

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def responds(self) -> bool:
        """May act on incidents, alerts and shifts (responders and admins)."""
        return self.principal.may(Need.RESPOND)

    @property
    def reads_all(self) -> bool:
        """Beyond incidents and the status page (everyone but stakeholders)."""
        return self.principal.may(Need.READ)

    def may(self, need: Need, team: str | None = None) -> bool:
        return self.principal.may(need, team)


@dataclass(frozen=True)
class Acting:
    """A signed-in person's checked form post."""

    viewer: Viewer
    form: FormData

    def text(self, name: str, default: str = "") -> str:
        value = self.form.get(name, default)
        return value.strip() if isinstance(value, str) else default

    def all(self, name: str) -> list[str]:
        return [v.strip() for v in self.form.getlist(name) if isinstance(v, str) and v.strip()]


class SignInNeeded(Exception):
    """The page needs a signed-in person: the browser goes to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path

    @property
    def location(self) -> str:
        return "/login?next=" + quote(self.next_path, safe="/")


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def secure_cookies(request: Request) -> bool:
    """Cookies are marked Secure when Tocsin is served over HTTPS (its external URL, or the
    request itself behind a proxy that says so)."""
    settings = runtime_of(request).settings
    if (settings.external_url or "").startswith("https://"):
        return True
    return request.url.scheme == "https"


def keep_session(response: Response, request: Request, token: str) -> None:
    """Give the browser its session cookie. The server ends an idle session (12 hours by
    default); the cookie lives as long as a session can (7 days), so a session in use is not
    cut off when its cookie would have expired."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(runtime_of(request).accounts.sessions.lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
    )


async def viewer(request: Request) -> Viewer | None:
    """The signed-in person, or None."""
    if hasattr(request.state, "viewer"):
        cached: Viewer | None = request.state.viewer
        return cached
    runtime = runtime_of(request)
    token = request.cookies.get(COOKIE)
    signed = await run_in_threadpool(runtime.accounts.session, token) if token else None
    found = None
    if signed is not None:
        config = runtime.current.routing
        person = config.users.get(signed.user_id) if config else None
        zone = (person.time_zone if person else None) or ZoneInfo("UTC")
        principal = person_principal(config, signed.user_id) or Principal(
            signed.user_id, signed.role, user=signed.user_id
        )
        found = Viewer(signed.user_id, signed.name, signed.csrf, zone, principal)
    request.state.viewer = found
    return found


async def viewing(request: Request) -> Viewer:
    """A page's dependency: the signed-in person, else off to the sign-in page; 403 when
    their role does not reach what the page needs (``web.access``)."""
    found = await viewer(request)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(target)
    route = request.scope.get("route")
    need = need_of(request.method, getattr(route, "path", request.url.path))
    if not found.may(need):
        raise HTTPException(403, refusal(found.principal, need))
    return found


def allow(viewer: Viewer, need: Need, team: str | None) -> None:
    """403 unless ``viewer`` may do what needs ``need`` to an object of ``team``."""
    if not viewer.may(need, team):
        raise HTTPException(403, refusal(viewer.principal, need, team))


def _same_origin(request: Request) -> bool:
    """The form came from a page of this site: its Origin (when the browser sends one) is
    the address the request reached, or Tocsin's external URL (behind a reverse proxy the
    Host header is often the proxy's upstream address)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    sent = urlsplit(origin).netloc
    if sent == request.headers.get("host", ""):
        return True
    external = runtime_of(request).settings.external_url
    return bool(external) and sent == urlsplit(external).netloc


async def acting(request: Request) -> Acting:
    """A form post's dependency: signed in, same origin, and the session's CSRF secret."""
    found = await viewing(request)
    form = await request.form()
    sent = form.get("csrf")
    if (
        not isinstance(sent, str)
        or not hmac.compare_digest(sent.encode(), found.csrf.encode())
        or not _same_origin(request)
    ):
        raise HTTPException(403, "the form is out of date or from another site: reload the page")
    return Acting(found, form)
