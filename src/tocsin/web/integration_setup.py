"""How to point each kind of sender at this Tocsin: its URL(s), how it authenticates, and
configuration to paste (docs/integrations.md says the same at length).

The token is a placeholder, except on the page shown once right after the token was made:
then the snippets carry it, ready to paste."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from tocsin.domain.integrations import IntegrationKind

__all__ = ["KIND_WORDS", "PLACEHOLDER", "Setup", "setup"]

PLACEHOLDER = "<token>"

#: What each kind is for, as the page says it.
KIND_WORDS = {
    IntegrationKind.ALERTMANAGER: "Prometheus (Alertmanager API v2)",
    IntegrationKind.ALERTMANAGER_WEBHOOK: "Alertmanager webhook receiver",
    IntegrationKind.PAGERDUTY: "PagerDuty Events API v2",
    IntegrationKind.OPSGENIE: "Opsgenie Alert API",
    IntegrationKind.WEBHOOK: "Generic JSON webhook",
}


@dataclass(frozen=True)
class Snippet:
    title: str
    #: The file it goes in (or "shell").
    where: str
    text: str


@dataclass(frozen=True)
class Setup:
    #: (what, URL) pairs: where the sender posts.
    urls: list[tuple[str, str]]
    #: How the sender proves it is allowed, in words.
    auth: str
    snippets: list[Snippet]


def _prometheus_target(public_url: str) -> tuple[str, str, str]:
    """Prometheus names an Alertmanager by scheme, host:port and path prefix."""
    parts = urlsplit(public_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.scheme or "http", f"{parts.hostname}:{port}", parts.path.rstrip("/")


def _alertmanager(base: str, token: str) -> Setup:
    scheme, target, prefix = _prometheus_target(base)
    prefix_line = f"      path_prefix: {prefix}\n" if prefix else ""
    amtool_url = f"{scheme}://x:{token}@{target}{prefix}"
    return Setup(
        [("Alerts (POST; GET lists them, as amtool does)", f"{base}/api/v2/alerts")],
        "Authorization: Bearer <token> (or basic auth with the token as the password)",
        [
            Snippet(
                "Prometheus",
                "prometheus.yml",
                "alerting:\n"
                "  alertmanagers:\n"
                f"    - scheme: {scheme}\n"
                f"{prefix_line}"
                "      api_version: v2\n"
                f'      static_configs: [{{targets: ["{target}"]}}]\n'
                "      authorization:\n"
                f'        credentials: "{token}"\n',
            ),
            Snippet(
                "amtool",
                "shell",
                f"amtool alert query --alertmanager.url='{amtool_url}'\n",
            ),
        ],
    )


def _alertmanager_webhook(base: str, token: str) -> Setup:
    url = f"{base}/integrations/alertmanager"
    return Setup(
        [("Webhook receiver (POST)", url)],
        "Authorization: Bearer <token> (or basic auth with the token as the password)",
        [
            Snippet(
                "Alertmanager",
                "alertmanager.yml",
                "receivers:\n"
                "  - name: tocsin\n"
                "    webhook_configs:\n"
                f"      - url: {url}\n"
                "        send_resolved: true\n"
                "        http_config:\n"
                "          authorization:\n"
                f'            credentials: "{token}"\n',
            )
        ],
    )


def _pagerduty(base: str, token: str) -> Setup:
    url = f"{base}/v2/enqueue"
    return Setup(
        [("Events API v2 URL (POST)", url)],
        "The token is the routing key (routing_key in each event; “integration key” in "
        "senders' settings)",
        [
            Snippet(
                "Alertmanager's PagerDuty receiver",
                "alertmanager.yml",
                "receivers:\n"
                "  - name: tocsin\n"
                "    pagerduty_configs:\n"
                f"      - url: {url}\n"
                f'        routing_key: "{token}"\n',
            ),
            Snippet(
                "Any Events v2 sender",
                "shell",
                f"curl -X POST {url} -H 'Content-Type: application/json' -d '{{\n"
                f'  "routing_key": "{token}", "event_action": "trigger",\n'
                '  "dedup_key": "db-1/disk",\n'
                '  "payload": {"summary": "Disk 95% full on db-1", "source": "db-1",\n'
                '              "severity": "critical"}}\'\n',
            ),
        ],
    )


def _opsgenie(base: str, token: str) -> Setup:
    return Setup(
        [
            ("API URL (the sender adds /v2/alerts)", f"{base}/"),
            ("Alerts (POST)", f"{base}/v2/alerts"),
        ],
        "The token is the API key: Authorization: GenieKey <token>",
        [
            Snippet(
                "Alertmanager's Opsgenie receiver",
                "alertmanager.yml",
                "receivers:\n"
                "  - name: tocsin\n"
                "    opsgenie_configs:\n"
                f"      - api_url: {base}/\n"
                f'        api_key: "{token}"\n',
            ),
            Snippet(
                "Any Opsgenie sender",
                "shell",
                f"curl -X POST {base}/v2/alerts -H 'Content-Type: application/json' \\\n"
                f"  -H 'Authorization: GenieKey {token}' \\\n"
                '  -d \'{"message": "Login check failed", "alias": "synthetic-login", '
                '"priority": "P1"}\'\n',
            ),
        ],
    )


def _webhook(base: str, token: str) -> Setup:
    url = f"{base}/integrations/webhook/{token}"
    return Setup(
        [("Webhook URL (POST; the token is part of it: keep the URL secret)", url)],
        "The token is in the URL",
        [
            Snippet(
                "Any JSON sender",
                "shell",
                f"curl -X POST {url} -H 'Content-Type: application/json' -d '{{\n"
                '  "title": "Login check failed", "status": "firing",\n'
                '  "dedup_key": "synthetic-login", "severity": "critical",\n'
                '  "labels": {"service": "auth"}}\'\n',
            )
        ],
    )


_SETUPS = {
    IntegrationKind.ALERTMANAGER: _alertmanager,
    IntegrationKind.ALERTMANAGER_WEBHOOK: _alertmanager_webhook,
    IntegrationKind.PAGERDUTY: _pagerduty,
    IntegrationKind.OPSGENIE: _opsgenie,
    IntegrationKind.WEBHOOK: _webhook,
}


def setup(kind: IntegrationKind, public_url: str, token: str | None = None) -> Setup:
    """How to send to an integration of ``kind`` on the Tocsin at ``public_url``."""
    return _SETUPS[kind](public_url.rstrip("/"), token or PLACEHOLDER)
