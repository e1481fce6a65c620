"""The web tests' fixtures (a routed Tocsin with a browser-like client; quick password
hashing), for the access and token tests here."""

from tests.web.conftest import quick_password_hashing, web  # noqa: F401 - fixtures
