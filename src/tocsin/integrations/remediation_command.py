"""A remediation action's command: run with no shell, in its own process group, with only
the environment it is given (``domain.remediation.command_env``). Its standard output and
error are read together, keeping ``OUTPUT_LIMIT`` bytes (the rest is read and dropped, so
the command never blocks on a full pipe). At the timeout the whole process group is killed
(SIGKILL), children included. Exit status 0 succeeded; any other failed.

The timeout is one deadline for the whole run: a command that exits but leaves a child
holding its output open is waited for only until the deadline, then its group is killed;
after a kill the output is read for at most one more second."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence

from tocsin.domain.remediation import OUTPUT_LIMIT, Outcome, RunState, truncate

__all__ = ["run_command"]


def run_command(argv: Sequence[str], env: Mapping[str, str], timeout: float) -> Outcome:
    deadline = time.monotonic() + timeout
    try:
        process = subprocess.Popen(
            list(argv),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
            cwd="/",
        )
    except OSError as exc:
        return Outcome(RunState.FAILED, reason=f"could not start {argv[0]}: {exc.strerror}")
    kept = bytearray()
    dropped = 0

    def pump() -> None:
        nonlocal dropped
        assert process.stdout is not None
        fd = process.stdout.fileno()
        while chunk := os.read(fd, 65536):
            room = OUTPUT_LIMIT + 1 - len(kept)
            kept.extend(chunk[:room])
            dropped += max(0, len(chunk) - room)

    reader = threading.Thread(target=pump, name="remediation-output", daemon=True)
    reader.start()
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        reader.join(1)
        return Outcome(
            RunState.TIMED_OUT,
            None,
            _text(kept, dropped),
            f"still running after {timeout:g}s: killed",
        )
    reader.join(max(0.0, deadline - time.monotonic()))
    if reader.is_alive():  # a child still holds the output open: the group goes
        _kill_group(process)
        reader.join(1)
    output = _text(kept, dropped)
    if code == 0:
        return Outcome(RunState.SUCCEEDED, code, output)
    return Outcome(RunState.FAILED, code, output, f"exited with status {code}")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _text(kept: bytearray, dropped: int) -> str:
    text = truncate(bytes(kept).decode("utf-8", "replace"))
    if dropped and "more bytes cut" not in text:
        text += f"\n[... {dropped} more bytes cut]"
    return text
