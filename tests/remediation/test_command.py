"""Command actions: harmless programs, run with no shell and a minimal environment; a
failure, and a timeout that kills the process group."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tocsin.domain.remediation import RunState, command_env
from tocsin.integrations.remediation_command import run_command


def test_echo_succeeds_with_its_output(remediation: Any) -> None:
    r = remediation()
    incident = r.incident()
    run = r.run(incident, "echo")
    assert run.state is RunState.SUCCEEDED
    assert run.result == 0
    assert run.output == "flushed cache\n"
    assert [e.kind for e in r.timeline(incident)][-1] == "remediation.succeeded"
    assert "succeeded (exit status 0)" in r.timeline(incident)[-1].text
    assert "/bin/echo flushed cache requested by bob" in r.timeline(incident)[0].text


def test_a_failing_command_is_a_failed_run(remediation: Any) -> None:
    r = remediation()
    incident = r.incident()
    run = r.run(incident, "exit-1")
    assert run.state is RunState.FAILED
    assert run.result == 1
    assert run.reason == "exited with status 1"
    assert r.timeline(incident)[-1].kind == "remediation.failed"


def test_a_command_over_its_timeout_is_killed(remediation: Any) -> None:
    r = remediation()
    incident = r.incident()
    started = time.monotonic()
    run = r.run(incident, "sleep")
    assert time.monotonic() - started < 10
    assert run.state is RunState.TIMED_OUT
    assert run.reason == "still running after 0.3s: killed"
    assert r.timeline(incident)[-1].kind == "remediation.timed_out"


def test_the_command_gets_only_its_own_environment(tmp_path: Any) -> None:
    env = command_env(7, "flush", {"service": "api", "alertname": "X"}, "/usr/bin:/bin")
    out = run_command(["/usr/bin/env"], env, 5)
    assert out.state is RunState.SUCCEEDED
    lines = set(out.output.splitlines())
    assert lines == {
        "PATH=/usr/bin:/bin",
        "LANG=C.UTF-8",
        "TOCSIN_INCIDENT_ID=7",
        "TOCSIN_ACTION=flush",
        "TOCSIN_LABEL_SERVICE=api",
        "TOCSIN_LABEL_ALERTNAME=X",
    }
    assert "TOCSIN_TEST_TOKEN" not in out.output


def test_the_whole_process_group_is_killed(tmp_path: Any) -> None:
    """A child the command started dies with it at the timeout."""
    pidfile = tmp_path / "child.pid"
    script = f"/bin/sleep 30 & echo $! > {pidfile}; wait"
    out = run_command(["/bin/sh", "-c", script], {"PATH": "/bin:/usr/bin"}, 0.5)
    assert out.state is RunState.TIMED_OUT
    child = int(pidfile.read_text())
    try:  # gone, or a zombie waiting for init to reap it
        state = (Path("/proc") / str(child) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        state = "gone"
    assert state in ("gone", "Z", "X")


def test_output_is_cut_at_16_kib() -> None:
    out = run_command(["/usr/bin/head", "-c", "100000", "/dev/zero"], {"PATH": "/bin"}, 5)
    assert out.state is RunState.SUCCEEDED
    assert len(out.output.encode()) < 16 * 1024 + 100
    assert "more bytes cut" in out.output


def test_a_missing_program_fails_to_start() -> None:
    out = run_command(["/nonexistent/tool"], {}, 1)
    assert out.state is RunState.FAILED
    assert out.reason == "could not start /nonexistent/tool: No such file or directory"
