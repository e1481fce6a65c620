"""``runbooks:`` in tocsin.yaml, and the runbook files of its directory::

    runbooks:
      directory: runbooks/          # relative to tocsin.yaml; *.md files, subdirectories too
      review_every: 90d             # a runbook not reviewed within this is stale
      ask_review_after: [SEV1, SEV2]  # or "all": its owner reviews it after such an incident
      template: runbook-template.md # optional: what new runbooks start from ({title})

A runbook file is Markdown with YAML front matter; its slug is its file name without
``.md``::

    ---
    title: API latency is high
    alerts: [APIHighLatency]               # alert names, and/or
    matchers: ['service="api"']            # Alertmanager matchers an alert must all match
    service: api
    owner: platform                        # a user id or a team name
    last_reviewed: 2026-10-01
    review_every: 30d                      # optional: this runbook's own period
    ---
    # API latency is high
    ## Quick assessment
    ...

The files are read when the configuration is loaded or reloaded; any bad file refuses the
whole configuration, naming its file, line and key. ``README.md`` and files whose name
starts with ``_`` or ``.`` are not runbooks."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml

from tocsin.config import files
from tocsin.config.durations import parse_duration
from tocsin.config.validation import Problem, validated
from tocsin.config.yaml_source import YamlSource
from tocsin.domain.incidents import Severity
from tocsin.domain.matchers import Matcher, parse_matchers
from tocsin.domain.runbooks import (
    DEFAULT_REVIEW_EVERY,
    SLUG,
    Runbook,
    RunbookPolicy,
    split_front_matter,
)

__all__ = [
    "FIELDS",
    "check_directory",
    "compile_runbook",
    "compile_runbook_policy",
    "file_text",
    "load_directory",
    "read_runbook",
]

Keys = list[str | int]
Report = Callable[[str], None]
#: The front matter's keys, as a file or a form gives them.
FIELDS = ("title", "alerts", "matchers", "service", "owner", "last_reviewed", "review_every")
_SEVERITIES = tuple(s.value for s in Severity)
_SKIPPED = ("readme.md",)


class _Loader(yaml.SafeLoader):
    """Safe YAML whose dates stay text: a bad one (2026-13-01) is then a problem with its
    line, not a crash in the loader."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class _Strict(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")


class _Section(_Strict):
    directory: str | None = None
    review_every: str = "90d"
    ask_review_after: list[str] | Literal["all"] = ["SEV1", "SEV2"]
    template: str | None = None


def _day(value: Any) -> Any:
    if value is None or (isinstance(value, date) and type(value) is date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{value!r} is not a date like 2026-10-01")


class _Front(_Strict):
    title: str = pydantic.Field(min_length=1, max_length=500)
    alerts: list[pydantic.constr(min_length=1, max_length=200)] = []  # type: ignore[valid-type]
    matchers: list[pydantic.constr(min_length=1, max_length=1000)] = []  # type: ignore[valid-type]
    service: str | None = pydantic.Field(default=None, max_length=200)
    owner: str | None = pydantic.Field(default=None, max_length=100)
    last_reviewed: date | None = None
    review_every: str | None = None

    _check_day = pydantic.field_validator("last_reviewed", mode="before")(_day)

    @pydantic.field_validator("title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


def _period(text: str, keys: Keys, problem: Problem) -> timedelta | None:
    try:
        span = parse_duration(text)
    except ValueError as exc:
        problem(keys, str(exc))
        return None
    if span < timedelta(days=1):
        problem(keys, "must be at least a day (1d)")
        return None
    return span


def compile_runbook(
    slug: str,
    raw: Any,
    body: str,
    problem: Problem,
    *,
    people: Collection[str] | None = None,
    path: str | None = None,
) -> Runbook | None:
    """A runbook from its front matter ``raw`` (a mapping) and Markdown ``body``; None,
    each problem reported at its key, when it is not one. ``people``: the user ids and team
    names an owner may be (None: not checked)."""
    if not isinstance(raw, dict):
        problem([], "the front matter must be a mapping with at least a title")
        return None
    front = validated(_Front, raw, [], problem)
    # What the model does not check is checked too when it refuses, so that every
    # problem shows at once (as far as the values are the right kind).
    texts, owner, period = raw.get("matchers"), raw.get("owner"), raw.get("review_every")
    ok = front is not None
    matchers: list[Matcher] = []
    for i, text in enumerate(texts if isinstance(texts, list) else []):
        try:
            matchers.extend(parse_matchers(text) if isinstance(text, str) else [])
        except ValueError as exc:
            problem(["matchers", i], str(exc))
            ok = False
    if isinstance(owner, str) and people is not None and owner.strip() not in people:
        problem(["owner"], f"{owner!r} is not a user id or team name of the configuration")
        ok = False
    every = None
    if isinstance(period, str):
        every = _period(period, ["review_every"], problem)
        ok = ok and every is not None
    if not ok or front is None:
        return None
    return Runbook(
        slug=slug,
        title=front.title,
        body=body,
        alerts=tuple(dict.fromkeys(a.strip() for a in front.alerts)),
        matchers=tuple(matchers),
        service=(front.service or "").strip() or None,
        owner=(front.owner or "").strip() or None,
        last_reviewed=front.last_reviewed,
        review_every=every,
        path=path,
    )


def read_runbook(
    path: Path, report: Report, people: Collection[str] | None = None
) -> Runbook | None:
    """The runbook in the file at ``path``; None, every problem reported as
    ``file:line: key: problem``, when it is not one."""
    where = str(path)
    slug = path.stem
    if not SLUG.match(slug):
        report(
            f"{where}: the file name must be a slug (lower case letters, digits, - and _, "
            "at most 100), as it names the runbook in links"
        )
        return None
    try:
        text = files.read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        report(f"{where}: cannot read: {getattr(exc, 'strerror', None) or exc}")
        return None
    parts = split_front_matter(text)
    if parts is None:
        report(f"{where}:1: no front matter: start the file with --- lines holding at least title")
        return None
    front, body = parts
    try:
        root = yaml.compose(front, Loader=_Loader)
        data = yaml.load(front, Loader=_Loader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        report(f"{where}{line}: invalid YAML: {getattr(exc, 'problem', exc)}")
        return None
    source = YamlSource(where, data, root)
    if root is None:
        report(f"{where}:1: the front matter is empty: it needs at least a title")
        return None

    def problem(keys: Keys, text: str) -> None:
        report(str(source.error(keys, text)))

    return compile_runbook(slug, data, body, problem, people=people, path=where)


def _files(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in files.rglob(directory, "*.md")
        if p.name.lower() not in _SKIPPED
        and not any(part.startswith((".", "_")) for part in p.relative_to(directory).parts)
    )


def load_directory(
    directory: Path, report: Report, people: Collection[str] | None = None
) -> dict[str, Runbook]:
    """Every runbook file under ``directory`` by slug; problems reported (a slug used by
    two files is one)."""
    found: dict[str, Runbook] = {}
    for path in _files(directory):
        runbook = read_runbook(path, report, people)
        if runbook is None:
            continue
        if runbook.slug in found:
            report(
                f"{path}: duplicate slug {runbook.slug!r}: {found[runbook.slug].path} "
                "has the same file name"
            )
            continue
        found[runbook.slug] = runbook
    return found


def check_directory(
    directory: Path, people: Collection[str] | None = None
) -> tuple[dict[str, Runbook], list[str]]:
    """(the runbooks, the problems) of a directory: ``tocsin runbook check``."""
    problems: list[str] = []
    if not files.is_dir(directory):
        return {}, [f"{directory}: not a directory"]
    return load_directory(directory, problems.append, people), problems


def compile_runbook_policy(
    raw: Any, base: Path, problem: Problem, report: Report, people: Collection[str]
) -> RunbookPolicy:
    """``runbooks:``; its directory's files read (their problems reported whole)."""
    if raw is None:
        return RunbookPolicy()
    keys: Keys = ["runbooks"]
    cfg = validated(_Section, raw, keys, problem)
    if cfg is None:
        return RunbookPolicy()
    every = _period(cfg.review_every, [*keys, "review_every"], problem) or DEFAULT_REVIEW_EVERY
    asks: frozenset[str] | None = None
    if cfg.ask_review_after != "all":
        for i, sev in enumerate(cfg.ask_review_after):
            if sev not in _SEVERITIES:
                problem(
                    [*keys, "ask_review_after", i],
                    f"{sev!r} is not one of {', '.join(_SEVERITIES)} (or say all)",
                )
        asks = frozenset(s for s in cfg.ask_review_after if s in _SEVERITIES)
    template = None
    if cfg.template is not None:
        path = base / cfg.template
        try:
            template = files.read_text(path)
        except (OSError, UnicodeDecodeError) as exc:
            problem([*keys, "template"], f"cannot read {path}: {getattr(exc, 'strerror', exc)}")
    directory = base / (cfg.directory or "runbooks")
    found: dict[str, Runbook] = {}
    if files.is_dir(directory):
        found = load_directory(directory, report, people)
    elif cfg.directory is not None:
        problem([*keys, "directory"], f"{directory} is not a directory")
    return RunbookPolicy(
        directory=str(directory),
        review_every=every,
        ask_review_after=asks,
        template=template,
        files=found,
    )


def file_text(
    *,
    title: str,
    body: str,
    alerts: Sequence[str] = (),
    matchers: Sequence[str] = (),
    service: str | None = None,
    owner: str | None = None,
    last_reviewed: date | None = None,
    review_every: str | None = None,
) -> str:
    """A runbook file: YAML front matter between ``---`` lines, then the Markdown."""
    front: dict[str, object] = {"title": title}
    if alerts:
        front["alerts"] = list(alerts)
    if matchers:
        front["matchers"] = list(matchers)
    if service:
        front["service"] = service
    if owner:
        front["owner"] = owner
    if last_reviewed is not None:
        front["last_reviewed"] = last_reviewed
    if review_every:
        front["review_every"] = review_every
    text = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{text}---\n{body.rstrip()}\n"
