"""``tocsin config diff`` and ``tocsin config apply`` against the configuration every node
runs: the plan, an atomic apply audited and followed by a running node, nothing stored when
the file is wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.engine.clock import FakeClock
from tocsin.services.config_versions import read_file
from tocsin.services.runtime import Runtime
from tocsin.settings import Settings
from tocsin.store import config_versions as version_store
from tocsin.store.database import Database

FIRST = """\
route:
  receiver: team
receivers:
  - name: team
    webhook_configs:
      - url: http://127.0.0.1:9/hook
users:
  - {id: ann, email: ann@example.com}
"""
SECOND = FIRST.replace("ann@example.com", "ann@corp.example") + "  - {id: bob}\n"


def _cli(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--database-url", db_url])
    return result.exit_code, result.output


def test_diff_then_apply_reaches_a_running_node(
    db_url: str, clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_text(FIRST)
    node = Runtime.build(
        Settings(
            database_url=db_url,
            config=str(path),
            sqlite_synchronous="NORMAL",
            cluster_poll=timedelta(minutes=5),
        ),
        clock=clock,
        run_engine=False,
    )
    node.start()
    try:
        assert node.routing is not None and set(node.routing.users) == {"ann"}
        declared = tmp_path / "git" / "tocsin.yaml"
        declared.parent.mkdir()
        declared.write_text(FIRST)
        assert _cli(db_url, "config", "diff", str(declared), "--exit-code") == (
            0,
            "No changes: the configuration in force is the same.\n",
        )
        declared.write_text(SECOND)
        code, out = _cli(db_url, "config", "diff", str(declared), "--exit-code")
        assert code == 2
        assert out.splitlines() == [
            "+ user bob",
            "~ user ann",
            "    email: ann@example.com -> ann@corp.example",
            "Plan: 1 to create, 1 to change, 0 to delete.",
        ]
        # Not applied without a terminal to ask, unless told.
        code, out = _cli(db_url, "config", "apply", str(declared))
        assert code == 1 and "give --yes" in out
        code, out = _cli(db_url, "config", "apply", str(declared), "--yes")
        assert code == 0, out
        assert "applied as configuration version 2" in out
        node.follow_config()  # what its change feed does
        assert set(node.routing.users) == {"ann", "bob"}
        assert node.routing.users["ann"].email == "ann@corp.example"
        with node.db.read() as conn:
            latest = version_store.latest(conn)
        assert latest is not None and latest.reason == "apply"
        assert latest.applied_by.startswith("cli:")
        audited = node.audit.entries(node.audit.query(action="config.applied"), limit=10)[0]
        assert [e.object_id for e in audited] == [str(declared)]
        assert _cli(db_url, "config", "diff", str(declared), "--exit-code")[0] == 0
    finally:
        node.stop()


def test_a_wrong_file_changes_nothing(db_url: str, tmp_path: Path) -> None:
    good = tmp_path / "tocsin.yaml"
    good.write_text(FIRST)
    assert _cli(db_url, "config", "apply", str(good), "--yes")[0] == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(FIRST.replace("receiver: team", "receiver: nobody"))
    code, out = _cli(db_url, "config", "apply", str(bad), "--yes")
    assert code == 1
    assert f"{bad}:2: route.receiver" in out and "nobody" in out
    code, out = _cli(db_url, "config", "diff", str(good), "--exit-code")
    assert (code, out.strip()) == (0, "No changes: the configuration in force is the same.")


def test_a_plan_made_against_an_older_version_is_not_applied(
    db_url: str, tmp_path: Path, monkeypatch: Any
) -> None:
    """Two applies at once: the second's plan was made against the version the first
    replaced; it is refused, nothing changes, and it says to look again."""
    from tocsin.cli import config_apply

    first = tmp_path / "first.yaml"
    first.write_text(FIRST)
    assert _cli(db_url, "config", "apply", str(first), "--yes")[0] == 0
    second = tmp_path / "second.yaml"
    second.write_text(SECOND)
    planned = config_apply._planned

    def planned_then_raced(*args: Any) -> Any:
        made = planned(*args)
        third = tmp_path / "third.yaml"
        third.write_text(FIRST.replace("ann@example.com", "ann@third.example"))
        loaded = read_file(str(third), lambda: None)
        db = Database(db_url)
        try:  # meanwhile, someone else applies
            with db.write() as conn:
                version_store.add(
                    conn,
                    bundle=loaded.bundle.dumps(),
                    digest=loaded.bundle.digest,
                    source=str(third),
                    now=datetime.now(UTC),
                    node="someone else",
                    reason="apply",
                )
        finally:
            db.dispose()
        return made

    monkeypatch.setattr(config_apply, "_planned", planned_then_raced)
    code, out = _cli(db_url, "config", "apply", str(second), "--yes")
    assert code == 1 and "changed since the plan" in out
    monkeypatch.setattr(config_apply, "_planned", planned)
    code, out = _cli(db_url, "config", "diff", str(second))
    assert "ann@third.example -> ann@corp.example" in out
