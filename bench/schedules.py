"""Schedule queries: who is on call now for 500 schedules, and a year of one schedule's shifts.

    .venv/bin/python bench/schedules.py

500 schedules of 3 layers (weekly, daily and 8-hourly rotations in different time zones, two
with restrictions) and 20 overrides each, as the pure domain functions compute them (no
database). Targets: all 500 "on call now" under 50 ms; one year of final shifts for one
schedule under 100 ms. There is no peer to run side by side (Alertmanager has no schedules);
the targets are absolute.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from tocsin.domain.schedules import (
    Layer,
    Override,
    Restriction,
    Rotation,
    Schedule,
    Unit,
    oncall_at,
    shifts,
)
from tocsin.engine.clock import FakeClock
from tocsin.services.configuration import load_configuration
from tocsin.services.schedules import ScheduleService
from tocsin.store import migrate
from tocsin.store import overrides as override_store
from tocsin.store.database import Database
from tocsin.store.overrides import StoredOverride

ZONES = ["America/New_York", "Europe/Berlin", "Asia/Tokyo", "Australia/Sydney", "UTC"]
START = datetime(2025, 1, 6, tzinfo=UTC)
NOW = datetime(2026, 11, 22, 15, 30, tzinfo=UTC)


def schedule(rng: random.Random, n: int) -> Schedule:
    users = [f"user-{n}-{i}" for i in range(8)]
    layers = (
        Layer(START, Rotation(1, Unit.WEEKS, clock_time(9), handoff_weekday=1), tuple(users[:4])),
        Layer(
            START,
            Rotation(1, Unit.DAYS, clock_time(8)),
            tuple(users[4:6]),
            restrictions=(Restriction(clock_time(8), timedelta(hours=10)),),
        ),
        Layer(
            START,
            Rotation(8, Unit.HOURS, clock_time(6)),
            tuple(users[5:]),
            restrictions=tuple(
                Restriction(clock_time(22), timedelta(hours=10), day) for day in (6, 7)
            ),
        ),
    )
    overrides = tuple(
        Override(s, s + timedelta(hours=rng.randint(1, 48)), rng.choice(users))
        for s in (NOW + timedelta(hours=rng.randint(-24 * 180, 24 * 180)) for _ in range(20))
    )
    return Schedule(f"s{n}", ZoneInfo(rng.choice(ZONES)), layers, overrides)


def timed(runs: int, fn: object) -> tuple[float, float, float]:
    """(first run, best, median) in ms. The first run fills the wall-clock caches."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return times[0], min(times), statistics.median(times)


def stored(all_schedules: list[Schedule], folder: str) -> ScheduleService:
    """The same schedules behind the service the API uses, their overrides stored in SQLite
    (10,000 rows) instead of in the configuration."""
    path = Path(folder) / "tocsin.yaml"
    path.write_text("route: {receiver: x}\nreceivers: [{name: x}]\n")
    config = replace(
        load_configuration(str(path)),
        schedules={s.name: replace(s, overrides=()) for s in all_schedules},
    )
    db = Database(f"sqlite:///{folder}/bench.db")
    migrate.upgrade(db)
    with db.write() as conn:
        for s in all_schedules:
            for o in s.overrides:
                override_store.insert_override(
                    conn, StoredOverride(0, s.name, o.user, o.start, o.end, NOW, "bench")
                )
    return ScheduleService(db, FakeClock(NOW), lambda: config)


def main() -> None:
    rng = random.Random(42)
    all_schedules = [schedule(rng, n) for n in range(500)]
    rows = [
        (
            "on call now, 500 schedules",
            timed(5, lambda: [oncall_at(s, NOW) for s in all_schedules]),
            50,
        ),
    ]
    one = all_schedules[0]
    year = timed(5, lambda: shifts(one, NOW, NOW + timedelta(days=365)))
    count = len(shifts(one, NOW, NOW + timedelta(days=365)))
    rows.append((f"one year of shifts, one schedule ({count} shifts)", year, 100))
    with tempfile.TemporaryDirectory() as folder:
        service = stored(all_schedules, folder)
        rows.append(
            (
                "on call now, 500, overrides from SQLite",
                timed(5, lambda: [oncall_at(s, NOW) for s in service.all(from_=NOW).values()]),
                50,
            )
        )
        rows.append(
            (
                "one year of gaps, one schedule (service)",
                timed(5, lambda: service.gaps("s0", NOW, NOW + timedelta(days=365))),
                100,
            )
        )
        service.db.dispose()
    print(f"{'query':<44}{'first ms':>10}{'best ms':>9}{'median ms':>11}{'target ms':>11}")
    for name, (first, best, median), target in rows:
        print(f"{name:<44}{first:>10.1f}{best:>9.1f}{median:>11.1f}{target:>11}")


if __name__ == "__main__":
    main()
