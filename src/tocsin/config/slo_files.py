"""SLOs from other files, named by ``slo_files:`` in tocsin.yaml (paths or globs, relative
to it): Sloth specs (``version: prometheus/v1``, https://sloth.dev/specs/v1/) and OpenSLO v1
``SLO`` documents (``apiVersion: openslo/v1``, https://github.com/OpenSLO/OpenSLO), several
per file (``---``). Each is read into the same SLO as an entry of ``slos:`` would be, and a
problem names the file, the line and the key in that file.

Sloth: every SLO of the spec takes its ``service`` and ``labels``; the window is 30 days
(Sloth's default period); a ``raw`` SLI is read, a ``plugin`` SLI (Go code only Sloth runs)
is refused, saying what to write instead.

OpenSLO: ``metadata.name`` is the name, ``spec.service`` the service, ``spec.objectives[0]``
the objective (``target`` as a ratio, or ``targetPercent``), ``spec.timeWindow[0]`` the window
(``7d``, ``28d``, ``30d`` rolling, or a calendar ``1M``), and an inline
``spec.indicator.spec.ratioMetric`` the SLI: its ``good`` or ``bad`` and ``total`` Prometheus
queries (``metricSource.spec.query``), each with ``{{.window}}`` where the rate window goes.
``budgetingMethod: Timeslices`` budgets slices of ``timeSliceWindow``, each good when its
good share reaches ``timeSliceTarget`` (a ratio).
"""

from __future__ import annotations

import glob
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from tocsin.config import files
from tocsin.config.slos import compile_slos
from tocsin.config.yaml_source import YamlSource
from tocsin.domain.slo_specs import SloSpec
from tocsin.errors import ConfigError

__all__ = ["load_slo_files"]

Keys = list[str | int]
Report = Callable[[str], None]

#: Where in an OpenSLO document each field of the SLO comes from (for problems' keys).
_OPENSLO_KEYS: dict[str, Keys] = {
    "service": ["spec", "service"],
    "name": ["metadata", "name"],
    "objective": ["spec", "objectives", 0, "target"],
    "window": ["spec", "timeWindow", 0, "duration"],
    "sli": ["spec", "indicator", "spec", "ratioMetric"],
    "description": ["spec", "description"],
    "slice": ["spec", "objectives", 0, "timeSliceWindow"],
    "target": ["spec", "objectives", 0, "timeSliceTarget"],
}


def _documents(path: str) -> list[YamlSource]:
    try:
        text = files.read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        roots = list(yaml.compose_all(text))
        datas = list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else path
        raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    return [YamlSource(path, d, r) for d, r in zip(datas, roots, strict=True) if d is not None]


def _get(data: Any, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(data, dict) and isinstance(key, str):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and key < len(data):
            data = data[key]
        else:
            return None
    return data


def _sloth(doc: YamlSource, report: Report) -> Mapping[str, SloSpec]:
    data = doc.data
    service, labels = data.get("service"), data.get("labels") or {}
    slos = data.get("slos")
    if not isinstance(slos, list):
        report(str(doc.error(["slos"], "must be a list of SLOs")))
        return {}
    out: dict[str, SloSpec] = {}
    for i, slo in enumerate(slos):
        entry = slo
        if isinstance(slo, dict):
            entry = {
                "service": service,
                "window": "30d",
                **slo,
                "labels": {**labels, **(slo.get("labels") or {})},
            }

        def problem(keys: Keys, text: str, i: int = i) -> None:
            report(str(doc.error(["slos", i, *keys[2:]], text)))

        out.update(compile_slos([entry], problem))
    return out


def _query(part: Any) -> Any:
    return _get(part, "metricSource", "spec", "query")


def _percent(ratio: Any) -> Any:
    """An OpenSLO ratio (0.95) as the percent ``slos:`` takes; anything else as it is, for
    the check to name."""
    return ratio * 100 if isinstance(ratio, int | float) and not isinstance(ratio, bool) else ratio


def _openslo(doc: YamlSource, report: Report) -> Mapping[str, SloSpec]:
    data = doc.data
    spec = data.get("spec") or {}
    objective = _get(spec, "objectives", 0) or {}
    target = objective.get("targetPercent")
    if target is None:
        target = _percent(objective.get("target"))
    window = _get(spec, "timeWindow", 0) or {}
    duration = str(window.get("duration", ""))
    if window.get("calendar") is not None or duration in ("1M", "1m0d"):
        duration = "month"
    ratio = _get(spec, "indicator", "spec", "ratioMetric") or {}
    events: dict[str, Any] = {"total_query": _query(ratio.get("total"))}
    if "bad" in ratio:
        events["error_query"] = _query(ratio.get("bad"))
    if "good" in ratio:
        events["good_query"] = _query(ratio.get("good"))
    entry = {
        "service": spec.get("service"),
        "name": _get(data, "metadata", "name"),
        "objective": target,
        "window": duration or "30d",
        "description": spec.get("description") or "",
        "sli": {"events": events} if ratio else {},
    }
    if str(spec.get("budgetingMethod", "")).lower() == "timeslices":
        entry["timeslices"] = {
            "slice": str(objective.get("timeSliceWindow", "1m")),
            "target": _percent(objective.get("timeSliceTarget")),
        }

    def problem(keys: Keys, text: str) -> None:
        field = str(keys[2]) if len(keys) > 2 else ""
        if field == "timeslices":
            field = str(keys[3]) if len(keys) > 3 else "target"
        where = _OPENSLO_KEYS.get(field, ["spec"])
        if field == "objective" and "targetPercent" in objective:
            where = ["spec", "objectives", 0, "targetPercent"]
        report(str(doc.error(where, text)))

    return compile_slos([entry], problem)


def load_slo_files(patterns: list[str], base: Path, report: Report) -> dict[str, SloSpec]:
    """The SLOs in the files these paths or globs (relative to ``base``) name."""
    out: dict[str, SloSpec] = {}
    for pattern in patterns:
        full = str(base / pattern)
        paths = files.glob(full) if glob.has_magic(full) else [full]
        if not paths:
            report(f"{full}: no file matches")
        for path in paths:
            try:
                documents = _documents(path)
            except ConfigError as exc:
                report(str(exc))
                continue
            for doc in documents:
                data = doc.data if isinstance(doc.data, dict) else {}
                if data.get("version") == "prometheus/v1":
                    found = _sloth(doc, report)
                elif data.get("apiVersion") == "openslo/v1" and data.get("kind") == "SLO":
                    found = _openslo(doc, report)
                elif data.get("apiVersion") == "openslo/v1":
                    continue  # other OpenSLO kinds (SLI, AlertPolicy ...) are not SLOs
                else:
                    report(
                        str(doc.error([], "not a Sloth prometheus/v1 spec or an OpenSLO v1 SLO"))
                    )
                    continue
                for slo_id, spec in found.items():
                    if slo_id in out:
                        report(str(doc.error([], f"SLO {slo_id!r} is defined twice")))
                    out[slo_id] = spec
    return out
