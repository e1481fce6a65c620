"""Single sign-on with a real OpenID Connect provider on loopback: the button, the whole
authorization-code flow with PKCE, who it signs in, and the clear pages when it fails."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests.oidc_provider import CLIENT_ID
from tests.receiver_server import refused_url
from tests.web.accessibility import check_page
from tests.web.conftest import PASSWORD
from tests.web.sso.sso_flow import (
    at_provider,
    back_to_tocsin,
    problem,
    signed_in_as,
    sso_sign_in,
)
from tests.web.test_sign_in_lockout import fail
from tocsin.store.tables import web_sessions


def sessions(w) -> list[str]:
    with w.runtime.db.read() as conn:
        return list(conn.execute(select(web_sessions.c.user_id)).scalars())


def test_signing_in_with_the_provider_signs_in_the_person_with_that_email(sso, provider):
    w = sso()
    provider.identity["email"] = "Bob@Example.com"  # emails match whatever their case
    r = sso_sign_in(w, "/incidents?status=open")
    assert r.status_code == 303 and r.headers["location"] == "/incidents?status=open"
    cookie = r.headers.get_list("set-cookie")
    assert any(c.startswith("tocsin_session=") and "HttpOnly" in c for c in cookie)
    assert any(c.startswith("tocsin_oidc=") and "Max-Age=0" in c for c in cookie)  # used up
    assert signed_in_as(w) == "bob"
    assert sessions(w) == ["bob"]  # the same server-side session a password makes
    # The form posts of the session work: it has its CSRF secret.
    assert w.post("/logout").status_code == 303 and signed_in_as(w) is None


def test_the_flow_uses_pkce_state_and_nonce(sso, provider):
    w = sso()
    answer = at_provider(w)
    asked = provider.requests_to("/authorize")[-1].params
    assert asked["response_type"] == "code" and asked["client_id"] == CLIENT_ID
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert len(asked["state"]) >= 32 and len(asked["nonce"]) >= 32
    assert asked["scope"].split() == ["openid", "email", "profile"]
    assert asked["redirect_uri"] == "http://tocsin.test/login/oidc/callback"
    # The verifier is never in the browser's address bar; the provider checked it.
    assert back_to_tocsin(w, answer.headers["location"]).status_code == 303
    token = provider.requests_to("/token")[-1]
    verifier = token.params["code_verifier"]
    assert len(verifier) >= 43 and verifier not in str(asked) and verifier not in answer.text
    assert token.headers["authorization"].startswith("Basic ")  # the secret is not in the form
    assert "client_secret" not in token.params


def test_without_single_sign_on_there_is_no_button(web):
    plain = web()
    page = plain.client.get("/login")
    assert "/login/oidc" not in page.text and 'name="password"' in page.text
    off = plain.client.get("/login/oidc", follow_redirects=False)
    assert off.status_code == 404 and "Single sign-on is not set up here" in off.text
    assert plain.runtime.sso is None


def test_the_sign_in_page_shows_the_button_when_configured(sso):
    w = sso(oidc_button="Sign in with Okta")
    page = w.client.get("/login?next=/alerts")
    assert page.status_code == 200 and check_page(page.text) == []
    button = re.search(r'<a class="button" id="sso" href="([^"]+)">([^<]+)</a>', page.text)
    assert button and button.groups() == ("/login/oidc?next=/alerts", "Sign in with Okta")
    assert 'name="password"' in page.text  # passwords still allowed by default


def test_without_passwords_the_page_offers_only_single_sign_on(sso):
    w = sso(password_sign_in="false")
    page = w.client.get("/login")
    assert 'id="sso"' in page.text and 'name="password"' not in page.text
    w.account("ann")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is None  # no form at all
    r = w.client.post("/login", data={"login": "ann", "password": PASSWORD, "csrf": "x"})
    assert r.status_code == 403 and "Passwords are not used here" in problem(r)
    assert signed_in_as(w) is None
    assert sso_sign_in(w).status_code == 303 and signed_in_as(w) == "ann"


def test_a_state_that_does_not_match_is_refused(sso, provider):
    w = sso()
    answer = at_provider(w).headers["location"]
    forged = re.sub(r"state=[^&]+", "state=someone-elses", answer)
    r = back_to_tocsin(w, forged)
    assert r.status_code == 400
    assert "not for the sign-in started in this browser" in problem(r)
    assert signed_in_as(w) is None and sessions(w) == []
    assert provider.requests_to("/token") == []  # the code was not even exchanged


def test_an_answer_in_another_browser_is_refused(sso):
    """Login CSRF: someone else's callback link opened here signs no one in."""
    w = sso()
    answer = at_provider(w).headers["location"]
    w.client.cookies.clear()  # another browser: it did not start this sign-in
    r = back_to_tocsin(w, answer)
    assert r.status_code == 400 and "started in another browser" in problem(r)
    assert sessions(w) == []


def test_a_callback_cannot_be_used_twice(sso):
    w = sso()
    answer = at_provider(w).headers["location"]
    assert back_to_tocsin(w, answer).status_code == 303
    w.client.cookies.delete("tocsin_session")
    again = back_to_tocsin(w, answer)
    assert again.status_code == 400 and sessions(w) == ["ann"]


def test_the_providers_refusal_is_shown(sso, provider):
    w = sso()
    provider.deny = "access_denied"
    r = sso_sign_in(w)
    assert r.status_code == 401
    assert problem(r) == "The sign-in provider did not sign you in: The user said no."
    assert sessions(w) == []
    # An error that is not an answer to this browser's sign-in: its words are not shown.
    forged = re.sub(r"state=[^&]+", "state=forged", at_provider(w).headers["location"])
    r = back_to_tocsin(w, forged)
    assert r.status_code == 400 and "The user said no" not in r.text


def test_someone_tocsin_does_not_know_is_refused_by_name(sso, provider):
    w = sso()
    provider.identity["email"] = "zed@example.com"
    r = sso_sign_in(w)
    assert r.status_code == 403 and check_page(r.text) == []
    assert "You signed in at the provider as zed@example.com" in problem(r)
    assert "no one in Tocsin has the email zed@example.com" in problem(r)
    assert "aria-invalid" not in r.text  # nothing wrong with the password form
    assert sessions(w) == [] and "zed" not in w.runtime.accounts.everyone()


def test_an_unverified_email_signs_no_one_in(sso, provider):
    w = sso()
    provider.identity["email_verified"] = False  # ann's address, not proven hers
    r = sso_sign_in(w)
    assert r.status_code == 403 and "has not verified your email" in problem(r)
    assert sessions(w) == []


def test_a_claim_can_name_the_user_id(sso, provider):
    w = sso(oidc_username_claim="preferred_username")
    provider.identity.update(email="c.at@corp.example", preferred_username="cat")
    assert sso_sign_in(w).status_code == 303 and signed_in_as(w) == "cat"
    provider.identity.update(preferred_username="nobody", email="bob@example.com")
    assert sso_sign_in(w).status_code == 303 and signed_in_as(w) == "bob"  # then the email


def test_people_from_an_allowed_domain_join_as_viewers(sso, provider):
    w = sso(oidc_create_people_from="corp.example, example.org")
    provider.identity.update(email="dan@corp.example", name="Dan New")
    assert sso_sign_in(w).status_code == 303 and signed_in_as(w) == "dan"
    account = w.runtime.accounts.account("dan")
    assert account is not None and account.password_hash is None and not account.admin
    assert (account.name, account.email, account.role) == ("Dan New", "dan@corp.example", "viewer")
    assert sso_sign_in(w).status_code == 303 and len(w.runtime.accounts.everyone()) == 1
    provider.identity.update(email="eve@elsewhere.example")
    r = sso_sign_in(w)
    assert r.status_code == 403 and "eve" not in w.runtime.accounts.everyone()


def test_a_new_person_whose_name_is_taken_gets_their_whole_email_as_id(sso, provider):
    w = sso(oidc_create_people_from="corp.example")
    provider.identity.update(email="bob@corp.example")  # "bob" is Bob Example already
    assert sso_sign_in(w).status_code == 303 and signed_in_as(w) == "bob@corp.example"


def test_lockout_after_wrong_passwords_does_not_apply_to_single_sign_on(sso, provider):
    w = sso()
    w.account("bob")
    fail(w, "bob")
    assert w.sign_in("bob", PASSWORD).status_code == 401
    provider.identity["email"] = "bob@example.com"
    assert sso_sign_in(w).status_code == 303 and signed_in_as(w) == "bob"
    assert "bob" in w.runtime.accounts.locked()  # passwords stay locked


def test_an_unreachable_provider_gives_a_page_not_an_error(web, monkeypatch):
    monkeypatch.setenv("TOCSIN_OIDC_ISSUER", refused_url())
    monkeypatch.setenv("TOCSIN_OIDC_CLIENT_ID", CLIENT_ID)
    w = web()
    r = w.client.get("/login/oidc", follow_redirects=False)
    assert r.status_code == 502 and check_page(r.text) == []
    assert "could not reach the sign-in provider" in problem(r)


def test_a_provider_claiming_another_issuer_is_not_used(sso, provider):
    w = sso()
    provider.metadata["issuer"] = "https://login.elsewhere.example"
    r = w.client.get("/login/oidc", follow_redirects=False)
    assert r.status_code == 502 and "not the one configured" in problem(r)
    assert provider.requests_to("/authorize") == []


def test_the_secret_goes_in_the_form_when_the_provider_takes_only_that(sso, provider):
    provider.metadata["token_endpoint_auth_methods_supported"] = ["client_secret_post"]
    w = sso()
    assert sso_sign_in(w).status_code == 303 and signed_in_as(w) == "ann"
    token = provider.requests_to("/token")[-1]
    assert "authorization" not in token.headers and token.params["client_secret"]


def test_the_key_set_is_fetched_again_when_the_provider_rotates_its_key(sso, provider):
    w = sso()
    assert sso_sign_in(w).status_code == 303
    provider.rotate()  # Tocsin has the old key set cached
    assert sso_sign_in(w).status_code == 303 and signed_in_as(w) == "ann"
    assert len(provider.requests_to("/jwks")) == 2


def test_discovery_is_cached_for_an_hour(sso, provider):
    w = sso()
    sso_sign_in(w)
    sso_sign_in(w)
    assert len(provider.requests_to("/.well-known/openid-configuration")) == 1
    w.harness.clock.advance(timedelta(hours=1))
    sso_sign_in(w)
    assert len(provider.requests_to("/.well-known/openid-configuration")) == 2
