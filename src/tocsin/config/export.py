"""A configuration as files for git (``tocsin config export``): the files of a version at
their paths relative to the configuration's folder, every secret written into them replaced
by a ``${NAME}`` reference (docs/config-as-code.md#export)."""

from __future__ import annotations

import os

from tocsin.config.files import Bundle
from tocsin.config.secret_refs import referenced_text
from tocsin.errors import ConfigError

__all__ = ["SECRETS_FILE", "exported_files"]

#: Beside the exported files: the variables their references name, without values.
SECRETS_FILE = "secrets.env.example"


def exported_files(bundle: Bundle) -> tuple[dict[str, str], dict[str, str]]:
    """The bundle's files by path relative to the configuration's folder, the YAML ones
    with their secrets replaced by references; and the references made (name: key path)."""
    out: dict[str, str] = {}
    names: dict[str, str] = {}
    for path, text in sorted(bundle.files.items()):
        relative = os.path.relpath(path, bundle.base)
        if relative.startswith(os.pardir + os.sep) or os.path.isabs(relative):
            raise ConfigError(
                f"{path} is outside the configuration's folder ({bundle.base}): an export "
                "writes only into its folder; keep the files the configuration reads beside it"
            )
        if path.endswith((".yaml", ".yml")):
            own = path == bundle.main or os.path.dirname(path) == bundle.main
            text, made = referenced_text(text, "TOCSIN_" if own else _prefix(relative), names)
            names.update({k: f"{relative}: {v}" for k, v in made.items()})
        out[relative] = text
    return out, names


def _prefix(relative: str) -> str:
    stem = os.path.splitext(os.path.basename(relative))[0]
    return "TOCSIN_" + "".join(c if c.isalnum() else "_" for c in stem.upper()) + "_"
