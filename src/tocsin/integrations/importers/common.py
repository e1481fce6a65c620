"""What every importer shares: where the other tool's JSON comes from (its live API, or
files exported from it), and what an import makes (tocsin.yaml sections, and a report of
what mapped, what mapped only approximately and what did not)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import yaml

from tocsin.errors import TocsinError

__all__ = [
    "ApiSource",
    "FileSource",
    "Finding",
    "ImportError_",
    "Imported",
    "JsonSource",
    "slug",
]


class ImportError_(TocsinError):  # noqa: N801 - not the builtin ImportError
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
            raise ImportError_(f"{url}: cannot reach it: {said}") from None
        if response.status_code in (401, 403):
            raise ImportError_(
                f"{url}: refused ({response.status_code}): check the token and its permissions"
            )
        if not response.is_success:
            raise ImportError_(f"{url}: HTTP {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError:
            raise ImportError_(f"{url}: the answer is not JSON") from None


class FileSource:
    """Files saved from the API: ``/users`` is ``<folder>/users.json``, ``/schedules/P1``
    is ``<folder>/schedules/P1.json`` (each the API's answer as it came, one page holding
    everything)."""

    def __init__(self, folder: Path) -> None:
        if not folder.is_dir():
            raise ImportError_(f"{folder}: not a folder")
        self.folder = folder

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        if params and int(params.get("offset", 0) or 0) > 0:
            return None  # one file holds every page
        file = self.folder / (path.strip("/") + ".json")
        try:
            return json.loads(file.read_text())
        except FileNotFoundError:
            raise ImportError_(f"{file}: missing (save the API's answer to {path} there)") from None
        except ValueError as exc:
            raise ImportError_(f"{file}: not JSON: {exc}") from None


@dataclass(frozen=True)
class Finding:
    """One line of the report: ``kind`` ``name`` (the other tool's), and what became of it."""

    kind: str
    name: str
    note: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name}: {self.note}"


@dataclass
class Imported:
    """tocsin.yaml sections, and the report."""

    tool: str
    sections: dict[str, Any] = field(default_factory=dict)
    #: Mapped as they are.
    mapped: list[Finding] = field(default_factory=list)
    #: Mapped only approximately, or not at all: each says why and what to do.
    unmapped: list[Finding] = field(default_factory=list)

    def add(self, section: str, item: Any) -> None:
        self.sections.setdefault(section, []).append(item)

    def yaml_text(self) -> str:
        header = (
            f"# Imported from {self.tool} by `tocsin import`: check it with\n"
            "# `tocsin config check`, compare it with `tocsin config diff`, and read the\n"
            "# report for what did not map.\n"
        )
        order = ["users", "teams", "schedules", "escalation_policies", "receivers", "route"]
        ordered = {k: self.sections[k] for k in order if k in self.sections}
        ordered.update({k: v for k, v in self.sections.items() if k not in ordered})
        return header + yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)

    def report(self) -> str:
        lines = [f"{self.tool}: {len(self.mapped)} mapped, {len(self.unmapped)} to look at"]
        lines += [f"  ok    {f}" for f in self.mapped]
        lines += [f"  CHECK {f}" for f in self.unmapped]
        return "\n".join(lines) + "\n"


def slug(text: str, taken: set[str] | None = None) -> str:
    """A Tocsin id from a name or email (``Ann Example`` -> ``ann-example``), unique among
    ``taken`` (which it joins)."""
    base = "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")
    while "--" in base:
        base = base.replace("--", "-")
    base = (base or "item")[:60]
    name, n = base, 2
    while taken is not None and name in taken:
        name, n = f"{base}-{n}", n + 1
    if taken is not None:
        taken.add(name)
    return name
