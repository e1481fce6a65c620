"""What an import makes: tocsin.yaml sections, and a report of what mapped, what mapped only
approximately and what did not (each with what to do)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = ["Finding", "Imported", "slug"]


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

    def ok(self, kind: str, name: Any, note: str) -> None:
        """``kind name`` mapped as it was."""
        self.mapped.append(Finding(kind, str(name), note))

    def check(self, kind: str, name: Any, note: str) -> None:
        """``kind name`` mapped only approximately, or not at all: ``note`` says why."""
        self.unmapped.append(Finding(kind, str(name), note))

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
