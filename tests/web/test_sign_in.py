"""Signing in: argon2 passwords, sessions in cookies, CSRF on every form, sign out."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.web.conftest import PASSWORD
from tocsin.store.tables import accounts, web_sessions


def test_pages_need_a_session_and_send_you_back_after_sign_in(web):
    w = web()
    r = w.client.get("/?status=triggered", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/%3Fstatus%3Dtriggered"
    form = w.client.get(r.headers["location"])
    assert 'name="next" value="/?status=triggered"' in form.text


def test_sign_in_sets_an_http_only_cookie_and_shows_the_board(web):
    w = web()
    r = w.sign_in("ann")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = r.headers["set-cookie"]
    assert "tocsin_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = w.client.get("/")
    assert home.status_code == 200
    assert "<h1>Home</h1>" in home.text and "Ann Example" in home.text
    assert "script-src 'self'" in home.headers["content-security-policy"]


def test_passwords_are_stored_as_argon2_and_sessions_as_digests(web):
    w = web()
    r = w.sign_in("ann")
    token = re.search(r"tocsin_session=([^;]+)", r.headers["set-cookie"]).group(1)
    with w.runtime.db.read() as conn:
        stored = conn.execute(select(accounts.c.password_hash)).scalar_one()
        digests = list(conn.execute(select(web_sessions.c.token_hash)).scalars())
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert token not in digests and len(digests) == 1


def test_a_wrong_password_is_refused_and_repeated_tries_are_throttled(web):
    w = web()
    w.account("bob")
    for _ in range(5):
        r = w.sign_in("bob", "wrong password!")
        assert r.status_code == 401 and "Wrong user or password" in r.text
    r = w.sign_in("bob", PASSWORD)  # locked: the right password too, in the same words
    assert r.status_code == 401 and "Wrong user or password, or too many tries" in r.text
    assert w.client.get("/", follow_redirects=False).status_code == 303


def test_people_sign_in_with_their_email_too(web):
    w = web()
    w.account("bob")
    form = w.client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = w.client.post(
        "/login",
        data={"login": "BOB@example.com", "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "Bob Example" in w.client.get("/").text


def test_sign_in_without_the_forms_secret_is_refused(web):
    w = web()
    w.account("ann")
    r = w.client.post("/login", data={"login": "ann", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 401 and "expired" in r.text
    assert w.client.get("/", follow_redirects=False).status_code == 303


def test_the_next_page_is_only_ever_on_this_site(web):
    w = web()
    w.account("ann")
    form = w.client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = w.client.post(
        "/login",
        data={"login": "ann", "password": PASSWORD, "csrf": token, "next": "//evil.example/x"},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/"


def test_forms_without_the_session_csrf_secret_are_refused(web):
    w = web()
    w.sign_in("ann")
    r = w.client.post("/logout", data={"csrf": "forged"}, follow_redirects=False)
    assert r.status_code == 403 and "reload the page" in r.text
    r = w.client.post(
        "/logout",
        data={"csrf": w.csrf()},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    assert w.client.get("/", follow_redirects=False).status_code == 200


def test_sign_out_ends_the_session_on_the_server(web):
    w = web()
    r = w.sign_in("ann")
    token = re.search(r"tocsin_session=([^;]+)", r.headers["set-cookie"]).group(1)
    out = w.post("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    w.client.cookies.set("tocsin_session", token)  # a copy of the old cookie is worthless
    assert w.client.get("/", follow_redirects=False).status_code == 303


def test_a_new_password_ends_every_session(web):
    w = web()
    w.sign_in("bob")
    w.runtime.accounts.set_password("bob", "another long password")
    assert w.client.get("/", follow_redirects=False).status_code == 303


def test_sessions_end_after_twelve_hours_idle(web):
    from datetime import timedelta

    w = web()
    w.sign_in("ann")
    w.harness.clock.advance(timedelta(hours=11))
    assert w.client.get("/").status_code == 200
    w.harness.clock.advance(timedelta(hours=11, minutes=50))
    assert w.client.get("/").status_code == 200  # seen 11 hours ago: still on
    w.harness.clock.advance(timedelta(hours=12, minutes=1))
    assert w.client.get("/", follow_redirects=False).status_code == 303


def test_an_email_someone_puts_on_their_profile_does_not_take_over_anothers_sign_in(web):
    w = web()
    w.account("bob")
    w.runtime.accounts.save_profile("ann", {"email": "bob@example.com"})
    w.runtime.accounts.set_password("ann", "anns own password")
    form = w.client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    r = w.client.post(
        "/login",
        data={"login": "bob@example.com", "password": PASSWORD, "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303  # bob, by the email in the configuration file
    assert "Bob Example" in w.client.get("/").text


def test_forms_behind_a_reverse_proxy_pass_the_origin_check(routed, receiver):
    from tests.web.conftest import CONFIG, Web

    harness = routed(CONFIG.format(url=receiver.url, extra=""))
    harness.runtime.settings.external_url = "https://tocsin.example.com"
    w = Web(harness)
    w.sign_in("ann")
    r = w.client.post(
        "/logout",
        data={"csrf": w.csrf()},
        headers={"Origin": "https://tocsin.example.com", "Host": "127.0.0.1:8080"},
        follow_redirects=False,
    )
    assert r.status_code == 303


def test_creating_an_account_twice_is_refused_and_keeps_the_admin(web):
    from tocsin.errors import InputError

    w = web()
    w.runtime.accounts.create("root", PASSWORD, admin=True)
    try:
        w.runtime.accounts.create("root", "another password")
    except InputError as exc:
        assert "already has an account" in str(exc)
    else:
        raise AssertionError("a second create was accepted")
    assert w.runtime.accounts.account("root").admin
