"""The shared, bounded Hypothesis profile of the fuzz suite.

``TOCSIN_FUZZ_EXAMPLES`` (default 60) sets how many examples each property runs; the
profile is registered, not loaded, so the rest of the test suite keeps its own settings.
Tests use it as ``@FUZZ`` (``from tests.fuzz.conftest import FUZZ``).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("TOCSIN_FUZZ_EXAMPLES", "60"))

settings.register_profile(
    "tocsin-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("TOCSIN_FUZZ_RANDOM", "") == "",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    database=None,
)
FUZZ = settings(settings.get_profile("tocsin-fuzz"))
