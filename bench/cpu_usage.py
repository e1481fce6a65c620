"""Where the CPU goes during a benchmark, read from ``/proc`` (Linux): the whole machine, a
set of processes (the servers under test), the PostgreSQL server's processes, and this one."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Usage", "cpu_seconds", "settle"]


def _jiffies(pid: int | str, *, children: bool = False) -> int:
    """utime + stime of a process (fields 14 and 15 of ``/proc/<pid>/stat``), with its
    children's it has waited for (16 and 17) if ``children``; 0 once gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0
    return sum(int(x) for x in stat[11 : 15 if children else 13])


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes used so far."""
    return sum(_jiffies(pid) for pid in pids) / os.sysconf("SC_CLK_TCK")


def postgres_pids() -> list[str]:
    """Every PostgreSQL server process on the machine (the server and its backends)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and (proc / "comm").read_text().strip() == "postgres":
                found.append(proc.name)
        except OSError:
            continue
    return found


@dataclass(frozen=True)
class Usage:
    """CPU seconds used so far: the whole machine (``/proc/stat``), the nodes, the PostgreSQL
    server (all its processes, whoever they serve), this process (load and receiver)."""

    at: float
    machine: float
    nodes: float
    postgres: float
    bench: float

    @classmethod
    def now(cls, pids: list[int]) -> Usage:
        tick = os.sysconf("SC_CLK_TCK")
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        busy = sum(fields) - fields[3] - fields[4]  # all but idle and iowait
        # A backend that exits takes its CPU time to the server process, which reaped it.
        postgres = sum(_jiffies(pid, children=True) for pid in postgres_pids())
        return cls(
            time.monotonic(), busy / tick, cpu_seconds(pids), postgres / tick, time.process_time()
        )

    def cores_since(self, before: Usage) -> dict[str, float]:
        """Cores busy on average between ``before`` and this, by whom."""
        wall = self.at - before.at
        used = {
            name: (getattr(self, name) - getattr(before, name)) / wall
            for name in ("machine", "nodes", "postgres", "bench")
        }
        # The rest, never below 0 (the readings are a few milliseconds apart).
        used["other"] = max(0.0, used["machine"] - used["nodes"] - used["postgres"] - used["bench"])
        return used


def settle(pids: list[int], limit: float = 60.0) -> float:
    """Wait until the nodes use under 5 % of a core over half a second; the seconds waited."""
    began = time.monotonic()
    last = cpu_seconds(pids)
    while time.monotonic() - began < limit:
        time.sleep(0.5)
        now = cpu_seconds(pids)
        if now - last < 0.025:
            break
        last = now
    return time.monotonic() - began
