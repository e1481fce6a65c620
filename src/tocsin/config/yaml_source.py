"""Load a YAML file and remember where each key sits, to name the line of a bad value."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic
import yaml
from pydantic_core import ErrorDetails

from tocsin.config import files
from tocsin.config.validation import describe
from tocsin.errors import ConfigError

__all__ = ["YamlSource", "load_yaml"]


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

    def error(self, keys: Sequence[str | int], problem: str) -> ConfigError:
        where = self.path
        line = self.line_of(keys)
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


def load_yaml(path: str | Path) -> YamlSource:
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
