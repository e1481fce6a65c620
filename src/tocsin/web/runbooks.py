"""Pages: every runbook (``/runbooks``, stale ones flagged), one runbook (its Markdown
rendered, sanitised, with its previous incidents), and the editor of database runbooks
(``/runbooks/new``, ``/runbooks/{slug}/edit``: "Preview" shows the text rendered without
saving). File runbooks are read-only here: the page names their file ("edit in git").
``/runbooks/{slug}.md`` downloads a runbook as a file for the runbooks directory."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from tocsin.domain.runbooks import Runbook
from tocsin.errors import Conflict, FieldProblem, InputError
from tocsin.services.runbooks import Fields
from tocsin.services.runtime import Runtime
from tocsin.web.markdown_preview import preview
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Acting, Viewer, acting, runtime_of, viewing

__all__ = ["ShownRunbook", "router", "runbooks_of"]

router = web_router()


@dataclass(frozen=True)
class ShownRunbook:
    """A runbook on an incident's page: its quick assessment rendered."""

    runbook: Runbook
    stale: bool
    quick_html: Markup


def runbooks_of(runtime: Runtime, incident_id: int) -> list[ShownRunbook]:
    """The runbooks an incident's page shows (``incidents/_runbooks.html``)."""
    return [
        ShownRunbook(x.runbook, x.stale, preview(x.runbook.quick_assessment, top=5))
        for x in runtime.runbooks.for_incident(incident_id)
    ]


#: What the editor sends, as typed.
FIELDS = (
    "slug",
    "title",
    "alerts",
    "matchers",
    "service",
    "owner",
    "last_reviewed",
    "review_every",
    "body",
    "version",
)


def _lines(text: str) -> list[str]:
    """One per line (matchers hold commas); alert names may also be split by commas."""
    return [x.strip() for x in text.splitlines() if x.strip()]


def _names(text: str) -> list[str]:
    return [x.strip() for x in text.replace(",", "\n").splitlines() if x.strip()]


def _typed(form: Acting) -> dict[str, str]:
    typed = {k: form.text(k) for k in FIELDS if k != "body"}
    raw = form.form.get("body")
    typed["body"] = raw if isinstance(raw, str) else ""
    return typed


def _fields(typed: Mapping[str, str]) -> Fields:
    return Fields(
        title=typed.get("title", ""),
        body=typed.get("body", ""),
        alerts=_names(typed.get("alerts", "")),
        matchers=_lines(typed.get("matchers", "")),
        service=typed.get("service") or None,
        owner=typed.get("owner") or None,
        last_reviewed=typed.get("last_reviewed") or None,
        review_every=typed.get("review_every") or None,
    )


@router.get("/runbooks")
async def runbook_list(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewing)],
    stale: Annotated[str, Query(max_length=5)] = "",
    service: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    runtime = runtime_of(request)
    rows = await run_in_threadpool(
        lambda: runtime.runbooks.listing(
            stale=True if stale else None, service=service.strip() or None
        )
    )
    policy = runtime.runbooks.policy
    return page(
        request,
        "runbooks/list.html",
        viewer,
        title="Runbooks",
        rows=rows,
        stale=bool(stale),
        service=service.strip(),
        directory=policy.directory,
        review_days=policy.review_every.days,
    )


async def _editor(
    request: Request,
    viewer: Viewer,
    *,
    slug: str | None,
    typed: Mapping[str, str],
    problems: Sequence[FieldProblem] = (),
    notice: str = "",
    previewing: bool = False,
    status_code: int = 200,
) -> Response:
    runtime = runtime_of(request)
    config = runtime.current.routing
    owners = sorted({*config.users, *config.teams}) if config else []
    return page(
        request,
        "runbooks/edit.html",
        viewer,
        title=f"Edit runbook {slug}" if slug else "New runbook",
        slug=slug,
        form={**{k: "" for k in FIELDS}, **typed},
        owners=owners,
        previewing=previewing,
        preview_html=preview(typed.get("body", "")),
        problems=[str(p) for p in problems],
        notice=notice,
        status_code=status_code,
    )


@router.get("/runbooks/new")
async def new_runbook(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewing)],
    title: Annotated[str, Query(max_length=500)] = "",
    alert: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    runtime = runtime_of(request)
    typed = {
        "title": title,
        "alerts": alert,
        "body": runtime.runbooks.template(title or "New runbook"),
    }
    return await _editor(request, viewer, slug=None, typed=typed)


@router.post("/runbooks/new")
async def create_runbook(request: Request, form: Annotated[Acting, Depends(acting)]) -> Response:
    typed = _typed(form)
    viewer = form.viewer
    if form.text("do") == "preview":
        return await _editor(request, viewer, slug=None, typed=typed, previewing=True)
    runtime = runtime_of(request)
    slug = typed.get("slug", "").lower()
    try:
        await run_in_threadpool(
            runtime.runbooks.create,
            slug,
            _fields(typed),
            viewer.user_id,
            viewer.principal.may_change,
        )
    except InputError as exc:
        return await _editor(
            request, viewer, slug=None, typed=typed, problems=exc.problems, status_code=400
        )
    except Conflict as exc:
        return await _editor(
            request, viewer, slug=None, typed=typed, notice=str(exc), status_code=409
        )
    return RedirectResponse(f"/runbooks/{slug}", 303)


@router.get("/runbooks/{slug}.md")
async def runbook_file(
    request: Request, slug: str, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    name, text = await run_in_threadpool(runtime_of(request).runbooks.export, slug)
    return Response(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/runbooks/{slug}")
async def runbook_page(
    request: Request, slug: str, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    runtime = runtime_of(request)
    found = await run_in_threadpool(runtime.runbooks.page, slug)
    rb = found.runbook
    config = runtime.current.routing
    team = config.teams.get(rb.owner) if config is not None and rb.owner else None
    return page(
        request,
        "runbooks/page.html",
        viewer,
        title=f"Runbook: {rb.title}",
        found=found,
        rb=rb,
        team=team,
        body_html=preview(found.body),
        review_days=(rb.review_every or runtime.runbooks.policy.review_every).days,
    )


@router.get("/runbooks/{slug}/edit")
async def edit_runbook(
    request: Request, slug: str, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    runtime = runtime_of(request)
    rb = await run_in_threadpool(runtime.runbooks.get, slug)
    if not rb.editable:
        return RedirectResponse(f"/runbooks/{slug}", 303)
    typed = {
        "title": rb.title,
        "alerts": ", ".join(rb.alerts),
        "matchers": "\n".join(str(m) for m in rb.matchers),
        "service": rb.service or "",
        "owner": rb.owner or "",
        "last_reviewed": rb.last_reviewed.isoformat() if rb.last_reviewed else "",
        "review_every": f"{rb.review_every.days}d" if rb.review_every else "",
        "body": rb.body,
        "version": str(rb.version),
    }
    return await _editor(request, viewer, slug=slug, typed=typed)


@router.post("/runbooks/{slug}/edit")
async def save_runbook(
    request: Request, slug: str, form: Annotated[Acting, Depends(acting)]
) -> Response:
    typed = _typed(form)
    viewer = form.viewer
    if form.text("do") == "preview":
        return await _editor(request, viewer, slug=slug, typed=typed, previewing=True)
    runtime = runtime_of(request)
    version = typed.get("version", "")
    try:
        if not version.isdigit() or int(version) < 1:
            raise InputError(FieldProblem("version", "the form is out of date: reload the page"))
        await run_in_threadpool(
            runtime.runbooks.update,
            slug,
            int(version),
            _fields(typed),
            viewer.user_id,
            viewer.principal.may_change,
        )
    except InputError as exc:
        return await _editor(
            request, viewer, slug=slug, typed=typed, problems=exc.problems, status_code=400
        )
    except Conflict as exc:
        return await _editor(
            request, viewer, slug=slug, typed=typed, notice=str(exc), status_code=409
        )
    return RedirectResponse(f"/runbooks/{slug}", 303)


@router.post("/runbooks/{slug}/review")
async def review_runbook(
    request: Request, slug: str, form: Annotated[Acting, Depends(acting)]
) -> Response:
    await run_in_threadpool(
        runtime_of(request).runbooks.review,
        slug,
        form.viewer.user_id,
        form.viewer.principal.may_change,
    )
    return RedirectResponse(f"/runbooks/{slug}", 303)
