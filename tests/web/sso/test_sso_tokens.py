"""Every ID token the provider sends is checked before anyone is signed in: signature,
issuer, audience, nonce, expiry and issue time (on Tocsin's clock). A bad one gives a page
that says what was wrong, never a 500, and signs no one in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import START
from tests.oidc_provider import rsa_key
from tests.web.accessibility import check_page
from tests.web.sso.sso_flow import problem, signed_in_as, sso_sign_in
from tocsin.store.tables import web_sessions

NOW = int(START.timestamp())  # the tests' clock: 2026-03-01 12:00 UTC


def session_count(w) -> int:
    with w.runtime.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(web_sessions)).scalar_one())


def refused(w, words: str) -> None:
    before = session_count(w)
    r = sso_sign_in(w)
    assert r.status_code == 401, r.text
    assert check_page(r.text) == []
    assert problem(r).startswith("The sign-in provider's ID token was refused: ")
    assert words in problem(r), problem(r)
    assert signed_in_as(w) is None and session_count(w) == before


@pytest.mark.parametrize(
    ("claims", "words"),
    [
        ({"nonce": "a nonce from another sign-in"}, "does not belong to this sign-in (nonce)"),
        ({"nonce": None}, "lacks a required claim (nonce)"),
        ({"aud": "another-app"}, "meant for another application (aud)"),
        ({"aud": ["another-app", "a-third"]}, "meant for another application (aud)"),
        ({"iss": "https://login.elsewhere.example"}, "issued by another provider (iss)"),
        ({"exp": NOW - 61}, "it has expired (exp)"),
        ({"iat": NOW + 3600, "exp": NOW + 7200}, "issued in the future (iat)"),
        ({"sub": None}, "lacks a required claim (sub)"),
        ({"azp": "another-app"}, "issued to another application (azp)"),
        ({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"}, "does not match its access token (at_hash)"),
    ],
)
def test_a_bad_claim_is_refused(sso, provider, claims, words):
    w = sso()
    provider.claims.update(claims)
    refused(w, words)


def test_a_signature_by_another_key_is_refused(sso, provider):
    w = sso()
    provider.sign_with = rsa_key("forger")  # the same kid as the provider's real key
    refused(w, "its signature does not verify with the provider's keys")


def test_a_key_the_provider_does_not_publish_is_refused(sso, provider):
    w = sso()
    provider.key = rsa_key("unpublished")  # signs with a kid the key set lacks
    refused(w, "its signature does not verify")


def test_an_unsigned_token_is_refused(sso, provider):
    import base64
    import json

    w = sso()

    def unsigned(grant) -> str:
        def part(value: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

        claims = {"iss": provider.url, "aud": "tocsin-test", "sub": "x", "iat": NOW}
        claims |= {"exp": NOW + 300, "nonce": grant.nonce, "email": "ann@example.com"}
        return part({"alg": "none"}) + "." + part(claims) + "."

    provider.id_token = unsigned
    refused(w, "")


def test_expiry_is_judged_on_tocsins_clock_with_a_minute_of_leeway(sso, provider, clock):
    """The tests' clock is in 2026; the provider's tokens are dated by it, so these sign-ins
    work only because Tocsin checks them on its own clock, not the machine's."""
    w = sso()
    provider.claims["exp"] = NOW - 59  # expired, but within the leeway for clock skew
    assert sso_sign_in(w).status_code == 303 and signed_in_as(w) == "ann"
    provider.claims["exp"] = NOW + 600
    clock.advance(timedelta(minutes=11))  # Tocsin's clock passes it
    refused(w, "it has expired (exp)")
