"""Configuration applied on any node reaches every node: stored as a version (with every
file it read), announced, and followed; a node left behind with an older file runs the
newest version; a version that does not load on a node leaves it running the one it has."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.slo.test_slo_files import SLOTH
from tests.waiting import wait_until
from tocsin.config.files import Bundle
from tocsin.engine.clock import FakeClock
from tocsin.errors import ConfigError
from tocsin.services.config_versions import from_bundle, read_file
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import config_versions as version_store
from tocsin.store.cluster_tables import config_versions

BASE = """\
route:
  receiver: team
  group_by: [alertname]
receivers:
  - name: team
    webhook_configs:
      - url: http://127.0.0.1:9/hook
runbooks:
  directory: runbooks
"""
WITH_OPS = BASE.replace(
    "runbooks:\n",
    """\
  - name: ops
    webhook_configs:
      - url: http://127.0.0.1:9/ops
runbooks:
""",
)
RUNBOOK = """\
---
title: Disk is full
alerts: [DiskFull]
---
# Disk is full

Delete old logs.
"""


def _write(folder: Path, text: str, runbook: str | None = RUNBOOK) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tocsin.yaml").write_text(text)
    books = folder / "runbooks"
    books.mkdir(exist_ok=True)
    if runbook is not None:
        (books / "disk-full.md").write_text(runbook)
    return folder / "tocsin.yaml"


def _receivers(runtime: Runtime) -> set[str]:
    assert runtime.routing is not None
    return set(runtime.routing.receivers)


@pytest.fixture
def nodes(db_url: str, clock: FakeClock) -> Iterator[Callable[..., Runtime]]:
    started: list[Runtime] = []

    def start(config: Path | None, **settings: object) -> Runtime:
        runtime = Runtime.build(
            Settings(
                database_url=db_url,
                config=str(config) if config else None,
                sqlite_synchronous="NORMAL",
                **settings,  # type: ignore[arg-type]
            ),
            clock=clock,
            run_engine=False,
        )
        runtime.start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        runtime.stop()


def _versions(runtime: Runtime) -> list[version_store.Version]:
    with runtime.db.read() as conn:
        return version_store.history(conn)


def test_the_first_node_stores_its_files_and_the_next_with_the_same_adds_nothing(
    nodes: Callable[..., Runtime], tmp_path: Path
) -> None:
    a = nodes(_write(tmp_path / "a", BASE))
    b = nodes(_write(tmp_path / "b", BASE))  # the same files in another folder
    c = nodes(_write(tmp_path / "a", BASE))
    versions = _versions(a)
    assert [(v.version, v.reason, v.applied_by) for v in versions] == [(1, "start", a.cluster.node)]
    assert a.config_versions.version == b.config_versions.version == 1
    assert c.config_versions.version == 1
    assert b.config_versions.problem is None and c.config_versions.problem is None
    # A node starting with files no node applied stores them; the others follow.
    d = nodes(_write(tmp_path / "d", WITH_OPS))
    assert d.config_versions.version == 2
    for node in (a, b, c):
        node.follow_config()
        assert _receivers(node) == {"team", "ops"}


def test_a_reload_on_one_node_reaches_the_others_with_every_file(
    nodes: Callable[..., Runtime], tmp_path: Path, db_url: str
) -> None:
    path = _write(tmp_path, BASE)
    a = nodes(path)
    b = nodes(path, cluster_poll=timedelta(minutes=5))  # only a notification is quick
    assert _receivers(b) == {"team"}
    _write(tmp_path, WITH_OPS, runbook=RUNBOOK.replace("Delete old logs.", "Grow the disk."))
    a.reload()
    assert a.config_versions.version == 2
    (tmp_path / "runbooks" / "disk-full.md").unlink()  # b must not need a's disk
    if db_url.startswith("postgresql"):
        assert wait_until(lambda: b.config_versions.version == 2, 10), "no notification came"
    else:
        b.follow_config()  # what b's poll does (SQLite: one node; polling alone)
    assert _receivers(b) == {"team", "ops"}
    assert b.routing is not None
    assert "Grow the disk." in b.routing.runbooks.files["disk-full"].body
    assert b.config_versions.problem is None
    latest = _versions(a)[0]
    assert (latest.version, latest.reason, latest.applied_by) == (2, "reload", a.cluster.node)


def test_a_node_started_with_an_older_version_runs_the_newest(
    nodes: Callable[..., Runtime], tmp_path: Path
) -> None:
    path = _write(tmp_path, BASE)
    a = nodes(path)
    _write(tmp_path, WITH_OPS)
    a.reload()
    _write(tmp_path, BASE)  # a node whose deploy did not update its file
    late = nodes(path)
    assert late.config_versions.version == 2
    assert _receivers(late) == {"team", "ops"}
    problem = late.config_versions.problem or ""
    assert "older version" in problem and "version 2" in problem
    assert len(_versions(a)) == 2  # it stored nothing
    # Reloading it applies its file on purpose: a rollback, version 3, followed by all.
    late.reload()
    a.follow_config()
    assert late.config_versions.version == a.config_versions.version == 3
    assert _receivers(a) == {"team"}


def test_a_node_started_without_a_file_runs_the_newest(
    nodes: Callable[..., Runtime], tmp_path: Path
) -> None:
    first = nodes(_write(tmp_path, WITH_OPS))
    bare = nodes(None)
    assert _receivers(bare) == {"team", "ops"}
    assert bare.config_versions.version == 1
    # The files may hold secrets written inline: stored encrypted whenever there is a key
    # (SQLite always has one: its key file).
    with first.db.read() as conn:
        stored = conn.execute(select(config_versions.c.bundle)).scalar_one()
    assert stored.startswith("enc:") == (first.signing_key.site.box is not None)
    assert "127.0.0.1:9/ops" not in stored or first.signing_key.site.box is None


def test_a_version_that_does_not_load_on_a_node_leaves_it_as_it_was(
    nodes: Callable[..., Runtime], tmp_path: Path
) -> None:
    secret = tmp_path / "hook-url"
    secret.write_text("http://127.0.0.1:9/secret-hook\n")
    path = _write(tmp_path, BASE)
    a = nodes(path)
    b = nodes(path)
    b.cluster.feed.stop()  # b follows when the test says (after the secret is gone)
    # Version 2 reads a secret from a file that only a's machine has.
    needs_secret = WITH_OPS.replace(
        "      - url: http://127.0.0.1:9/ops\n", f"      - url_file: {secret}\n"
    )
    _write(tmp_path, needs_secret)
    a.reload()
    secret.unlink()
    b.follow_config()
    assert _receivers(b) == {"team"}  # still version 1
    assert b.config_versions.version == 1
    assert "version 2" in (b.config_versions.problem or "")
    assert "does not load on this node" in (b.config_versions.problem or "")
    # Cluster status says so; the node's beat reports the version it runs.
    assert b.cluster.status().config_problem == b.config_versions.problem


def test_a_bundle_reads_only_its_files(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE)
    loaded = read_file(str(path), lambda: None)
    assert set(loaded.bundle.files) == {str(path), str(tmp_path / "runbooks" / "disk-full.md")}
    again = Bundle.loads(loaded.bundle.dumps())
    assert again == loaded.bundle and again.digest == loaded.bundle.digest
    (tmp_path / "runbooks" / "disk-full.md").write_text(RUNBOOK.replace("logs", "cores"))
    assert read_file(str(path), lambda: None).bundle.digest != loaded.bundle.digest
    # Served from the bundle, not the disk: the disk may have changed or be gone.
    for f in (tmp_path / "runbooks").iterdir():
        f.unlink()
    path.unlink()
    compiled = from_bundle(again, lambda: None)
    assert "Delete old logs." in compiled.routing.runbooks.files["disk-full"].body
    broken = Bundle(again.main, {again.main: BASE.replace("receiver: team", "receiver: nobody")})
    with pytest.raises(ConfigError, match="nobody"):
        from_bundle(broken, lambda: None)


def test_folders_answer_from_the_bundle_as_they_did_from_the_disk(tmp_path: Path) -> None:
    """An empty runbook folder, drills' scenarios in a folder reached through .., SLO files
    by glob: another node compiles the bundle to the same configuration."""
    base = tmp_path / "etc"
    shared = tmp_path / "shared"
    (shared / "scenarios").mkdir(parents=True)
    (shared / "slos").mkdir()
    (shared / "slos" / "api.yaml").write_text(SLOTH)
    path = _write(
        base,
        BASE.replace("runbooks:\n  directory: runbooks\n", "runbooks:\n  directory: runbooks\n")
        + "drills:\n  scenarios: ../shared/scenarios\nslo_files: ['../shared/slos/*.yaml']\n",
        runbook=None,  # an empty runbook folder
    )
    loaded = read_file(str(path), lambda: None)
    assert loaded.routing.runbooks.files == {}
    shutil.rmtree(base)
    shutil.rmtree(shared)
    again = from_bundle(Bundle.loads(loaded.bundle.dumps()), lambda: None)
    assert again.routing.runbooks.files == {}
    assert again.routing.drills.scenarios_dir == loaded.routing.drills.scenarios_dir
    assert set(again.routing.slos) == set(loaded.routing.slos)
    assert len(loaded.routing.slos) == 1
