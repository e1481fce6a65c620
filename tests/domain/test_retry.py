from __future__ import annotations

from datetime import timedelta

import pytest

from tocsin.domain.retry import backoff


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(0, 0), (1, 5), (2, 10), (3, 20), (7, 320), (8, 600), (500, 600)]
)
def test_backoff_doubles_up_to_the_cap(attempts: int, seconds: int) -> None:
    assert backoff(attempts) == timedelta(seconds=seconds)
