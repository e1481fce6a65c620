"""Alertmanager API v2 silences, so ``amtool silence add|query|expire`` work against Tocsin."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from tocsin.api.alertmanager import matchers_from
from tocsin.api.body import read_body
from tocsin.api.openapi import error_responses, json_body
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.domain.matchers import matches_all
from tocsin.domain.silences import SilenceState
from tocsin.integrations.alertmanager_silences import (
    PostableSilence,
    gettable_silence,
    parse_postable_silence,
    resolve_recurrence,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v2", tags=["Alertmanager API v2"])
_ORDER = {SilenceState.ACTIVE: 0, SilenceState.PENDING: 1, SilenceState.EXPIRED: 2}


@router.get("/silences", summary="List silences")
async def get_silences(
    request: Request,
    filter: Annotated[list[str], Query(description='Matchers, e.g. job="api"')] = [],  # noqa: B006
) -> Response:
    matchers = matchers_from(filter)
    runtime = runtime_of(request)
    found = runtime.silences.with_state(runtime.silences.all())
    found = [
        (s, state)
        for s, state in found
        if matches_all(matchers, {m.name: m.value for m in s.matchers})
    ]
    found.sort(key=lambda pair: (_ORDER[pair[1]], pair[0].ends_at))
    return json_response([gettable_silence(s, state) for s, state in found])


@router.post(
    "/silences",
    summary="Create or update a silence",
    openapi_extra=json_body(PostableSilence),
    responses=error_responses(404),  # the silence to update (its id) does not exist
)
async def post_silence(request: Request) -> Response:
    silence, matchers = parse_postable_silence(await read_body(request))
    assert silence.startsAt is not None and silence.endsAt is not None
    runtime = runtime_of(request)
    routing = runtime.routing
    recurrence = resolve_recurrence(
        silence.recurrence, routing.time_intervals if routing is not None else {}
    )
    silence_id = runtime.silences.save(
        matchers,
        silence.startsAt,
        silence.endsAt,
        silence.createdBy,
        silence.comment,
        silence.id,
        recurrence,
    )
    return json_response({"silenceID": silence_id})


@router.get("/silence/{silence_id}", summary="Get a silence")
async def get_silence(request: Request, silence_id: str) -> Response:
    runtime = runtime_of(request)
    silence = runtime.silences.get(silence_id)
    return json_response(gettable_silence(silence, silence.state(runtime.clock.now())))


@router.delete("/silence/{silence_id}", summary="Expire a silence")
async def delete_silence(request: Request, silence_id: str) -> Response:
    runtime_of(request).silences.expire(silence_id)
    return Response(status_code=200)
