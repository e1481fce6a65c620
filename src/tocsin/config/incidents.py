"""``incidents:`` in tocsin.yaml: how alerts become incidents.

```yaml
incidents:
  severity_map: {critical: SEV1, error: SEV2, warning: SEV3, info: SEV4}
  default_severity: SEV3
  urgency: {SEV1: high, SEV2: high, SEV3: low, SEV4: low}
  auto_resolve: true          # resolve when every alert of the incident has resolved
  service_label: service
```
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic

from tocsin.config.validation import Problem, validated
from tocsin.domain.incidents import IncidentPolicy, Severity, Urgency

__all__ = ["compile_incident_policy"]


class _Incidents(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    severity_map: dict[str, str] | None = None
    default_severity: str = "SEV3"
    urgency: dict[str, Urgency] | None = None
    auto_resolve: bool = True
    service_label: str = "service"


def compile_incident_policy(raw: Mapping[str, Any] | None, problem: Problem) -> IncidentPolicy:
    keys: list[str | int] = ["incidents"]
    defaults = IncidentPolicy()
    if raw is None:
        return defaults
    cfg = validated(_Incidents, raw, keys, problem)
    if cfg is None:
        return defaults

    def severity(text: str, where: list[str | int]) -> Severity:
        try:
            return Severity.parse(text)
        except ValueError as exc:
            problem([*keys, *where], str(exc))
            return defaults.default_severity

    severity_map = defaults.severity_map
    if cfg.severity_map is not None:
        severity_map = {
            label.lower(): severity(value, ["severity_map", label])
            for label, value in cfg.severity_map.items()
        }
    urgency = dict(defaults.urgency)
    for name, value in (cfg.urgency or {}).items():
        urgency[severity(name, ["urgency", name])] = value
    return IncidentPolicy(
        severity_map=severity_map,
        default_severity=severity(cfg.default_severity, ["default_severity"]),
        urgency=urgency,
        auto_resolve=cfg.auto_resolve,
        service_label=cfg.service_label,
    )
