"""A remediation action's HTTP call (``domain.remediation``), made with httpx to an address
the caller has already checked and pinned (``notify.status_webhook_guard``): redirects are
never followed, the answer's body is kept up to ``OUTPUT_LIMIT``. A 2xx answer succeeded;
any other, or no answer, failed; no answer within the timeout timed out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from tocsin.domain.remediation import OUTPUT_LIMIT, Outcome, RunState, truncate

__all__ = ["call"]


def call(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str],
    body: str | None,
    timeout: float,
    extensions: Mapping[str, Any] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Outcome:
    """Make the call; every failure is an Outcome, never an exception."""
    try:
        with httpx.Client(
            timeout=timeout, follow_redirects=False, transport=transport, trust_env=False
        ) as client:
            request = client.build_request(
                method,
                url,
                headers=dict(headers),
                content=body.encode() if body is not None else None,
                extensions=dict(extensions or {}),
            )
            response = client.send(request, stream=True)
            try:
                kept = b""
                for chunk in response.iter_bytes():
                    kept += chunk
                    if len(kept) > OUTPUT_LIMIT:
                        break
                text = truncate(kept.decode("utf-8", "replace"))
                status = response.status_code
            finally:
                response.close()
    except httpx.TimeoutException:
        return Outcome(RunState.TIMED_OUT, reason=f"no answer within {timeout:g}s")
    except httpx.HTTPError as exc:
        return Outcome(RunState.FAILED, reason=f"the call failed: {exc or type(exc).__name__}")
    if 200 <= status < 300:
        return Outcome(RunState.SUCCEEDED, status, text)
    return Outcome(RunState.FAILED, status, text, f"answered HTTP {status}")
