"""Pages: an incident's postmortem (``/incidents/{id}/postmortem``): its state, reviewers and
due date, the buttons for the next step, a Markdown editor with the timeline entries to
show, and a sanitised preview; and every postmortem (``/postmortems``).

Forms post to ``/incidents/{id}/postmortem/<action>``. Saving sends the version the editor
was read at: when someone saved meanwhile, the page comes back (409) with the person's
text kept in the editor and the other version shown beside it; saving again then replaces
it knowingly. "Preview" shows the typed text rendered, without saving."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from tocsin.domain.postmortems import Edit, Postmortem, PostmortemState
from tocsin.errors import Conflict, FieldProblem, InputError
from tocsin.services.postmortems import PostmortemPage, VersionConflict
from tocsin.services.runtime import Runtime
from tocsin.store.incidents import Event
from tocsin.web.incident_page import checked_id, posted_action
from tocsin.web.markdown_preview import preview
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Acting, Viewer, acting, runtime_of, viewing

__all__ = ["router"]

router = web_router()

#: What the editor sends, as typed.
FIELDS = ("title", "root_cause_category", "authors", "reviewers", "body", "version")


@dataclass(frozen=True)
class Choice:
    """A timeline entry, and whether the document's timeline shows it."""

    event: Event
    chosen: bool


def _people(text: str) -> list[str]:
    return [p for p in re.split(r"[,\s]+", text) if p]


def _can(found: PostmortemPage, viewer: Viewer) -> set[str]:
    """The steps the page offers this person now."""
    pm = found.postmortem
    if pm is None:
        return {"create"}
    can: set[str] = set()
    if pm.state is PostmortemState.DRAFT:
        can |= {"edit", "submit"}
    if pm.state is PostmortemState.IN_REVIEW:
        can |= {"edit", "reopen"}
        if viewer.user_id in pm.waiting_for:
            can.add("approve")
        if pm.approved:
            can.add("publish")
        elif viewer.admin or found.incident.roles.get("commander") == viewer.user_id:
            can.add("override")
    return can


async def postmortem_view(
    request: Request,
    viewer: Viewer,
    incident_id: int,
    *,
    typed: Mapping[str, str] | None = None,
    chosen: Sequence[int] | None = None,
    problems: Sequence[FieldProblem] = (),
    notice: str = "",
    theirs: Postmortem | None = None,
    status_code: int = 200,
) -> Response:
    """The page; with ``typed``, the editor holds that text (a preview, a problem, a
    conflict) instead of the stored one."""
    runtime = runtime_of(request)
    found = await run_in_threadpool(runtime.postmortems.page, checked_id(incident_id))
    pm, incident = found.postmortem, found.incident
    shown = pm.timeline_selection if pm is not None else None
    before = [e.id for e in found.events if shown is None or e.id in shown]
    picked = set(chosen if chosen is not None else before)
    form = {
        "title": pm.title if pm else "",
        "root_cause_category": (pm.root_cause_category or "") if pm else "",
        "authors": ", ".join(pm.authors) if pm else "",
        "reviewers": ", ".join(r.user for r in pm.reviewers) if pm else "",
        "body": pm.body if pm else "",
        "version": str(pm.version) if pm else "",
        **(typed or {}),
    }
    if theirs is not None:
        form["version"] = str(theirs.version)
    now = runtime.clock.now()
    config = runtime.current.routing
    return page(
        request,
        "postmortems/page.html",
        viewer,
        title=f"Postmortem of #{incident.id} {incident.title}",
        incident=incident,
        pm=pm,
        required=incident.severity.value in found.policy.required_for,
        categories=found.policy.categories,
        overdue=pm is not None and pm.overdue(now),
        can=_can(found, viewer),
        choices=[Choice(e, e.id in picked) for e in found.events],
        before=",".join(str(i) for i in before),
        form=form,
        previewing=typed is not None and theirs is None and not problems,
        preview_html=preview(form["body"]),
        users=sorted(config.users) if config else [],
        problems=[str(p) for p in problems],
        notice=notice,
        theirs=theirs,
        status_code=status_code,
    )


@router.get("/incidents/{incident_id}/postmortem")
async def postmortem_page(
    request: Request, incident_id: int, viewer: Annotated[Viewer, Depends(viewing)]
) -> Response:
    return await postmortem_view(request, viewer, incident_id)


def _version(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise InputError(FieldProblem("version", "the form is out of date: reload the page"))
    return int(text)


def _body(form: Acting) -> str:
    """The Markdown as typed: not stripped, unlike the other fields."""
    raw = form.form.get("body")
    return raw if isinstance(raw, str) else ""


def _edit(form: Acting) -> Edit:
    chosen = sorted({int(v) for v in form.all("selected") if v.isdigit()})
    before = sorted({int(v) for v in form.text("before").split(",") if v.isdigit()})
    category = form.text("root_cause_category")
    return Edit(
        title=form.text("title"),
        body=_body(form),
        root_cause_category=category or None,
        clear_category=not category,
        authors=_people(form.text("authors")),
        reviewers=_people(form.text("reviewers")),
        # Only a changed choice is sent: an untouched "all" stays "all" (new entries too).
        timeline_selection=chosen if chosen != before else None,
    )


#: An action: (the runtime, the incident, the acting person, the form).
Act = Callable[[Runtime, int, str, Acting], object]

ACTIONS: dict[str, Act] = {
    "create": lambda rt, i, who, form: rt.postmortems.create(i, who),
    "submit": lambda rt, i, who, form: rt.postmortems.submit(i, who),
    "approve": lambda rt, i, who, form: rt.postmortems.approve(i, who),
    "publish": lambda rt, i, who, form: rt.postmortems.publish(
        i, who, override=form.text("override") == "1"
    ),
    "reopen": lambda rt, i, who, form: rt.postmortems.reopen(i, who),
    "save": lambda rt, i, who, form: rt.postmortems.edit(
        i, who, _version(form.text("version")), _edit(form)
    ),
}


@router.post("/incidents/{incident_id}/postmortem/{action}")
async def postmortem_action(
    request: Request,
    incident_id: int,
    action: str,
    form: Annotated[Acting, Depends(acting)],
) -> Response:
    todo = posted_action(ACTIONS, action, incident_id, "postmortems")
    viewer = form.viewer
    typed = None
    chosen = None
    if action == "save":
        typed = {k: form.text(k) for k in FIELDS if k != "body"}
        typed["body"] = _body(form)
        chosen = [int(v) for v in form.all("selected") if v.isdigit()]
    # The page again, the editor holding what was typed.
    again = partial(postmortem_view, request, viewer, incident_id, typed=typed, chosen=chosen)
    if action == "save" and form.text("do") == "preview":
        return await again()
    runtime = runtime_of(request)
    try:
        await run_in_threadpool(todo, runtime, incident_id, viewer.user_id, form)
    except VersionConflict as exc:
        theirs = await run_in_threadpool(runtime.postmortems.get, incident_id)
        notice = (
            f"{theirs.updated_by} saved version {exc.stored} while you were editing version "
            f"{exc.sent}. Your text is kept in the editor and theirs is shown below: merge "
            "what you need; saving again replaces their version with yours."
        )
        return await again(notice=notice, theirs=theirs, status_code=409)
    except InputError as exc:
        return await again(problems=exc.problems, status_code=400)
    except Conflict as exc:
        if action == "create":  # someone drafted it meanwhile: show theirs
            return RedirectResponse(f"/incidents/{incident_id}/postmortem", 303)
        return await again(notice=str(exc), status_code=409)
    return RedirectResponse(f"/incidents/{incident_id}/postmortem", 303)


@router.get("/postmortems")
async def postmortem_list(
    request: Request,
    viewer: Annotated[Viewer, Depends(viewing)],
    state: Annotated[str, Query(max_length=20)] = "",
    overdue: Annotated[str, Query(max_length=5)] = "",
) -> Response:
    runtime = runtime_of(request)
    states = [s.value for s in PostmortemState]
    chosen = state if state in states else ""
    rows = await run_in_threadpool(
        lambda: runtime.postmortems.listing(state=chosen or None, overdue=True if overdue else None)
    )
    return page(
        request,
        "postmortems/list.html",
        viewer,
        title="Postmortems",
        rows=rows,
        states=states,
        state=chosen,
        overdue=bool(overdue),
    )
