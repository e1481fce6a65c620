"""Remediation actions' runs: who ran what, the result and the output."""

from __future__ import annotations

from tocsin.store.metadata import metadata  # noqa: F401
