"""A real Tocsin server in a subprocess, for tests that need a process to kill or a port
that real peers (Prometheus, Alertmanager) can reach."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

__all__ = ["LiveServer", "free_port"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(
        self, database_url: str, workdir: Path, *, env: dict[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "TOCSIN_DATABASE_URL": database_url, **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"tocsin-{self.port}.log"

    def cli(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tocsin", *args],
            env=self.env,
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=60,
            input=stdin,
        )
        if done.returncode != 0:
            raise RuntimeError(f"tocsin {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def create_integration(self, name: str, kind: str) -> str:
        out = self.cli("integration", "create", name, "--kind", kind)
        match = re.search(r"\b[0-9a-f]{32}\b", out)
        assert match, out
        return match.group(0)

    def create_api_token(self, name: str = "tests") -> str:
        """A service API token that may do everything (scope manage, no team)."""
        out = self.cli("token", "create", name, "--service", "--scope", "manage")
        match = re.search(r"\btocsin_s_[A-Za-z0-9_-]+", out)
        assert match, out
        return match.group(0)

    def start(self, timeout: float = 30) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tocsin", "serve", "--port", str(self.port)],
                env=self.env,
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"tocsin exited early: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"tocsin not ready in {timeout}s: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing, like a power cut for the process."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
