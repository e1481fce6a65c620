"""Loading the configuration file as the server runs it: routing, receivers' channels and
the contact methods' providers."""

from __future__ import annotations

from tocsin.channels.providers import build_providers
from tocsin.channels.registry import build_receivers
from tocsin.config.compile import RoutingConfig, load_config
from tocsin.config.secret_refs import KeySource, from_environment

__all__ = ["load_configuration"]


def load_configuration(path: str, keys: KeySource = from_environment) -> RoutingConfig:
    """Routing, inhibition, time intervals, every receiver's channels and the paging
    providers, checked together; ConfigError lists every problem with file:line: key.
    ``enc:`` values are decrypted with ``keys`` (docs/security.md#secrets)."""
    return load_config(
        path, receivers_hook=build_receivers, providers_hook=build_providers, keys=keys
    )
