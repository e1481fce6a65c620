"""Importers: leaving PagerDuty, Opsgenie or Grafana OnCall for Tocsin (docs/importing.md)."""
