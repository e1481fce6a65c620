"""Admins see on the people pages whose account is locked after wrong passwords, and unlock
it with a button (a CSRF-checked form post); nobody else sees it or may do it."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.web.accessibility import check_page
from tests.web.conftest import PASSWORD
from tests.web.test_sign_in_lockout import fail


def unlock_form(html: str, user: str) -> bool:
    return f'action="/people/{user}/unlock"' in html


def test_an_admin_sees_the_lock_and_unlocks_it(web):
    w = web()
    w.account("bob")
    fail(w, "bob")
    assert w.sign_in("bob", PASSWORD).status_code == 401
    w.sign_in("ann")  # an admin
    people = w.client.get("/people")
    assert people.status_code == 200 and check_page(people.text) == []
    row = re.search(r'<tr id="person-bob">.*?</tr>', people.text, re.S)
    assert row and "Locked" in row.group(0) and "until 13:01" in row.group(0)  # Berlin time
    assert unlock_form(people.text, "bob") and not unlock_form(people.text, "cat")
    page = w.client.get("/people/bob")
    assert check_page(page.text) == [] and unlock_form(page.text, "bob")

    r = w.post("/people/bob/unlock")
    assert r.status_code == 303 and r.headers["location"] == "/people/bob?done=unlocked#sign-in"
    after = w.client.get(r.headers["location"])
    assert "Unlocked: they may sign in again now." in after.text
    assert not unlock_form(after.text, "bob") and "Locked" not in after.text
    assert w.runtime.accounts.locked() == {}
    assert w.sign_in("bob", PASSWORD).status_code == 303  # at once, no waiting


def test_unlocking_someone_not_locked_says_so(web):
    w = web()
    w.sign_in("ann")
    r = w.post("/people/cat/unlock")
    assert r.headers["location"] == "/people/cat?done=not-locked#sign-in"
    assert "That account was not locked." in w.client.get(r.headers["location"]).text
    assert w.post("/people/nobody/unlock").status_code == 404


def test_only_admins_see_locks_and_may_unlock(web):
    w = web()
    w.account("bob")
    fail(w, "bob")
    w.sign_in("cat")  # not an admin
    assert not unlock_form(w.client.get("/people").text, "bob")
    page = w.client.get("/people/bob")
    assert "Locked" not in page.text and not unlock_form(page.text, "bob")
    r = w.post("/people/bob/unlock")
    assert r.status_code == 403 and "admins" in r.text
    assert "bob" in w.runtime.accounts.locked()


def test_unlocking_needs_the_forms_secret(web):
    w = web()
    w.account("bob")
    fail(w, "bob")
    w.sign_in("ann")
    r = w.client.post("/people/bob/unlock", data={"csrf": "0" * 64}, follow_redirects=False)
    assert r.status_code == 403
    assert "bob" in w.runtime.accounts.locked()


def test_the_lock_goes_away_by_itself_when_it_ends(web):
    w = web()
    w.account("bob")
    fail(w, "bob")
    w.sign_in("ann")
    assert unlock_form(w.client.get("/people").text, "bob")
    w.harness.clock.advance(timedelta(minutes=1))
    assert not unlock_form(w.client.get("/people").text, "bob")
