"""Dependency audit: every distribution installed in this Python environment, checked
against PyPI's vulnerability data (docs/security.md#dependency-audit). Run by ``make lint``.

    .venv/bin/python scripts/audit_dependencies.py [--index-url URL] [--ignore ID]...
    .venv/bin/python scripts/audit_dependencies.py --dist jinja2==2.11.2   # just these

PyPI's JSON API lists, with each release, the advisories that affect it (``vulnerabilities``:
OSV data from the Python Packaging Advisory Database and GitHub; each with an id, aliases
such as the CVE, and the versions that fix it). For each installed distribution:

1. ``GET {index}/{name}/{version}/json``, the release's page: its advisories are exactly
   those affecting the installed version (what pip-audit's ``pypi`` service reads).
2. Where that page is not served (404: some mirrors serve project pages only),
   ``GET {index}/{name}/json``, the project's page, whose advisories are the *latest*
   release's: exact when the installed version is the latest; when it is older, nothing can
   be concluded and the distribution counts as not audited.

Advisories that were withdrawn are left out. Exit status: 0, every distribution audited and
none affected; 1, some are affected (each printed with its version, advisory, aliases and
the versions that fix it); 2, something could not be audited: the index did not answer or
answered an error, a distribution is unknown to it, or an older release has no page of its
own. It never passes without having checked every distribution. The project itself,
installed from its source tree, is not on the index and is skipped (and says so).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import ssl
import sys
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

DEFAULT_INDEX = "https://pypi.org/pypi"
TIMEOUT = 20.0

#: (HTTP status, decoded JSON or None); raises OSError when the index cannot be reached.
Fetch = Callable[[str], tuple[int, Any]]


@dataclass(frozen=True)
class Advisory:
    id: str
    aliases: tuple[str, ...]
    fixed_in: tuple[str, ...]
    link: str

    @property
    def names(self) -> set[str]:
        return {self.id, *self.aliases}


@dataclass
class Result:
    name: str
    version: str
    #: How it was audited ("release page", "latest release"), or None if it was not.
    source: str | None = None
    advisories: list[Advisory] = field(default_factory=list)
    #: Why it could not be audited.
    problem: str | None = None
    #: The latest release, when the installed one is older.
    latest: str | None = None
    #: What holds it below the latest release (another distribution's requirement).
    held_by: str | None = None


def normalize(name: str) -> str:
    """PEP 503: the name the index files it under."""
    return re.sub(r"[-_.]+", "-", name).lower()


def same_version(a: str, b: str) -> bool:
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:  # pragma: no cover - pytest brings packaging
        return a == b
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def advisories_of(page: Any) -> list[Advisory]:
    """The advisories a JSON page lists; ValueError if it is not PyPI's shape."""
    if not isinstance(page, dict) or not isinstance(page.get("vulnerabilities"), list):
        raise ValueError("the answer has no 'vulnerabilities' list")
    found: list[Advisory] = []
    for entry in page["vulnerabilities"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise ValueError("a vulnerability without an id")
        if entry.get("withdrawn"):
            continue
        advisory = Advisory(
            id=entry["id"],
            aliases=tuple(entry.get("aliases") or ()),
            fixed_in=tuple(entry.get("fixed_in") or ()),
            link=entry.get("link") or "",
        )
        # One vulnerability is often listed twice (PYSEC-... and GHSA-..., each the other's
        # alias): report it once, under the first id, with every name and fix.
        same = next((i for i, a in enumerate(found) if a.names & advisory.names), None)
        if same is None:
            found.append(advisory)
        else:
            first = found[same]
            found[same] = Advisory(
                id=first.id,
                aliases=tuple(sorted((first.names | advisory.names) - {first.id})),
                fixed_in=tuple(dict.fromkeys(first.fixed_in + advisory.fixed_in)),
                link=first.link or advisory.link,
            )
    return found


def audit_one(fetch: Fetch, index: str, name: str, version: str) -> Result:
    result = Result(name, version)
    project = normalize(name)
    try:
        status, page = fetch(f"{index}/{project}/{version}/json")
        if status == 200:
            result.source = "release page"
            result.advisories = advisories_of(page)
            return result
        if status != 404:
            result.problem = f"the index answered {status} for the release page"
            return result
        status, page = fetch(f"{index}/{project}/json")
        if status == 404:
            result.problem = "the index does not know this project"
            return result
        if status != 200:
            result.problem = f"the index answered {status} for the project page"
            return result
        info = page.get("info") if isinstance(page, dict) else None
        latest = info.get("version") if isinstance(info, dict) else None
        if not isinstance(latest, str):
            result.problem = "the project page names no latest version"
            return result
        if not same_version(latest, version):
            result.latest = latest
            result.problem = (
                f"not the latest release ({latest}), and the index has no page for release "
                f"{version} (it lists advisories only for the latest): install the latest "
                f"(pip install -U {project}), or audit where release pages are served"
            )
            return result
        result.source = "latest release"
        result.advisories = advisories_of(page)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # unreachable, not JSON
        result.problem = f"no answer to go on: {exc}"
    return result


def holder(name: str, latest: str) -> str | None:
    """The installed distribution whose requirement excludes ``latest`` of ``name`` (so
    upgrading it is not ours to do), as ``dist (requirement)``; None if nothing does."""
    for dist in metadata.distributions():
        for text in dist.requires or ():
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            if req.marker is not None and not req.marker.evaluate({"extra": ""}):
                continue
            if normalize(req.name) == normalize(name) and not req.specifier.contains(
                latest, prereleases=True
            ):
                return f"{dist.metadata['Name']} ({req})"
    return None


def installed() -> tuple[list[tuple[str, str]], list[str]]:
    """Every distribution in this environment, and those skipped: installed from a local
    source tree (the project itself), which the index does not have."""
    found: dict[str, tuple[str, str]] = {}
    local: list[str] = []
    seen: set[str] = set()
    for dist in metadata.distributions():  # in sys.path order: the first one is what imports
        name = dist.metadata["Name"]
        if not name or normalize(name) in seen:
            continue
        seen.add(normalize(name))
        direct = dist.read_text("direct_url.json")
        if direct and "dir_info" in json.loads(direct):
            local.append(f"{name} {dist.version}")
            continue
        found[normalize(name)] = (name, dist.version)
    return sorted(found.values(), key=lambda nv: normalize(nv[0])), sorted(local)


class HttpFetch:
    """GET JSON over one kept-alive connection per thread: a name lookup and a TLS handshake
    per thread, not per request (lookups here can take seconds)."""

    def __init__(self, timeout: float = TIMEOUT) -> None:
        self.timeout = timeout
        self.tls = ssl.create_default_context(cafile=os.environ.get("PIP_CERT") or None)
        self.local = threading.local()

    def _connection(self, url: urllib.parse.SplitResult) -> http.client.HTTPConnection:
        key = (url.scheme, url.netloc)
        conn: http.client.HTTPConnection | None = getattr(self.local, "conn", None)
        if conn is None or getattr(self.local, "key", None) != key:
            if url.scheme == "https":
                conn = http.client.HTTPSConnection(
                    url.netloc, timeout=self.timeout, context=self.tls
                )
            else:
                conn = http.client.HTTPConnection(url.netloc, timeout=self.timeout)
            self.local.conn, self.local.key = conn, key
        return conn

    def __call__(self, address: str) -> tuple[int, Any]:
        url = urllib.parse.urlsplit(address)
        path = url.path + (f"?{url.query}" if url.query else "")
        for attempt in (1, 2):
            conn = self._connection(url)
            try:
                conn.request("GET", path, headers={"Accept": "application/json"})
                response = conn.getresponse()
                body = response.read()
            except (http.client.HTTPException, OSError):
                conn.close()
                self.local.conn = None
                if attempt == 2:  # a kept-alive connection the server closed: once more
                    raise
                continue
            if response.status != 200:
                return response.status, None
            return 200, json.loads(body)
        raise AssertionError("unreachable")


def audit(
    dists: Iterable[tuple[str, str]], index: str, fetch: Fetch | None = None, jobs: int = 8
) -> list[Result]:
    fetch = fetch or HttpFetch()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda nv: audit_one(fetch, index, *nv), dists))


def report(results: Sequence[Result], ignore: set[str], skipped: Sequence[str]) -> int:
    affected = []
    for r in results:
        for a in r.advisories:
            if a.names & ignore:
                print(f"ignored: {r.name} {r.version}: {a.id} (--ignore)")
            else:
                affected.append((r, a))
    held = [r for r in results if r.problem is not None and r.held_by is not None]
    unaudited = [r for r in results if r.problem is not None and r.held_by is None]
    for r, a in affected:
        aliases = f" ({', '.join(a.aliases)})" if a.aliases else ""
        fixed = f"fixed in {', '.join(a.fixed_in)}" if a.fixed_in else "no fixed version yet"
        link = f" {a.link}" if a.link else ""
        print(f"VULNERABLE: {r.name} {r.version}: {a.id}{aliases}: {fixed}{link}")
    for r in unaudited:
        print(f"NOT AUDITED: {r.name} {r.version}: {r.problem}")
    for r in held:
        print(
            f"HELD BACK, NOT AUDITED: {r.name} {r.version} (latest {r.latest}): "
            f"{r.held_by} keeps it below the latest release, and the index lists advisories "
            "only for the latest"
        )
    for name in skipped:
        print(f"skipped: {name}: installed from a local source tree, not from the index")
    by_source: dict[str, int] = {}
    for r in results:
        if r.source:
            by_source[r.source] = by_source.get(r.source, 0) + 1
    how = ", ".join(f"{n} by {source}" for source, n in sorted(by_source.items())) or "none"
    print(f"dependency audit: {len(results)} distributions; audited: {how}")
    if affected:
        print(f"{len(affected)} known vulnerabilities: upgrade (pyproject.toml bounds) and re-run")
        return 1
    if unaudited:
        print(f"{len(unaudited)} distributions could not be audited: failing, not passing blind")
        return 2
    if not results:
        print("nothing was audited: failing, not passing blind")
        return 2
    print("no known vulnerabilities")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--index-url",
        default=os.environ.get("TOCSIN_AUDIT_INDEX_URL", DEFAULT_INDEX),
        help="PyPI's JSON API root (default: %(default)s; env TOCSIN_AUDIT_INDEX_URL)",
    )
    parser.add_argument(
        "--dist",
        action="append",
        default=[],
        metavar="NAME==VERSION",
        help="audit these instead of the installed distributions",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="ID",
        help="an advisory id or alias to accept (say why where it is passed)",
    )
    parser.add_argument("--jobs", type=int, default=8, help="requests at once")
    args = parser.parse_args(argv)
    skipped: list[str] = []
    if args.dist:
        dists = []
        for spec in args.dist:
            name, sep, version = spec.partition("==")
            if not sep or not name or not version:
                parser.error(f"--dist {spec!r}: expected NAME==VERSION")
            dists.append((name, version))
    else:
        dists, skipped = installed()
    results = audit(dists, args.index_url.rstrip("/"), jobs=args.jobs)
    for r in results:
        if r.latest is not None:
            r.held_by = holder(r.name, r.latest)
    return report(results, set(args.ignore), skipped)


if __name__ == "__main__":
    sys.exit(main())
