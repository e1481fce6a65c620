"""Where an importer reads the other tool's JSON: its live API, or answers saved from it as
files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import httpx

from tocsin.errors import TocsinError

__all__ = ["ApiSource", "FileSource", "JsonSource", "SourceError"]


class SourceError(TocsinError):
    """The other tool's API or files cannot be read (named, with why)."""


class JsonSource(Protocol):
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """The JSON at ``path`` (``/users``), with query ``params``."""
        ...


class ApiSource:
    """A live API: ``base_url`` and the headers that authenticate (a token, never logged)."""

    def __init__(
        self, base_url: str, headers: Mapping[str, str], client: httpx.Client | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers)
        self.client = client or httpx.Client(timeout=30)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        url = self.base_url + path
        try:
            response = self.client.get(url, params=dict(params or {}), headers=self.headers)
        except httpx.HTTPError as exc:
            said = str(exc)
            for value in self.headers.values():  # never the token, whatever httpx says
                said = said.replace(value.strip(), "<secret>")
            raise SourceError(f"{url}: cannot reach it: {said}") from None
        if response.status_code in (401, 403):
            raise SourceError(
                f"{url}: refused ({response.status_code}): check the token and its permissions"
            )
        if not response.is_success:
            raise SourceError(f"{url}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise SourceError(f"{url}: the answer is not JSON") from None


class FileSource:
    """Files saved from the API: ``/users`` is ``<folder>/users.json``, ``/schedules/P1``
    is ``<folder>/schedules/P1.json`` (each the API's answer as it came, one page holding
    everything)."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise SourceError(f"{folder}: not a folder")
        self.folder = folder

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        if params and int(params.get("offset", 0) or 0) > 0:
            return None  # one file holds every page
        file = self.folder / (path.strip("/") + ".json")
        try:
            return json.loads(file.read_text())
        except FileNotFoundError:
            raise SourceError(f"{file}: missing (save the API's answer to {path} there)") from None
        except ValueError as exc:
            raise SourceError(f"{file}: not JSON: {exc}") from None
