"""Backoff and lockout after failed sign-ins (counted in the database per account and per
client address), and session lifetimes, on the fake clock."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.web.conftest import PASSWORD, Web
from tests.web.test_user_cli import tocsin
from tocsin.errors import InputError

REFUSED = "Wrong user or password, or too many tries: wait a minute and try again."


def problem(r) -> str:
    found = re.search(r'role="alert"[^>]*>\s*(.*?)\s*<', r.text, re.S)
    assert found, r.text
    return found.group(1).strip()


def attempt(w: Web, login: str, password: str):
    """The sign-in form posted (``Web.sign_in`` would make a missing account)."""
    w.client.cookies.clear()
    form = w.client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    data = {"login": login, "password": password, "csrf": token, "next": "/"}
    return w.client.post("/login", data=data, follow_redirects=False)


def fail(w: Web, user: str, times: int = 5) -> None:
    for _ in range(times):
        r = attempt(w, user, "wrong password!")
        assert r.status_code == 401 and problem(r) == REFUSED


def test_a_locked_account_refuses_the_right_password_in_the_same_words(web):
    w = web()
    w.account("bob")
    fail(w, "bob")
    r = w.sign_in("bob", PASSWORD)
    assert r.status_code == 401 and problem(r) == REFUSED
    assert w.client.get("/", follow_redirects=False).status_code == 303
    w.harness.clock.advance(timedelta(seconds=59))
    assert w.sign_in("bob", PASSWORD).status_code == 401
    w.harness.clock.advance(timedelta(seconds=2))  # a minute on: open again
    assert w.sign_in("bob", PASSWORD).status_code == 303


def test_a_name_nobody_has_answers_and_locks_exactly_like_a_real_account(web):
    w = web()
    w.account("bob")
    real, ghost = [], []
    for _ in range(6):
        real.append(problem(attempt(w, "bob", "wrong password!")))
        ghost.append(problem(attempt(w, "nobody", "wrong password!")))
    assert real == ghost == [REFUSED] * 6
    assert set(w.runtime.accounts.locked()) == {"bob", "nobody"}


def test_each_lockout_in_a_row_lasts_twice_the_last(web):
    w = web()
    w.account("bob")
    fail(w, "bob")
    w.harness.clock.advance(timedelta(minutes=1))
    fail(w, "bob")  # locked again: two minutes this time
    w.harness.clock.advance(timedelta(minutes=1, seconds=59))
    assert w.sign_in("bob", PASSWORD).status_code == 401
    w.harness.clock.advance(timedelta(seconds=2))
    fail(w, "bob")  # a third: four minutes
    w.harness.clock.advance(timedelta(minutes=3, seconds=59))
    assert w.sign_in("bob", PASSWORD).status_code == 401
    w.harness.clock.advance(timedelta(seconds=2))
    assert w.sign_in("bob", PASSWORD).status_code == 303


def test_a_successful_sign_in_resets_the_count(web):
    w = web()
    w.account("bob")
    fail(w, "bob", 4)
    assert w.sign_in("bob", PASSWORD).status_code == 303
    fail(w, "bob", 4)  # four more are not a fifth and more
    assert w.sign_in("bob", PASSWORD).status_code == 303


def test_the_lockout_is_in_the_database_so_every_node_sees_it(web):
    w = web()
    w.account("bob")
    fail(w, "bob")
    w.harness.restart()  # another process on the same database
    other = Web(w.harness)
    assert other.sign_in("bob", PASSWORD).status_code == 401


def test_signing_in_by_email_counts_on_the_same_account(web):
    w = web()
    w.account("bob")
    fail(w, "bob", 3)
    fail(w, "BOB@example.com", 2)
    assert w.sign_in("bob", PASSWORD).status_code == 401


def test_an_admin_unlocks_an_account_from_the_command_line(web):
    w = web()
    w.account("bob")
    fail(w, "bob")
    done = tocsin(w, "user", "unlock", "bob")
    assert done.exit_code == 0 and "bob may sign in now" in done.output
    assert w.sign_in("bob", PASSWORD).status_code == 303
    again = tocsin(w, "user", "unlock", "bob")
    assert again.exit_code == 0 and "bob was not locked" in again.output
    assert tocsin(w, "user", "unlock", "nobody").exit_code != 0


def test_one_address_trying_many_names_is_locked(web, monkeypatch):
    monkeypatch.setenv("TOCSIN_SIGNIN_MAX_FAILURES_PER_ADDRESS", "6")
    w = web()
    w.account("bob")
    for name in ("ann", "cat", "dan", "eve", "fay", "gus"):
        fail(w, name, 1)
    r = w.sign_in("bob", PASSWORD)  # bob has no failures, but this client has had its tries
    assert r.status_code == 401 and problem(r) == REFUSED


def test_the_limits_are_settings(web, monkeypatch):
    monkeypatch.setenv("TOCSIN_SIGNIN_MAX_FAILURES", "2")
    monkeypatch.setenv("TOCSIN_SIGNIN_LOCKOUT", "PT10M")
    w = web()
    w.account("bob")
    fail(w, "bob", 2)
    w.harness.clock.advance(timedelta(minutes=9))
    assert w.sign_in("bob", PASSWORD).status_code == 401
    w.harness.clock.advance(timedelta(minutes=1))
    assert w.sign_in("bob", PASSWORD).status_code == 303


def test_wrong_current_passwords_count_towards_the_lockout(web):
    w = web()
    w.account("bob")
    for _ in range(5):
        with pytest.raises(InputError, match="not your current password"):
            w.runtime.accounts.change_password("bob", "wrong password!", "a new long password")
    with pytest.raises(InputError, match="too many wrong passwords"):
        w.runtime.accounts.change_password("bob", PASSWORD, "a new long password")
    assert w.sign_in("bob", PASSWORD).status_code == 401


# -- sessions ------------------------------------------------------------------------------


def test_a_session_in_constant_use_still_ends_a_week_after_sign_in(web):
    w = web()
    w.sign_in("ann")
    for _ in range(15):  # a request every 11 hours: never idle for 12
        w.harness.clock.advance(timedelta(hours=11))
        assert w.client.get("/", follow_redirects=False).status_code == 200
    w.harness.clock.advance(timedelta(hours=3))  # 7 days and 6 hours after sign-in
    assert w.client.get("/", follow_redirects=False).status_code == 303


def test_the_session_limits_are_settings(web, monkeypatch):
    monkeypatch.setenv("TOCSIN_SESSION_IDLE", "PT1H")
    w = web()
    r = w.sign_in("ann")
    assert "Max-Age=604800" in r.headers["set-cookie"]
    w.harness.clock.advance(timedelta(minutes=59))
    assert w.client.get("/", follow_redirects=False).status_code == 200
    w.harness.clock.advance(timedelta(minutes=61))
    assert w.client.get("/", follow_redirects=False).status_code == 303


def test_changing_ones_password_ends_ones_other_sessions(web):
    w = web()
    w.sign_in("bob")
    old = w.client.cookies.get("tocsin_session")
    token, _ = w.runtime.accounts.change_password("bob", PASSWORD, "a new long password")
    assert w.runtime.accounts.session(old) is None
    assert w.runtime.accounts.session(token) is not None


def test_old_counts_are_forgotten(web):
    from sqlalchemy import func, select

    from tocsin.store.security_tables import sign_in_failures

    w = web()
    w.account("bob")
    fail(w, "somebody", 2)
    w.harness.clock.advance(timedelta(hours=2, minutes=16))  # the window and two caps on
    assert w.sign_in("bob", PASSWORD).status_code == 303
    with w.runtime.db.read() as conn:
        keys = conn.execute(select(sign_in_failures.c.key)).scalars().all()
        assert conn.execute(select(func.count()).select_from(sign_in_failures)).scalar() == 1
    assert keys == ["address:testclient"]  # bob's count went with his success


def test_right_passwords_do_not_count_against_the_address(web, monkeypatch):
    monkeypatch.setenv("TOCSIN_SIGNIN_MAX_FAILURES_PER_ADDRESS", "3")
    w = web()
    for user in ("ann", "bob", "cat", "ann", "bob", "cat"):  # an office behind one proxy
        assert w.sign_in(user, PASSWORD).status_code == 303
    fail(w, "nobody", 2)
    assert w.sign_in("ann", PASSWORD).status_code == 303
