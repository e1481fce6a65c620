"""The self-service profile form: what it shows, what it sends to ``save_profile``, and the
problems that come back put next to the fields they are about.

Notification rules are rows of (method, delay) named ``high-0-method``, ``high-0-delay`` ...;
blank rows are skipped, so a problem at ``notification_rules.high[1]`` is mapped back to
the row the person typed it in."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tocsin.domain.users import ContactMethod, User
from tocsin.errors import FieldProblem
from tocsin.web.contact_words import delay_text, method_words
from tocsin.web.session import Acting

__all__ = ["CONTACT_FIELDS", "METHOD_CHOICES", "URGENCIES", "ProfileForm"]

#: (field, label, hint) for each contact field the form has.
CONTACT_FIELDS = (
    ("email", "Email", "For email pages and messages."),
    ("phone", "Phone", "E.164, e.g. +4915112345678: for SMS and calls."),
    ("slack_user_id", "Slack user id", "e.g. U012AB3CD: for Slack direct messages."),
    ("ntfy_topic", "ntfy topic", "For push notifications through ntfy."),
    ("webhook_url", "Webhook URL", "An http or https URL Tocsin posts pages to."),
)
URGENCIES = (("high", "High urgency"), ("low", "Low urgency"))
METHOD_CHOICES = tuple((m.value, method_words(m.value)) for m in ContactMethod)
#: Rows of rules the form shows at least, and accepts at most, per urgency.
MIN_ROWS = 3
MAX_ROWS = 12
_RULE_FIELD = re.compile(r"^notification_rules\.(high|low)\[(\d+)\]\.(method|delay)$")
_ROW_CONTROL = re.compile(r"^(high|low)-(\d+)-(method|delay)$")


@dataclass
class ProfileForm:
    """What the form shows: the values (as typed, after a refused save) and the problems,
    by the id of the control they belong to; problems with no control of their own go in
    ``general``."""

    values: dict[str, str]
    rules: dict[str, list[tuple[str, str]]]
    problems: dict[str, str] = field(default_factory=dict)
    general: list[FieldProblem] = field(default_factory=list)
    #: For each urgency, the form row of each rule sent (blank rows are not sent).
    sent_rows: dict[str, list[int]] = field(default_factory=dict)

    @classmethod
    def of(cls, person: User) -> ProfileForm:
        values = {name: getattr(person, name) or "" for name, _, _ in CONTACT_FIELDS}
        values["time_zone"] = person.time_zone.key if person.time_zone else ""
        rules = {
            urgency: [(r.method.value, delay_text(r.delay)) for r in person.rules.get(urgency, ())]
            for urgency, _ in URGENCIES
        }
        return cls(values, rules)

    @classmethod
    def posted(cls, form: Acting) -> ProfileForm:
        values = {name: form.text(name) for name, _, _ in CONTACT_FIELDS}
        values["time_zone"] = form.text("time_zone")
        rules: dict[str, list[tuple[str, str]]] = {}
        for urgency, _ in URGENCIES:
            rows = [
                (form.text(f"{urgency}-{i}-method"), form.text(f"{urgency}-{i}-delay"))
                for i in range(MAX_ROWS)
            ]
            while rows and rows[-1] == ("", ""):
                rows.pop()
            rules[urgency] = rows
        return cls(values, rules)

    def rows(self, urgency: str) -> list[tuple[str, str]]:
        """The rows to show: those typed or saved, then blank ones to add rules in."""
        found = self.rules.get(urgency, [])
        return [*found, *[("", "")] * max(MIN_ROWS - len(found), 1)][:MAX_ROWS]

    def profile(self) -> tuple[dict[str, Any], list[FieldProblem]]:
        """The profile ``save_profile`` takes (blank fields: none), and the problems the form
        itself finds (a delay with no method)."""
        problems: list[FieldProblem] = []
        profile: dict[str, Any] = {k: (v or None) for k, v in self.values.items()}
        rules: dict[str, list[dict[str, str]]] = {}
        for urgency, _ in URGENCIES:
            sent: list[dict[str, str]] = []
            self.sent_rows[urgency] = []
            for i, (method, delay) in enumerate(self.rules.get(urgency, [])):
                if not method:
                    if delay:
                        problems.append(
                            FieldProblem(
                                f"{urgency}-{i}-method",
                                "choose a contact method, or clear the delay",
                            )
                        )
                    continue
                sent.append({"method": method, "delay": delay or "0m"})
                self.sent_rows[urgency].append(i)
            rules[urgency] = sent
        profile["notification_rules"] = rules
        return profile, problems

    def refused(self, problems: Sequence[FieldProblem]) -> None:
        """Put each problem next to its control (or with the general ones)."""
        for p in problems:
            control = self._control(p.field)
            if control is None:
                self.general.append(p)
            else:
                # Next to the field, the configuration's "you: " in front says nothing.
                self.problems.setdefault(control, p.problem.removeprefix("you: "))

    def _control(self, path: str) -> str | None:
        if path in self.values or _ROW_CONTROL.match(path):
            return path
        found = _RULE_FIELD.match(path)
        if found is None:
            return None
        urgency, index, part = found.group(1), int(found.group(2)), found.group(3)
        rows = self.sent_rows.get(urgency, [])
        return f"{urgency}-{rows[index]}-{part}" if index < len(rows) else None

    def label(self, control: str) -> str:
        """What a control is called, for the list of problems above the form."""
        names = {name: label for name, label, _ in CONTACT_FIELDS} | {"time_zone": "Time zone"}
        if control in names:
            return names[control]
        found = _ROW_CONTROL.match(control)
        if found is None:
            return control
        urgency, row, part = found.group(1), int(found.group(2)), found.group(3)
        return f"{dict(URGENCIES)[urgency]} rule {row + 1}, {part}"
