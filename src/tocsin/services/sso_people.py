"""Which Tocsin person a single sign-on identity is.

In order: the configured claim (``TOCSIN_OIDC_USERNAME_CLAIM``) when its value is someone's
user id; else the provider's *verified* email, when exactly one person has it in the
configuration file or on their account (as for signing in with an email and a password:
not an email someone typed on their own profile, which would let anyone claim another's
sign-in). Someone Tocsin does not know is refused, unless their verified email is in a
domain ``TOCSIN_OIDC_CREATE_PEOPLE_FROM`` names: they then get an account as a viewer."""

from __future__ import annotations

import logging
import re

from tocsin.config.users import USER_ID
from tocsin.errors import NotFound
from tocsin.services.accounts import AccountService
from tocsin.services.sso import Identity, SsoRefused
from tocsin.services.sso_settings import OidcConfig

__all__ = ["person_for"]

log = logging.getLogger("tocsin.sso")


def _exists(accounts: AccountService, user_id: str) -> bool:
    try:
        accounts.person(user_id)
    except NotFound:
        return False
    return True


def with_email(accounts: AccountService, email: str) -> set[str]:
    """The ids of the people whose email (in the file, or on their account) this is."""
    file = accounts.file()
    found = {p.id for p in (file.users.values() if file else ()) if _same(p.email, email)}
    found |= {a.user_id for a in accounts.everyone().values() if _same(a.email, email)}
    return found


def _same(email: str | None, wanted: str) -> bool:
    return bool(email) and str(email).strip().lower() == wanted


def person_for(identity: Identity, config: OidcConfig, accounts: AccountService) -> str:
    """The user id ``identity`` signs in as; SsoRefused (403) naming what was looked for."""
    claim = config.username_claim
    named = identity.claims.get(claim) if claim else None
    if isinstance(named, str) and named and _exists(accounts, named):
        return named
    email = identity.verified_email
    if email is not None:
        found = with_email(accounts, email)
        if len(found) == 1:
            return found.pop()
        if len(found) > 1:
            raise SsoRefused(
                f"Several people in Tocsin have the email {email}, so it cannot tell which "
                "one you are: ask an admin to give each person their own email.",
                403,
                f"{identity.subject}: {email} belongs to {', '.join(sorted(found))}",
            )
        made = _join(identity, email, config, accounts)
        if made is not None:
            return made
    raise SsoRefused(_unknown(identity, named, email), 403, _unknown_detail(identity))


def _join(
    identity: Identity, email: str, config: OidcConfig, accounts: AccountService
) -> str | None:
    """A new account (a viewer) for someone with an email in a domain people may join
    from: their id is the username claim's value, else their email's local part, else the
    whole email, whichever is free."""
    if email.rsplit("@", 1)[1] not in config.create_domains:
        return None
    named = identity.claims.get(config.username_claim) if config.username_claim else None
    candidates = [named] if isinstance(named, str) else []
    candidates += [email.split("@", 1)[0], email]
    for user_id in candidates:
        if re.match(USER_ID, user_id) and not _exists(accounts, user_id):
            accounts.join(user_id, name=identity.name, email=email)
            log.info("single sign-on: %s joined Tocsin as %s", email, user_id)
            return user_id
    return None


def _unknown(identity: Identity, named: object, email: str | None) -> str:
    who = identity.shown
    if email is None and identity.claims.get("email"):
        why = "the provider has not verified your email"
    elif email is None:
        why = "the provider did not say your email (ask for the email scope)"
    else:
        why = f"no one in Tocsin has the email {email}"
    if isinstance(named, str) and named:
        why += f", and no one has the user id {named}"
    return (
        f"You signed in at the provider as {who}, but {why}. Ask a Tocsin admin to add you "
        "(users: in tocsin.yaml, or tocsin user create)."
    )


def _unknown_detail(identity: Identity) -> str:
    return f"no Tocsin person for sub={identity.subject!r} email={identity.claims.get('email')!r}"
