"""A personal webhook's payload says ``"drill": true`` for a drill's page (a machine cannot
be expected to read "[DRILL]" in a subject), false for a real incident's."""

from __future__ import annotations

from typing import Any

from tests.receiver_server import ReceiverServer

CONFIG = """\
route:
  receiver: nowhere
receivers:
  - name: nowhere
users:
  - {{id: eve, webhook_url: "{url}/eve"}}
escalation_policies:
  - name: bots
    levels:
      - delay: 5m
        targets: [{{user: eve}}]
"""


def test_the_webhook_payload_says_drill(routed: Any, receiver: ReceiverServer) -> None:
    h = routed(CONFIG.format(url=receiver.url))
    h.runtime.drills.run("bots", "eve", title="Bot drill")
    h.runtime.incidents.declare(title="Real", severity="SEV2", actor="eve", policy="bots")
    for _ in range(4):
        h.tick()
    bodies = {b["subject"]: b for b in receiver.bodies("/eve")}
    [drill] = [b for s, b in bodies.items() if "Bot drill" in s]
    [real] = [b for s, b in bodies.items() if "Real" in s]
    assert drill["drill"] is True and drill["subject"].startswith("[DRILL] ")
    assert real["drill"] is False
