"""Addresses from alerts (runbooks, dashboards, sources) that may become links."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["web_address"]


def web_address(text: str) -> str | None:
    """``text`` if it is an http(s) address (never javascript:, data: or something that is
    not a URL at all), else None."""
    value = text.strip()
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[oops"
        return None
    return value if parts.scheme in ("http", "https") and parts.netloc else None
