"""Users, teams and escalation policies (as configured), and test pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from tocsin.api.access import principal_of
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.domain.access import Need, Principal
from tocsin.domain.escalation import EscalationPolicy
from tocsin.domain.users import User
from tocsin.errors import Forbidden
from tocsin.web.contact_words import shown

__all__ = ["policy_json", "router", "user_json"]

router = APIRouter(prefix="/api", tags=["People"])


def user_json(u: User, full: bool = True) -> dict[str, Any]:
    """A person; ``full``: their phone, webhook URL and ntfy topic as they are (for the
    person and admins), else masked as the web UI shows them."""

    def mask(field: str, value: str | None) -> str | None:
        return shown(field, value, full)[0] if value else value

    return {
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "timeZone": u.time_zone.key if u.time_zone else None,
        "phone": mask("phone", u.phone),
        "slackUserId": u.slack_user_id,
        "ntfyTopic": mask("ntfy_topic", u.ntfy_topic),
        "webhookUrl": mask("webhook_url", u.webhook_url),
        "admin": u.admin,
        "role": u.role.value,
        "contactMethods": [m.value for m in u.methods],
        "notificationRules": {
            urgency: [
                {"method": r.method.value, "delayMinutes": r.delay.total_seconds() / 60}
                for r in u.rules_for(urgency)
            ]
            for urgency in ("high", "low")
        },
    }


def policy_json(p: EscalationPolicy) -> dict[str, Any]:
    return {
        "name": p.name,
        "description": p.description,
        "team": p.team,
        "owner": p.owner,
        "repeat": p.repeat,
        "ackTimeoutMinutes": p.ack_timeout.total_seconds() / 60 if p.ack_timeout else None,
        "levels": [
            {
                "level": i + 1,
                "delayMinutes": level.delay.total_seconds() / 60,
                "mode": level.mode.value,
                "targets": [{"kind": t.kind.value, "name": t.name} for t in level.targets],
            }
            for i, level in enumerate(p.levels)
        ],
    }


@router.get("/users", summary="People, their contact methods and notification rules")
def list_users(request: Request) -> Response:
    who = principal_of(request)
    return json_response(
        [user_json(u, _full(who, u.id)) for u in runtime_of(request).people.users()]
    )


@router.get("/users/{user_id}", summary="One person")
def get_user(request: Request, user_id: str) -> Response:
    full = _full(principal_of(request), user_id)
    return json_response(user_json(runtime_of(request).people.user(user_id), full))


def _full(principal: Principal, user_id: str) -> bool:
    return principal.may(Need.ADMIN) or principal.user == user_id


@router.post("/users/{user_id}/test-page", summary="Send a test page over each contact method")
def test_page(request: Request, user_id: str) -> Response:
    principal = principal_of(request)
    if principal.user != user_id and not principal.may(Need.ADMIN):
        raise Forbidden("only admins can send a test page to someone else")
    results = runtime_of(request).people.test_page(user_id)
    return json_response(
        [
            {"method": r.method.value, "address": r.address, "ok": r.ok, "detail": r.detail}
            for r in results
        ]
    )


@router.get("/teams", summary="Teams and their members")
def list_teams(request: Request) -> Response:
    return json_response(
        [
            {
                "name": t.name,
                "description": t.description,
                "members": list(t.members),
                "managers": list(t.managers),
            }
            for t in runtime_of(request).people.teams()
        ]
    )


@router.get("/escalation-policies", summary="Escalation policies, level by level")
def list_policies(request: Request) -> Response:
    return json_response([policy_json(p) for p in runtime_of(request).people.policies()])
