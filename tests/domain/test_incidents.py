"""The incident lifecycle and severity mapping."""

from __future__ import annotations

import pytest

from tocsin.domain.incidents import (
    Action,
    IncidentPolicy,
    Severity,
    Status,
    TransitionError,
    severity_of,
    transition,
)

T, A, M, R = Status.TRIGGERED, Status.ACKNOWLEDGED, Status.MITIGATED, Status.RESOLVED

ALLOWED = {
    (T, Action.ACKNOWLEDGE): A,
    (T, Action.MITIGATE): M,
    (A, Action.MITIGATE): M,
    (T, Action.RESOLVE): R,
    (A, Action.RESOLVE): R,
    (M, Action.RESOLVE): R,
    (R, Action.REOPEN): T,
    (M, Action.REOPEN): T,
    (T, Action.RETRIGGER): T,
    (A, Action.RETRIGGER): T,
}


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_lifecycle_table(status: Status, action: Action) -> None:
    expected = ALLOWED.get((status, action))
    if expected is None:
        with pytest.raises(TransitionError, match=status.value):
            transition(status, action)
    else:
        assert transition(status, action) is expected


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({"severity": "critical"}, Severity.SEV1),
        ({"severity": "Warning"}, Severity.SEV3),
        ({"severity": "info"}, Severity.SEV4),
        ({"severity": "sev2"}, Severity.SEV2),
        ({"severity": "2"}, Severity.SEV2),
        ({"severity": "bogus"}, Severity.SEV3),
        ({}, Severity.SEV3),
    ],
)
def test_severity_from_labels(labels: dict[str, str], expected: Severity) -> None:
    assert severity_of(labels, IncidentPolicy()) is expected


def test_severity_parse_names_the_bad_value() -> None:
    with pytest.raises(ValueError, match="'SEV9' is not a severity"):
        Severity.parse("SEV9")
