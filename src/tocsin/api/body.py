"""Reading request bodies with a size limit."""

from __future__ import annotations

from fastapi import Request

from tocsin.errors import PayloadTooLarge

__all__ = ["read_body"]


async def read_body(request: Request) -> bytes:
    """The whole body, or PayloadTooLarge as soon as it passes the configured limit."""
    limit: int = request.app.state.runtime.settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)
