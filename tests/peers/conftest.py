"""Real peers (Prometheus, Alertmanager, amtool) talking to a live Tocsin server.

Everything listens on 127.0.0.1 on free ports, lives in temp dirs and is killed at the end.
A missing peer binary skips with the apt package to install, except under CI=true, where it
fails the run.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import yaml

from tests.live_server import LiveServer, free_port

IN_CI = os.environ.get("CI", "").lower() == "true"

T = TypeVar("T")


def require_binary(name: str, package: str) -> str:
    """The path of a peer program, or a visible skip (a failure under CI=true)."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} not installed (apt-get install {package})"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def wait_for(
    probe: Callable[[], T | None],
    what: str,
    timeout: float = 30,
    interval: float = 0.2,
    diagnostics: Callable[[], str] = lambda: "",
) -> T:
    """Call ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except (httpx.HTTPError, sqlite3.Error, OSError) as exc:
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}; last: {last!r}\n{diagnostics()}")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def tail(path: Path, chars: int = 3000) -> str:
    try:
        return f"--- {path.name} ---\n{path.read_text(errors='replace')[-chars:]}"
    except OSError:
        return f"--- {path.name}: no log ---"


@contextmanager
def running(
    cmd: list[str], log: Path, ready_url: str, *, cwd: Path, timeout: float = 30
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``cmd``, wait until ``ready_url`` answers 200, and always kill it at the end."""
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)
    try:

        def ready() -> bool:
            if proc.poll() is not None:
                pytest.fail(f"{cmd[0]} exited with {proc.returncode}\n{tail(log)}")
            return httpx.get(ready_url, timeout=1).status_code == 200

        wait_for(ready, f"{ready_url} to be ready", timeout, 0.1, lambda: tail(log))
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@dataclass
class Tocsin:
    """A live Tocsin server with one integration of each Alertmanager kind."""

    url: str
    port: int
    token: str  # kind alertmanager: POST/GET /api/v2/alerts
    webhook_token: str  # kind alertmanager-webhook: POST /integrations/alertmanager
    db_path: Path
    log: Path
    client: httpx.Client = field(repr=False)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        r = self.client.post(f"{self.url}/api/v2/alerts", json=alerts, headers=self.auth)
        assert r.status_code == 200, r.text

    def open_alerts(self, *matchers: str) -> list[dict[str, Any]]:
        """GET /api/v2/alerts (open alerts only), filtered by label matchers."""
        r = self.client.get(
            f"{self.url}/api/v2/alerts", params=[("filter", m) for m in matchers], headers=self.auth
        )
        assert r.status_code == 200, r.text
        alerts: list[dict[str, Any]] = r.json()
        return alerts

    def stored(self) -> list[dict[str, Any]]:
        """Every current alert (head of its fingerprint) straight from the database."""
        with closing(sqlite3.connect(self.db_path, timeout=5)) as conn:
            conn.row_factory = sqlite3.Row
            rows = conn.execute(
                "SELECT fingerprint, status, labels FROM alerts WHERE head_key IS NOT NULL"
            ).fetchall()
        return [
            {
                "fingerprint": r["fingerprint"],
                "status": r["status"],
                "labels": json.loads(r["labels"]),
            }
            for r in rows
        ]

    def diagnostics(self) -> str:
        return tail(self.log)


@pytest.fixture(scope="session")
def tocsin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tocsin]:
    """One Tocsin server for the session (starting one takes seconds); tests keep apart by
    giving their alerts a unique label and filtering on it."""
    workdir = tmp_path_factory.mktemp("tocsin")
    db_path = workdir / "tocsin.db"
    server = LiveServer(f"sqlite:///{db_path}", workdir)
    token = server.create_integration("peer-prometheus", "alertmanager")
    webhook_token = server.create_integration("peer-alertmanager", "alertmanager-webhook")
    try:
        server.start()
        with httpx.Client(timeout=10) as client:
            yield Tocsin(
                url=server.url,
                port=server.port,
                token=token,
                webhook_token=webhook_token,
                db_path=db_path,
                log=server.log,
                client=client,
            )
    finally:
        server.stop()


@dataclass
class Alertmanager:
    url: str
    log: Path

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        r = httpx.post(f"{self.url}/api/v2/alerts", json=alerts, timeout=10)
        assert r.status_code == 200, r.text

    def alerts(self, *matchers: str) -> list[dict[str, Any]]:
        r = httpx.get(
            f"{self.url}/api/v2/alerts", params=[("filter", m) for m in matchers], timeout=10
        )
        assert r.status_code == 200, r.text
        alerts: list[dict[str, Any]] = r.json()
        return alerts

    def metric(self, name: str, **labels: str) -> float:
        return scrape_metric(f"{self.url}/metrics", name, **labels)


def scrape_metric(url: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels`` (text format)."""
    text = httpx.get(url, timeout=5).text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("#") or not (line.startswith(name + "{") or line.startswith(name + " ")):
            continue
        series, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in series for k, v in labels.items()):
            total += float(value)
    return total


@contextmanager
def alertmanager(workdir: Path, config: dict[str, Any]) -> Iterator[Alertmanager]:
    """A real Alertmanager (clustering off) with ``config``, killed at the end."""
    binary = require_binary("prometheus-alertmanager", "prometheus-alertmanager")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "data").mkdir(exist_ok=True)
    config_file = workdir / "alertmanager.yml"
    config_file.write_text(yaml.safe_dump(config))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        binary,
        f"--config.file={config_file}",
        f"--storage.path={workdir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
        "--log.level=debug",
    ]
    log = workdir / "alertmanager.log"
    with running(cmd, log, f"{url}/-/ready", cwd=workdir):
        yield Alertmanager(url=url, log=log)
