"""A Slack Web API on 127.0.0.1 for slack_sdk to talk to (``base_url``): the methods Tocsin
uses, with state, answering as Slack documents them (https://api.slack.com/methods).

Requests come as slack_sdk sends them: JSON (``chat.postMessage``, ``chat.update``,
``conversations.create`` ...), a form (``conversations.invite`` ...) or a GET query
(``users.lookupByEmail``, ``conversations.history``). Every answer is HTTP 200 with
``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``; a request without the bot token
gets ``not_authed`` / ``invalid_auth``. ``fail_next(method, error)`` makes the next call of a
method fail (``ratelimited`` answers HTTP 429 with ``Retry-After``, as Slack does).
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.http_handler import QuickHandler

__all__ = ["Call", "SlackServer"]

TOKEN = "xoxb-test"
_NAME = re.compile(r"[a-z0-9_-]{1,80}")


@dataclass(frozen=True)
class Call:
    method: str
    args: dict[str, Any]


@dataclass
class Channel:
    id: str
    name: str
    is_private: bool
    creator: str
    topic: str = ""
    purpose: str = ""
    members: list[str] = field(default_factory=list)
    #: ts -> message
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    pins: list[str] = field(default_factory=list)
    archived: bool = False


class SlackServer:
    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.bot_user = "UBOT"
        self.calls: list[Call] = []
        self.channels: dict[str, Channel] = {}
        #: Slack users: id -> {"id", "name", "profile": {"email", "real_name"}}
        self.users: dict[str, dict[str, Any]] = {}
        self.views: list[dict[str, Any]] = []
        self.ephemeral: list[dict[str, Any]] = []
        self._failures: dict[str, deque[str]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._ts = itertools.count(1)
        self._lock = threading.Lock()
        server = self

        class Handler(QuickHandler):
            def _serve(self, body: bytes) -> None:
                url = urlsplit(self.path)
                method = url.path.rsplit("/", 1)[-1]
                args: dict[str, Any] = dict(parse_qsl(url.query))
                kind = self.headers.get("Content-Type", "")
                if body and "json" in kind:
                    args.update(json.loads(body))
                elif body:
                    args.update(parse_qsl(body.decode()))
                auth = self.headers.get("Authorization", "")
                status, answer, headers = server.handle(method, args, auth)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", "0"))
                self._serve(self.rfile.read(length))

            def do_GET(self) -> None:  # noqa: N802
                self._serve(b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        """The Web API's base, as ``api_url`` / slack_sdk's ``base_url`` take it."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # -- set-up and inspection ---------------------------------------------------------------

    def add_user(self, user_id: str, email: str, name: str = "") -> None:
        self.users[user_id] = {
            "id": user_id,
            "name": name or email.split("@")[0],
            "profile": {"email": email, "real_name": name or email},
        }

    def fail_next(self, method: str, error: str) -> None:
        self._failures[method].append(error)

    def named(self, method: str) -> list[dict[str, Any]]:
        return [c.args for c in self.calls if c.method == method]

    def channel(self, name: str) -> Channel:
        found = [c for c in self.channels.values() if c.name == name]
        assert found, f"no channel {name}: {[c.name for c in self.channels.values()]}"
        return found[0]

    def post_user_message(
        self, channel_id: str, user: str, text: str, thread_ts: str | None = None
    ) -> str:
        """A person writes in a channel (or in a thread); the message's ts."""
        with self._lock:
            ts = self._next_ts()
            message = {"type": "message", "user": user, "text": text, "ts": ts}
            if thread_ts:
                message["thread_ts"] = thread_ts
            self.channels[channel_id].messages[ts] = message
            return ts

    # -- the API -----------------------------------------------------------------------------

    def _next_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def handle(
        self, method: str, args: dict[str, Any], auth: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self.calls.append(Call(method, args))
            if not auth:
                return 200, {"ok": False, "error": "not_authed"}, {}
            if auth != f"Bearer {self.token}":
                return 200, {"ok": False, "error": "invalid_auth"}, {}
            if self._failures[method]:
                error = self._failures[method].popleft()
                if error == "ratelimited":
                    return 429, {"ok": False, "error": error}, {"Retry-After": "1"}
                return 200, {"ok": False, "error": error}, {}
            refused = self._archived(method, args)
            if refused is not None:
                return 200, refused, {}
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                return 200, {"ok": False, "error": "unknown_method"}, {}
            answer = handler(args)
            return 200, answer, {}

    def _need_channel(self, args: dict[str, Any], key: str = "channel") -> Channel | None:
        return self.channels.get(str(args.get(key, "")))

    def _archived(self, method: str, args: dict[str, Any]) -> dict[str, Any] | None:
        """What Slack says to a change in an archived channel."""
        channel = self.channels.get(str(args.get("channel", "")))
        writes = ("chat.", "conversations.set", "conversations.invite", "pins.")
        if channel is not None and channel.archived and method.startswith(writes):
            return {"ok": False, "error": "is_archived"}
        return None

    def _conversations_create(self, a: dict[str, Any]) -> dict[str, Any]:
        name = str(a.get("name", ""))
        if not name:
            return {"ok": False, "error": "invalid_name_required"}
        if not _NAME.fullmatch(name):
            return {"ok": False, "error": "invalid_name_specials"}
        if any(c.name == name for c in self.channels.values()):
            return {"ok": False, "error": "name_taken"}
        private = str(a.get("is_private", "false")).lower() in ("true", "1")
        channel = Channel(f"C{next(self._ids):08d}", name, private, self.bot_user)
        channel.members.append(self.bot_user)
        self.channels[channel.id] = channel
        return {"ok": True, "channel": self._info(channel)}

    def _info(self, c: Channel) -> dict[str, Any]:
        return {
            "id": c.id,
            "name": c.name,
            "is_channel": not c.is_private,
            "is_private": c.is_private,
            "is_archived": c.archived,
            "creator": c.creator,
            "topic": {"value": c.topic, "creator": self.bot_user, "last_set": 0},
            "purpose": {"value": c.purpose, "creator": self.bot_user, "last_set": 0},
            "num_members": len(c.members),
        }

    def _conversations_list(self, a: dict[str, Any]) -> dict[str, Any]:
        limit = int(a.get("limit") or 100)
        start = int(a.get("cursor") or 0)
        skip = str(a.get("exclude_archived", "")).lower() in ("true", "1")
        everything = [c for c in self.channels.values() if not (skip and c.archived)]
        page = everything[start : start + limit]
        more = start + limit < len(everything)
        return {
            "ok": True,
            "channels": [self._info(c) for c in page],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _conversations_info(self, a: dict[str, Any]) -> dict[str, Any]:
        c = self._need_channel(a)
        if c is None:
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "channel": self._info(c)}

    def _conversations_setTopic(self, a: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        c = self._need_channel(a)
        if c is None:
            return {"ok": False, "error": "channel_not_found"}
        topic = str(a.get("topic", ""))
        if len(topic) > 250:
            return {"ok": False, "error": "too_long"}
        c.topic = topic
        return {"ok": True, "channel": self._info(c)}

    def _conversations_setPurpose(self, a: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        c = self._need_channel(a)
        if c is None:
            return {"ok": False, "error": "channel_not_found"}
        purpose = str(a.get("purpose", ""))
        if len(purpose) > 250:
            return {"ok": False, "error": "too_long"}
        c.purpose = purpose
        return {"ok": True, "purpose": purpose}

    def _conversations_invite(self, a: dict[str, Any]) -> dict[str, Any]:
        c = self._need_channel(a)
        if c is None:
            return {"ok": False, "error": "channel_not_found"}
        # As Slack does without force=true: one problem user fails the whole call.
        users = [u for u in str(a.get("users", "")).split(",") if u]
        if not users:
            return {"ok": False, "error": "no_user"}
        if any(u not in self.users for u in users):
            return {"ok": False, "error": "user_not_found"}
        if any(self.users[u].get("deleted") for u in users):
            return {"ok": False, "error": "cant_invite"}
        if any(u in c.members for u in users):
            return {"ok": False, "error": "already_in_channel"}
        c.members.extend(users)
        return {"ok": True, "channel": self._info(c)}

    def _conversations_history(self, a: dict[str, Any]) -> dict[str, Any]:
        c = self._need_channel(a)
        if c is None:
            return {"ok": False, "error": "channel_not_found"}
        latest = a.get("latest")
        inclusive = str(a.get("inclusive", "")).lower() in ("true", "1")
        limit = int(a.get("limit") or 100)
        found = [
            m
            for ts, m in sorted(c.messages.items(), reverse=True)
            if (latest is None or ts < latest or (inclusive and ts == latest))
            and m.get("thread_ts", ts) == ts  # replies in threads are not in the history
        ]
        return {"ok": True, "messages": found[:limit], "has_more": len(found) > limit}

    def _conversations_replies(self, a: dict[str, Any]) -> dict[str, Any]:
        c = self._need_channel(a)
        if c is None:
            return {"ok": False, "error": "channel_not_found"}
        ts = str(a.get("ts", ""))
        if ts not in c.messages:
            return {"ok": False, "error": "thread_not_found"}
        root = c.messages[ts].get("thread_ts", ts)
        thread = [m for t, m in sorted(c.messages.items()) if m.get("thread_ts", t) == root]
        return {"ok": True, "messages": thread, "has_more": False}

    def _auth_test(self, a: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "user_id": self.bot_user, "team_id": "T0", "bot_id": "B0"}

    def _chat_postMessage(self, a: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        target = str(a.get("channel", ""))
        if not a.get("text") and not a.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if target.startswith(("U", "W")) and target in self.users:
            channel = self.channels.setdefault(
                "D" + target, Channel("D" + target, "dm-" + target, True, self.bot_user)
            )
        else:
            found = self.channels.get(target)
            if found is None:
                return {"ok": False, "error": "channel_not_found"}
            channel = found
        ts = self._next_ts()
        message = {"type": "message", "user": self.bot_user, "ts": ts, **_message(a)}
        channel.messages[ts] = message
        return {"ok": True, "channel": channel.id, "ts": ts, "message": message}

    def _chat_update(self, a: dict[str, Any]) -> dict[str, Any]:
        c = self._need_channel(a)
        if c is None:
            return {"ok": False, "error": "channel_not_found"}
        ts = str(a.get("ts", ""))
        if ts not in c.messages:
            return {"ok": False, "error": "message_not_found"}
        c.messages[ts] = {**c.messages[ts], **_message(a)}
        return {"ok": True, "channel": c.id, "ts": ts, "text": c.messages[ts].get("text", "")}

    def _chat_postEphemeral(self, a: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        self.ephemeral.append(a)
        return {"ok": True, "message_ts": self._next_ts()}

    def _pins_add(self, a: dict[str, Any]) -> dict[str, Any]:
        c = self._need_channel(a)
        if c is None:
            return {"ok": False, "error": "channel_not_found"}
        ts = str(a.get("timestamp", ""))
        if ts not in c.messages:
            return {"ok": False, "error": "message_not_found"}
        if ts in c.pins:
            return {"ok": False, "error": "already_pinned"}
        c.pins.append(ts)
        return {"ok": True}

    def _users_lookupByEmail(self, a: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        email = str(a.get("email", "")).lower()
        for user in self.users.values():
            if user["profile"]["email"].lower() == email:
                return {"ok": True, "user": user}
        return {"ok": False, "error": "users_not_found"}

    def _users_info(self, a: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(a.get("user", "")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _views_open(self, a: dict[str, Any]) -> dict[str, Any]:
        if not a.get("trigger_id"):
            return {"ok": False, "error": "invalid_trigger_id"}
        view = a.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        self.views.append(view)
        return {"ok": True, "view": {"id": f"V{len(self.views):08d}", **view}}


def _message(a: dict[str, Any]) -> dict[str, Any]:
    blocks = a.get("blocks")
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    out: dict[str, Any] = {"text": a.get("text", "")}
    if blocks is not None:
        out["blocks"] = blocks
    return out
