"""A Tocsin whose single sign-on is a real OpenID Connect provider on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider
from tests.web.conftest import Web


@pytest.fixture
def provider(clock: Any) -> Iterator[OidcProvider]:
    """The provider, on the tests' clock (Tocsin checks ID tokens on its clock)."""
    with OidcProvider(now=lambda: clock.now().timestamp()) as running:
        yield running


@pytest.fixture
def sso(web: Any, provider: OidcProvider, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Web]:
    """``sso(**settings)``: a Tocsin whose single sign-on is ``provider``; ``settings`` are
    more ``TOCSIN_*`` settings by their lower-case names (``oidc_button="..."``)."""

    def make(extra: str = "", **settings: str) -> Web:
        monkeypatch.setenv("TOCSIN_OIDC_ISSUER", provider.url)
        monkeypatch.setenv("TOCSIN_OIDC_CLIENT_ID", CLIENT_ID)
        monkeypatch.setenv("TOCSIN_OIDC_CLIENT_SECRET", CLIENT_SECRET)
        for name, value in settings.items():
            monkeypatch.setenv("TOCSIN_" + name.upper(), value)
        return web(extra)

    return make
