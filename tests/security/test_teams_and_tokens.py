"""API tokens (personal and service: scoped, team-bound, expiring, hashed, shown once,
revocable) and what teams own: a team's objects are changed by that team only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.security.test_access_table import CONFIG
from tests.web.conftest import Web
from tocsin.cli.main import app
from tocsin.domain.integrations import IntegrationKind
from tocsin.services.runbooks import Fields
from tocsin.store.security_tables import api_tokens

runner = CliRunner()


@pytest.fixture
def site(web: Any) -> Web:
    w: Web = web(config=CONFIG.replace("{", "{{").replace("}", "}}") + "{extra}")
    return w


def token(w: Web, owner: str | None, scope: str = "manage", team: str | None = None) -> str:
    _, made = w.runtime.api_tokens.create(
        kind="personal" if owner else "service",
        name=f"{owner or 'svc'}-{scope}-{team}",
        scope=scope,
        created_by="tests",
        owner=owner,
        team=team,
    )
    return made


def bearer(t: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {t}"}


def declare(w: Web, team: str | None = None, **extra: Any) -> int:
    body = {"title": f"Broken {team}", "severity": "SEV2", "team": team, **extra}
    r = w.client.post("/api/incidents", json=body, headers=bearer(token(w, "ada")))
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def timeline_actors(w: Web, incident: int) -> list[str]:
    r = w.client.get(f"/api/incidents/{incident}/timeline", headers=bearer(token(w, "ada")))
    return [e["actor"] for e in r.json()]


def test_a_personal_token_acts_as_its_owner_and_no_one_else(site: Web) -> None:
    w = site
    incident = declare(w, "red")
    rob = bearer(token(w, "rob"))
    other = w.client.post(
        f"/api/incidents/{incident}/notes", json={"text": "as mia", "user": "mia"}, headers=rob
    )
    assert other.status_code == 403 and "acts as its owner 'rob'" in other.text
    own = w.client.post(f"/api/incidents/{incident}/acknowledge", json={}, headers=rob)
    assert own.status_code == 200, own.text
    assert own.json()["acknowledgedBy"] == "rob"
    assert "mia" not in timeline_actors(w, incident)


def test_a_service_token_acts_as_itself_or_on_behalf_of_a_named_person(site: Web) -> None:
    w = site
    incident = declare(w)
    svc = bearer(token(w, None, "respond"))
    w.client.post(f"/api/incidents/{incident}/notes", json={"text": "bot"}, headers=svc)
    named = w.client.post(
        f"/api/incidents/{incident}/notes", json={"text": "for rob", "user": "rob"}, headers=svc
    )
    assert named.status_code == 200
    nobody = w.client.post(
        f"/api/incidents/{incident}/notes", json={"text": "x", "user": "zed"}, headers=svc
    )
    assert nobody.status_code == 400 and "user" in nobody.text
    actors = timeline_actors(w, incident)
    assert "token:svc-respond-None" in actors and "rob" in actors


def test_scope_narrows_what_a_person_may_do(site: Web) -> None:
    w = site
    incident = declare(w)
    read = bearer(token(w, "rob", "read"))
    assert w.client.get(f"/api/incidents/{incident}", headers=read).status_code == 200
    refused = w.client.post(f"/api/incidents/{incident}/acknowledge", json={}, headers=read)
    assert refused.status_code == 403 and "scope is read" in refused.text
    respond = bearer(token(w, "rob", "respond"))
    ok = w.client.post(f"/api/incidents/{incident}/acknowledge", json={}, headers=respond)
    assert ok.status_code == 200
    # A manage-scoped token of a viewer is still a viewer's.
    vic = bearer(token(w, "vic", "manage"))
    assert w.client.post(f"/api/incidents/{incident}/notes", json={"text": "x"}, headers=vic)
    assert (
        w.client.post(f"/api/incidents/{incident}/notes", json={"text": "x"}, headers=vic)
    ).status_code == 403


def test_a_team_token_acts_on_its_team_only(site: Web) -> None:
    w = site
    red, blue = declare(w, "red"), declare(w, "blue")
    blue_bot = bearer(token(w, None, "respond", team="blue"))
    refused = w.client.post(f"/api/incidents/{red}/acknowledge", json={}, headers=blue_bot)
    assert refused.status_code == 403 and "team 'blue'" in refused.text
    ok = w.client.post(f"/api/incidents/{blue}/acknowledge", json={}, headers=blue_bot)
    assert ok.status_code == 200
    # The incident's team comes from its policy, or its service's owner, when not given.
    by_service = declare(w, None, service="checkout")
    refused = w.client.post(f"/api/incidents/{by_service}/resolve", json={}, headers=blue_bot)
    assert refused.status_code == 403
    # Reading is not limited by the team.
    assert w.client.get(f"/api/incidents/{red}", headers=blue_bot).status_code == 200


def test_tokens_expire_are_revoked_and_are_stored_only_as_digests(site: Web) -> None:
    w = site
    ada = bearer(token(w, "ada"))
    made = w.client.post(
        "/api/tokens", json={"name": "ci", "scope": "read", "expiresIn": "1h"}, headers=ada
    )
    assert made.status_code == 201, made.text
    secret = made.json()["token"]
    assert secret.startswith("tocsin_p_") and made.json()["owner"] == "ada"
    assert w.client.get("/api/users", headers=bearer(secret)).status_code == 200
    with w.runtime.db.read() as conn:
        rows = [dict(r._mapping) for r in conn.execute(select(api_tokens))]
    assert all(secret not in str(v) for row in rows for v in row.values())
    listed = w.client.get("/api/tokens", headers=ada).json()
    assert "token" not in next(t for t in listed if t["name"] == "ci")
    assert next(t for t in listed if t["name"] == "ci")["lastUsedAt"] is not None
    w.harness.clock.advance(timedelta(hours=1, seconds=1))
    w.runtime.api_tokens.cache.clear()
    assert w.client.get("/api/users", headers=bearer(secret)).status_code == 401
    # Revoked: refused at once.
    live = w.client.post("/api/tokens", json={"name": "ci2"}, headers=ada).json()
    assert w.client.get("/api/users", headers=bearer(live["token"])).status_code == 200
    revoked = w.client.post(f"/api/tokens/{live['id']}/revoke", headers=ada)
    assert revoked.status_code == 200 and revoked.json()["revokedBy"] == "ada"
    assert w.client.get("/api/users", headers=bearer(live["token"])).status_code == 401


def test_who_may_make_and_revoke_which_tokens(site: Web) -> None:
    w = site
    vic, rob, otto = (bearer(token(w, u)) for u in ("vic", "rob", "otto"))

    def make(headers: dict[str, str], **body: Any) -> int:
        return w.client.post("/api/tokens", json={"name": "t", **body}, headers=headers).status_code

    assert make(vic, scope="read") == 201
    assert make(vic, scope="respond") == 403  # a viewer never responds
    assert make(rob, scope="respond") == 201
    assert make(rob, scope="manage") == 403  # manages no team
    assert make(rob, kind="service", scope="respond") == 403
    assert make(otto, kind="service", scope="manage", team="blue") == 201
    assert make(otto, kind="service", scope="manage", team="red") == 403
    assert make(otto, kind="service", scope="manage") == 403  # a team-less one: admins'
    assert make(rob, scope="read", team="blue") == 403  # not a member of blue
    # A read token cannot make a wider one.
    read = bearer(w.client.post("/api/tokens", json={"name": "r"}, headers=rob).json()["token"])
    assert make(read, scope="respond") == 403
    # Only the owner (or an admin) revokes a token.
    mine = w.client.post("/api/tokens", json={"name": "mine"}, headers=rob).json()["id"]
    assert w.client.post(f"/api/tokens/{mine}/revoke", headers=otto).status_code == 403
    assert w.client.post(f"/api/tokens/{mine}/revoke", headers=rob).status_code == 200
    assert {t["owner"] for t in w.client.get("/api/tokens", headers=rob).json()} == {"rob"}


def test_bad_token_requests_name_the_field(site: Web) -> None:
    w = site
    ada = bearer(token(w, "ada"))
    r = w.client.post("/api/tokens", json={"name": "x", "expiresIn": "soon"}, headers=ada)
    assert r.status_code == 400 and "expires" in r.text
    r = w.client.post("/api/tokens", json={"name": "x", "team": "green"}, headers=ada)
    assert r.status_code == 400 and "team" in r.text
    r = w.client.post("/api/tokens", json={"name": "x", "scope": "root"}, headers=ada)
    assert r.status_code == 400 and "scope" in r.text


def test_a_teams_runbooks_are_changed_by_its_members(site: Web) -> None:
    w = site
    w.runtime.runbooks.create("red-db", Fields("Red DB", "Restart it.", owner="red"), "ada")
    w.runtime.runbooks.create("anyone", Fields("Anyone", "Look."), "ada")
    version = w.runtime.runbooks.get("red-db").version

    def edit(user: str, slug: str = "red-db") -> int:
        body = {"version": version, "title": "Red DB", "body": "Twice.", "owner": "red"}
        if slug == "anyone":
            body = {"version": 1, "title": "Anyone", "body": "Look twice."}
        r = w.client.put(f"/api/runbooks/{slug}", json=body, headers=bearer(token(w, user)))
        return r.status_code

    assert edit("otto") == 403  # manages blue, not red
    assert edit("vic") == 403  # a viewer
    assert edit("rob") == 200  # a member of red
    assert edit("otto", "anyone") == 200  # no team owns it: any responder
    review = w.client.post("/api/runbooks/red-db/review", headers=bearer(token(w, "otto")))
    assert review.status_code == 403
    # Giving a runbook to another team needs a place in both.
    version = w.runtime.runbooks.get("red-db").version
    move = {"version": version, "title": "Red DB", "body": "x", "owner": "blue"}
    r = w.client.put("/api/runbooks/red-db", json=move, headers=bearer(token(w, "rob")))
    assert r.status_code == 403


def test_a_teams_managers_open_its_release_gate(site: Web) -> None:
    w = site
    body = {"service": "checkout", "reason": "hotfix", "expiresIn": "1h"}

    def grant(user: str) -> int:
        return w.client.post(
            "/api/slo-gate/exceptions", json=body, headers=bearer(token(w, user))
        ).status_code

    assert grant("otto") == 403 and grant("rob") == 403
    assert grant("mia") not in (401, 403)
    assert grant("ada") not in (401, 403)


def test_a_teams_managers_make_and_rotate_its_integrations(site: Web) -> None:
    w = site
    red, _ = w.runtime.integrations.create("red-prom", IntegrationKind.ALERTMANAGER, team="red")
    w.sign_in("otto")
    assert w.post(f"/integrations/{red.id}/rotate").status_code == 403
    assert (
        w.post("/integrations", {"name": "x", "kind": "alertmanager", "team": "red"}).status_code
        == 403
    )
    w.sign_in("rob")
    assert w.post(f"/integrations/{red.id}/rotate").status_code == 403
    w.sign_in("mia")
    page = w.client.get("/integrations").text
    assert f"/integrations/{red.id}/rotate" in page
    assert w.post(f"/integrations/{red.id}/rotate").status_code == 200
    made = w.post("/integrations", {"name": "red-2", "kind": "alertmanager", "team": "red"})
    assert made.status_code == 200 and "red-2" in made.text
    assert (
        w.post("/integrations", {"name": "x", "kind": "alertmanager", "team": ""}).status_code
        == 403
    )
    assert {i.name: i.team for i in w.runtime.integrations.list()}["red-2"] == "red"


def test_tokens_page_shows_a_token_once(site: Web) -> None:
    w = site
    w.sign_in("sue")
    nav = w.client.get("/").text
    assert 'href="/incidents"' in nav and 'href="/alerts"' not in nav  # a stakeholder's
    assert 'id="home-incidents"' in nav and 'id="home-alerts"' not in nav
    made = w.post("/tokens", {"name": "status-bot", "scope": "read", "expires": "30d"})
    assert made.status_code == 200
    shown = made.text.split('id="token" class="token mono" value="')[1].split('"')[0]
    assert shown.startswith("tocsin_p_")
    again = w.client.get("/tokens").text
    assert "status-bot" in again and shown not in again
    refused = w.post("/tokens", {"name": "x", "scope": "respond"})
    assert refused.status_code == 403


def test_the_cli_checks_the_role_of_who_acts(site: Web) -> None:
    w = site
    incident = declare(w)
    args = ["--config", str(w.harness.config), "--database-url", w.harness.db_url]
    viewer = runner.invoke(app, ["incident", "ack", str(incident), "--as", "vic", *args])
    assert viewer.exit_code == 1 and "vic: a viewer cannot act" in viewer.output
    ok = runner.invoke(app, ["incident", "ack", str(incident), "--as", "rob", *args])
    assert ok.exit_code == 0, ok.output
    silence = ["silence", "add", "alertname=Up", "-c", "maintenance", *args]
    refused = runner.invoke(app, [*silence, "-a", "sue"])
    assert refused.exit_code == 1 and "sue: a stakeholder cannot act" in refused.output
    assert runner.invoke(app, [*silence, "-a", "rob"]).exit_code == 0
    # Someone the configuration does not know is the operator at the terminal (amtool's
    # --author defaults to $USER too).
    assert runner.invoke(app, [*silence, "-a", "root"]).exit_code == 0
    made = runner.invoke(
        app, ["token", "create", "deploy", "--service", "--scope", "respond", *args]
    )
    assert made.exit_code == 0, made.output
    secret = made.output.split("Token (shown once): ")[1].split()[0]
    assert w.client.get("/api/users", headers=bearer(secret)).status_code == 200
    listed = runner.invoke(app, ["token", "list", *args], env={"COLUMNS": "200"})
    assert "deploy" in listed.output and secret not in listed.output
    token_id = next(line.split()[1] for line in listed.output.splitlines() if "deploy" in line)
    assert runner.invoke(app, ["token", "revoke", token_id, *args]).exit_code == 0
    w.runtime.api_tokens.cache.clear()
    assert w.client.get("/api/users", headers=bearer(secret)).status_code == 401
    both = runner.invoke(app, ["token", "create", "x", *args])
    assert both.exit_code == 1 and "--user USER" in both.output


def test_pages_offer_only_what_the_viewer_may_do(site: Web) -> None:
    w = site
    incident = declare(w, "red")
    w.sign_in("sue")
    page = w.client.get(f"/incidents/{incident}").text
    assert "Broken red" in page and f'action="/incidents/{incident}/' not in page
    assert 'method="post" action="/incidents"' not in w.client.get("/incidents").text
    w.sign_in("rob")
    page = w.client.get(f"/incidents/{incident}").text
    assert f'action="/incidents/{incident}/acknowledge"' in page
    assert 'method="post" action="/incidents"' in w.client.get("/incidents").text


def test_a_team_bound_admin_token_is_not_a_site_admin(site: Web) -> None:
    w = site
    _, bound = w.runtime.api_tokens.create(
        kind="personal", name="ada-red", scope="manage", created_by="t", owner="ada", team="red"
    )
    assert w.client.get("/api/audit", headers=bearer(bound)).status_code == 403
    assert w.client.get("/api/audit", headers=bearer(token(w, "ada"))).status_code == 200
    red = declare(w, "red")
    ok = w.client.post(f"/api/incidents/{red}/acknowledge", json={}, headers=bearer(bound))
    assert ok.status_code == 200


def test_a_team_token_changes_its_teams_shifts_only(site: Web) -> None:
    w = site
    blue_bot = bearer(token(w, None, "respond", team="blue"))
    when = {"start": "2026-03-02T00:00:00Z", "end": "2026-03-03T00:00:00Z"}

    def override(schedule: str, user: str) -> Any:
        body = {"user": user, **when}
        return w.client.post(f"/api/schedules/{schedule}/overrides", json=body, headers=blue_bot)

    assert override("red-shifts", "otto").status_code == 403
    made = override("blue-shifts", "otto")
    assert made.status_code == 201, made.text
    red = w.client.post(
        "/api/schedules/red-shifts/overrides",
        json={"user": "rob", **when},
        headers=bearer(token(w, "rob")),
    ).json()["id"]
    assert w.client.delete(f"/api/overrides/{red}", headers=blue_bot).status_code == 403
    blue = made.json()["id"]
    assert w.client.delete(f"/api/overrides/{blue}", headers=blue_bot).status_code == 200


def test_a_service_token_acts_for_a_person_only_within_both_their_powers(site: Web) -> None:
    w = site
    incident = declare(w, "red")
    bot = bearer(token(w, None, "respond"))

    def note(user: str) -> Any:
        body = {"text": f"for {user}", "user": user}
        return w.client.post(f"/api/incidents/{incident}/notes", json=body, headers=bot)

    assert note("rob").status_code == 200
    assert note("sue").status_code == 403  # a stakeholder cannot act, not even by proxy
    refused = note("ada")  # an admin may do more than the token
    assert refused.status_code == 403 and "on behalf of 'ada'" in refused.text
    assert note("mia").status_code == 403  # a team's manager too
    admin_bot = bearer(token(w, None, "manage"))
    body = {"text": "by the admin token", "user": "ada"}
    ok = w.client.post(f"/api/incidents/{incident}/notes", json=body, headers=admin_bot)
    assert ok.status_code == 200
    # The audit log names the token behind what a person was recorded as doing.
    rows = list(w.runtime.audit.each(w.runtime.audit.query(action="incident.")))
    assert any(r.actor == "rob" and "token:" in (r.via or "") for r in rows), rows


def test_a_token_passes_its_limits_to_the_tokens_it_makes(site: Web) -> None:
    w = site
    _, parent = w.runtime.api_tokens.create(
        kind="personal",
        name="rob-red",
        scope="respond",
        created_by="t",
        owner="rob",
        team="red",
        lifetime=timedelta(days=1),
    )
    made = w.client.post(
        "/api/tokens",
        json={"name": "child", "scope": "respond", "expiresIn": "never"},
        headers=bearer(parent),
    )
    assert made.status_code == 201, made.text
    child = made.json()
    assert child["team"] == "red" and child["expiresAt"] is not None
    other = w.client.post("/api/tokens", json={"name": "x", "team": "blue"}, headers=bearer(parent))
    assert other.status_code == 403
    # A read token revokes nothing; a revoked token cannot be revoked twice.
    read = bearer(token(w, "ada", "read"))
    assert w.client.post(f"/api/tokens/{child['id']}/revoke", headers=read).status_code == 403
    ada = bearer(token(w, "ada"))
    assert w.client.post(f"/api/tokens/{child['id']}/revoke", headers=ada).status_code == 200
    assert w.client.post(f"/api/tokens/{child['id']}/revoke", headers=ada).status_code == 409
    # A team's manager sees and revokes the team's service tokens.
    bot_id, _ = w.runtime.api_tokens.create(
        kind="service", name="blue-bot", scope="respond", created_by="otto", team="blue"
    )
    otto = bearer(token(w, "otto"))
    assert "blue-bot" in {t["name"] for t in w.client.get("/api/tokens", headers=otto).json()}
    revoked = w.client.post(f"/api/tokens/{bot_id.id}/revoke", headers=otto)
    assert revoked.status_code == 200
    mia = bearer(token(w, "mia"))
    assert "blue-bot" not in {t["name"] for t in w.client.get("/api/tokens", headers=mia).json()}


def test_contact_details_are_masked_for_everyone_but_the_person_and_admins(site: Web) -> None:
    w = site
    text = w.harness.config.read_text().replace(
        "{id: rob, email: rob@example.com}",
        '{id: rob, email: rob@example.com, phone: "+4915112345678", '
        'webhook_url: "https://hooks.example.com/secret-path-rob"}',
    )
    w.harness.reload(text)
    vic = w.client.get("/api/users/rob", headers=bearer(token(w, "vic"))).json()
    assert vic["phone"] != "+4915112345678" and "secret-path-rob" not in vic["webhookUrl"]
    own = w.client.get("/api/users/rob", headers=bearer(token(w, "rob"))).json()
    assert own["phone"] == "+4915112345678"
    admin = w.client.get("/api/users/rob", headers=bearer(token(w, "ada"))).json()
    assert "secret-path-rob" in admin["webhookUrl"]


def test_a_team_token_declares_and_updates_for_its_team_only(site: Web) -> None:
    w = site
    red_bot = bearer(token(w, None, "respond", team="red"))
    blue = {"title": "Blue down", "team": "blue"}
    assert w.client.post("/api/incidents", json=blue, headers=red_bot).status_code == 403
    by_policy = {"title": "Blue down", "policy": "blue-policy"}
    assert w.client.post("/api/incidents", json=by_policy, headers=red_bot).status_code == 403
    red = {"title": "Red down", "team": "red"}
    assert w.client.post("/api/incidents", json=red, headers=red_bot).status_code == 201
    public = {"name": "Outage", "status": "investigating", "body": "x"}
    r = w.client.post("/api/status-page/incidents", json=public, headers=red_bot)
    assert r.status_code == 403  # the status page is the whole site's


def test_a_nul_in_any_spelling_of_json_is_refused(site: Web) -> None:
    w = site
    incident = declare(w)
    for kind in ("Application/JSON", ""):
        r = w.client.post(
            f"/api/incidents/{incident}/notes",
            content=b'{"text": "a\\u0000b"}',
            headers={**bearer(token(w, "ada")), "Content-Type": kind},
        )
        assert r.status_code == 400 and "NUL" in r.text, (kind, r.text)


def test_a_page_link_does_not_let_a_stakeholder_act(site: Web) -> None:
    w = site
    incident = declare(w)
    link = w.runtime.incidents.link(incident, "sue", "ack")
    token_part = link.rsplit("/", 1)[-1]
    r = w.client.post(f"/act/{token_part}")
    assert r.status_code in (401, 403), r.text
    assert w.runtime.incidents.get(incident).status.value == "triggered"
