"""Pages: drills and tabletop exercises (docs/drills.md).

``/drills`` lists drills with their outcome and the scheduled ones, and runs a drill on a
policy; ``/drills/{id}`` is a drill's report (``.md`` to download). ``/drills/tabletop``
lists the scenarios and sessions and starts one; a session's page walks the scenario step
by step (Next, Back), records the team's answers per question and finishes with notes; its
report is a page and a Markdown file."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.incidents import Severity
from tocsin.domain.tabletop import DEBRIEF
from tocsin.errors import InputError
from tocsin.web.markdown_preview import preview
from tocsin.web.render import page
from tocsin.web.routing import RowId, web_router
from tocsin.web.session import Acting, Viewer, acting, runtime_of, viewing

__all__ = ["router"]

router = web_router()


def _markdown(text: str, filename: str) -> Response:
    return Response(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def _list(
    request: Request, viewer: Viewer, problems: list[str] | None = None, status: int = 200
) -> Response:
    runtime = runtime_of(request)
    svc = runtime.drills
    reports, planned, runs = await run_in_threadpool(
        lambda: (svc.drills(), svc.schedule(), svc.runs(20))
    )
    config = runtime.current.routing
    return page(
        request,
        "drills/list.html",
        viewer,
        title="Drills",
        status_code=status,
        reports=reports,
        planned=planned,
        runs=runs,
        policies=sorted(config.escalation_policies) if config else [],
        severities=list(Severity),
        problems=problems or [],
    )


@router.get("/drills")
async def drills(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    return await _list(request, viewer)


@router.post("/drills")
async def run_drill(request: Request, form: Annotated[Acting, Depends(acting)]) -> Response:
    svc = runtime_of(request).drills
    try:
        incident = await run_in_threadpool(
            lambda: svc.run(
                form.text("policy"),
                form.viewer.user_id,
                severity=form.text("severity") or "SEV3",
                title=form.text("title") or None,
            )
        )
    except InputError as exc:
        return await _list(request, form.viewer, [str(p) for p in exc.problems], 400)
    return RedirectResponse(f"/drills/{incident.id}", 303)


# -- tabletop (before /drills/{id}: "tabletop" is not a number) ------------------------------


@router.get("/drills/tabletop")
async def tabletop(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    svc = runtime_of(request).tabletop
    sessions = await run_in_threadpool(svc.sessions)
    return page(
        request,
        "drills/tabletop.html",
        viewer,
        title="Tabletop exercises",
        scenarios=svc.scenarios(),
        sessions=sessions,
    )


@router.post("/drills/tabletop/sessions")
async def start(request: Request, form: Annotated[Acting, Depends(acting)]) -> Response:
    svc = runtime_of(request).tabletop
    names = form.text("participants").replace("\n", ",").split(",")
    session = await run_in_threadpool(
        lambda: svc.start(form.text("scenario"), form.viewer.user_id, names)
    )
    return RedirectResponse(f"/drills/tabletop/sessions/{session.id}", 303)


async def _session_page(
    request: Request, viewer: Viewer, session_id: int, problems: list[str] | None = None
) -> Response:
    svc = runtime_of(request).tabletop
    view = await run_in_threadpool(svc.view, session_id)
    s = view.session
    if s.finished:
        return RedirectResponse(f"/drills/tabletop/sessions/{session_id}/report", 303)
    step = view.scenario.steps[s.step] if view.scenario and s.step < view.steps else None
    return page(
        request,
        "drills/session.html",
        viewer,
        title=f"Tabletop: {s.title}",
        status_code=400 if problems else 200,
        view=view,
        session=s,
        step=step,
        debrief=DEBRIEF,
        situation=preview(step.situation) if step is not None else None,
        problems=problems or [],
    )


@router.get("/drills/tabletop/sessions/{session_id}")
async def session(
    request: Request, session_id: RowId, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    return await _session_page(request, viewer, session_id)


@router.post("/drills/tabletop/sessions/{session_id}/step")
async def move(
    request: Request, session_id: RowId, form: Annotated[Acting, Depends(acting)]
) -> Response:
    svc = runtime_of(request).tabletop
    to = form.text("to")
    step = int(to) if to.isdigit() and len(to) < 6 else -1
    try:
        await run_in_threadpool(svc.go_to, session_id, step)
    except InputError as exc:
        return await _session_page(request, form.viewer, session_id, [str(p) for p in exc.problems])
    return RedirectResponse(f"/drills/tabletop/sessions/{session_id}", 303)


@router.post("/drills/tabletop/sessions/{session_id}/answers")
async def answer(
    request: Request, session_id: RowId, form: Annotated[Acting, Depends(acting)]
) -> Response:
    svc = runtime_of(request).tabletop
    step, question = form.text("step"), form.text("question")
    try:
        await run_in_threadpool(
            lambda: svc.answer(
                session_id,
                int(step) if step.lstrip("-").isdigit() and len(step) < 6 else -2,
                int(question) if question.isdigit() and len(question) < 6 else -1,
                form.text("answer"),
                form.viewer.user_id,
            )
        )
    except InputError as exc:
        return await _session_page(request, form.viewer, session_id, [str(p) for p in exc.problems])
    return RedirectResponse(f"/drills/tabletop/sessions/{session_id}#q-{step}-{question}", 303)


@router.post("/drills/tabletop/sessions/{session_id}/participants")
async def participants(
    request: Request, session_id: RowId, form: Annotated[Acting, Depends(acting)]
) -> Response:
    svc = runtime_of(request).tabletop
    names = form.text("participants").replace("\n", ",").split(",")
    await run_in_threadpool(svc.set_participants, session_id, names)
    return RedirectResponse(f"/drills/tabletop/sessions/{session_id}", 303)


@router.post("/drills/tabletop/sessions/{session_id}/finish")
async def finish(
    request: Request, session_id: RowId, form: Annotated[Acting, Depends(acting)]
) -> Response:
    svc = runtime_of(request).tabletop
    try:
        await run_in_threadpool(svc.finish, session_id, form.text("notes"))
    except InputError as exc:
        return await _session_page(request, form.viewer, session_id, [str(p) for p in exc.problems])
    return RedirectResponse(f"/drills/tabletop/sessions/{session_id}/report", 303)


@router.get("/drills/tabletop/sessions/{session_id}/report")
async def session_report(
    request: Request, session_id: RowId, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    svc = runtime_of(request).tabletop
    text = await run_in_threadpool(svc.markdown, session_id)
    view = await run_in_threadpool(svc.view, session_id)
    return page(
        request,
        "drills/session_report.html",
        viewer,
        title=f"Tabletop report: {view.session.title}",
        session=view.session,
        # Its title is the page's; the rest goes under the page's h2.
        report=preview(text.split("\n", 1)[1] if text.startswith("# ") else text, top=3),
    )


@router.get("/drills/tabletop/sessions/{session_id}/report.md")
async def session_markdown(
    request: Request, session_id: RowId, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    text = await run_in_threadpool(runtime_of(request).tabletop.markdown, session_id)
    return _markdown(text, f"tabletop-{session_id}.md")


# -- a drill's report ------------------------------------------------------------------------


@router.get("/drills/{incident_id}")
async def drill(
    request: Request, incident_id: RowId, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    report = await run_in_threadpool(runtime_of(request).drills.report, incident_id)
    return page(request, "drills/report.html", viewer, title=f"Drill #{incident_id}", report=report)


@router.get("/drills/{incident_id}/report.md")
async def drill_markdown(
    request: Request, incident_id: RowId, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    report = await run_in_threadpool(runtime_of(request).drills.report, incident_id)
    return _markdown(report.markdown(), f"drill-{incident_id}.md")
