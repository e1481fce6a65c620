"""``tocsin config schema``: the JSON Schema editors check tocsin.yaml with. Real files
(the demo's, the suite's) are valid against it; a wrong key or type is not, at its place."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from typer.testing import CliRunner

from tests.drills.conftest import CONFIG as DRILLS
from tests.heartbeats.conftest import CONFIG as HEARTBEATS
from tests.paging.conftest import CONFIG as PAGING
from tests.runbooks.conftest import CONFIG as RUNBOOKS
from tocsin.cli.demo_sink import demo_config
from tocsin.cli.main import app
from tocsin.config.json_schema import json_schema


@pytest.fixture(scope="module")
def validator() -> Any:
    return jsonschema_rs.validator_for(json_schema())


def _files(tmp: Path) -> dict[str, str]:
    demo = demo_config(
        tmp / "demo.yaml", "http://127.0.0.1:9", scenarios="tabletop", heartbeats=True
    )
    return {
        "demo": demo.read_text(),
        "paging": PAGING.format(smtp=25, url="http://127.0.0.1:9", extra=""),
        "runbooks": RUNBOOKS.format(smtp=25, extra=""),
        "heartbeats": HEARTBEATS.format(url="http://127.0.0.1:9"),
        "drills": DRILLS.format(smtp=25, extra=""),
    }


def test_real_files_are_valid(validator: Any, tmp_path: Path) -> None:
    for name, text in _files(tmp_path).items():
        # YAML reads an unquoted timestamp as a date; editors' YAML servers, as text.
        data = json.loads(json.dumps(yaml.safe_load(text), default=str))
        errors = [
            f"{'/'.join(map(str, e.instance_path))}: {e.message}"
            for e in validator.iter_errors(data)
        ]
        assert errors == [], name


@pytest.mark.parametrize(
    ("mistake", "where"),
    [
        ({"recievers": []}, ""),  # an unknown top-level key
        ({"users": [{"id": "ann", "emial": "ann@example.com"}]}, "users/0"),
        ({"route": {"receiver": "team", "group_by": "alertname"}}, "route/group_by"),
        (
            {"escalation_policies": [{"name": "p", "levels": "soon"}]},
            "escalation_policies/0/levels",
        ),
        (
            {"schedules": [{"name": "s", "time_zone": "UTC", "layers": [{"users": "ann"}]}]},
            "schedules/0/layers/0",
        ),
    ],
)
def test_a_mistake_is_found_in_its_section(
    validator: Any, mistake: dict[str, Any], where: str
) -> None:
    errors = list(validator.iter_errors(mistake))
    assert errors, mistake
    # (within a section that may be left out, a validator may stop at the section)
    places = {"/".join(map(str, e.instance_path)) for e in errors}
    section = where.split("/", 1)[0]
    assert any(p.split("/", 1)[0] == section for p in places), places


def test_the_command_prints_or_writes_it(tmp_path: Path) -> None:
    printed = CliRunner().invoke(app, ["config", "schema"])
    assert printed.exit_code == 0
    schema = json.loads(printed.output)
    assert schema["title"] == "tocsin.yaml"
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert {"route", "receivers", "users", "schedules", "escalation_policies", "slos"} <= set(
        schema["properties"]
    )
    out = tmp_path / "tocsin.schema.json"
    written = CliRunner().invoke(app, ["config", "schema", "-o", str(out)])
    assert written.exit_code == 0 and json.loads(out.read_text()) == schema
