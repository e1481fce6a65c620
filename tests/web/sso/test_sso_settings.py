"""Single sign-on's settings are checked when Tocsin starts: a mistake is a clear error
naming the setting, not a sign-in page that breaks later."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr

from tocsin.errors import ConfigError
from tocsin.services.sso_settings import oidc_config
from tocsin.settings import Settings


def settings(**values: Any) -> Settings:
    base: dict[str, Any] = {
        "oidc_issuer": "https://sso.example.com/realms/eng/",
        "oidc_client_id": "tocsin",
        "external_url": "https://tocsin.example.com",
    }
    return Settings(**{**base, **values})


def test_off_without_an_issuer():
    assert oidc_config(Settings()) is None


def test_the_settings_as_tocsin_uses_them():
    config = oidc_config(
        settings(
            oidc_client_secret=SecretStr("s3cret"),
            oidc_scopes="email, profile groups",
            oidc_create_people_from="Example.com, @example.org",
            oidc_username_claim=" preferred_username ",
        )
    )
    assert config is not None
    assert config.issuer == "https://sso.example.com/realms/eng"  # no trailing slash
    assert config.redirect_uri == "https://tocsin.example.com/login/oidc/callback"
    assert config.scopes == ("openid", "email", "profile", "groups")
    assert config.client_secret == "s3cret" and config.username_claim == "preferred_username"
    assert config.create_domains == {"example.com", "example.org"}
    assert config.passwords and config.button == "Sign in with single sign-on"
    public = oidc_config(settings())
    assert public is not None and public.client_secret is None


@pytest.mark.parametrize(
    ("values", "words"),
    [
        (
            {"oidc_issuer": "http://sso.example.com"},
            "TOCSIN_OIDC_ISSUER: 'http://sso.example.com' must be https://",
        ),
        (
            {"oidc_issuer": "sso.example.com"},
            "TOCSIN_OIDC_ISSUER: 'sso.example.com' is not an https:// URL",
        ),
        ({"oidc_issuer": "https://sso.example.com/?realm=x"}, "must have no ?query"),
        ({"oidc_client_id": " "}, "TOCSIN_OIDC_CLIENT_ID is needed with TOCSIN_OIDC_ISSUER"),
        (
            {"oidc_create_people_from": "example.com, not a domain"},
            "'not a domain' is not an email domain",
        ),
        ({"oidc_issuer": None}, "TOCSIN_OIDC_CLIENT_ID is set but TOCSIN_OIDC_ISSUER is not"),
        (
            {"oidc_issuer": None, "oidc_client_id": None, "password_sign_in": False},
            "TOCSIN_PASSWORD_SIGN_IN=false leaves no way to sign in",
        ),
    ],
)
def test_settings_that_do_not_fit_are_refused_by_name(values, words):
    with pytest.raises(ConfigError, match=None) as refused:
        oidc_config(settings(**values))
    assert words in str(refused.value)


def test_plain_http_is_allowed_on_loopback_only():
    for issuer in ("http://127.0.0.1:9000", "http://localhost:9000/realms/x", "http://[::1]:9"):
        config = oidc_config(settings(oidc_issuer=issuer))
        assert config is not None and config.issuer == issuer
