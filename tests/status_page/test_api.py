"""The admin API: token required, bad input named field by field, every change committed
and on record; maintenance started and completed on time by the engine."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.status_page.conftest import Status
from tocsin.store.status_tables import status_component_history


def test_the_admin_api_needs_the_token(status: Status):
    for method, path in [
        ("GET", "/components"),
        ("POST", "/components"),
        ("POST", "/incidents"),
        ("GET", "/subscribers"),
        ("DELETE", "/subscribers/1"),
        ("POST", "/maintenances"),
    ]:
        r = status.client.request(method, f"/api/status-page{path}", json={"name": "x"})
        assert r.status_code == 401, (method, path, r.text)
        r = status.client.request(
            method,
            f"/api/status-page{path}",
            json={"name": "x"},
            headers={"Authorization": "Bearer not-a-token"},
        )
        assert r.status_code == 401


@pytest.mark.parametrize(
    ("path", "body", "field", "words"),
    [
        ("/components", {}, "name", "required"),
        ("/components", {"name": "API", "status": "down"}, "status", "operational"),
        ("/components", {"name": "API", "group_id": 99}, "group_id", "no component group 99"),
        ("/components", {"name": "API", "colour": "red"}, "colour", "not permitted"),
        ("/groups", {"name": ""}, "name", "at least 1"),
        ("/incidents", {"name": "Down", "body": "x", "status": "fixed"}, "status", "investigating"),
        ("/incidents", {"name": "Down", "body": "x", "impact": "huge"}, "impact", "critical"),
        ("/incidents", {"name": "Down"}, "body", "required"),
        (
            "/incidents",
            {"name": "Down", "body": "x", "components": {"77": "major_outage"}},
            "components.77",
            "no such component",
        ),
        (
            "/incidents",
            {"name": "Down", "body": "x", "incident_id": 5},
            "incident_id",
            "no incident 5",
        ),
        (
            "/maintenances",
            {
                "name": "DB",
                "body": "x",
                "scheduled_for": "tomorrow",
                "scheduled_until": "2026-03-02T00:00Z",
            },
            "scheduled_for",
            "ISO 8601",
        ),
        (
            "/maintenances",
            {
                "name": "DB",
                "body": "x",
                "scheduled_for": "2026-03-02T01:00Z",
                "scheduled_until": "2026-03-02T00:00Z",
            },
            "scheduled_until",
            "after scheduled_for",
        ),
        (
            "/maintenances",
            {
                "name": "DB",
                "body": "x",
                "scheduled_for": "2026-03-02T01:00",
                "scheduled_until": "2026-03-02T02:00Z",
            },
            "scheduled_for",
            "UTC offset",
        ),
        ("/subscribers", {"email": "not an address"}, "email", "not an email address"),
        ("/subscribers", {"endpoint": "ftp://x.test/"}, "endpoint", "http"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(status: Status, path, body, field, words):
    r = status.client.post(f"/api/status-page{path}", json=body, headers=status.auth)
    assert r.status_code == 400, r.text
    errors = r.json()["errors"]
    # pydantic names a body field body.<name>; the service names it plainly
    assert any(e["field"] in (field, f"body.{field}") and words in e["problem"] for e in errors), (
        errors
    )
    # nothing was stored
    assert status.api("GET", "/components", expect=200) == []
    assert status.api("GET", "/incidents", expect=200) == []


def test_unknown_ids_are_404(status: Status):
    assert (
        status.client.delete("/api/status-page/components/9", headers=status.auth).status_code
        == 404
    )
    r = status.client.post(
        "/api/status-page/incidents/9/updates",
        json={"status": "resolved", "body": "done"},
        headers=status.auth,
    )
    assert r.status_code == 404
    r = status.client.post(
        "/api/status-page/components/9/status", json={"status": "major_outage"}, headers=status.auth
    )
    assert r.status_code == 404


def test_components_groups_and_their_history(status: Status):
    core = status.group("Core")
    api = status.component("API", group_id=core, description="REST and GraphQL")
    web = status.component("Website")
    status.api("PATCH", f"/groups/{core}", {"name": "Core services"}, expect=200)
    listed = status.api("GET", "/components", expect=200)
    assert [(c["name"], c["groupId"], c["status"]) for c in listed] == [
        ("API", core, "operational"),
        ("Website", None, "operational"),
    ]
    status.clock.advance(timedelta(minutes=5))
    changed = status.api(
        "POST", f"/components/{api}/status", {"status": "major_outage"}, expect=200
    )
    assert changed["status"] == "major_outage"
    status.clock.advance(timedelta(minutes=5))
    status.api(
        "PATCH", f"/components/{api}", {"status": "operational", "name": "Public API"}, expect=200
    )
    status.api("POST", f"/components/{web}/status", {"status": "operational"}, expect=200)
    with status.runtime.db.read() as conn:
        rows = conn.execute(
            select(
                status_component_history.c.component_id, status_component_history.c.status
            ).order_by(status_component_history.c.id)
        ).all()
    # Setting the status a component has is not a change.
    assert [tuple(r) for r in rows] == [
        (api, "operational"),
        (web, "operational"),
        (api, "major_outage"),
        (api, "operational"),
    ]
    status.api("DELETE", f"/groups/{core}", expect=204)
    assert status.api("GET", "/components", expect=200)[0]["groupId"] is None
    status.api("DELETE", f"/components/{web}", expect=204)
    assert [c["name"] for c in status.api("GET", "/components")] == ["Public API"]


def test_publish_update_resolve_and_link_to_an_internal_incident(status: Status):
    api = status.component("API")
    internal = status.runtime.incidents.declare(
        title="db-primary-3 OOM, paging Ann", severity="SEV2", actor="ann"
    )
    made = status.publish(
        name="Elevated API errors",
        body="We are investigating errors on the API.",
        components={str(api): "partial_outage"},
        incident_id=internal.id,
        user="ann",
    )
    assert made["impact"] == "major" and made["incidentId"] == internal.id
    assert made["updates"][0]["affectedComponents"] == [
        {
            "code": str(api),
            "name": "API",
            "old_status": "operational",
            "new_status": "partial_outage",
        }
    ]
    linked = status.runtime.status_page.linked(internal.id)
    assert linked is not None and linked.id == made["id"]
    assert status.api("GET", f"/incidents?incident_id={internal.id}")[0]["id"] == made["id"]
    status.clock.advance(timedelta(minutes=10))
    status.api(
        "POST",
        f"/incidents/{made['id']}/updates",
        {"status": "monitoring", "body": "A fix is out."},
        expect=201,
    )
    status.clock.advance(timedelta(minutes=10))
    done = status.api(
        "POST",
        f"/incidents/{made['id']}/updates",
        {"status": "resolved", "body": "Fixed."},
        expect=201,
    )
    assert [u["status"] for u in done["updates"]] == ["resolved", "monitoring", "investigating"]
    assert done["monitoringAt"] == "2026-03-01T12:10:00+00:00"
    assert done["resolvedAt"] == "2026-03-01T12:20:00+00:00"
    # Resolving brings the affected components back to operational, on record.
    assert done["updates"][0]["affectedComponents"][0]["new_status"] == "operational"
    assert status.api("GET", "/components")[0]["status"] == "operational"


def test_the_service_publish_signature_for_the_incident_workflow(status: Status):
    api = status.component("API")
    sp = status.runtime.status_page
    public = sp.publish(
        None, "Login failures", "identified", "Fix rolling out", None, {api: "major_outage"}, "ann"
    )
    assert public.impact == "critical" and public.components == (api,)
    after = sp.post_update(public.id, "resolved", "All good", {}, "ann")
    assert after.status == "resolved" and after.resolved_at == status.clock.now()
    assert sp.linked(12345) is None


def test_maintenance_starts_and_completes_on_time(status: Status):
    db = status.component("Database")
    start = status.clock.now() + timedelta(hours=2)
    made = status.api(
        "POST",
        "/maintenances",
        {
            "name": "Database upgrade",
            "body": "We upgrade PostgreSQL.",
            "scheduled_for": start.isoformat(),
            "scheduled_until": (start + timedelta(hours=1)).isoformat(),
            "component_ids": [db],
        },
        expect=201,
    )
    assert made["status"] == "scheduled" and made["impact"] == "maintenance"
    status.tick(3600)  # an hour early: nothing yet
    assert status.api("GET", f"/incidents/{made['id']}")["status"] == "scheduled"
    status.tick(3600)
    started = status.api("GET", f"/incidents/{made['id']}")
    assert started["status"] == "in_progress" and started["createdBy"] == "token:tests"
    assert started["updates"][0]["createdBy"] == "tocsin"
    assert status.api("GET", "/components")[0]["status"] == "under_maintenance"
    assert (
        status.public("/status/api/v2/status.json").json()["status"]["indicator"] == "maintenance"
    )
    status.tick(3600)
    done = status.api("GET", f"/incidents/{made['id']}")
    assert done["status"] == "completed" and done["resolvedAt"] is not None
    assert status.api("GET", "/components")[0]["status"] == "operational"


def test_a_moved_maintenance_starts_at_its_new_time(status: Status):
    status.component("Database")
    start = status.clock.now() + timedelta(hours=1)
    made = status.api(
        "POST",
        "/maintenances",
        {
            "name": "Move",
            "body": "x",
            "scheduled_for": start.isoformat(),
            "scheduled_until": (start + timedelta(hours=1)).isoformat(),
            "component_ids": [1],
        },
        expect=201,
    )
    later = start + timedelta(hours=3)
    status.api(
        "PATCH",
        f"/maintenances/{made['id']}",
        {
            "scheduled_for": later.isoformat(),
            "scheduled_until": (later + timedelta(hours=1)).isoformat(),
        },
        expect=200,
    )
    status.tick(2 * 3600)
    assert status.api("GET", f"/incidents/{made['id']}")["status"] == "scheduled"
    status.tick(2 * 3600)
    assert status.api("GET", f"/incidents/{made['id']}")["status"] == "in_progress"


def test_a_restart_keeps_the_maintenance_timer(status: Status):
    status.component("Database")
    start = status.clock.now() + timedelta(minutes=30)
    made = status.api(
        "POST",
        "/maintenances",
        {
            "name": "Durable",
            "body": "x",
            "scheduled_for": start.isoformat(),
            "scheduled_until": (start + timedelta(minutes=30)).isoformat(),
            "component_ids": [1],
        },
        expect=201,
    )
    status.harness.restart()
    status.client = status.harness.client
    status.runtime = status.harness.runtime
    status.tick(3600)
    assert status.api("GET", f"/incidents/{made['id']}")["status"] == "completed"
