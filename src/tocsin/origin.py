"""Where the work in hand comes from: a web page, the API, the CLI, the engine... and who is
behind it. The audit log (docs/security.md, "Audit log") records it with every change.

One ``Origin`` per request, command or engine pass, held in a context variable: the ASGI
middleware sets it for each HTTP request, ``tocsin`` (the CLI) for its process, and anything
else (the engine's threads, which start with an empty context) gets ``ENGINE``.

The Origin is one object shared by every copy of the context: Starlette runs sync endpoints
and dependencies in a thread pool with a *copy* of the context, so a principal identified
there (``identify``) is seen by the rest of the request. The API's principal and a web
page's signed-in person are found without any call: the API's access guard and the web
session keep them on the request's state, which the Origin reads when asked for the actor.

A root module: the standard library only, importable from every layer.
"""

from __future__ import annotations

import contextlib
import getpass
import socket
from collections.abc import Callable, Iterator, MutableMapping
from contextvars import ContextVar
from typing import Any

__all__ = [
    "ENGINE",
    "ENGINE_ACTOR",
    "Origin",
    "acting",
    "cli_origin",
    "client_address",
    "current",
    "enter",
    "identify",
    "via_for_path",
]

#: The actor of what Tocsin does by itself (timers, alerts, expiries).
ENGINE_ACTOR = "tocsin"


class Origin:
    """``via``: web, api, cli, slack, sms, link, engine, signal...; ``address``: the client's
    IP address (HTTP) or ``user@host`` (CLI); ``actor``: who, when known."""

    __slots__ = ("_actor", "_state", "address", "via")

    def __init__(
        self,
        via: str,
        address: str | None = None,
        actor: str | None = None,
        *,
        state: MutableMapping[str, Any] | None = None,
    ) -> None:
        self.via = via
        self.address = address
        self._actor = actor
        #: The ASGI scope's ``state`` (``request.state``), where the web session keeps the
        #: signed-in viewer.
        self._state = state

    @property
    def actor(self) -> str | None:
        """Who is acting: the principal identified for this request, else the web page's
        signed-in person; None when nobody is known (the engine: see ``record``)."""
        if self._actor is not None:
            return self._actor
        if self._state is not None:
            # The API's principal (``api.access``), or the web page's signed-in person
            # (``web.session``), as each keeps it on ``request.state``.
            for key, attribute in (("principal", "actor"), ("viewer", "user_id")):
                found = getattr(self._state.get(key), attribute, None)
                if isinstance(found, str) and found:
                    return found
        return None

    @actor.setter
    def actor(self, value: str | None) -> None:
        self._actor = value

    def __repr__(self) -> str:
        return f"Origin(via={self.via!r}, address={self.address!r}, actor={self.actor!r})"


ENGINE = Origin("engine")
_current: ContextVar[Origin | None] = ContextVar("tocsin_origin", default=None)


def current() -> Origin:
    """The origin of the work in hand (``ENGINE`` when none was set)."""
    return _current.get() or ENGINE


@contextlib.contextmanager
def acting(origin: Origin) -> Iterator[Origin]:
    """``origin`` for the work inside the block."""
    token = _current.set(origin)
    try:
        yield origin
    finally:
        _current.reset(token)


def enter(origin: Origin) -> Callable[[], None]:
    """``origin`` from now on in this context, until the function returned is called (a
    command of the CLI, from its start to its end)."""
    token = _current.set(origin)
    return lambda: _current.reset(token)


def identify(actor: str) -> None:
    """The principal behind the current request (a person's id, ``token:<name>``): the
    actor of every change it makes that names no actor itself. Outside a request (the
    engine's origin is shared) it does nothing."""
    found = _current.get()
    if found is not None:
        found.actor = actor


def client_address(scope: MutableMapping[str, Any]) -> str | None:
    """The client's address as Starlette's ``request.client.host`` gives it (what the
    sign-in lockout counts): the peer, or the proxy's ``X-Forwarded-For`` when the server
    is run to trust it (uvicorn ``--proxy-headers``)."""
    client = scope.get("client")
    return str(client[0]) if client else None


#: Path prefixes of the requests that reach Tocsin from somewhere other than a page or the
#: API: Slack's and Twilio's webhooks, and the signed links in pages.
_VIAS = (
    ("/integrations/slack/", "slack"),
    ("/integrations/twilio/", "sms"),
    ("/act/", "link"),
    ("/api/", "api"),
    ("/integrations/", "api"),
    ("/v2/", "api"),
    ("/-/", "api"),
)


def via_for_path(path: str) -> str:
    for prefix, via in _VIAS:
        if path.startswith(prefix):
            return via
    return "web"


def cli_origin() -> Origin:
    """A command run by hand: ``cli:<os user>``, from ``<os user>@<host>``."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = "unknown"
    return Origin("cli", f"{user}@{socket.gethostname()}", f"cli:{user}")
