"""``tocsin config export``: the configuration every node runs, as files for git, with no
secret in them: each written-in secret becomes a ${NAME} reference, listed for the operator;
set them, and the export compiles to the same configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tocsin.cli.main import app
from tocsin.config.secret_refs import resolve
from tocsin.config.yaml_source import load_yaml
from tocsin.services.config_versions import read_file

SECRETS = {
    "slack": "https://hooks.slack.com/services/T0/B0/very-secret-webhook-path",
    "twilio": "twilio-auth-token-0451",
}
CONFIG = f"""\
route:
  receiver: team
receivers:
  - name: team
    slack_configs:
      - api_url: {SECRETS["slack"]}
        channel: '#ops'
paging:
  twilio: {{account_sid: AC1, auth_token: {SECRETS["twilio"]}, from: "+15550000000"}}
users:
  - {{id: ann, phone: "+15550000001"}}
runbooks:
  directory: runbooks
"""
RUNBOOK = "---\ntitle: Disk full\nalerts: [DiskFull]\n---\n# Disk full\n\nDelete old logs.\n"


def _cli(db_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "--database-url", db_url])
    return result.exit_code, result.output


def _applied(db_url: str, tmp: Path) -> Path:
    source = tmp / "source"
    (source / "runbooks").mkdir(parents=True)
    (source / "tocsin.yaml").write_text(CONFIG)
    (source / "runbooks" / "disk-full.md").write_text(RUNBOOK)
    code, out = _cli(db_url, "config", "apply", str(source / "tocsin.yaml"), "--yes")
    assert code == 0, out
    return source


def test_an_export_holds_no_secret_and_compiles_the_same(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = _applied(db_url, tmp_path)
    target = tmp_path / "git"
    code, out = _cli(db_url, "config", "export", "--to", str(target))
    assert code == 0, out
    assert "2 secrets referenced" in out
    written = {p.relative_to(target).as_posix(): p.read_text() for p in target.rglob("*.*")}
    assert set(written) == {"tocsin.yaml", "runbooks/disk-full.md", "secrets.env.example"}
    assert written["runbooks/disk-full.md"] == RUNBOOK
    for text in written.values():
        for secret in SECRETS.values():
            assert secret not in text
    names = [line.split("=")[0] for line in written["secrets.env.example"].splitlines()]
    names = [n for n in names if n and not n.startswith("#")]
    assert names == [
        "TOCSIN_RECEIVERS_TEAM_SLACK_CONFIGS_0_API_URL",
        "TOCSIN_PAGING_TWILIO_AUTH_TOKEN",
    ]
    # Without the variables the export does not load; with them it is the same file.
    with pytest.raises(Exception, match="TOCSIN_PAGING_TWILIO_AUTH_TOKEN"):
        read_file(str(target / "tocsin.yaml"), lambda: None)
    monkeypatch.setenv(names[0], SECRETS["slack"])
    monkeypatch.setenv(names[1], SECRETS["twilio"])
    exported = resolve(load_yaml(target / "tocsin.yaml"), lambda: None).data
    original = resolve(load_yaml(source / "tocsin.yaml"), lambda: None).data
    assert exported == original
    assert read_file(str(target / "tocsin.yaml"), lambda: None).routing.runbooks.files


def test_what_the_export_refuses(db_url: str, tmp_path: Path) -> None:
    code, out = _cli(db_url, "config", "export")
    assert code == 1 and "no configuration has been applied yet" in out
    _applied(db_url, tmp_path)
    code, out = _cli(db_url, "config", "export")  # two files: a folder is needed
    assert code == 1 and "give --to FOLDER" in out
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    code, out = _cli(db_url, "config", "export", "--to", str(full))
    assert code == 1 and "not empty" in out
    assert sorted(p.name for p in full.iterdir()) == ["keep.txt"]
    assert _cli(db_url, "config", "export", "--to", str(full), "--force")[0] == 0
    assert (full / "keep.txt").read_text() == "mine" and (full / "tocsin.yaml").exists()


def test_encrypted_values_are_kept_and_files_outside_the_folder_refused(
    db_url: str, tmp_path: Path
) -> None:
    from tocsin.config.secret_refs import referenced_text

    text, names = referenced_text("receivers:\n  - name: t\n    bot_token: enc:gAAAAABx\n")
    assert "enc:gAAAAABx" in text and names == {}
    outside = tmp_path / "shared" / "runbooks"
    outside.mkdir(parents=True)
    (outside / "disk-full.md").write_text(RUNBOOK)
    source = tmp_path / "etc"
    source.mkdir()
    (source / "tocsin.yaml").write_text(
        CONFIG.replace("directory: runbooks", "directory: ../shared/runbooks")
    )
    assert _cli(db_url, "config", "apply", str(source / "tocsin.yaml"), "--yes")[0] == 0
    target = tmp_path / "out"
    code, out = _cli(db_url, "config", "export", "--to", str(target))
    assert code == 1 and "outside the configuration's folder" in out
    assert (tmp_path / "shared" / "runbooks" / "disk-full.md").read_text() == RUNBOOK
    assert not target.exists() or not any(target.iterdir())
