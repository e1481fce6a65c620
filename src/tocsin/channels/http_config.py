"""Alertmanager's ``http_config`` block (auth, TLS, proxy, redirects) shared by HTTP
receivers. A receiver that needs a client of its own (TLS files, a proxy) gets a guarded one
(``tocsin.outbound``): redirects, when followed, are checked hop by hop like the first
request."""

from __future__ import annotations

import base64
import ssl
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import pydantic

from tocsin import redaction
from tocsin.channels.building import FieldError
from tocsin.config.durations import parse_duration
from tocsin.outbound import Outbound, guarded_client

__all__ = ["Duration", "HttpConfig", "StrictModel", "read_secret"]


def _duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else value


#: An Alertmanager duration ("10s", "1m30s") in a receiver config.
Duration = Annotated[timedelta, pydantic.BeforeValidator(_duration)]


class StrictModel(pydantic.BaseModel):
    """Receiver configs reject unknown keys, as Alertmanager does, naming them."""

    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def read_secret(value: str | None, file: str | None) -> str | None:
    """A secret given inline or as ``*_file`` (read when the configuration loads); no log
    line shows it from then on (``tocsin.redaction``)."""
    if file:
        try:
            value = Path(file).read_text().strip()
        except OSError as exc:
            raise ValueError(f"cannot read {file}: {exc.strerror}") from None
    redaction.remember(value)
    return value


class BasicAuth(StrictModel):
    username: str = ""
    password: str | None = None
    password_file: str | None = None


class Authorization(StrictModel):
    type: str = "Bearer"
    credentials: str | None = None
    credentials_file: str | None = None


class TlsConfig(StrictModel):
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    server_name: str | None = None
    insecure_skip_verify: bool = False
    min_version: str | None = None


class HttpConfig(StrictModel):
    basic_auth: BasicAuth | None = None
    authorization: Authorization | None = None
    bearer_token: str | None = None
    bearer_token_file: str | None = None
    tls_config: TlsConfig | None = None
    proxy_url: str | None = None
    follow_redirects: bool = True
    enable_http2: bool = True

    @pydantic.model_validator(mode="after")
    def _one_auth(self) -> HttpConfig:
        given = [
            self.basic_auth is not None,
            self.authorization is not None,
            bool(self.bearer_token or self.bearer_token_file),
        ]
        if sum(given) > 1:
            raise ValueError("at most one of basic_auth, authorization and bearer_token")
        return self

    def headers(self) -> dict[str, str]:
        if self.basic_auth is not None:
            password = read_secret(self.basic_auth.password, self.basic_auth.password_file) or ""
            token = base64.b64encode(f"{self.basic_auth.username}:{password}".encode()).decode()
            redaction.remember(token)  # an echo of the header is blanked too
            return {"Authorization": f"Basic {token}"}
        if self.authorization is not None:
            cred = read_secret(self.authorization.credentials, self.authorization.credentials_file)
            return {"Authorization": f"{self.authorization.type} {cred or ''}"}
        bearer = read_secret(self.bearer_token, self.bearer_token_file)
        return {"Authorization": f"Bearer {bearer}"} if bearer else {}

    def needs_own_client(self) -> bool:
        return self.tls_config is not None or self.proxy_url is not None

    def tls_context(self) -> ssl.SSLContext | None:
        """The TLS settings as a context (None: the default one); a FieldError when a file
        cannot be read."""
        tls = self.tls_config
        if tls is None:
            return None
        try:
            context = ssl.create_default_context(cafile=tls.ca_file)
            if tls.insecure_skip_verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            if tls.cert_file and tls.key_file:
                context.load_cert_chain(tls.cert_file, tls.key_file)
        except (OSError, ssl.SSLError) as exc:
            raise FieldError("http_config", f"cannot load TLS files: {exc}") from None
        return context

    def client(self, timeout: float) -> httpx.Client:
        """A client for settings the shared client cannot have (TLS files, a proxy): made
        when the configuration is read, so its limits come from the environment."""
        return guarded_client(
            Outbound.from_environment(),
            timeout=timeout,
            follow_redirects=self.follow_redirects,
            verify=self.tls_context(),
            proxy=self.proxy_url,
        )
