"""Each HTTP request's origin (``tocsin.origin``) for the audit log: by its path, a page
(``web``), the API (``api``), Slack (``slack``), a Twilio SMS (``sms``) or a signed link in
a page (``link``); the client's address as the sign-in lockout counts it.

Pure ASGI: the context variable it sets is in force for the whole request, in the endpoint
and in the thread pool that runs sync endpoints (Starlette copies the context there)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from tocsin.origin import Origin, acting, client_address, via_for_path

__all__ = ["RequestOrigin"]


class RequestOrigin:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        found = Origin(via_for_path(scope["path"]), client_address(scope), state=state)
        with acting(found):
            await self.app(scope, receive, send)
