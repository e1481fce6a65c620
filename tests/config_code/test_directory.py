"""A configuration in a folder: its *.yaml files together, in the order of their names; a
problem names the file and line it is on; every node compiles the same folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from tocsin.config.files import Bundle
from tocsin.config.plan import Change, plan
from tocsin.errors import ConfigError
from tocsin.services.config_versions import bundle_text, from_bundle, read_file

ROUTES = """\
route:
  receiver: team
receivers:
  - name: team
    webhook_configs:
      - url: http://127.0.0.1:9/hook
"""
PEOPLE = """\
users:
  - id: ann
  - id: bob
teams:
  - {name: sre, members: [ann, bob, cat]}
receivers:
  - name: ops
    webhook_configs:
      - url: http://127.0.0.1:9/ops
"""
MORE = """\
# more people
users:
  - id: cat
"""


def _folder(tmp: Path, **files: str) -> Path:
    folder = tmp / "tocsin.d"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("_", "-")).write_text(text)
    return folder


def test_the_files_of_a_folder_are_one_configuration(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path, **{"10_routes.yaml": ROUTES, "20_people.yaml": PEOPLE, "30_more.yml": MORE}
    )
    (folder / "runbooks").mkdir()  # other things in sub-folders are not configuration
    (folder / "runbooks" / "notes.yaml").write_text("not: [configuration")
    loaded = read_file(str(folder), lambda: None)
    assert list(loaded.routing.users) == ["ann", "bob", "cat"]
    assert set(loaded.routing.receivers) == {"team", "ops"}
    assert loaded.routing.teams["sre"].members == ("ann", "bob", "cat")
    assert "users:" in loaded.text and "- id: cat" in loaded.text  # the sections, together
    # Another node compiles the same folder from the bundle alone.
    again = from_bundle(Bundle.loads(loaded.bundle.dumps()), lambda: None)
    assert list(again.routing.users) == ["ann", "bob", "cat"]
    assert bundle_text(again.bundle) == loaded.text


def test_a_problem_names_its_file_and_line(tmp_path: Path) -> None:
    broken = MORE.replace("  - id: cat\n", "  - id: cat\n    notification_rules: 7\n")
    folder = _folder(tmp_path, **{"10_routes.yaml": ROUTES, "20_people.yaml": PEOPLE})
    (folder / "30-more.yaml").write_text(broken)
    with pytest.raises(ConfigError) as failed:
        read_file(str(folder), lambda: None)
    assert str(failed.value).startswith(f"{folder / '30-more.yaml'}:4: users.0.notification_rules")


def test_a_section_that_is_not_a_list_is_in_one_file(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path, **{"10_routes.yaml": ROUTES, "40_again.yaml": "route:\n  receiver: team\n"}
    )
    with pytest.raises(ConfigError) as failed:
        read_file(str(folder), lambda: None)
    assert str(failed.value) == (
        f"{folder / '40-again.yaml'}:1: route: is also in {folder / '10-routes.yaml'}:1: "
        "only a list section may be split over several files"
    )


def test_an_empty_folder_or_a_file_of_another_shape_is_refused(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    with pytest.raises(ConfigError, match="no \\*.yaml file in this folder"):
        read_file(str(folder), lambda: None)
    (folder / "list.yaml").write_text("- route\n")
    with pytest.raises(ConfigError, match="list.yaml:1: must be a mapping of sections"):
        read_file(str(folder), lambda: None)


def test_the_plan_of_a_folder_compares_objects_not_files(tmp_path: Path) -> None:
    folder = _folder(tmp_path, **{"10_routes.yaml": ROUTES, "20_people.yaml": PEOPLE})
    (folder / "30-more.yml").write_text(MORE)
    before = read_file(str(folder), lambda: None).bundle
    (folder / "30-more.yml").write_text(MORE.replace("id: cat", "id: cat\n    email: c@x.org"))
    after = read_file(str(folder), lambda: None).bundle
    assert plan(before, after) == [
        Change("change", "user", "cat", ("email: added c@x.org",)),
    ]
