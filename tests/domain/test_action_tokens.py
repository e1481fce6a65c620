from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from tocsin.domain.action_tokens import (
    ActionClaim,
    TokenError,
    TokenProblem,
    sign,
    verify,
)

KEY = b"k" * 32
OTHER_KEY = b"o" * 32
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CLAIM = ActionClaim(42, "alice@example.com", "ack", T0 + timedelta(hours=1))
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

users = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}", fullmatch=True)
whole_seconds = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(9000, 12, 31), timezones=st.just(UTC)
).map(lambda t: t.replace(microsecond=0))
claims = st.builds(
    ActionClaim,
    incident_id=st.integers(min_value=0, max_value=10**12),
    user=users,
    action=st.sampled_from(["ack", "resolve", "open"]),
    expires_at=whole_seconds,
)
# Fixed-length keys, as generated: HMAC pads short keys with zero bytes, so b"k" and b"k\0"
# are the same key.
keys = st.binary(min_size=32, max_size=32)


def problem_of(token: str, key: bytes = KEY, now: datetime = T0) -> TokenProblem:
    with pytest.raises(TokenError) as caught:
        verify(token, key, now)
    return caught.value.problem


# -- the wire format, built by hand ---------------------------------------------------------


def test_token_is_base64url_of_payload_and_truncated_hmac() -> None:
    payload = b"42.a.1772370000.alice@example.com"  # 2026-03-01T13:00:00Z
    mac = hmac.new(KEY, b"tocsin/action-token/v1\n" + payload, hashlib.sha256).digest()
    expected = base64.urlsafe_b64encode(payload + mac[:16]).decode().rstrip("=")
    assert sign(CLAIM, KEY) == expected


def test_token_fits_in_an_sms_link() -> None:
    token = sign(CLAIM, KEY)
    assert len(token) <= 80
    assert set(token) <= set(ALPHABET)


# -- table tests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "claim",
    [
        CLAIM,
        replace(CLAIM, action="resolve"),
        replace(CLAIM, action="open"),
        replace(CLAIM, incident_id=0),
        replace(CLAIM, user="a"),
        replace(CLAIM, user="first.last+pager@sub.example.co"),
        replace(CLAIM, user="1.2.3"),  # dots where the payload separators are
        replace(CLAIM, user="U-1_x"),
        replace(CLAIM, expires_at=datetime(2026, 3, 1, 14, 0, tzinfo=timezone(timedelta(hours=1)))),
    ],
)
def test_round_trip(claim: ActionClaim) -> None:
    assert verify(sign(claim, KEY), KEY, T0) == claim


def test_claims_differing_in_any_field_get_different_tokens() -> None:
    variants = [
        CLAIM,
        replace(CLAIM, incident_id=43),
        replace(CLAIM, user="alice@example.co"),
        replace(CLAIM, action="resolve"),
        replace(CLAIM, expires_at=CLAIM.expires_at + timedelta(seconds=1)),
    ]
    assert len({sign(c, KEY) for c in variants}) == len(variants)


def test_a_user_with_dots_cannot_shift_fields() -> None:
    # "1.a.2.b" and "1" + "a.2.b" style confusions: each user comes back whole.
    for user in ["a.2.b", "r.9.x", "o", "9.o.1"]:
        claim = replace(CLAIM, incident_id=1, user=user)
        assert verify(sign(claim, KEY), KEY, T0).user == user


@pytest.mark.parametrize(
    ("now", "problem"),
    [
        (CLAIM.expires_at - timedelta(hours=2), None),
        (CLAIM.expires_at - timedelta(microseconds=1), None),
        (CLAIM.expires_at, TokenProblem.EXPIRED),
        (CLAIM.expires_at + timedelta(seconds=1), TokenProblem.EXPIRED),
        (CLAIM.expires_at + timedelta(days=365), TokenProblem.EXPIRED),
    ],
)
def test_expiry_boundary(now: datetime, problem: TokenProblem | None) -> None:
    token = sign(CLAIM, KEY)
    if problem is None:
        assert verify(token, KEY, now) == CLAIM
    else:
        assert problem_of(token, now=now) is problem


def test_expiry_is_signed_to_the_second_rounding_down() -> None:
    claim = replace(CLAIM, expires_at=T0 + timedelta(seconds=10, microseconds=999_999))
    token = sign(claim, KEY)
    assert verify(token, KEY, T0).expires_at == T0 + timedelta(seconds=10)
    assert verify(token, KEY, T0 + timedelta(seconds=9, microseconds=999_999))
    assert problem_of(token, now=T0 + timedelta(seconds=10)) is TokenProblem.EXPIRED


def test_error_message_names_the_reason() -> None:
    with pytest.raises(TokenError, match="expired"):
        verify(sign(CLAIM, KEY), KEY, CLAIM.expires_at)
    with pytest.raises(TokenError, match="bad signature"):
        verify(sign(CLAIM, OTHER_KEY), KEY, T0)
    with pytest.raises(TokenError, match="malformed"):
        verify("%%%", KEY, T0)
    assert issubclass(TokenError, ValueError)


def _recode(token: str, payload: bytes) -> str:
    """The token with its payload replaced and its MAC kept."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    return base64.urlsafe_b64encode(payload + raw[-16:]).decode().rstrip("=")


VALID = sign(CLAIM, KEY)


@pytest.mark.parametrize(
    ("token", "problem"),
    [
        ("", TokenProblem.MALFORMED),
        ("not a token", TokenProblem.MALFORMED),
        ("abc", TokenProblem.MALFORMED),  # decodes to 2 bytes: shorter than a MAC
        ("A" * 21, TokenProblem.MALFORMED),  # 4n+1 characters is never base64
        (VALID + "=", TokenProblem.MALFORMED),  # padding is not part of the format
        (VALID + "==", TokenProblem.MALFORMED),
        (" " + VALID, TokenProblem.MALFORMED),
        (VALID + "\n", TokenProblem.MALFORMED),
        (VALID.replace("-", "+").replace("_", "/") + "+/", TokenProblem.MALFORMED),
        ("A" * 10_000, TokenProblem.MALFORMED),
        (VALID + "AAAA", TokenProblem.BAD_SIGNATURE),
        ("A" * 32, TokenProblem.BAD_SIGNATURE),
        (_recode(VALID, b"42.a.1772370000.mallory@example.com"), TokenProblem.BAD_SIGNATURE),
        (_recode(VALID, b"43.a.1772370000.alice@example.com"), TokenProblem.BAD_SIGNATURE),
        (_recode(VALID, b"42.r.1772370000.alice@example.com"), TokenProblem.BAD_SIGNATURE),
        (_recode(VALID, b"42.a.1872370000.alice@example.com"), TokenProblem.BAD_SIGNATURE),
    ],
)
def test_rejected_tokens(token: str, problem: TokenProblem) -> None:
    assert problem_of(token) is problem


@pytest.mark.parametrize("token", [VALID[:-1], VALID[1:], VALID[:-2], VALID[2:], VALID[:30]])
def test_truncated_tokens_are_rejected(token: str) -> None:
    assert problem_of(token) in (TokenProblem.MALFORMED, TokenProblem.BAD_SIGNATURE)


def test_non_canonical_trailing_bits_are_rejected() -> None:
    # The last character of an unpadded token carries unused low bits; a string that sets
    # them decodes to the same bytes but is not the token that was issued.
    assert len(VALID) % 4 in (2, 3)
    last = ALPHABET.index(VALID[-1])
    unused_bits = 4 if len(VALID) % 4 == 2 else 2
    assert last % (1 << unused_bits) == 0
    twin = VALID[:-1] + ALPHABET[last + 1]
    assert base64.urlsafe_b64decode(twin + "=" * (-len(twin) % 4)) == base64.urlsafe_b64decode(
        VALID + "=" * (-len(VALID) % 4)
    )
    assert problem_of(twin) is TokenProblem.MALFORMED


@pytest.mark.parametrize(
    ("claim", "message"),
    [
        (replace(CLAIM, action="delete"), "unknown action"),
        (replace(CLAIM, action="ACK"), "unknown action"),
        (replace(CLAIM, user=""), "user id"),
        (replace(CLAIM, user=".alice"), "user id"),
        (replace(CLAIM, user="al ice"), "user id"),
        (replace(CLAIM, user="alice\n"), "user id"),
        (replace(CLAIM, user="ålice"), "user id"),
        (replace(CLAIM, user="a" * 400), "too long"),
        (replace(CLAIM, incident_id=-1), "negative"),
        (replace(CLAIM, expires_at=datetime(2026, 3, 1, 13, 0)), "timezone-aware"),
        (replace(CLAIM, expires_at=datetime(1969, 12, 31, 23, 59, tzinfo=UTC)), "before 1970"),
    ],
)
def test_sign_refuses_claims_it_cannot_express(claim: ActionClaim, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        sign(claim, KEY)


def test_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="key is empty"):
        sign(CLAIM, b"")
    with pytest.raises(ValueError, match="key is empty"):
        verify(VALID, b"", T0)


# -- invariants -------------------------------------------------------------------------------


@given(claims, keys, st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(1000)))
def test_round_trip_any_claim(claim: ActionClaim, key: bytes, before: timedelta) -> None:
    assert verify(sign(claim, key), key, claim.expires_at - before) == claim


@given(claims, st.data())
def test_any_single_character_change_fails(claim: ActionClaim, data: st.DataObject) -> None:
    token = sign(claim, KEY)
    i = data.draw(st.integers(min_value=0, max_value=len(token) - 1), label="position")
    replacement = data.draw(
        st.sampled_from(ALPHABET + "=+/.~% ") | st.characters(), label="replacement"
    )
    assume(replacement != token[i])
    tampered = token[:i] + replacement + token[i + 1 :]
    with pytest.raises(TokenError) as caught:
        verify(tampered, KEY, claim.expires_at - timedelta(seconds=1))
    assert caught.value.problem in (TokenProblem.MALFORMED, TokenProblem.BAD_SIGNATURE)


@given(claims, keys, keys)
def test_a_token_signed_with_another_key_fails(claim: ActionClaim, k1: bytes, k2: bytes) -> None:
    assume(k1 != k2)
    token = sign(claim, k1)
    with pytest.raises(TokenError) as caught:
        verify(token, k2, claim.expires_at - timedelta(seconds=1))
    assert caught.value.problem is TokenProblem.BAD_SIGNATURE


@given(claims, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=1000)))
def test_expired_at_and_after_expires_at(claim: ActionClaim, after: timedelta) -> None:
    token = sign(claim, KEY)
    assert verify(token, KEY, claim.expires_at - timedelta(microseconds=1)) == claim
    with pytest.raises(TokenError) as caught:
        verify(token, KEY, claim.expires_at + after)
    assert caught.value.problem is TokenProblem.EXPIRED
