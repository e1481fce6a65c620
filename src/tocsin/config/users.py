"""``users:`` in tocsin.yaml: the people schedules put on call (handles, names, addresses)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic

from tocsin.config.validation import describe
from tocsin.domain.users import User

__all__ = ["USER_ID", "UserConfig", "compile_users"]

Problem = Callable[[list[str | int], str], None]

#: A handle: what schedules, overrides, the API and the CLI call a person.
USER_ID = r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$"


class UserConfig(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid")

    id: str = pydantic.Field(pattern=USER_ID)
    name: str = ""
    email: str | None = None
    time_zone: str | None = None


def compile_users(raw: Sequence[Any], problem: Problem) -> dict[str, User]:
    out: dict[str, User] = {}
    for i, item in enumerate(raw):
        keys: list[str | int] = ["users", i]
        try:
            cfg = UserConfig.model_validate(item)
        except pydantic.ValidationError as exc:
            for err in exc.errors():
                loc = [p for p in err["loc"] if isinstance(p, str | int)]
                problem([*keys, *loc], describe(err))
            continue
        where = f"user {cfg.id!r}"
        if cfg.id in out:
            problem([*keys, "id"], f"{where}: the id is used twice")
        zone = None
        if cfg.time_zone is not None:
            try:
                zone = ZoneInfo(cfg.time_zone)
            except (ZoneInfoNotFoundError, ValueError):
                problem([*keys, "time_zone"], f"{where}: unknown time zone {cfg.time_zone!r}")
        if cfg.email is not None and "@" not in parseaddr(cfg.email)[1]:
            problem([*keys, "email"], f"{where}: {cfg.email!r} is not an email address")
        out[cfg.id] = User(cfg.id, cfg.name, cfg.email, zone)
    return out
