"""Loading the configuration file as the server runs it: routing plus receivers' channels."""

from __future__ import annotations

from tocsin.channels.registry import build_receivers
from tocsin.config.compile import RoutingConfig, load_config

__all__ = ["load_configuration"]


def load_configuration(path: str) -> RoutingConfig:
    """Routing, inhibition, time intervals and every receiver's channels, checked together;
    ConfigError lists every problem with file:line: key."""
    return load_config(path, receivers_hook=build_receivers)
