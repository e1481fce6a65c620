"""Pages: integrations, the ways alerts come in, and how to point each sender at Tocsin.

Tokens are stored hashed, so the page never shows one, except once: the answer to creating
an integration or rotating its token is rendered directly (not a redirect with the token in
the URL, which would end up in the browser's history) with the token and ready-to-paste
configuration that carries it. A team's managers create its integrations and rotate their
tokens; integrations of no team are admins'."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import Response

from tocsin.domain.access import Need
from tocsin.domain.integrations import Integration, IntegrationKind
from tocsin.errors import Conflict, FieldProblem, InputError, NotFound
from tocsin.web.integration_setup import KIND_WORDS, Setup, setup
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Acting, Viewer, acting, allow, runtime_of, viewing

__all__ = ["router"]

router = web_router()


@dataclass(frozen=True)
class Row:
    integration: Integration
    kind_words: str
    setup: Setup
    #: The viewer may rotate its token.
    manage: bool


@dataclass(frozen=True)
class NewToken:
    """A token shown this once: just made, or rotated."""

    integration: Integration
    token: str
    rotated: bool
    setup: Setup


def _page(
    request: Request,
    viewer: Viewer,
    *,
    new: NewToken | None = None,
    typed: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    runtime = runtime_of(request)
    base = runtime.settings.public_url
    rows = [
        Row(i, KIND_WORDS[i.kind], setup(i.kind, base), viewer.may(Need.MANAGE, i.team))
        for i in runtime.integrations.list()
    ]
    config = runtime.current()
    teams = sorted(t for t in (config.teams if config else {}) if viewer.may(Need.MANAGE, t))
    return page(
        request,
        "integrations/integrations.html",
        viewer,
        title="Integrations",
        status_code=status_code,
        rows=rows,
        new=new,
        kinds=[(k.value, KIND_WORDS[k]) for k in IntegrationKind],
        typed=typed or {"name": "", "kind": IntegrationKind.ALERTMANAGER.value},
        problems=problems or {},
        public_url=base,
        teams=teams,
        can_add=viewer.admin or bool(teams),
    )


@router.get("/integrations")
def integrations_page(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    return _page(request, viewer)


@router.post("/integrations")
def create_integration(request: Request, form: Annotated[Acting, Depends(acting)]) -> Response:
    runtime = runtime_of(request)
    typed = {"name": form.text("name"), "kind": form.text("kind"), "team": form.text("team")}
    allow(form.viewer, Need.MANAGE, typed["team"] or None)
    try:
        try:
            kind = IntegrationKind(typed["kind"])
        except ValueError:
            raise InputError(FieldProblem("kind", "choose one of the kinds listed")) from None
        integration, token = runtime.integrations.create(
            typed["name"], kind, team=typed["team"] or None
        )
    except InputError as exc:
        problems = {p.field: p.problem for p in exc.problems}
        return _page(request, form.viewer, typed=typed, problems=problems, status_code=400)
    except Conflict as exc:
        return _page(
            request, form.viewer, typed=typed, problems={"name": str(exc)}, status_code=409
        )
    made = NewToken(integration, token, False, setup(kind, runtime.settings.public_url, token))
    return _page(request, form.viewer, new=made)


@router.post("/integrations/{integration_id}/rotate")
def rotate_token(
    request: Request, integration_id: int, form: Annotated[Acting, Depends(acting)]
) -> Response:
    runtime = runtime_of(request)
    found = next((i for i in runtime.integrations.list() if i.id == integration_id), None)
    if found is None:
        raise NotFound(f"no integration {integration_id}")
    allow(form.viewer, Need.MANAGE, found.team)
    integration, token = runtime.integrations.rotate_token(found.name)
    new = NewToken(
        integration, token, True, setup(integration.kind, runtime.settings.public_url, token)
    )
    return _page(request, form.viewer, new=new)
