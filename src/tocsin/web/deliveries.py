"""Pages: deliveries (being built)."""

from __future__ import annotations

from tocsin.web.routing import web_router

__all__ = ["router"]

router = web_router()
