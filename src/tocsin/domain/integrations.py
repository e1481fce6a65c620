"""Integrations: named inbound endpoints, each with its own secret token."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["Integration", "IntegrationKind"]


class IntegrationKind(enum.StrEnum):
    ALERTMANAGER = "alertmanager"  # Alertmanager API v2: POST /api/v2/alerts (Prometheus)
    ALERTMANAGER_WEBHOOK = "alertmanager-webhook"  # an Alertmanager webhook_config receiver
    PAGERDUTY = "pagerduty"  # PagerDuty Events API v2: POST /v2/enqueue
    OPSGENIE = "opsgenie"  # Opsgenie Alert API: POST /v2/alerts
    WEBHOOK = "webhook"  # generic JSON: POST /integrations/webhook/{token}

    @property
    def endpoint(self) -> str:
        return {
            IntegrationKind.ALERTMANAGER: "/api/v2/alerts",
            IntegrationKind.ALERTMANAGER_WEBHOOK: "/integrations/alertmanager",
            IntegrationKind.PAGERDUTY: "/v2/enqueue",
            IntegrationKind.OPSGENIE: "/v2/alerts",
            IntegrationKind.WEBHOOK: "/integrations/webhook/{token}",
        }[self]


@dataclass(frozen=True)
class Integration:
    id: int
    name: str
    kind: IntegrationKind
    token_hash: str
    #: Kind-specific settings, e.g. the generic webhook's field mapping.
    settings: Mapping[str, Any]
    created_at: datetime
    token_rotated_at: datetime
    #: The team that owns it: its managers make and rotate it (None: admins only).
    team: str | None = None
