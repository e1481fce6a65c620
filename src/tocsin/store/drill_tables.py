"""Drills and tabletop exercises, and their reports."""

from __future__ import annotations

from tocsin.store.metadata import metadata  # noqa: F401
