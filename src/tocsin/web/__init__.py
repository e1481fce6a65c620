"""The web UI: server-rendered pages (Jinja2) for the people on call."""
