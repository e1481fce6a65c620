"""slack_sdk's ``WebClient`` with its HTTP made by Tocsin's guarded client (``tocsin.outbound``):
the Web API's host is checked and the connection pinned like every other outbound request,
with its timeouts and answer size limit. slack_sdk's own urllib transport would follow
redirects and read any answer whole.

Only ``api_call`` is replaced (every Web API method goes through it): each call is a POST,
as slack_sdk sends them, of the JSON body or, without one, of the parameters as a form.
Transport failures are slack_sdk's ``SlackRequestError`` (a ``SlackClientError``), so
callers handle them as before; an answer that is not ``{"ok": true}`` raises
``SlackApiError`` as slack_sdk does.
"""

from __future__ import annotations

import math
import ssl
import threading
from typing import Any

import httpx
from slack_sdk import WebClient
from slack_sdk.errors import SlackRequestError
from slack_sdk.web import SlackResponse

from tocsin.outbound import Outbound, guarded_client

__all__ = ["MAX_ANSWER", "SlackWebClient"]

#: Largest Web API answer read (a page of conversations.list or of a thread's replies).
MAX_ANSWER = 8 * 1024 * 1024


def _form(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


class SlackWebClient(WebClient):
    def __init__(
        self,
        token: str,
        base_url: str,
        timeout: float,
        *,
        ssl: ssl.SSLContext | None = None,
        proxy: str | None = None,
    ) -> None:
        super().__init__(
            token=token,
            base_url=base_url,
            timeout=math.ceil(timeout),
            ssl=ssl,
            proxy=proxy,
            retry_handlers=[],  # Tocsin's engine retries, with backoff
        )
        self._http: httpx.Client | None = None
        self._lock = threading.Lock()

    def _client(self) -> httpx.Client:
        """Made at the first call (the configuration is read more often than Slack is)."""
        with self._lock:
            if self._http is None:
                self._http = guarded_client(
                    Outbound.from_environment(),
                    timeout=float(self.timeout),
                    verify=self.ssl,
                    proxy=self.proxy,
                    max_response_bytes=MAX_ANSWER,
                )
            return self._http

    def api_call(
        self,
        api_method: str,
        *,
        http_verb: str = "POST",
        files: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        json: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        auth: dict[str, Any] | None = None,
    ) -> SlackResponse:
        if files or auth:
            raise SlackRequestError(f"{api_method}: files and auth are not supported here")
        url = f"{self.base_url}{api_method}"
        sent = {**self.headers, **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        form = {k: _form(v) for k, v in {**(params or {}), **(data or {})}.items() if v is not None}
        try:
            if json is not None:
                response = self._client().post(url, json=json, headers=sent)
            else:
                response = self._client().post(url, data=form, headers=sent)
        except httpx.HTTPError as exc:
            raise SlackRequestError(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
        try:
            body = response.json()
        except ValueError:
            body = {"ok": False, "error": f"unexpected answer (HTTP {response.status_code})"}
        return SlackResponse(
            client=self,
            http_verb="POST",
            api_url=url,
            req_args={"headers": sent, "params": form, "json": json},
            data=body,
            headers=dict(response.headers),
            status_code=response.status_code,
        ).validate()
