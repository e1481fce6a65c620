"""The configuration file in the audit log: loaded at start when it differs from the one
last recorded, reloaded on request; by digests and the sections that changed, never the
file's text (it holds tokens and passwords)."""

from __future__ import annotations

import json
from typing import Any

from tests.audit.conftest import Web, entries, only
from tocsin import origin


def test_start_reload_and_restart_record_the_changes_of_the_file(web: Any) -> None:
    secret = 'global:\n  slack_api_url: "https://hooks.slack.test/T000/B000/very-secret"\n'
    w: Web = web(extra=secret)
    loaded = only(w.runtime, "config.loaded")
    assert loaded.before is None
    assert loaded.after is not None
    assert loaded.after["added"] == sorted(loaded.after["sections"])
    assert "route" in loaded.after["sections"] and "global" in loaded.after["sections"]
    assert loaded.object_kind == "config" and loaded.object_id == str(w.harness.config)

    w.harness.restart()  # the same file: nothing changed
    assert len(entries(w.runtime, "config")) == 1

    text = w.harness.config.read_text().replace("repeat_interval: 4h", "repeat_interval: 2h")
    with origin.acting(origin.Origin("api", "10.0.0.9", "token:deploy")):
        w.harness.reload(text)
    reloaded = only(w.runtime, "config.reloaded")
    assert (reloaded.actor, reloaded.via, reloaded.address) == ("token:deploy", "api", "10.0.0.9")
    assert reloaded.after is not None and reloaded.before is not None
    assert reloaded.after["changed"] == ["route"]
    assert reloaded.after["added"] == [] and reloaded.after["removed"] == []
    assert reloaded.before["digest"] == loaded.after["digest"]
    assert reloaded.after["digest"] != loaded.after["digest"]

    # Edited while Tocsin was away: recorded at the next start, against the last entry.
    w.harness.config.write_text(text.replace(secret, ""))
    w.harness.restart()
    again = entries(w.runtime, "config")[-1]
    assert again.action == "config.loaded"
    assert again.after is not None and again.after["removed"] == ["global"]
    assert again.after["changed"] == []
    everything = json.dumps([(e.before, e.after) for e in entries(w.runtime)])
    assert "very-secret" not in everything and "hooks.slack.test" not in everything


def test_a_reload_through_the_api_names_the_caller(web: Any) -> None:
    w: Web = web()
    response = w.client.post("/-/reload", headers=w.harness.api)
    assert response.status_code == 200, response.text
    reloaded = only(w.runtime, "config.reloaded")
    assert (reloaded.via, reloaded.address) == ("api", "testclient")
    assert reloaded.after is not None and reloaded.after["changed"] == []
