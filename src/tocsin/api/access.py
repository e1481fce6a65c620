"""Who may call which API endpoint: one table, checked for every request before the
endpoint runs (docs/security.md, "Roles and teams").

An API call carries an API token (``tocsin_p_…`` personal, ``tocsin_s_…`` service) as a
Bearer token or Basic password. The Alertmanager API v2 also takes an Alertmanager
integration's token, as Prometheus and amtool send it. Ingest endpoints, the public status
page, one-click page links and the chat and SMS webhooks check their own credentials.
Endpoints acting on one object of a team check the object's team themselves
(``allow``)."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from tocsin import origin
from tocsin.api.auth import token_from_headers
from tocsin.api.runtime import runtime_of
from tocsin.domain.access import Need, Principal, Role, Scope, refusal
from tocsin.domain.integrations import IntegrationKind
from tocsin.errors import FieldProblem, Forbidden, InputError, NotFound, Unauthorized
from tocsin.services.access import incident_team, person_principal, require_role, service_team
from tocsin.services.api_tokens import is_api_token
from tocsin.services.runtime import Runtime

__all__ = [
    "ALERTMANAGER",
    "PUBLIC",
    "RULES",
    "acting",
    "allow",
    "guard",
    "principal_of",
    "require",
]

#: Checks its own credentials (or needs none).
PUBLIC = "public"
#: The Alertmanager API v2: an API token, or an Alertmanager integration's token.
ALERTMANAGER = "alertmanager"

_S, _R, _W, _M, _A = Need.STATUS, Need.READ, Need.RESPOND, Need.MANAGE, Need.ADMIN

#: (method, path) -> what the endpoint needs. Paths under /api only; every /api route must
#: be here (tests/security/test_access_table.py checks, and unknown routes are refused).
RULES: dict[tuple[str, str], Need | str] = {
    # Alertmanager API v2 (Prometheus, amtool)
    ("POST", "/api/v2/alerts"): PUBLIC,  # the intake checks the integration token
    ("GET", "/api/v2/alerts"): ALERTMANAGER,
    ("GET", "/api/v2/status"): ALERTMANAGER,
    ("GET", "/api/v2/receivers"): ALERTMANAGER,
    ("GET", "/api/v2/silences"): ALERTMANAGER,
    ("POST", "/api/v2/silences"): ALERTMANAGER,
    ("GET", "/api/v2/silence/{silence_id}"): ALERTMANAGER,
    ("DELETE", "/api/v2/silence/{silence_id}"): ALERTMANAGER,
    ("GET", "/api/v1/notifications"): _R,
    ("GET", "/api/v1/notifications/{notification_id}"): _R,
    # On call
    ("GET", "/api/oncall"): _R,
    ("GET", "/api/oncall/hours"): _R,
    ("GET", "/api/schedules"): _R,
    ("GET", "/api/schedules/{name}/oncall"): _R,
    ("GET", "/api/schedules/{name}/shifts"): _R,
    ("GET", "/api/schedules/{name}/gaps"): _R,
    ("GET", "/api/schedules/{name}/overrides"): _R,
    ("POST", "/api/schedules/{name}/overrides"): _W,
    ("DELETE", "/api/overrides/{override_id}"): _W,
    ("GET", "/api/swaps"): _R,
    ("POST", "/api/schedules/{name}/swaps"): _W,
    ("POST", "/api/swaps/{swap_id}/take"): _W,
    ("POST", "/api/swaps/{swap_id}/withdraw"): _W,
    ("GET", "/api/reports/oncall"): _R,
    # Incidents
    ("GET", "/api/incidents"): _S,
    ("POST", "/api/incidents"): _W,
    ("GET", "/api/incidents/{incident_id}"): _S,
    ("GET", "/api/incidents/{incident_id}/timeline"): _S,
    ("POST", "/api/incidents/{incident_id}/acknowledge"): _W,
    ("POST", "/api/incidents/{incident_id}/escalate"): _W,
    ("POST", "/api/incidents/{incident_id}/mitigate"): _W,
    ("POST", "/api/incidents/{incident_id}/resolve"): _W,
    ("POST", "/api/incidents/{incident_id}/reopen"): _W,
    ("POST", "/api/incidents/{incident_id}/snooze"): _W,
    ("POST", "/api/incidents/{incident_id}/severity"): _W,
    ("POST", "/api/incidents/{incident_id}/roles"): _W,
    ("POST", "/api/incidents/{incident_id}/notes"): _W,
    ("POST", "/api/incidents/{incident_id}/reassign"): _W,
    ("POST", "/api/incidents/{incident_id}/merge"): _W,
    ("POST", "/api/incidents/{incident_id}/action-items"): _W,
    ("GET", "/api/action-items"): _R,
    ("GET", "/api/action-items/{item_id}"): _R,
    ("PATCH", "/api/action-items/{item_id}"): _W,
    ("POST", "/api/incidents/{incident_id}/updates"): _W,
    ("GET", "/api/incidents/{incident_id}/updates"): _S,
    ("POST", "/api/incidents/{incident_id}/rooms"): _W,
    ("GET", "/api/incidents/{incident_id}/rooms"): _R,
    ("POST", "/api/incidents/{incident_id}/responders"): _W,
    ("GET", "/api/incidents/{incident_id}/postmortem"): _R,
    ("POST", "/api/incidents/{incident_id}/postmortem"): _W,
    ("PATCH", "/api/incidents/{incident_id}/postmortem"): _W,
    ("POST", "/api/incidents/{incident_id}/postmortem/{step}"): _W,
    ("GET", "/api/postmortems"): _R,
    ("POST", "/api/drills"): _W,
    ("GET", "/api/drills"): _R,
    ("GET", "/api/drills/{incident_id}/report"): _R,
    ("GET", "/api/tabletop/scenarios"): _R,
    ("GET", "/api/tabletop/sessions/{session_id}"): _R,
    ("GET", "/api/remediation/actions"): _R,
    ("POST", "/api/incidents/{incident_id}/remediation"): _W,
    ("GET", "/api/incidents/{incident_id}/remediation/runs"): _R,
    ("GET", "/api/remediation/runs/{run_id}"): _R,
    ("POST", "/api/remediation/runs/{run_id}/approve"): _W,
    ("POST", "/api/remediation/runs/{run_id}/reject"): _W,
    # Heartbeats: pings check the heartbeat's own token
    ("GET", "/api/heartbeats"): _R,
    ("GET", "/api/heartbeats/{name}"): _R,
    ("POST", "/api/heartbeats/{name}/ping"): PUBLIC,
    ("GET", "/api/heartbeats/{name}/ping"): PUBLIC,
    ("POST", "/api/heartbeats/{name}/ping/fail"): PUBLIC,
    ("GET", "/api/heartbeats/{name}/ping/fail"): PUBLIC,
    ("POST", "/api/heartbeats/{name}/alertmanager"): PUBLIC,
    # Runbooks: a team's runbook is changed by its members (the endpoint checks)
    ("GET", "/api/runbooks"): _R,
    ("GET", "/api/runbooks/{slug}"): _R,
    ("POST", "/api/runbooks"): _W,
    ("PUT", "/api/runbooks/{slug}"): _W,
    ("POST", "/api/runbooks/{slug}/review"): _W,
    ("GET", "/api/incidents/{incident_id}/runbooks"): _R,
    # People
    ("GET", "/api/users"): _R,
    ("GET", "/api/users/{user_id}"): _R,
    ("POST", "/api/users/{user_id}/test-page"): _W,  # oneself; others: admins
    ("GET", "/api/teams"): _R,
    ("GET", "/api/escalation-policies"): _R,
    # SLOs: gate exceptions are granted by the service's team managers (the endpoint checks)
    ("GET", "/api/slos"): _R,
    ("GET", "/api/slos/{slo_id}"): _R,
    ("GET", "/api/slos/{slo_id}/burn-down"): _R,
    ("POST", "/api/slos/{slo_id}/events"): _W,
    ("GET", "/api/slo-gate"): _R,
    ("POST", "/api/slo-gate/exceptions"): _W,
    ("GET", "/api/slo-gate/exceptions"): _R,
    ("POST", "/api/slo-gate/exceptions/{exception_id}/revoke"): _W,
    ("GET", "/api/reports/incidents"): _R,
    ("GET", "/api/reports/alerts"): _R,
    # Status page: posting incidents and component states is responding; its shape and
    # subscribers (email addresses) are admins'
    ("GET", "/api/status-page"): _S,
    ("PATCH", "/api/status-page"): _A,
    ("GET", "/api/status-page/groups"): _S,
    ("POST", "/api/status-page/groups"): _A,
    ("PATCH", "/api/status-page/groups/{group_id}"): _A,
    ("DELETE", "/api/status-page/groups/{group_id}"): _A,
    ("GET", "/api/status-page/components"): _S,
    ("POST", "/api/status-page/components"): _A,
    ("PATCH", "/api/status-page/components/{component_id}"): _A,
    ("POST", "/api/status-page/components/{component_id}/status"): _W,
    ("DELETE", "/api/status-page/components/{component_id}"): _A,
    ("GET", "/api/status-page/incidents"): _S,
    ("POST", "/api/status-page/incidents"): _W,
    ("GET", "/api/status-page/incidents/{public_id}"): _S,
    ("POST", "/api/status-page/incidents/{public_id}/updates"): _W,
    ("PATCH", "/api/status-page/incidents/{public_id}"): _W,
    ("DELETE", "/api/status-page/incidents/{public_id}"): _A,
    ("POST", "/api/status-page/maintenances"): _W,
    ("PATCH", "/api/status-page/maintenances/{public_id}"): _W,
    ("GET", "/api/status-page/subscribers"): _A,
    ("POST", "/api/status-page/subscribers"): _A,
    ("DELETE", "/api/status-page/subscribers/{subscriber_id}"): _A,
    ("GET", "/api/status-page/notifications"): _A,
    # API tokens: one's own (personal); service tokens and others' are admins'
    ("GET", "/api/tokens"): _S,
    ("POST", "/api/tokens"): _S,
    ("POST", "/api/tokens/{token_id}/revoke"): _S,
    # Audit log
    ("GET", "/api/audit"): _A,
    # The nodes of a cluster (docs/cluster.md)
    ("GET", "/api/cluster"): _A,
}

_NEEDS = {
    "GET": Need.READ,
    "POST": Need.RESPOND,
}


def principal_of(request: Request) -> Principal:
    """Who is calling (the guard found them before the endpoint ran)."""
    found: Principal | None = getattr(request.state, "principal", None)
    if found is None:
        raise Unauthorized("a valid API token is required")
    return found


async def guard(request: Request) -> None:
    """The app's dependency: refuse a call its principal may not make. Routes outside /api
    are the web UI's (``web.access``)."""
    route = request.scope.get("route")
    path = getattr(route, "path", "")
    if not path.startswith("/api/"):
        return
    method = "GET" if request.method == "HEAD" else request.method
    rule = RULES.get((method, path))
    if rule == PUBLIC:
        return
    if rule is None:
        raise Forbidden(f"{method} {path} is not open to anyone (no access rule)")
    await require(request, _need_of(rule, method), amtool=rule == ALERTMANAGER)


async def require(request: Request, need: Need, *, amtool: bool = False) -> Principal:
    """The caller's principal from their token, if it may do what needs ``need``
    (``amtool``: an Alertmanager integration's token is enough)."""
    token = token_from_headers(request)
    if not token:
        raise Unauthorized("a valid API token is required (Authorization: Bearer tocsin_…)")
    runtime = runtime_of(request)
    if is_api_token(token):
        principal = await run_in_threadpool(runtime.api_tokens.principal, token)
        runtime.rate_limits.api_token(principal.token_id or 0, principal.actor)
    elif amtool:
        integration = runtime.integrations.authenticate(token, {IntegrationKind.ALERTMANAGER})
        # amtool: read alerts and silences, make and expire silences
        principal = Principal(
            f"integration:{integration.name}", Role.RESPONDER, scope=Scope.RESPOND
        )
    else:
        raise Unauthorized(
            "an integration's token only sends alerts (and serves amtool): "
            "this needs an API token (tocsin token create)"
        )
    # A token bound to a team: checked here against its own team; the object's team below
    # (an incident's), or by the endpoint (a runbook's, a service's).
    # (Site-wide things, which need an admin, belong to no team.)
    own = principal.team if need < Need.ADMIN else None
    if not principal.may(need, own):
        raise Forbidden(refusal(principal, need, own))
    if principal.team is not None and need >= Need.RESPOND:
        params = dict(request.path_params)
        path = getattr(request.scope.get("route"), "path", "")
        # The status page is the whole site's: no team's token changes it.
        if params.keys() & _OWNED or path.startswith("/api/status-page"):
            team = await run_in_threadpool(_object_team, runtime, params)
            if not principal.may(need, team):
                raise Forbidden(refusal(principal, need, team))
    request.state.principal = principal
    request.state.need = need
    if principal.token_id is not None:
        # The audit log names the token behind every change (also one made on behalf).
        found = origin.current()
        if found is not origin.ENGINE:
            found.via = f"api {principal.actor}" if principal.user is None else "api token"
    return principal


#: Path parameters naming an object a team may own.
_OWNED = {
    "incident_id",
    "name",
    "slo_id",
    "override_id",
    "swap_id",
    "item_id",
    "run_id",
    "exception_id",
}


def _object_team(runtime: Runtime, params: dict[str, str]) -> str | None:
    """The team owning the object a path names (None: no team, or no such object: the
    endpoint answers 404 or 400 for that)."""
    config = runtime.current()
    try:
        incident_id = params.get("incident_id")
        if "item_id" in params:
            incident_id = str(runtime.action_items.get(int(params["item_id"])).item.incident_id)
        if "run_id" in params:
            incident_id = str(runtime.remediation.run(int(params["run_id"])).incident_id)
        if incident_id is not None:
            return incident_team(config, runtime.incidents.get(int(incident_id)))
        if "exception_id" in params:
            wanted = int(params["exception_id"])
            granted = [e for e in runtime.gate.exceptions() if e.id == wanted]
            return service_team(config, granted[0].service) if granted else None
        if "slo_id" in params:
            return service_team(config, runtime.slos.spec(params["slo_id"]).service)
        schedule = params.get("name")
        if "override_id" in params:
            schedule = runtime.schedules.override(int(params["override_id"])).schedule
        if "swap_id" in params:
            swaps = [w for w in runtime.schedules.swaps() if w.id == params["swap_id"]]
            schedule = swaps[0].schedule if swaps else None
        owner = config.schedules.get(schedule) if config and schedule else None
        return owner.team if owner is not None else None
    except (NotFound, ValueError):
        return None


def _need_of(rule: Need | str, method: str) -> Need:
    if isinstance(rule, Need):
        return rule
    return _NEEDS.get(method, Need.RESPOND)


def allow(request: Request, need: Need, team: str | None) -> Principal:
    """The caller, if they may do what needs ``need`` to an object of ``team``; Forbidden
    otherwise."""
    principal = principal_of(request)
    if not principal.may(need, team):
        raise Forbidden(refusal(principal, need, team))
    return principal


def acting(request: Request, user: str | None) -> str:
    """Who acts, for timelines and the audit log. A person's token acts as its owner (naming
    anyone else is refused); a service token acts as itself, or on behalf of the person
    ``user`` names, as PagerDuty's ``From`` header does."""
    principal = principal_of(request)
    if principal.user is not None:
        if user is not None and user != principal.user:
            raise Forbidden(
                f"a personal token acts as its owner {principal.user!r}, not as {user!r}"
            )
        return principal.user
    if user is None:
        return principal.actor
    config = runtime_of(request).current()
    person = person_principal(config, user)
    if person is None:
        raise InputError(FieldProblem("user", f"no user {user!r} in the configuration"))
    # On behalf of someone: never more than they may, nor than the token may. A person
    # with powers beyond responding (an admin, a team's manager) is named only by a token
    # that has them all.
    need: Need = getattr(request.state, "need", Need.RESPOND)
    require_role(config, user, need)
    if (person.role is Role.ADMIN or person.manages) and not principal.may(Need.ADMIN):
        raise Forbidden(
            f"this token cannot act on behalf of {user!r}, who may do more than the token"
        )
    return user
