"""A small simulated alert stream for the demo: every kind of sender, firing and resolving."""

from __future__ import annotations

import contextlib
import random
import threading
from datetime import UTC, datetime, timedelta

import httpx

__all__ = ["DemoStream"]

SERVICES = ["checkout", "payments", "search", "auth", "inventory"]
PROBLEMS = [
    ("HighErrorRate", "critical", "5xx ratio above 5% for 5 minutes"),
    ("HighLatency", "warning", "p99 latency above 800ms"),
    ("DiskWillFillIn4Hours", "warning", "disk predicted to fill within 4 hours"),
    ("InstanceDown", "critical", "target has been unreachable for 1 minute"),
]

#: Who acknowledges in the demo (the demo configuration's people).
RESPONDERS = ["akiko", "kenji", "jonas", "lena", "maria", "sam"]
NOTES = [
    "Looking into it.",
    "Dashboards show it started with the last deploy.",
    "Scaled the service out by two instances.",
    "Upstream dependency is slow; opened a ticket with them.",
]


class DemoStream:
    """Posts to a running Tocsin through its real endpoints, as real senders would."""

    def __init__(self, base_url: str, tokens: dict[str, str], *, period: float = 3.0) -> None:
        self.base = base_url.rstrip("/")
        self.tokens = tokens
        self.period = period
        self.random = random.Random(7)
        self._stop = threading.Event()
        self._firing: dict[tuple[str, str, str], datetime] = {}
        self._started = datetime.now(UTC)
        self._thread = threading.Thread(target=self._run, name="demo-stream", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        with httpx.Client(timeout=5) as client:
            while not self._stop.wait(self.period):
                with contextlib.suppress(httpx.HTTPError):  # starting or stopping
                    self._tick(client)

    def _tick(self, client: httpx.Client) -> None:
        now = datetime.now(UTC)
        rnd = self.random
        if rnd.random() < 0.5 or not self._firing:
            service = rnd.choice(SERVICES)
            name, severity, _ = rnd.choice(PROBLEMS)
            instance = f"{service}-{rnd.randint(1, 3)}:9100"
            self._firing.setdefault((name, service, instance), now)
        elif rnd.random() < 0.6:
            self._firing.pop(rnd.choice(list(self._firing)))
        # Prometheus re-sends everything that fires, with endsAt a few intervals ahead.
        batch = []
        for (name, service, instance), since in self._firing.items():
            severity, summary = next((s, d) for n, s, d in PROBLEMS if n == name)
            batch.append(
                {
                    "labels": {
                        "alertname": name,
                        "service": service,
                        "instance": instance,
                        "job": service,
                        "severity": severity,
                    },
                    "annotations": {
                        "summary": f"{service}: {summary}",
                        "runbook_url": f"https://runbooks.example.com/{name}",
                    },
                    "startsAt": since.isoformat(),
                    "endsAt": (now + timedelta(minutes=4)).isoformat(),
                    "generatorURL": f"http://prometheus.example.com/graph?g0.expr={name}",
                }
            )
        batch.append(
            {
                "labels": {"alertname": "Watchdog", "severity": "none"},
                "annotations": {"summary": "Always firing: the alerting pipeline works"},
                "startsAt": self._started.isoformat(),
                "endsAt": (now + timedelta(minutes=4)).isoformat(),
            }
        )
        headers = {"Authorization": f"Bearer {self.tokens['alertmanager']}"}
        client.post(f"{self.base}/api/v2/alerts", json=batch, headers=headers)
        if rnd.random() < 0.3:
            action = rnd.choice(["trigger", "trigger", "acknowledge", "resolve"])
            client.post(
                f"{self.base}/v2/enqueue",
                json={
                    "routing_key": self.tokens["pagerduty"],
                    "event_action": action,
                    "dedup_key": f"backup-{rnd.randint(1, 2)}",
                    "payload": {
                        "summary": "Nightly backup failed on db-primary",
                        "source": "backup-runner",
                        "severity": "error",
                        "component": "postgres",
                    },
                },
            )
        if rnd.random() < 0.2:
            genie = {"Authorization": f"GenieKey {self.tokens['opsgenie']}"}
            if rnd.random() < 0.6:
                client.post(
                    f"{self.base}/v2/alerts",
                    json={
                        "message": "Certificate expires in 7 days",
                        "alias": "cert-api",
                        "priority": "P3",
                        "tags": ["tls", "api"],
                    },
                    headers=genie,
                )
            else:
                client.post(
                    f"{self.base}/v2/alerts/cert-api/close?identifierType=alias", headers=genie
                )
        # Checkout's SLO counts its requests (a bad one now and then).
        client.post(
            f"{self.base}/api/slos/checkout-requests/events",
            json={"good": 300 - (rnd.random() < 0.1), "total": 300},
            headers={"Authorization": f"Bearer {self.tokens['api']}"},
        )
        if rnd.random() < 0.2:
            self._alertmanager_notification(client, now)
        if rnd.random() < 0.3:
            self._respond(client, now)
        if rnd.random() < 0.2:
            client.post(
                f"{self.base}/integrations/webhook/{self.tokens['webhook']}",
                json={
                    "title": "Synthetic check failed: login page",
                    "status": rnd.choice(["firing", "resolved"]),
                    "dedup_key": "synthetic-login",
                    "severity": "critical",
                    "labels": {"service": "auth"},
                },
            )

    def _respond(self, client: httpx.Client, now: datetime) -> None:
        """A responder: acknowledges an incident that has paged for a few minutes (some wait
        long enough to escalate), and now and then writes a note."""
        headers = {"Authorization": f"Bearer {self.tokens['api']}"}
        found = client.get(
            f"{self.base}/api/incidents", params={"status": "triggered"}, headers=headers
        )
        if found.status_code != 200:
            return
        for incident in reversed(found.json()):
            age = now - datetime.fromisoformat(incident["createdAt"])
            if age < timedelta(minutes=self.random.choice([2, 4, 7])):
                continue
            who = self.random.choice(RESPONDERS)
            url = f"{self.base}/api/incidents/{incident['id']}"
            client.post(f"{url}/acknowledge", json={"user": who}, headers=headers)
            if self.random.random() < 0.5:
                note = self.random.choice(NOTES)
                client.post(f"{url}/notes", json={"user": who, "text": note}, headers=headers)
            return

    def _alertmanager_notification(self, client: httpx.Client, now: datetime) -> None:
        """What an Alertmanager webhook receiver gets: a group, each alert with its status."""
        status = self.random.choice(["firing", "firing", "resolved"])
        alerts = [
            {
                "status": status,
                "labels": {
                    "alertname": "KubePodCrashLooping",
                    "pod": f"api-{i}",
                    "severity": "warning",
                },
                "annotations": {"summary": f"pod api-{i} is crash looping"},
                "startsAt": (now - timedelta(minutes=10)).isoformat(),
                "endsAt": now.isoformat() if status == "resolved" else "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.example.com/graph",
                "fingerprint": "",
            }
            for i in range(2)
        ]
        client.post(
            f"{self.base}/integrations/alertmanager",
            json={
                "version": "4",
                "groupKey": '{}:{alertname="KubePodCrashLooping"}',
                "truncatedAlerts": 0,
                "status": status,
                "receiver": "tocsin",
                "groupLabels": {"alertname": "KubePodCrashLooping"},
                "commonLabels": {"alertname": "KubePodCrashLooping", "severity": "warning"},
                "commonAnnotations": {},
                "externalURL": "http://alertmanager.example.com",
                "alerts": alerts,
            },
            headers={"Authorization": f"Bearer {self.tokens['alertmanager-webhook']}"},
        )
