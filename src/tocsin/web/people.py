"""Pages: people and teams, and each person's own settings.

Everyone signed in sees who is who, how they are reached and when (phone numbers and webhook
URLs of others shortened unless the viewer is an admin). A person edits their own contact
methods and notification rules (an admin anyone's); what they save takes precedence over
the configuration file's until they choose "Use the configuration file's settings".

Changing one's password ends every session of that person, on every browser; the browser
that changed it gets a new session at once, so it stays signed in. Admins see whose account
is locked after repeated wrong passwords, and unlock it (as ``tocsin user unlock`` does)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from tocsin.domain.users import Team, User
from tocsin.errors import FieldProblem, InputError, NotFound
from tocsin.services.people import TestPageResult
from tocsin.services.runtime import Runtime
from tocsin.store.accounts import Account
from tocsin.web.contact_words import method_words, rules_text, shown
from tocsin.web.profile_form import CONTACT_FIELDS, METHOD_CHOICES, URGENCIES, ProfileForm
from tocsin.web.render import page
from tocsin.web.routing import web_router
from tocsin.web.session import Acting, Viewer, acting, keep_session, runtime_of, viewing

__all__ = ["router"]

router = web_router()

#: What a redirect back to the person's page says happened.
NOTICES = {
    "profile": "Saved. Pages use these settings from now on.",
    "reset": "Back to the configuration file's settings.",
    "password": (
        "Password changed. Every other browser signed in as you has been signed out; "
        "this one stays signed in."
    ),
    "unlocked": "Unlocked: they may sign in again now.",
    "not-locked": "That account was not locked.",
}


@dataclass(frozen=True)
class Contact:
    label: str
    value: str
    #: Shortened for this viewer (someone else's phone number or webhook URL).
    partly_hidden: bool


@dataclass(frozen=True)
class Urgency:
    label: str
    text: str
    #: The built-in rules (the person set none of their own).
    default: bool


@dataclass(frozen=True)
class PersonView:
    user: User
    contacts: list[Contact]
    urgencies: list[Urgency]
    can_sign_in: bool
    #: Their own settings (saved on their page) are in force, not the file's.
    own_settings: bool
    teams: list[Team]
    #: When the sign-in lockout after wrong passwords ends (shown to admins only).
    locked_until: datetime | None = None


def _sees_all(viewer: Viewer, user_id: str) -> bool:
    return viewer.admin or viewer.user_id == user_id


def _view(
    person: User,
    viewer: Viewer,
    accounts: Mapping[str, Account],
    teams: Sequence[Team],
    locked: Mapping[str, datetime] | None = None,
) -> PersonView:
    full = _sees_all(viewer, person.id)
    contacts = []
    for name, label, _ in CONTACT_FIELDS:
        value, hidden = shown(name, getattr(person, name), full)
        if value:
            contacts.append(Contact(label, value, hidden))
    urgencies = [
        Urgency(label, rules_text(person.rules_for(urgency)), not person.rules.get(urgency))
        for urgency, label in URGENCIES
    ]
    account = accounts.get(person.id)
    return PersonView(
        person,
        contacts,
        urgencies,
        can_sign_in=account is not None and bool(account.password_hash),
        own_settings=account is not None and bool(account.profile),
        teams=[t for t in teams if person.id in t.members],
        locked_until=(locked or {}).get(person.id.lower()) if viewer.admin else None,
    )


def _locked(runtime: Runtime, viewer: Viewer) -> dict[str, datetime]:
    """Accounts locked now, by lower-cased id (only admins are shown them)."""
    return runtime.accounts.locked() if viewer.admin else {}


def _teams(runtime: Runtime) -> list[Team]:
    try:
        return runtime.people.teams()
    except NotFound:
        return []


@router.get("/people")
def people_page(request: Request, viewer: Annotated[Viewer, Depends(viewing)]) -> Response:
    runtime = runtime_of(request)
    accounts = runtime.accounts.everyone()
    try:
        users, teams = runtime.people.users(), runtime.people.teams()
    except NotFound:  # no configuration file: the people who can sign in
        users, teams = [runtime.accounts.person(a) for a in sorted(accounts)], []
    locked = _locked(runtime, viewer)
    people = [_view(u, viewer, accounts, teams, locked) for u in users]
    return page(
        request,
        "people/people.html",
        viewer,
        title="People",
        people=people,
        teams=teams,
        sso=runtime.sso is not None,
    )


def _person_page(
    request: Request,
    viewer: Viewer,
    user_id: str,
    *,
    form: ProfileForm | None = None,
    password_problems: Mapping[str, str] | None = None,
    results: Sequence[TestPageResult] | None = None,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    runtime = runtime_of(request)
    person = runtime.accounts.person(user_id)
    everyone = runtime.accounts.everyone()
    view = _view(person, viewer, everyone, _teams(runtime), _locked(runtime, viewer))
    editable = _sees_all(viewer, user_id)
    return page(
        request,
        "people/person.html",
        viewer,
        title=person.display,
        status_code=status_code,
        p=view,
        editable=editable,
        own=viewer.user_id == user_id,
        form=form or ProfileForm.of(person),
        contact_fields=CONTACT_FIELDS,
        urgencies=URGENCIES,
        method_choices=METHOD_CHOICES,
        zones=_zones(),
        password_problems=password_problems or {},
        results=[_result(r) for r in results or ()],
        tested=results is not None,
        notice=notice,
        sso=runtime.sso is not None,
        passwords=runtime.sso is None or runtime.sso.config.passwords,
    )


def _result(r: TestPageResult) -> dict[str, Any]:
    return {
        "method": method_words(r.method.value),
        "address": r.address,
        "ok": r.ok,
        "detail": r.detail,
    }


@cache
def _zones() -> list[str]:
    """The time zones offered (as suggestions; any zone the configuration takes is fine)."""
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))


@router.get("/people/{user_id}")
def person_page(
    request: Request,
    user_id: str,
    viewer: Annotated[Viewer, Depends(viewing)],
    done: str = "",
) -> Response:
    return _person_page(request, viewer, user_id, notice=NOTICES.get(done, ""))


def _may_edit(runtime: Runtime, form: Acting, user_id: str) -> User:
    """The person whose settings ``form`` changes; 403 unless it is the viewer or they are
    an admin (404 if there is no such person)."""
    person = runtime.accounts.person(user_id)
    if not _sees_all(form.viewer, user_id):
        raise HTTPException(403, "only admins can change someone else's settings")
    return person


@router.post("/people/{user_id}/profile")
def save_profile(
    request: Request, user_id: str, form: Annotated[Acting, Depends(acting)]
) -> Response:
    runtime = runtime_of(request)
    _may_edit(runtime, form, user_id)
    typed = ProfileForm.posted(form)
    profile, problems = typed.profile()
    try:
        if problems:
            raise InputError(problems)
        runtime.accounts.save_profile(user_id, profile)
    except InputError as exc:
        typed.refused(exc.problems)
        return _person_page(request, form.viewer, user_id, form=typed, status_code=400)
    return RedirectResponse(f"/people/{user_id}?done=profile#settings", 303)


@router.post("/people/{user_id}/profile/reset")
def reset_profile(
    request: Request, user_id: str, form: Annotated[Acting, Depends(acting)]
) -> Response:
    runtime = runtime_of(request)
    _may_edit(runtime, form, user_id)
    runtime.accounts.clear_profile(user_id)
    return RedirectResponse(f"/people/{user_id}?done=reset#settings", 303)


@router.post("/people/{user_id}/test-page")
def test_page(request: Request, user_id: str, form: Annotated[Acting, Depends(acting)]) -> Response:
    runtime = runtime_of(request)
    _may_edit(runtime, form, user_id)
    results = runtime.people.test_page(user_id)
    return _person_page(request, form.viewer, user_id, results=results)


@router.post("/people/{user_id}/password")
def change_password(
    request: Request, user_id: str, form: Annotated[Acting, Depends(acting)]
) -> Response:
    runtime = runtime_of(request)
    if form.viewer.user_id != user_id:
        raise HTTPException(403, "you can only change your own password")
    # Passwords are taken as typed (spaces and all), not stripped.
    raw = {k: form.form.get(k, "") for k in ("current_password", "new_password", "again")}
    current, new, again = (v if isinstance(v, str) else "" for v in raw.values())
    try:
        if new != again:
            raise InputError(FieldProblem("again", "does not match the new password"))
        token, _ = runtime.accounts.change_password(user_id, current, new)
    except InputError as exc:
        problems = {p.field: p.problem for p in exc.problems}
        return _person_page(
            request, form.viewer, user_id, password_problems=problems, status_code=400
        )
    response = RedirectResponse(f"/people/{user_id}?done=password#password", 303)
    keep_session(response, request, token)
    return response


@router.post("/people/{user_id}/unlock")
def unlock(request: Request, user_id: str, form: Annotated[Acting, Depends(acting)]) -> Response:
    """An admin lets someone locked out after wrong passwords sign in again now."""
    runtime = runtime_of(request)
    if not form.viewer.admin:
        raise HTTPException(403, "only admins can unlock an account")
    had = runtime.accounts.unlock(user_id)  # NotFound: 404
    done = "unlocked" if had else "not-locked"
    return RedirectResponse(f"/people/{user_id}?done={done}#sign-in", 303)
