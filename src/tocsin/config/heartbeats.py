"""``heartbeats:`` in tocsin.yaml: dead man's switches (docs/heartbeats.md)::

    heartbeats:
      - name: nightly-backup          # letters, digits, - and _: in the ping URL
        interval: 1d                  # how often it pings
        grace: 1h                     # how late a ping may be (default: interval/5, 1m..1h)
        alertname: BackupMissing      # default HeartbeatMissing
        labels: {severity: critical, team: storage}
        annotations: {runbook_url: https://runbooks.example/backup}
      - name: prometheus
        interval: 1m
        watchdog: ['alertname="Watchdog"', 'prometheus="prod"']   # matching alerts ping

Every problem names its key (``heartbeats.0.interval: ...``), and the file and line.
"""

from __future__ import annotations

from typing import Any

import pydantic

from tocsin.config.validation import Problem, positive_duration, validated
from tocsin.domain.heartbeats import NAME, Heartbeat, default_grace
from tocsin.domain.labels import label_name_problem
from tocsin.domain.matchers import Matcher, parse_matchers

__all__ = ["compile_heartbeats"]

Keys = list[str | int]
#: Labels the alert sets itself.
_OWN_LABELS = {
    "alertname": "set the heartbeat's alertname: instead",
    "heartbeat": "is the heartbeat's name, set by Tocsin",
}


class _Heartbeat(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    name: str
    interval: str
    grace: str | None = None
    alertname: str | None = None
    labels: dict[str, str] = pydantic.Field(default_factory=dict)
    annotations: dict[str, str] = pydantic.Field(default_factory=dict)
    watchdog: list[str] = pydantic.Field(default_factory=list)


def _one(cfg: _Heartbeat, keys: Keys, problem: Problem) -> Heartbeat | None:
    ok = True
    if not NAME.match(cfg.name):
        problem(
            [*keys, "name"],
            f"{cfg.name!r} is not a heartbeat name: letters, digits, - and _ (up to 100), "
            "starting with a letter or digit",
        )
        ok = False
    interval = positive_duration(cfg.interval, [*keys, "interval"], problem)
    grace = None
    if cfg.grace is not None:
        grace = positive_duration(cfg.grace, [*keys, "grace"], problem, zero=True)
        ok = ok and grace is not None
    for name in cfg.labels:
        why = label_name_problem(name) or _OWN_LABELS.get(name)
        if why:
            problem([*keys, "labels", name], why)
            ok = False
    alertname = cfg.alertname
    if alertname is not None and not alertname.strip():
        problem([*keys, "alertname"], "must not be empty")
        ok = False
    matchers: list[Matcher] = []
    for i, text in enumerate(cfg.watchdog):
        try:
            matchers.extend(parse_matchers(text))
        except ValueError as exc:
            problem([*keys, "watchdog", i], str(exc))
            ok = False
    if not ok or interval is None:
        return None
    extra = {"alertname": alertname} if alertname else {}
    return Heartbeat(
        name=cfg.name,
        interval=interval,
        grace=grace if grace is not None else default_grace(interval),
        labels=dict(cfg.labels),
        annotations=dict(cfg.annotations),
        watchdog=tuple(matchers),
        **extra,
    )


def compile_heartbeats(raw: Any, problem: Problem) -> dict[str, Heartbeat]:
    """The heartbeats by name; every problem reported at its keys."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        problem(["heartbeats"], "must be a list of heartbeats")
        return {}
    found: dict[str, Heartbeat] = {}
    for i, item in enumerate(raw):
        keys: Keys = ["heartbeats", i]
        cfg = validated(_Heartbeat, item, keys, problem)
        if cfg is None:
            continue
        if cfg.name in found:
            problem([*keys, "name"], f"heartbeat {cfg.name!r} is not unique")
            continue
        spec = _one(cfg, keys, problem)
        if spec is not None:
            found[spec.name] = spec
    return found
