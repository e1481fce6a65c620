"""A lean HTTP load generator for benchmarks that share the machine with the servers they
measure: requests serialised before the clock starts, raw asyncio streams, keep-alive
connections spread round-robin over several servers, all taking from one queue (so a faster
server gets more); every answer's latency, and what each non-2xx said."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Load", "percentile", "post_alerts", "read_answer", "send"]


def post_alerts(body: Any, token: str) -> bytes:
    """``POST /api/v2/alerts`` with ``body`` as JSON and a bearer token, serialised."""
    data = json.dumps(body, separators=(",", ":")).encode()
    head = (
        "POST /api/v2/alerts HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(data)}\r\n\r\n"
    )
    return head.encode() + data


@dataclass
class Load:
    """What sending did: how long it took, each answer's latency (seconds), when each request
    went out, and the first line and body of each answer that was not a 2xx, counted."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    #: time.monotonic() when each request (by its index) was written.
    started: dict[int, float] = field(default_factory=dict)
    failures: Counter[str] = field(default_factory=Counter)


async def read_answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One HTTP/1.1 answer: its head (status line and headers) and its body."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head, await reader.readexactly(length) if length else b""


async def _connection(port: int, queue: list[tuple[int, bytes]], load: Load) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            index, data = queue.pop()
            began = time.monotonic()
            load.started[index] = began
            writer.write(data)
            head, body = await read_answer(reader)
            load.latencies.append(time.monotonic() - began)
            if not head.startswith(b"HTTP/1.1 2"):
                status = head.split(b"\r\n", 1)[0].decode()
                load.failures[f"{status} {body[:120]!r}"] += 1
    finally:
        writer.close()


async def _send(ports: list[int], requests: list[bytes], connections: int) -> Load:
    queue = list(reversed(list(enumerate(requests))))
    load = Load()
    began = time.monotonic()
    await asyncio.gather(
        *(_connection(ports[i % len(ports)], queue, load) for i in range(connections))
    )
    load.seconds = time.monotonic() - began
    return load


def send(ports: list[int], requests: list[bytes], connections: int) -> Load:
    """Send every request once, over ``connections`` connections round-robin over ``ports``."""
    return asyncio.run(_send(ports, requests, min(connections, len(requests))))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
