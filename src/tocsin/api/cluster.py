"""The nodes on this database and the configuration versions they run (docs/cluster.md)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from tocsin.api.responses import json_response
from tocsin.api.runtime import runtime_of
from tocsin.services.cluster import status_json

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["Operations"])


# roles: admins only, by the access guard's rule for GET /api/cluster (api/access.py).
@router.get("/cluster", summary="The nodes on this database and the configuration they run")
def cluster(request: Request) -> Response:
    return json_response(status_json(runtime_of(request).cluster.status()))
