"""Reaching the running system from a request."""

from __future__ import annotations

from fastapi import Request

from tocsin.services.runtime import Runtime

__all__ = ["runtime_of"]


def runtime_of(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime
