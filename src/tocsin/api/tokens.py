"""API tokens: list, make (the token is in the answer, once) and revoke
(docs/security.md, "API tokens")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import pydantic
from fastapi import APIRouter, Path, Request, Response

from tocsin.api.access import principal_of
from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.api.schedules import iso, iso_or_none
from tocsin.services.api_tokens import TokenRow, lifetime_of

__all__ = ["router", "token_json"]

router = APIRouter(prefix="/api/tokens", tags=["API tokens"])

TokenId = Annotated[int, Path(ge=1, le=2**53)]


def token_json(t: TokenRow) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "kind": t.kind,
        "owner": t.owner,
        "scope": t.scope,
        "team": t.team,
        "prefix": t.prefix,
        "createdAt": iso(t.created_at),
        "createdBy": t.created_by,
        "expiresAt": iso_or_none(t.expires_at),
        "lastUsedAt": iso_or_none(t.last_used_at),
        "revokedAt": iso_or_none(t.revoked_at),
        "revokedBy": t.revoked_by,
    }


class NewToken(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    name: str = pydantic.Field(min_length=1, max_length=100)
    kind: Literal["personal", "service"] = "personal"
    scope: Literal["read", "respond", "manage"] = "read"
    team: str | None = pydantic.Field(default=None, max_length=100)
    expiresIn: str | None = pydantic.Field(  # noqa: N815 - the API's field name
        default=None, max_length=20, description="e.g. 30d; never; default 90d"
    )


@router.get("", summary="API tokens: your own and your teams' service tokens (admins: every token)")
def list_tokens(request: Request) -> Response:
    found = runtime_of(request).api_tokens.visible_to(principal_of(request))
    return json_response([token_json(t) for t in found])


@router.post(
    "",
    summary="Make an API token (the answer holds it, the only time it is shown)",
    status_code=201,
)
def create_token(request: Request, body: NewToken) -> Response:
    principal = principal_of(request)
    row, token = runtime_of(request).api_tokens.issue(
        principal,
        kind=body.kind,
        name=body.name,
        scope=body.scope,
        team=body.team,
        lifetime=lifetime_of(body.expiresIn),
    )
    return json_response({**token_json(row), "token": token}, 201)


@router.post("/{token_id}/revoke", summary="Revoke a token (its owner, or an admin)")
def revoke_token(request: Request, token_id: TokenId) -> Response:
    done = runtime_of(request).api_tokens.revoke(token_id, principal_of(request))
    return json_response(token_json(done))
