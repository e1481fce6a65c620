"""Credentials from request headers: Bearer, Basic (the password is the token), GenieKey."""

from __future__ import annotations

import base64
import binascii

from fastapi import Request

__all__ = ["token_from_headers"]


def token_from_headers(
    request: Request, schemes: tuple[str, ...] = ("bearer", "basic")
) -> str | None:
    header = request.headers.get("authorization")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme not in schemes or not value:
        return None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, password = decoded.partition(":")
        return password or user
    return value
