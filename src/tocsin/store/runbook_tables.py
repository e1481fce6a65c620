"""Runbooks written in the web UI, and which incidents used which runbook."""

from __future__ import annotations

from tocsin.store.metadata import metadata  # noqa: F401
