"""``scripts/audit_dependencies.py`` against a fake PyPI JSON API on loopback: what it
reports, and that it fails, never passes, when it cannot check everything."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit_dependencies.py"

#: PyPI's shape for a vulnerability entry (values as PyPI serves them for jinja2 2.11.2).
JINJA_ADVISORY = {
    "id": "PYSEC-2021-66",
    "aliases": ["CVE-2020-28493", "GHSA-g3rq-g295-4j3m"],
    "details": "ReDoS in the urlize filter.",
    "fixed_in": ["2.11.3"],
    "link": "https://osv.dev/vulnerability/PYSEC-2021-66",
    "source": "osv",
    "summary": None,
    "withdrawn": None,
}


def release(vulnerabilities: list[dict[str, Any]]) -> dict[str, Any]:
    return {"info": {"version": "ignored"}, "urls": [], "vulnerabilities": vulnerabilities}


def project(latest: str, vulnerabilities: list[dict[str, Any]]) -> dict[str, Any]:
    return {"info": {"version": latest}, "releases": {}, "vulnerabilities": vulnerabilities}


class FakeIndex:
    """Answers GET /pypi/... from ``pages`` (path -> JSON, or an int status); 404 otherwise."""

    def __init__(self) -> None:
        self.pages: dict[str, Any] = {}
        self.asked: list[str] = []
        index = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                index.asked.append(self.path)
                page = index.pages.get(self.path, 404)
                if isinstance(page, int):
                    self.send_response(page)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = page if isinstance(page, bytes) else json.dumps(page).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pypi"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def index() -> Iterator[FakeIndex]:
    server = FakeIndex()
    yield server
    server.close()


def run(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--index-url", url, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_vulnerable_release_fails_naming_version_advisory_and_fix(index: FakeIndex) -> None:
    index.pages["/pypi/jinja2/2.11.2/json"] = release([JINJA_ADVISORY])
    index.pages["/pypi/markupsafe/3.0.2/json"] = release([])
    done = run(index.url, "--dist", "Jinja2==2.11.2", "--dist", "MarkupSafe==3.0.2")
    assert done.returncode == 1, done.stdout
    assert (
        "VULNERABLE: Jinja2 2.11.2: PYSEC-2021-66 (CVE-2020-28493, GHSA-g3rq-g295-4j3m): "
        "fixed in 2.11.3 https://osv.dev/vulnerability/PYSEC-2021-66"
    ) in done.stdout
    assert "MarkupSafe" not in done.stdout.replace("2 distributions", "")
    assert "audited: 2 by release page" in done.stdout
    # The release's own page answered: the project page was never needed.
    assert sorted(index.asked) == ["/pypi/jinja2/2.11.2/json", "/pypi/markupsafe/3.0.2/json"]


def test_aliases_of_one_vulnerability_are_reported_once(index: FakeIndex) -> None:
    ghsa = {
        **JINJA_ADVISORY,
        "id": "GHSA-g3rq-g295-4j3m",
        "aliases": ["CVE-2020-28493", "PYSEC-2021-66"],
    }
    index.pages["/pypi/jinja2/2.11.2/json"] = release([JINJA_ADVISORY, ghsa])
    done = run(index.url, "--dist", "jinja2==2.11.2")
    assert done.returncode == 1
    assert done.stdout.count("VULNERABLE") == 1
    assert "1 known vulnerabilities" in done.stdout


def test_without_release_pages_the_latest_release_is_audited_from_the_project_page(
    index: FakeIndex,
) -> None:
    """The mirror case: release pages 404, the project page lists the latest's advisories."""
    index.pages["/pypi/ecdsa/json"] = project(
        "0.19.2",
        [{"id": "GHSA-wj6h-64fc-37mp", "aliases": ["CVE-2024-23342"], "fixed_in": []}],
    )
    index.pages["/pypi/httpx/json"] = project("0.28.1", [])
    done = run(index.url, "--dist", "ecdsa==0.19.2", "--dist", "httpx==0.28.1")
    assert done.returncode == 1
    assert (
        "VULNERABLE: ecdsa 0.19.2: GHSA-wj6h-64fc-37mp (CVE-2024-23342): no fixed version yet"
        in done.stdout
    )
    assert "audited: 2 by latest release" in done.stdout
    assert "/pypi/ecdsa/0.19.2/json" in index.asked  # the release page was tried first


def test_all_clean_passes(index: FakeIndex) -> None:
    index.pages["/pypi/httpx/json"] = project("0.28.1", [])
    index.pages["/pypi/jinja2/3.1.6/json"] = release(
        [{**JINJA_ADVISORY, "withdrawn": "2024-01-01T00:00:00Z"}]  # withdrawn: not counted
    )
    done = run(index.url, "--dist", "httpx==0.28.1", "--dist", "jinja2==3.1.6")
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[-1] == "no known vulnerabilities"


def test_an_older_release_without_its_own_page_is_not_passed(index: FakeIndex) -> None:
    """The project page tells of the latest release only: nothing about 1.26.4 follows."""
    index.pages["/pypi/urllib3/json"] = project("2.5.0", [])
    done = run(index.url, "--dist", "urllib3==1.26.4")
    assert done.returncode == 2
    assert "NOT AUDITED: urllib3 1.26.4: not the latest release (2.5.0)" in done.stdout
    assert "pip install -U urllib3" in done.stdout
    assert "no known vulnerabilities" not in done.stdout


def test_a_release_another_dependency_holds_back_is_named_not_failed(index: FakeIndex) -> None:
    """schemathesis requires jsonschema-rs<0.61: upgrading it is not ours to do. It is
    said loudly, and only a known vulnerability (or an unpinned old release) fails."""
    index.pages["/pypi/jsonschema-rs/json"] = project("99.0.0", [])
    done = run(index.url, "--dist", "jsonschema_rs==0.60.3")
    assert done.returncode == 0, done.stdout
    assert "HELD BACK, NOT AUDITED: jsonschema_rs 0.60.3 (latest 99.0.0): schemathesis" in (
        done.stdout
    )


@pytest.mark.parametrize(
    ("pages", "problem"),
    [
        ({}, "the index does not know this project"),
        ({"/pypi/requests/2.25.0/json": 503}, "the index answered 503 for the release page"),
        ({"/pypi/requests/json": 500}, "the index answered 500 for the project page"),
        ({"/pypi/requests/2.25.0/json": b"<html>mirror error</html>"}, "no answer to go on"),
        (
            {"/pypi/requests/2.25.0/json": {"info": {}}},
            "no answer to go on: the answer has no 'vulnerabilities' list",
        ),
    ],
)
def test_an_index_that_does_not_answer_properly_fails(
    index: FakeIndex, pages: dict[str, Any], problem: str
) -> None:
    index.pages.update(pages)
    done = run(index.url, "--dist", "requests==2.25.0")
    assert done.returncode == 2, done.stdout
    assert f"NOT AUDITED: requests 2.25.0: {problem}" in done.stdout


def test_an_unreachable_index_fails_loudly() -> None:
    server = FakeIndex()
    url = server.url
    server.close()  # nothing listens there now
    done = run(url, "--dist", "httpx==0.28.1", "--dist", "jinja2==3.1.6")
    assert done.returncode == 2
    assert done.stdout.count("NOT AUDITED") == 2
    assert "could not be audited: failing, not passing blind" in done.stdout


def test_an_advisory_can_be_accepted_by_id_or_alias(index: FakeIndex) -> None:
    index.pages["/pypi/jinja2/2.11.2/json"] = release([JINJA_ADVISORY])
    done = run(index.url, "--dist", "jinja2==2.11.2", "--ignore", "CVE-2020-28493")
    assert done.returncode == 0, done.stdout
    assert "ignored: jinja2 2.11.2: PYSEC-2021-66 (--ignore)" in done.stdout


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_environment_is_every_installed_distribution_but_the_project_itself() -> None:
    dists, skipped = load_script().installed()
    names = {name.lower(): version for name, version in dists}
    assert names["pytest"] == pytest.__version__
    assert "fastapi" in names and "tocsin" not in names
    assert [s for s in skipped if s.startswith("tocsin ")]
