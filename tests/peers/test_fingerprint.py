"""Tocsin names every alert with the same fingerprint as a real Alertmanager."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.peers.conftest import Alertmanager, Tocsin, alertmanager, unique

pytestmark = pytest.mark.peer


def label_sets() -> list[dict[str, str]]:
    """Varied label sets: unicode, empty values, many labels, awkward characters and names."""
    sets: list[dict[str, str]] = [
        {},
        {"value": "héllo wörld"},
        {"value": "日本語のアラート"},
        {"value": "🔥💥"},
        {"value": "e\u0301"},  # combining accent ...
        {"value": "\u00e9"},  # ... and the precomposed letter are different values
        {"value": "مرحبا بالعالم"},
        {"value": "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"},  # outside the BMP
        {"value": "👩\u200d💻"},  # zero-width joiner
        {"value": "\u00a0", "bom": "\ufeff", "sep": "\u2028"},
        {"value": "\u00ff\u00fe"},  # encodes to bytes near the 0xff separator
        {"extra": ""},  # empty values are absent labels
        {"extra": "", "other": "", "kept": "yes"},
        {f"l{i:02d}": f"value {i}" for i in range(40)},
        {"value": "a\nb\tc\r"},
        {"value": 'say "hi" \\ ok'},
        {"value": "a=b,c{d}~!=~\"'"},
        {"value": "x" * 2000},
        {"_leading": "1", "a1_b2": "2", "UPPER_case": "3"},
        {"B": "upper", "_": "underscore", "a": "lower"},  # byte order: B < _ < a
        {"a": "1", "ab": "2", "a_b": "3"},  # prefixes: a < a_b < ab
        {"value": "001"},
        {"value": "1e3"},
        {"value": " "},
        {"value": "alertname"},
        {"job": "node", "instance": "10.0.0.1:9100", "severity": "critical"},
        {"alertname": "Ålert ünïcode"},
        {"value": "", "alertname": "EmptyValueLast"},
        {"zzz": "last", "aaa": "first", "mmm": ""},
        {"value": "tab\tand space ", "empty": ""},
        {"value": "nul\x00inside"},
        {"__reserved": "double underscore"},
    ]
    return sets


@pytest.fixture(scope="module")
def am(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Alertmanager]:
    config = {"route": {"receiver": "null"}, "receivers": [{"name": "null"}]}
    with alertmanager(tmp_path_factory.mktemp("alertmanager-fingerprint"), config) as am:
        yield am


def _by_case(alerts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {a["labels"]["case"]: a for a in alerts}


def test_fingerprints_equal_alertmanagers(tocsin: Tocsin, am: Alertmanager) -> None:
    test = unique("fingerprint")
    alerts = [
        {
            "labels": {"alertname": "PeerFingerprint", **labels, "case": str(i), "test": test},
            "annotations": {"description": f"case {i}"},
        }
        for i, labels in enumerate(label_sets())
    ]
    n = len(alerts)
    assert n >= 30
    am.post_alerts(alerts)
    tocsin.post_alerts(alerts)

    from_am = _by_case(am.alerts(f'test="{test}"'))
    from_tocsin = _by_case(tocsin.open_alerts(f'test="{test}"'))
    assert len(from_am) == n
    assert sorted(from_tocsin, key=int) == sorted(from_am, key=int)
    mismatched = {
        case: (a["labels"], a["fingerprint"], from_tocsin[case]["fingerprint"])
        for case, a in from_am.items()
        if a["fingerprint"] != from_tocsin[case]["fingerprint"]
    }
    assert mismatched == {}, "case: (labels, Alertmanager's fingerprint, Tocsin's)"
    # Both keep the same labels (Alertmanager drops empty values too).
    assert {c: a["labels"] for c, a in from_tocsin.items()} == {
        c: a["labels"] for c, a in from_am.items()
    }
    assert len({a["fingerprint"] for a in from_tocsin.values()}) == n


def test_stored_fingerprints_equal_alertmanagers(tocsin: Tocsin, am: Alertmanager) -> None:
    """The fingerprint column itself, not only what the API shows."""
    test = unique("fingerprint-db")
    alerts = [
        {"labels": {"alertname": "PeerFingerprintDb", **labels, "case": str(i), "test": test}}
        for i, labels in enumerate(label_sets()[:10])
    ]
    am.post_alerts(alerts)
    tocsin.post_alerts(alerts)
    from_am = {c: a["fingerprint"] for c, a in _by_case(am.alerts(f'test="{test}"')).items()}
    stored = {
        a["labels"]["case"]: a["fingerprint"]
        for a in tocsin.stored()
        if a["labels"].get("test") == test
    }
    assert stored == from_am
