"""Live pages: a Server-Sent Events stream that says "changed" when anything people watch
has changed (incidents, alerts, silences, deliveries, overrides). The page then fetches
itself and swaps in its live regions (``static/tocsin.js``); without JavaScript or
EventSource, pages still work and the script falls back to polling."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from tocsin.store import activity
from tocsin.store.database import Database
from tocsin.web.routing import web_router
from tocsin.web.session import Viewer, runtime_of, viewing

__all__ = ["Pulse", "router"]

router = web_router()
#: How often a stream looks for changes, and how often it says it is still there.
CHECK_EVERY = 1.5
KEEPALIVE = 15.0
#: Streams end after this long; browsers reconnect at once (and the session is rechecked).
STREAM_LIFETIME = 600.0


class Pulse:
    """The latest marks, read at most once per CHECK_EVERY however many pages watch."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._marks: tuple[object, ...] = ()
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def marks(self) -> tuple[object, ...]:
        async with self._lock:
            if time.monotonic() - self._read_at >= CHECK_EVERY * 0.9:
                self._marks = await run_in_threadpool(self._read)
                self._read_at = time.monotonic()
            return self._marks

    def _read(self) -> tuple[object, ...]:
        with self.db.read() as conn:
            return activity.marks(conn)


def pulse_of(request: Request) -> Pulse:
    state = request.app.state
    if getattr(state, "pulse", None) is None:
        state.pulse = Pulse(runtime_of(request).db)
    pulse: Pulse = state.pulse
    return pulse


async def _events(request: Request, pulse: Pulse) -> AsyncIterator[str]:
    yield "retry: 3000\n\n"
    seen = await pulse.marks()
    started = last_sent = time.monotonic()
    while time.monotonic() - started < STREAM_LIFETIME:
        await asyncio.sleep(CHECK_EVERY)
        if await request.is_disconnected():
            return
        now_marks = await pulse.marks()
        if now_marks != seen:
            seen = now_marks
            last_sent = time.monotonic()
            yield "event: change\ndata: {}\n\n"
        elif time.monotonic() - last_sent >= KEEPALIVE:
            last_sent = time.monotonic()
            yield ": still here\n\n"


@router.get("/ui/live")
async def live(request: Request, _: Annotated[Viewer, Depends(viewing)]) -> StreamingResponse:
    return StreamingResponse(
        _events(request, pulse_of(request)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
