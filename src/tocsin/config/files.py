"""The files a configuration is read from: the disk, or a bundle stored in the database.

A node that applies a configuration reads its files from disk and remembers what it read
(``Recording``): the main file and every file it names (SLO files, runbooks, scenarios,
templates). That bundle is stored as a configuration version, and the other nodes load the
same configuration from it (``Bundle``), so every node runs the same routes, runbooks and
SLOs whatever their own disks hold (docs/cluster.md#configuration). Secrets are not read
through here: they stay on each node (environment, ``_file`` references, ``enc:`` values).

The loaders ask the files in force (``read_text``, ``is_dir``, ``glob``, ``rglob``); ``using``
sets them for one load.
"""

from __future__ import annotations

import contextlib
import glob as globbing
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = [
    "Bundle",
    "Disk",
    "Files",
    "Recording",
    "glob",
    "is_dir",
    "read_text",
    "rglob",
    "using",
]


class Files(Protocol):
    def read_text(self, path: Path) -> str: ...

    def is_dir(self, path: Path) -> bool: ...

    def glob(self, pattern: str) -> list[str]: ...

    def rglob(self, directory: Path, pattern: str) -> list[Path]: ...


def _key(path: Path | str) -> str:
    return os.path.normpath(os.path.abspath(path))


class Disk:
    """The files on this node's disk."""

    def read_text(self, path: Path) -> str:
        return path.read_text(encoding="utf-8")

    def is_dir(self, path: Path) -> bool:
        return path.is_dir()

    def glob(self, pattern: str) -> list[str]:
        return sorted(globbing.glob(pattern))

    def rglob(self, directory: Path, pattern: str) -> list[Path]:
        return sorted(p for p in directory.rglob(pattern) if p.is_file())


@dataclass
class Recording(Disk):
    """The disk, remembering the text of every file read (by absolute path) and what every
    question about folders was answered (an empty folder is a folder)."""

    read: dict[str, str] = field(default_factory=dict)
    listings: dict[str, Any] = field(default_factory=dict)

    def read_text(self, path: Path) -> str:
        text = super().read_text(path)
        self.read[_key(path)] = text
        return text

    def is_dir(self, path: Path) -> bool:
        found = super().is_dir(path)
        self.listings[f"dir:{_key(path)}"] = found
        return found

    def glob(self, pattern: str) -> list[str]:
        found = super().glob(pattern)
        self.listings[f"glob:{pattern}"] = found
        return found

    def rglob(self, directory: Path, pattern: str) -> list[Path]:
        found = super().rglob(directory, pattern)
        self.listings[f"rglob:{directory}:{pattern}"] = [str(p) for p in found]
        return found

    def bundle(self, main: Path | str) -> Bundle:
        return Bundle(_key(main), dict(self.read), dict(self.listings))


@dataclass(frozen=True)
class Bundle:
    """A configuration's files as one node read them: the main file's path, every file's
    text by absolute path, and the answers about folders. Reading any other file fails as
    a missing file does; a folder nobody asked about is missing."""

    main: str
    files: Mapping[str, str]
    listings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        """SHA-256 of the texts and their paths relative to the main file's folder: the
        same files have the same digest wherever a node keeps them."""
        base = self.base
        relative = sorted((os.path.relpath(p, base), t) for p, t in self.files.items())
        # The answers about folders name paths: relative to the main file's folder too.
        folders = json.dumps(sorted(self.listings.items())).replace(json.dumps(base)[1:-1], "")
        named = {"main": os.path.basename(self.main), "files": relative, "folders": folders}
        return hashlib.sha256(json.dumps(named).encode()).hexdigest()

    @property
    def base(self) -> str:
        """The folder the configuration's paths are relative to: the main file's, or the
        configuration folder itself."""
        if self.listings.get(f"dir:{self.main}"):
            return self.main
        return os.path.dirname(self.main)

    def dumps(self) -> str:
        return json.dumps(
            {
                "main": self.main,
                "files": dict(sorted(self.files.items())),
                "listings": dict(sorted(self.listings.items())),
            }
        )

    @classmethod
    def loads(cls, text: str) -> Bundle:
        data = json.loads(text)
        return cls(
            str(data["main"]),
            {str(k): str(v) for k, v in data["files"].items()},
            dict(data.get("listings") or {}),
        )

    # -- Files -------------------------------------------------------------------------

    def read_text(self, path: Path) -> str:
        try:
            return self.files[_key(path)]
        except KeyError:
            raise FileNotFoundError(2, "No such file or directory", str(path)) from None

    def is_dir(self, path: Path) -> bool:
        return bool(self.listings.get(f"dir:{_key(path)}", False))

    def glob(self, pattern: str) -> list[str]:
        return [str(p) for p in self.listings.get(f"glob:{pattern}", [])]

    def rglob(self, directory: Path, pattern: str) -> list[Path]:
        return [Path(p) for p in self.listings.get(f"rglob:{directory}:{pattern}", [])]


_DISK = Disk()
_current: ContextVar[Files | None] = ContextVar("tocsin_config_files", default=None)


@contextlib.contextmanager
def using(files: Files) -> Iterator[Files]:
    """Read the configuration from ``files`` within this block."""
    token = _current.set(files)
    try:
        yield files
    finally:
        _current.reset(token)


def _files() -> Files:
    return _current.get() or _DISK


def read_text(path: Path | str) -> str:
    return _files().read_text(Path(path))


def is_dir(path: Path | str) -> bool:
    return _files().is_dir(Path(path))


def glob(pattern: str) -> list[str]:
    return _files().glob(pattern)


def rglob(directory: Path, pattern: str) -> list[Path]:
    return _files().rglob(directory, pattern)
