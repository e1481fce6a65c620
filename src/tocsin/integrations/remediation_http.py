"""A remediation action's HTTP call (``domain.remediation``), made through Tocsin's guarded
client (``tocsin.outbound``) with the rule the caller gives (``domain.remediation.
address_rule``): the host is resolved, every address checked, and the connection made to a
checked one; a refused address is a ``refused`` run. Redirects are never followed, the
answer's body is kept up to ``OUTPUT_LIMIT``. A 2xx answer succeeded; any other, or no
answer, failed; no answer within the timeout timed out.

The timeout is one deadline for the whole call (``time.monotonic``): each phase (name
lookup, connect, send, each read of the answer) may take at most what is left, and the
answer is read in pieces, checking the deadline after each, so a server trickling its
answer is cut there. (The caller bounds the whole call too: ``notify.remediation_job``.)"""

from __future__ import annotations

import time
from collections.abc import Mapping

import httpx

from tocsin.domain.remediation import OUTPUT_LIMIT, Outcome, RunState, truncate
from tocsin.outbound import Guard, Outbound, Refused, Trust, guarded_client

__all__ = ["call"]


def call(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: str | None,
    timeout: float,
    deadline: float | None = None,
    guard: Guard | None = None,
) -> Outcome:
    """Make the call, done by ``deadline`` (a ``time.monotonic`` instant; default: now +
    ``timeout``), to addresses ``guard`` allows (default: those of a URL an administrator
    configured); every failure is an Outcome, never an exception."""
    end = deadline if deadline is not None else time.monotonic() + timeout
    late = Outcome(RunState.TIMED_OUT, reason=f"no answer within {timeout:g}s")
    left = end - time.monotonic()
    if left <= 0:
        return late
    limits = Outbound()  # the deadline here is the call's, and it reads OUTPUT_LIMIT at most
    try:
        with guarded_client(
            limits, guard=guard or limits.guard(Trust.CONFIGURED), timeout=left
        ) as client:
            request = client.build_request(
                method,
                url,
                headers=dict(headers),
                content=body.encode() if body is not None else None,
            )
            response = client.send(request, stream=True)
            try:
                kept = b""
                for chunk in response.iter_bytes():
                    kept += chunk
                    if time.monotonic() >= end:
                        cut = truncate(kept.decode("utf-8", "replace"))
                        return Outcome(
                            RunState.TIMED_OUT,
                            response.status_code,
                            cut,
                            f"the answer did not finish within {timeout:g}s",
                        )
                    if len(kept) > OUTPUT_LIMIT:
                        break
                text = truncate(kept.decode("utf-8", "replace"))
                status = response.status_code
            finally:
                response.close()
    except Refused as exc:
        return Outcome(RunState.REFUSED, reason=str(exc))
    except httpx.TimeoutException:
        return late
    except httpx.HTTPError as exc:
        return Outcome(RunState.FAILED, reason=f"the call failed: {exc or type(exc).__name__}")
    if 200 <= status < 300:
        return Outcome(RunState.SUCCEEDED, status, text)
    return Outcome(RunState.FAILED, status, text, f"answered HTTP {status}")
