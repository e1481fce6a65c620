"""A JSON Schema of ``tocsin.yaml`` (``tocsin config schema``), for editors' completion and
checking as you type (the YAML language server reads it).

It is made from the same pydantic models the loader checks each section with, so it cannot
drift from them. It describes shapes; what the schema cannot say (a receiver that must
exist, a time zone, an RRULE, a route's matchers) ``tocsin config check`` still checks.
"""

from __future__ import annotations

from typing import Any

import pydantic

from tocsin.config.alertmanager import AlertmanagerConfig
from tocsin.config.drills import _Drills
from tocsin.config.escalation import PolicyConfig
from tocsin.config.heartbeats import _Heartbeat
from tocsin.config.incidents import _Incidents
from tocsin.config.learning import _Postmortems, _Reports
from tocsin.config.on_call import _OnCall
from tocsin.config.prometheus import _Prometheus
from tocsin.config.remediation import _Remediation
from tocsin.config.runbooks import _Section as _Runbooks
from tocsin.config.schedules import ScheduleConfig
from tocsin.config.slos import _Slo
from tocsin.config.users import TeamConfig, UserConfig

__all__ = ["SCHEMA_ID", "json_schema"]

SCHEMA_ID = "https://tocsin.dev/schemas/tocsin.yaml.json"


class _File(AlertmanagerConfig):
    """tocsin.yaml: Alertmanager's configuration, and Tocsin's own sections."""

    users: list[UserConfig] = pydantic.Field(default_factory=list)
    teams: list[TeamConfig] = pydantic.Field(default_factory=list)
    schedules: list[ScheduleConfig] = pydantic.Field(default_factory=list)
    escalation_policies: list[PolicyConfig] = pydantic.Field(default_factory=list)
    on_call: _OnCall | None = None  # type: ignore[assignment]
    incidents: _Incidents | None = None  # type: ignore[assignment]
    slos: list[_Slo] | None = None
    prometheus: _Prometheus | None = None
    postmortems: _Postmortems | None = None
    reports: _Reports | None = None
    runbooks: _Runbooks | None = None
    remediation: _Remediation | None = None
    heartbeats: list[_Heartbeat] | None = None
    drills: _Drills | None = None


def json_schema() -> dict[str, Any]:
    """The schema (draft 2020-12), keys as they are written in the file."""
    schema = _File.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "title": "tocsin.yaml",
    }
