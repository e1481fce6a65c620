"""Alertmanager's ``http_config`` block (auth, TLS, redirects) shared by HTTP receivers."""

from __future__ import annotations

import base64
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import pydantic

from tocsin.config.durations import parse_duration

__all__ = ["Duration", "HttpConfig", "StrictModel", "read_secret"]


def _duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else value


#: An Alertmanager duration ("10s", "1m30s") in a receiver config.
Duration = Annotated[timedelta, pydantic.BeforeValidator(_duration)]


class StrictModel(pydantic.BaseModel):
    """Receiver configs reject unknown keys, as Alertmanager does, naming them."""

    model_config = pydantic.ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def read_secret(value: str | None, file: str | None) -> str | None:
    """A secret given inline or as ``*_file`` (read when the configuration loads)."""
    if file:
        try:
            return Path(file).read_text().strip()
        except OSError as exc:
            raise ValueError(f"cannot read {file}: {exc.strerror}") from None
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
            return {"Authorization": f"Basic {token}"}
        if self.authorization is not None:
            cred = read_secret(self.authorization.credentials, self.authorization.credentials_file)
            return {"Authorization": f"{self.authorization.type} {cred or ''}"}
        bearer = read_secret(self.bearer_token, self.bearer_token_file)
        return {"Authorization": f"Bearer {bearer}"} if bearer else {}

    def needs_own_client(self) -> bool:
        return self.tls_config is not None or self.proxy_url is not None

    def client(self, timeout: float) -> httpx.Client:
        """A client for settings the shared client cannot have (TLS files, a proxy)."""
        options: dict[str, Any] = {"timeout": timeout, "follow_redirects": self.follow_redirects}
        tls = self.tls_config
        if tls is not None:
            if tls.insecure_skip_verify:
                options["verify"] = False
            elif tls.ca_file:
                options["verify"] = tls.ca_file
            if tls.cert_file and tls.key_file:
                options["cert"] = (tls.cert_file, tls.key_file)
        if self.proxy_url:
            options["proxy"] = self.proxy_url
        return httpx.Client(**options)
