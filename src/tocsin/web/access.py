"""Who may open which page and post which form: one table, checked when a page asks who
is looking (``session.viewing``), before it renders or acts (docs/security.md, "Roles and
teams"). Pages acting on one object of a team check its team themselves."""

from __future__ import annotations

from tocsin.domain.access import Need

__all__ = ["PUBLIC", "RULES", "need_of"]

#: Open to everyone (sign-in, the public status page), or checks its own link token.
PUBLIC = "public"

_S, _R, _W, _M, _A = Need.STATUS, Need.READ, Need.RESPOND, Need.MANAGE, Need.ADMIN

#: (method, path) -> what the page or form needs. Every route outside /api must be here
#: (tests/security/test_access_table.py checks); a page missing from it is admins' only.
RULES: dict[tuple[str, str], Need | str] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/login/oidc"): PUBLIC,
    ("GET", "/login/oidc/callback"): PUBLIC,
    # Incidents and the board: stakeholders read them
    ("GET", "/"): _S,
    ("GET", "/ui/live"): _S,
    ("GET", "/incidents"): _S,
    ("POST", "/incidents"): _W,
    ("GET", "/incidents/{incident_id}"): _S,
    ("POST", "/incidents/{incident_id}/{action}"): _W,
    # Alerts and silences
    ("GET", "/silences/new"): _W,
    ("POST", "/silences"): _W,
    ("GET", "/silences"): _R,
    ("POST", "/silences/{silence_id}/expire"): _W,
    ("GET", "/alerts"): _R,
    ("GET", "/alerts/{fingerprint}"): _R,
    # On call
    ("GET", "/oncall/{name}/override"): _W,
    ("POST", "/oncall/{name}/overrides"): _W,
    ("POST", "/oncall/overrides/{override_id}/remove"): _W,
    ("GET", "/oncall/policies"): _R,
    ("GET", "/oncall"): _R,
    ("POST", "/oncall/calendar-link"): _R,
    ("GET", "/reports/oncall"): _R,
    ("GET", "/reports/oncall.csv"): _R,
    # Integrations: a team's managers make and rotate its integrations (the page checks)
    ("GET", "/integrations"): _R,
    ("POST", "/integrations"): _W,
    ("POST", "/integrations/{integration_id}/rotate"): _W,
    ("GET", "/heartbeats"): _R,
    ("POST", "/heartbeats/{name}/rotate"): _A,
    ("GET", "/deliveries"): _R,
    ("GET", "/deliveries/{delivery_id}"): _R,
    ("GET", "/deliveries/messages/{message_id}"): _R,
    # People: everyone keeps their own contact methods, password and tokens; the page
    # refuses changing someone else's unless an admin asks
    ("GET", "/people"): _R,
    ("GET", "/people/{user_id}"): _S,
    ("POST", "/people/{user_id}/profile"): _S,
    ("POST", "/people/{user_id}/profile/reset"): _S,
    ("POST", "/people/{user_id}/test-page"): _W,
    ("POST", "/people/{user_id}/password"): _S,
    ("POST", "/people/{user_id}/unlock"): _A,
    ("GET", "/tokens"): _S,
    ("POST", "/tokens"): _S,
    ("POST", "/tokens/{token_id}/revoke"): _S,
    # Learning
    ("GET", "/incidents/{incident_id}/postmortem"): _R,
    ("POST", "/incidents/{incident_id}/postmortem/{action}"): _W,
    ("GET", "/postmortems"): _R,
    ("GET", "/runbooks"): _R,
    ("GET", "/runbooks/new"): _W,
    ("POST", "/runbooks/new"): _W,
    ("GET", "/runbooks/{slug}.md"): _R,
    ("GET", "/runbooks/{slug}"): _R,
    ("GET", "/runbooks/{slug}/edit"): _W,
    ("POST", "/runbooks/{slug}/edit"): _W,
    ("POST", "/runbooks/{slug}/review"): _W,
    ("GET", "/slos"): _R,
    ("GET", "/slos/{slo_id}"): _R,
    ("GET", "/reports"): _R,
    ("GET", "/reports/incidents.csv"): _R,
    ("GET", "/reports/alerts.csv"): _R,
    ("GET", "/drills"): _R,
    ("POST", "/drills"): _W,
    ("GET", "/drills/tabletop"): _R,
    ("POST", "/drills/tabletop/sessions"): _W,
    ("GET", "/drills/tabletop/sessions/{session_id}"): _R,
    ("POST", "/drills/tabletop/sessions/{session_id}/step"): _W,
    ("POST", "/drills/tabletop/sessions/{session_id}/answers"): _W,
    ("POST", "/drills/tabletop/sessions/{session_id}/participants"): _W,
    ("POST", "/drills/tabletop/sessions/{session_id}/finish"): _W,
    ("GET", "/drills/tabletop/sessions/{session_id}/report"): _R,
    ("GET", "/drills/tabletop/sessions/{session_id}/report.md"): _R,
    ("GET", "/drills/{incident_id}"): _R,
    ("GET", "/drills/{incident_id}/report.md"): _R,
    ("GET", "/actions"): _R,
    ("POST", "/action-items/new"): _W,
    ("POST", "/action-items/{item_id}/status"): _W,
    ("GET", "/remediation"): _R,
    ("POST", "/incidents/{incident_id}/remediation/run"): _W,
    ("POST", "/remediation/runs/{run_id}/approve"): _W,
    ("POST", "/remediation/runs/{run_id}/reject"): _W,
    # The audit log
    ("GET", "/audit"): _A,
    # The public status page and its subscriptions
    ("GET", "/status"): PUBLIC,
    ("GET", "/status/history"): PUBLIC,
    ("GET", "/status/incidents/{public_id}"): PUBLIC,
    ("GET", "/status/api"): PUBLIC,
    ("GET", "/status/history.atom"): PUBLIC,
    ("GET", "/status/subscribe"): PUBLIC,
    ("POST", "/status/subscribe"): PUBLIC,
    ("GET", "/status/subscribe/confirm"): PUBLIC,
    ("POST", "/status/subscribe/confirm"): PUBLIC,
    ("GET", "/status/unsubscribe"): PUBLIC,
    ("POST", "/status/unsubscribe"): PUBLIC,
}


def need_of(method: str, path: str) -> Need:
    """What the page at ``path`` needs (a page not in the table: admins only)."""
    rule = RULES.get(("GET" if method == "HEAD" else method, path), Need.ADMIN)
    return rule if isinstance(rule, Need) else Need.STATUS
