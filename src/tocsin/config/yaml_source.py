"""Load a YAML file and remember where each key sits, to name the line of a bad value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic
import yaml
from pydantic_core import ErrorDetails

from tocsin.config import files
from tocsin.config.validation import describe
from tocsin.errors import ConfigError

__all__ = ["MergedSource", "YamlSource", "load_yaml"]


@dataclass(frozen=True)
class YamlSource:
    path: str
    data: Any
    root: yaml.Node | None

    def line_of(self, keys: Sequence[str | int]) -> int | None:
        """1-based line of the value at ``keys`` (or of the deepest part of it that exists)."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else 1  # None: an empty file
        for key in keys:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == str(key):
                        line, node = k.start_mark.line + 1, v
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
                if key >= len(node.value):
                    return line
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return line
        return line

    @property
    def base(self) -> Path:
        """The folder paths in the configuration are relative to."""
        return Path(self.path).parent

    def locate(self, keys: Sequence[str | int]) -> tuple[YamlSource, list[str | int]] | None:
        """The file that holds ``keys``, and their place in it (None: no one file)."""
        return self, list(keys)

    def error(self, keys: Sequence[str | int], problem: str) -> ConfigError:
        found = self.locate(keys)
        if found is None:
            where = self.path
        else:
            source, keys = found
            where = source.path
            line = source.line_of(keys)
            if line is not None:
                where += f":{line}"
        # A key with a line break or control character is quoted: one problem, one line.
        key = ".".join(str(k) if str(k).isprintable() else repr(str(k)) for k in keys)
        return ConfigError(f"{where}: {key + ': ' if key else ''}{problem}")

    def validation_error(
        self, exc: pydantic.ValidationError, prefix: Sequence[str] = ()
    ) -> ConfigError:
        """Every problem pydantic found, one line each, with its file:line: key."""
        return ConfigError("\n".join(self.describe(err, prefix) for err in exc.errors()))

    def describe(self, err: ErrorDetails, prefix: Sequence[str] = ()) -> str:
        loc = [*prefix, *(p for p in err["loc"] if p != "[key]")]
        return str(self.error([p for p in loc if isinstance(p, str | int)], describe(err)))


@dataclass(frozen=True)
class MergedSource(YamlSource):
    """A configuration in a folder: every ``*.yaml`` file in it, their sections together.
    A list section (users, receivers, schedules ...) may be split over several files, in the
    order of their names; any other section is in one file. A problem names the file and
    line it is on."""

    #: Per section, the files that hold it: (file, first index, how many) for a list.
    owners: Mapping[str, tuple[tuple[YamlSource, int, int], ...]] = field(default_factory=dict)

    @property
    def base(self) -> Path:
        return Path(self.path)

    def locate(self, keys: Sequence[str | int]) -> tuple[YamlSource, list[str | int]] | None:
        if not keys or str(keys[0]) not in self.owners:
            return None
        parts = self.owners[str(keys[0])]
        rest = list(keys[1:])
        if rest and isinstance(rest[0], int):
            for source, first, count in parts:
                if first <= rest[0] < first + count:
                    return source, [keys[0], rest[0] - first, *rest[1:]]
        return parts[0][0], list(keys)


def load_yaml(path: str | Path) -> YamlSource:
    """The YAML file at ``path``; a folder's ``*.yaml`` files merged (``MergedSource``)."""
    if files.is_dir(path):
        return _merged(Path(path))
    text_path = str(path)
    try:
        text = files.read_text(path)
    except OSError as exc:
        raise ConfigError(f"{text_path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        at = exc.object.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{text_path}:{at}: invalid YAML: not UTF-8 text") from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line: int | None = mark.line + 1 if mark is not None else None
        if isinstance(exc, yaml.reader.ReaderError):  # a character YAML refuses: no mark
            line = text.count("\n", 0, exc.position) + 1
        where = f"{text_path}:{line}" if line is not None else text_path
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: invalid YAML: {problem}") from None
    return YamlSource(text_path, data, root)


def _merged(folder: Path) -> MergedSource:
    paths = sorted({*files.glob(str(folder / "*.yaml")), *files.glob(str(folder / "*.yml"))})
    if not paths:
        raise ConfigError(f"{folder}: no *.yaml file in this folder")
    data: dict[str, Any] = {}
    owners: dict[str, list[tuple[YamlSource, int, int]]] = {}
    for path in paths:
        part = load_yaml(path)
        if part.data is None:
            continue  # an empty file
        if not isinstance(part.data, dict):
            raise part.error([], "must be a mapping of sections (route, receivers, users ...)")
        for key, value in part.data.items():
            name = str(key)
            if name not in data:
                data[name] = list(value) if isinstance(value, list) else value
                owners[name] = [(part, 0, len(value) if isinstance(value, list) else 0)]
            elif isinstance(data[name], list) and isinstance(value, list):
                owners[name].append((part, len(data[name]), len(value)))
                data[name] = [*data[name], *value]
            else:
                first = owners[name][0][0]
                raise part.error(
                    [name],
                    f"is also in {first.path}:{first.line_of([name])}: only a list section "
                    "may be split over several files",
                )
    return MergedSource(str(folder), data, None, owners={k: tuple(v) for k, v in owners.items()})
