"""What applying a configuration would change, like a Terraform plan: the objects it
creates, changes and deletes compared with the configuration in force (docs/config-as-code.md).

Both sides are ``Bundle``s (the main file and every file it reads). Lists of named things
(users by ``id``; teams, schedules, escalation policies, receivers, time intervals,
heartbeats, SLOs ... by ``name``) are compared object by object, other sections as a whole,
other files (runbooks, SLO files, scenarios, templates) file by file. A change names the keys
that differ, with their old and new values, except where a value may be a secret (its key
says password, token, secret, URL ...): those say only that they changed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from tocsin.config import files
from tocsin.config.files import Bundle
from tocsin.config.secret_refs import is_secret_key
from tocsin.config.yaml_source import load_yaml

__all__ = ["Change", "plan", "summary"]

Action = Literal["create", "change", "delete"]

#: Sections that are lists of named things: (what one is called, the key that names it).
NAMED: Mapping[str, tuple[str, str]] = {
    "users": ("user", "id"),
    "teams": ("team", "name"),
    "schedules": ("schedule", "name"),
    "escalation_policies": ("escalation policy", "name"),
    "receivers": ("receiver", "name"),
    "time_intervals": ("time interval", "name"),
    "mute_time_intervals": ("time interval", "name"),
    "heartbeats": ("heartbeat", "name"),
    "slos": ("SLO", "name"),
}
_SECRET = re.compile(r"(?i)(password|secret|token|api_key|apikey|_key$|url|credentials|auth)")
_LONGEST = 60
HIDDEN = "(hidden)"


@dataclass(frozen=True)
class Change:
    action: Action
    #: user, team, schedule ..., section (a top-level key), file
    kind: str
    name: str
    #: For a change: ``key: old -> new`` per differing key.
    details: tuple[str, ...] = ()

    @property
    def sign(self) -> str:
        return {"create": "+", "change": "~", "delete": "-"}[self.action]

    def __str__(self) -> str:
        return f"{self.sign} {self.kind} {self.name}"


def _data(bundle: Bundle | None) -> dict[str, Any]:
    """The configuration's sections (a folder's files together)."""
    if bundle is None:
        return {}
    with files.using(bundle):
        loaded = load_yaml(bundle.main).data or {}
    return loaded if isinstance(loaded, dict) else {}


def _named(items: Any, key: str) -> dict[str, Any] | None:
    """A list of dicts each named by ``key`` (unique), by name; None if it is not one."""
    if not isinstance(items, list) or not all(
        isinstance(i, dict) and isinstance(i.get(key), str) for i in items
    ):
        return None
    found = {i[key]: i for i in items}
    return found if len(found) == len(items) else None


def _secret(key: str) -> bool:
    """Whether a value under ``key`` may be a secret (never printed)."""
    return bool(key) and (_SECRET.search(key) is not None or is_secret_key([key]))


def _masked(value: Any) -> Any:
    """``value`` with every secret inside it (at any depth) blanked."""
    if isinstance(value, dict):
        return {k: HIDDEN if _secret(str(k)) else _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _show(key: str, value: Any) -> str:
    if _secret(key):
        return HIDDEN
    text = yaml.safe_dump(_masked(value), default_flow_style=True, width=10**6).strip()
    text = text.removesuffix("...").strip()
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…"


def _differences(before: Any, after: Any, path: str = "") -> Iterator[str]:
    """``key: old -> new`` for each leaf that differs (lists of equal length compared item
    by item, others whole)."""
    if before == after:
        return
    leaf = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted({*before, *after}, key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in before:
                yield f"{sub}: added {_show(str(key), after[key])}"
            elif key not in after:
                yield f"{sub}: removed"
            else:
                yield from _differences(before[key], after[key], sub)
        return
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (old, new) in enumerate(zip(before, after, strict=True)):
            yield from _differences(old, new, f"{path}[{i}]")
        return
    prefix = f"{path}: " if path else ""
    if _secret(leaf):
        yield f"{prefix}changed (hidden)"
    else:
        yield f"{prefix}{_show(leaf, before)} -> {_show(leaf, after)}"


def _section(name: str, before: Any, after: Any) -> Iterator[Change]:
    named = NAMED.get(name)
    if named is not None:
        kind, key = named
        old, new = _named(before or [], key), _named(after or [], key)
        if old is not None and new is not None:
            for item in sorted(new.keys() - old.keys()):
                yield Change("create", kind, item)
            for item in sorted(old.keys() & new.keys()):
                if old[item] != new[item]:
                    yield Change("change", kind, item, tuple(_differences(old[item], new[item])))
            for item in sorted(old.keys() - new.keys()):
                yield Change("delete", kind, item)
            return
    if before == after:
        return
    if before is None:
        yield Change("create", "section", name)
    elif after is None:
        yield Change("delete", "section", name)
    else:
        yield Change("change", "section", name, tuple(_differences(before, after)))


def _relative(bundle: Bundle | None) -> dict[str, str]:
    """The files other than the main one, by path relative to the main file's folder."""
    if bundle is None:
        return {}
    base = bundle.base
    return {
        os.path.relpath(path, base): text
        for path, text in bundle.files.items()
        if path != bundle.main and not _configuration(bundle, path)
    }


def _configuration(bundle: Bundle, path: str) -> bool:
    """Whether ``path`` is one of a configuration folder's own files (compared by section)."""
    return (
        bundle.base == bundle.main
        and os.path.dirname(path) == bundle.main
        and path.endswith((".yaml", ".yml"))
    )


def plan(before: Bundle | None, after: Bundle) -> list[Change]:
    """What applying ``after`` changes, when ``before`` is in force (None: nothing is)."""
    old, new = _data(before), _data(after)
    changes = [
        change
        for name in [*new, *(k for k in old if k not in new)]
        for change in _section(str(name), old.get(name), new.get(name))
    ]
    old_files, new_files = _relative(before), _relative(after)
    for path in sorted(new_files.keys() - old_files.keys()):
        changes.append(Change("create", "file", path))
    for path in sorted(old_files.keys() & new_files.keys()):
        if old_files[path] != new_files[path]:
            changes.append(Change("change", "file", path))
    for path in sorted(old_files.keys() - new_files.keys()):
        changes.append(Change("delete", "file", path))
    return changes


def summary(changes: list[Change]) -> str:
    counts = {a: sum(1 for c in changes if c.action == a) for a in ("create", "change", "delete")}
    if not changes:
        return "No changes: the configuration in force is the same."
    return (
        f"Plan: {counts['create']} to create, {counts['change']} to change, "
        f"{counts['delete']} to delete."
    )
