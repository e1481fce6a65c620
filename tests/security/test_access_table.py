"""Every endpoint x every role: each role can do exactly what the table below says, and
nothing more. The table is the specification, written here by hand; the routes come from
the app's router, so an endpoint missing from the table fails the test.

Levels: ``-`` checks its own credentials or none (public), ``S`` stakeholders and up (reads
incidents and the status page), ``V`` viewers and up, ``R`` responders and up, ``A``
admins, ``am`` the Alertmanager API v2 (an Alertmanager integration's token works too, as
amtool sends it; reading needs a viewer, silencing a responder)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.web.app_routes import api_routes, filled
from tests.web.conftest import Web
from tocsin.domain.integrations import IntegrationKind

API = """
POST /api/v2/alerts -
GET /api/v2/alerts am
GET /api/v2/status am
GET /api/v2/receivers am
GET /api/v2/silences am
POST /api/v2/silences am
GET /api/v2/silence/{silence_id} am
DELETE /api/v2/silence/{silence_id} am
GET /api/v1/notifications V
GET /api/v1/notifications/{notification_id} V
GET /api/oncall V
GET /api/oncall/hours V
GET /api/schedules V
GET /api/schedules/{name}/oncall V
GET /api/schedules/{name}/shifts V
GET /api/schedules/{name}/gaps V
GET /api/schedules/{name}/overrides V
POST /api/schedules/{name}/overrides R
DELETE /api/overrides/{override_id} R
GET /api/swaps V
POST /api/schedules/{name}/swaps R
POST /api/swaps/{swap_id}/take R
POST /api/swaps/{swap_id}/withdraw R
GET /api/reports/oncall V
GET /api/incidents S
POST /api/incidents R
GET /api/incidents/{incident_id} S
GET /api/incidents/{incident_id}/timeline S
POST /api/incidents/{incident_id}/acknowledge R
POST /api/incidents/{incident_id}/escalate R
POST /api/incidents/{incident_id}/mitigate R
POST /api/incidents/{incident_id}/resolve R
POST /api/incidents/{incident_id}/reopen R
POST /api/incidents/{incident_id}/snooze R
POST /api/incidents/{incident_id}/severity R
POST /api/incidents/{incident_id}/roles R
POST /api/incidents/{incident_id}/notes R
POST /api/incidents/{incident_id}/reassign R
POST /api/incidents/{incident_id}/merge R
POST /api/incidents/{incident_id}/action-items R
GET /api/action-items V
GET /api/action-items/{item_id} V
PATCH /api/action-items/{item_id} R
POST /api/incidents/{incident_id}/updates R
GET /api/incidents/{incident_id}/updates S
POST /api/incidents/{incident_id}/rooms R
GET /api/incidents/{incident_id}/rooms V
POST /api/incidents/{incident_id}/responders R
GET /api/incidents/{incident_id}/postmortem V
POST /api/incidents/{incident_id}/postmortem R
PATCH /api/incidents/{incident_id}/postmortem R
POST /api/incidents/{incident_id}/postmortem/{step} R
GET /api/postmortems V
POST /api/drills R
GET /api/drills V
GET /api/drills/{incident_id}/report V
GET /api/tabletop/scenarios V
GET /api/tabletop/sessions/{session_id} V
GET /api/remediation/actions V
POST /api/incidents/{incident_id}/remediation R
GET /api/incidents/{incident_id}/remediation/runs V
GET /api/remediation/runs/{run_id} V
POST /api/remediation/runs/{run_id}/approve R
POST /api/remediation/runs/{run_id}/reject R
GET /api/heartbeats V
GET /api/heartbeats/{name} V
POST /api/heartbeats/{name}/ping -
GET /api/heartbeats/{name}/ping -
POST /api/heartbeats/{name}/ping/fail -
GET /api/heartbeats/{name}/ping/fail -
POST /api/heartbeats/{name}/alertmanager -
GET /api/runbooks V
GET /api/runbooks/{slug} V
POST /api/runbooks R
PUT /api/runbooks/{slug} R
POST /api/runbooks/{slug}/review R
GET /api/incidents/{incident_id}/runbooks V
GET /api/users V
GET /api/users/{user_id} V
POST /api/users/{user_id}/test-page R
GET /api/teams V
GET /api/escalation-policies V
GET /api/slos V
GET /api/slos/{slo_id} V
GET /api/slos/{slo_id}/burn-down V
POST /api/slos/{slo_id}/events R
GET /api/slo-gate V
POST /api/slo-gate/exceptions R
GET /api/slo-gate/exceptions V
POST /api/slo-gate/exceptions/{exception_id}/revoke R
GET /api/reports/incidents V
GET /api/reports/alerts V
GET /api/status-page S
PATCH /api/status-page A
GET /api/status-page/groups S
POST /api/status-page/groups A
PATCH /api/status-page/groups/{group_id} A
DELETE /api/status-page/groups/{group_id} A
GET /api/status-page/components S
POST /api/status-page/components A
PATCH /api/status-page/components/{component_id} A
POST /api/status-page/components/{component_id}/status R
DELETE /api/status-page/components/{component_id} A
GET /api/status-page/incidents S
POST /api/status-page/incidents R
GET /api/status-page/incidents/{public_id} S
POST /api/status-page/incidents/{public_id}/updates R
PATCH /api/status-page/incidents/{public_id} R
DELETE /api/status-page/incidents/{public_id} A
POST /api/status-page/maintenances R
PATCH /api/status-page/maintenances/{public_id} R
GET /api/status-page/subscribers A
POST /api/status-page/subscribers A
DELETE /api/status-page/subscribers/{subscriber_id} A
GET /api/status-page/notifications A
GET /api/tokens S
POST /api/tokens S
POST /api/tokens/{token_id}/revoke S
GET /api/audit A
GET /api/cluster A
"""

CONFIG = """
route:
  receiver: pager
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1m
  repeat_interval: 4h
receivers:
  - name: pager
    escalation_policy: red-policy
users:
  - {id: ada, admin: true, email: ada@example.com}
  - {id: mia, email: mia@example.com}
  - {id: rob, email: rob@example.com}
  - {id: otto, email: otto@example.com}
  - {id: vic, role: viewer, email: vic@example.com}
  - {id: sue, role: stakeholder, email: sue@example.com}
teams:
  - {name: red, members: [rob], managers: [mia], services: [checkout]}
  - {name: blue, managers: [otto], services: [search]}
schedules:
  - name: red-shifts
    team: red
    time_zone: UTC
    layers: [{name: all, start: "2026-02-23T09:00:00", rotation: {type: weekly}, users: [rob]}]
  - name: blue-shifts
    team: blue
    time_zone: UTC
    layers: [{name: all, start: "2026-02-23T09:00:00", rotation: {type: weekly}, users: [otto]}]
escalation_policies:
  - name: red-policy
    team: red
    levels: [{delay: 5m, targets: [{user: rob}]}]
  - name: blue-policy
    team: blue
    levels: [{delay: 5m, targets: [{user: otto}]}]
"""

RANK = {"S": 1, "V": 2, "R": 3, "A": 5}
#: Approving a dangerous remediation is a second person's word: no service token may.
PERSON_ONLY = {
    "/api/remediation/runs/{run_id}/approve",
    "/api/remediation/runs/{run_id}/reject",
}
#: The people, by role.
PEOPLE = {"sue": "S", "vic": "V", "rob": "R", "mia": "R", "ada": "A"}
SERVICE = {"read": "V", "respond": "R", "manage": "A"}


def table(text: str) -> dict[tuple[str, str], str]:
    rows = {}
    for line in text.strip().splitlines():
        method, path, level = line.split()
        rows[(method, path)] = level
    return rows


def allowed(level: str, method: str, rank: str | None, integration: bool = False) -> bool:
    """Whether a caller of ``rank`` (None: an integration token) may call the route."""
    if level == "nobody":
        return False
    if level == "-":
        return True
    if level == "am":
        need = "V" if method == "GET" else "R"
        return integration or (rank is not None and RANK[rank] >= RANK[need])
    return not integration and rank is not None and RANK[rank] >= RANK[level]


@pytest.fixture
def site(web: Any) -> Web:
    w: Web = web(config=CONFIG.replace("{", "{{").replace("}", "}}") + "{extra}")
    return w


def _personal(w: Web, user: str) -> str:
    # Made directly (as the CLI does) with the widest scope: the role alone limits it.
    _, token = w.runtime.api_tokens.create(
        kind="personal", name=f"{user}-all", scope="manage", created_by="tests", owner=user
    )
    return token


def _service(w: Web, scope: str, team: str | None = None) -> str:
    _, token = w.runtime.api_tokens.create(
        kind="service", name=f"svc-{scope}-{team}", scope=scope, created_by="tests", team=team
    )
    return token


def _call(w: Web, method: str, url: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = None if method in ("GET", "DELETE") else {}
    r = w.client.request(method, url, json=body, headers=headers)
    return r.status_code


def test_the_table_names_every_api_route(site: Web) -> None:
    routes = {(m, p) for m, p, _ in api_routes(site.client.app) if p.startswith("/api/")}
    assert routes == set(table(API)), routes ^ set(table(API))


def test_every_api_route_for_every_role(site: Web) -> None:
    w = site
    spec = table(API)
    callers: list[tuple[str, str | None, str | None, bool]] = [
        (f"person {user}", _personal(w, user), rank, False) for user, rank in PEOPLE.items()
    ]
    callers += [(f"service {s}", _service(w, s), rank, False) for s, rank in SERVICE.items()]
    _, am = w.runtime.integrations.create("prom-am", IntegrationKind.ALERTMANAGER)
    callers.append(("alertmanager integration", am, None, True))
    callers.append(("nobody", None, None, False))
    checked = 0
    for (method, path), level in spec.items():
        for who, token, rank, integration in callers:
            user = who.split()[-1] if who.startswith("person") else "ada"
            url = filled(path, {"user_id": user, "step": "approve"}, default="999")
            assert url is not None
            if path == "/api/users/{user_id}/test-page" and not who.startswith("person"):
                level_here = "A"  # a service token tests someone else's contact methods
            elif path in PERSON_ONLY and not who.startswith("person"):
                level_here = "nobody"
            else:
                level_here = level
            may = allowed(level_here, method, rank, integration) and (
                token is not None or level_here == "-"
            )
            code = _call(w, method, url, token)
            if level_here == "-":
                # Its own credentials decide (an integration's or a heartbeat's token).
                assert code != 403 and code < 500, (who, method, path, code)
            elif may:
                assert code not in (401, 403) and code < 500, (who, method, path, code)
            else:
                assert code in (401, 403), (who, method, path, code)
                if token is not None and not integration:
                    assert code == 403, (who, method, path, code)
            checked += 1
    assert checked == len(spec) * len(callers)


WEB = """
GET / S
GET /ui/live S
GET /incidents S
POST /incidents R
GET /incidents/{incident_id} S
POST /incidents/{incident_id}/{action} R
GET /silences/new R
POST /silences R
GET /silences V
POST /silences/{silence_id}/expire R
GET /alerts V
GET /alerts/{fingerprint} V
GET /oncall/{name}/override R
POST /oncall/{name}/overrides R
POST /oncall/overrides/{override_id}/remove R
GET /oncall/policies V
GET /oncall V
POST /oncall/calendar-link V
GET /reports/oncall V
GET /reports/oncall.csv V
GET /integrations V
GET /heartbeats V
POST /heartbeats/{name}/rotate A
GET /deliveries V
GET /deliveries/{delivery_id} V
GET /deliveries/messages/{message_id} V
GET /people V
GET /people/{user_id} S
POST /people/{user_id}/profile S
POST /people/{user_id}/profile/reset S
POST /people/{user_id}/test-page R
POST /people/{user_id}/password S
GET /tokens S
POST /tokens S
GET /incidents/{incident_id}/postmortem V
POST /incidents/{incident_id}/postmortem/{action} R
GET /postmortems V
GET /runbooks V
GET /runbooks/new R
POST /runbooks/new R
GET /runbooks/{slug}.md V
GET /runbooks/{slug} V
GET /runbooks/{slug}/edit R
POST /runbooks/{slug}/edit R
POST /runbooks/{slug}/review R
GET /slos V
GET /slos/{slo_id} V
GET /reports V
GET /reports/incidents.csv V
GET /reports/alerts.csv V
GET /drills V
POST /drills R
GET /drills/tabletop V
POST /drills/tabletop/sessions R
GET /drills/tabletop/sessions/{session_id} V
POST /drills/tabletop/sessions/{session_id}/step R
POST /drills/tabletop/sessions/{session_id}/answers R
POST /drills/tabletop/sessions/{session_id}/participants R
POST /drills/tabletop/sessions/{session_id}/finish R
GET /drills/tabletop/sessions/{session_id}/report V
GET /drills/tabletop/sessions/{session_id}/report.md V
GET /drills/{incident_id} V
GET /drills/{incident_id}/report.md V
GET /actions V
POST /action-items/new R
POST /action-items/{item_id}/status R
GET /remediation V
POST /incidents/{incident_id}/remediation/run R
POST /remediation/runs/{run_id}/approve R
POST /remediation/runs/{run_id}/reject R
"""

#: Pages a team's managers reach for their team's objects (tested one by one below); and
#: pages open to everyone or checking their own link tokens.
WEB_OBJECT = {
    ("POST", "/integrations"),
    ("POST", "/integrations/{integration_id}/rotate"),
    ("POST", "/tokens/{token_id}/revoke"),
}
WEB_SKIP = {("POST", "/logout"), ("GET", "/ui/live")}


def test_every_page_and_form_for_every_role(site: Web) -> None:
    w = site
    spec = table(WEB)
    web_routes = {
        (m, p)
        for m, p, route in api_routes(w.client.app)
        if not p.startswith("/api/")
        and getattr(route, "endpoint", None) is not None
        and route.endpoint.__module__.startswith("tocsin.web.")
        and not re.match(r"^/(login|logout|status)(/|$)", p)
    }
    missing = web_routes - set(spec) - WEB_OBJECT - {("POST", "/logout")}
    # Pages only admins reach (not in the web access table) are in API's audit or OIDC.
    missing = {r for r in missing if not r[1].startswith(("/audit", "/people/{user_id}/unlock"))}
    assert not missing, missing
    w.alert("HighErrorRate", severity="critical")
    for user, rank in PEOPLE.items():
        w.sign_in(user)
        csrf = w.csrf("/tokens")
        for (method, path), level in spec.items():
            if (method, path) in WEB_SKIP:
                continue
            url = filled(path, {"user_id": user, "action": "note", "incident_id": "1"}, "999")
            assert url is not None
            if method == "GET":
                r = w.client.get(url, follow_redirects=False)
            else:
                r = w.client.post(url, data={"csrf": csrf}, follow_redirects=False)
            may = RANK[rank] >= RANK[level]
            if may:
                assert r.status_code != 403 and r.status_code < 500, (user, method, path)
            else:
                assert r.status_code == 403, (user, method, path, r.status_code)
