"""Security headers on every answer of the web UI and the API (docs/security.md).

Pages set their own (``render.HEADERS``); this adds what an answer lacks: the Content
Security Policy (no inline script or style anywhere in Tocsin's pages, so ``'self'`` is
enough; the live board's Server-Sent Events are ``connect-src 'self'``), no sniffing, no
framing, a same-origin referrer, no powerful browser features, Strict-Transport-Security
when Tocsin is served over HTTPS, and ``Cache-Control: no-store`` on any answer to a
signed-in browser or a token-bearing API client. The interactive API docs (``/docs``,
``/redoc``) load their viewer from a CDN with an inline start-up script, so they get a
policy that allows that and nothing more."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tocsin.web.render import HEADERS
from tocsin.web.session import COOKIE

__all__ = ["DOCS_POLICY", "POLICY", "SecurityHeaders"]

POLICY = HEADERS["Content-Security-Policy"]
_CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = (
    f"default-src 'self'; script-src 'self' 'unsafe-inline' {_CDN}; "
    f"style-src 'self' 'unsafe-inline' {_CDN} https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; base-uri 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc"})
COMMON = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"


def _authenticated(scope: Scope) -> bool:
    """The request carries a session cookie or an API token."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization" or (name == b"cookie" and COOKIE.encode() in value):
            return True
    return False


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in DOCS_PATHS else POLICY
        private = _authenticated(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in COMMON.items():
                    headers.setdefault(name, value)
                if self.https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if private:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
