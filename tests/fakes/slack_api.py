"""A fake Slack Web API server over loopback HTTP: Slack's answers, limits and errors, recorded."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn
from urllib.parse import parse_qsl, quote

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ._blocks import block_errors, view_errors
from ._records import (
    Ephemeral,
    FakeChannel,
    FakeUser,
    Fault,
    Message,
    RecordedCall,
    ResponsePost,
    UploadedFile,
    View,
)

__all__ = [
    "DEFAULT_CHANNELS",
    "DEFAULT_USERS",
    "Ephemeral",
    "FakeChannel",
    "FakeSlack",
    "FakeUser",
    "Fault",
    "Message",
    "RecordedCall",
    "ResponsePost",
    "UploadedFile",
    "View",
    "dm_channel",
    "main",
]

JSONDict = dict[str, Any]

TEAM_ID, TEAM_DOMAIN, TEAM_NAME = "T0FAKE", "fake", "Fake Workspace"
APP_ID, BOT_USER_ID, BOT_ID, BOT_NAME = "A0FAKE", "U0BOT", "B0BOT", "bkbot"

DEFAULT_USERS: tuple[FakeUser, ...] = (
    FakeUser(
        "U0ALICE",
        "alice",
        real_name="Alice Zhang",
        email="alice@example.com",
        display_name="alice",
    ),
    FakeUser(
        "U0BOB",
        "bob",
        real_name="Bob Weber",
        email="bob@example.com",
        tz="Europe/Berlin",
        tz_label="Central European Time",
        tz_offset=3600,
        display_name="bob",
    ),
    FakeUser(BOT_USER_ID, BOT_NAME, real_name="BlueKing ChatOps", is_bot=True),
)
DEFAULT_CHANNELS: tuple[FakeChannel, ...] = (FakeChannel("C0OPS", "ops"),)

# Message text above this is truncated with a `message_truncated` warning (reference §3.5).
TEXT_TRUNCATE_AT = 40_000
MAX_ATTACHMENTS = 100
SNIPPET_MAX_BYTES = 1024 * 1024
# Form fields that carry JSON (slack-sdk sends some methods form-encoded, reference §2.9).
JSON_FIELDS = frozenset({"blocks", "attachments", "view", "metadata", "files", "unfurls"})

_CONVERSATION_ID = re.compile(r"^[CGD][A-Z0-9]+$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]+$")


def dm_channel(user_id: str) -> str:
    """The id of the bot's DM with a user; posting with a user id as `channel` lands there."""
    return "D" + user_id[1:]


class SlackError(Exception):
    """Raised inside a handler: answer `{"ok": false, "error": error, **extra}` with `status`."""

    def __init__(
        self,
        error: str,
        *,
        status: int = 200,
        messages: Sequence[str] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(error)
        self.error, self.status, self.headers = error, status, dict(headers or {})
        self.extra: JSONDict = {}
        if messages:
            self.extra["response_metadata"] = {"messages": list(messages)}


def _fail(error: str, *messages: str) -> NoReturn:
    raise SlackError(error, messages=messages)


@dataclass
class _Bucket:
    """A token bucket on the fake's clock; `take` returns 0 or the seconds until a token."""

    rate: float
    capacity: float
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class _Limit:
    rate: float
    burst: float
    buckets: dict[str, _Bucket] = field(default_factory=dict)

    def take(self, key: str, now: float) -> float:
        bucket = self.buckets.get(key)
        if bucket is None:
            bucket = self.buckets[key] = _Bucket(self.rate, self.burst, self.burst, now)
        return bucket.take(now)


@dataclass
class _Latency:
    method: str
    seconds: float
    times: int | None
    fired: int = 0


@dataclass
class _World:
    """Everything the fake remembers; only touched with `FakeSlack._lock` held."""

    users: dict[str, FakeUser]
    channels: dict[str, FakeChannel]
    calls: list[RecordedCall] = field(default_factory=list)
    messages: dict[tuple[str, str], Message] = field(default_factory=dict)
    ephemerals: list[Ephemeral] = field(default_factory=list)
    views: dict[str, View] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    responses: list[ResponsePost] = field(default_factory=list)
    used_triggers: set[str] = field(default_factory=set)
    faults: list[Fault] = field(default_factory=list)
    latencies: list[_Latency] = field(default_factory=list)
    # Calls held back by a latency so far, per method (counted when the hold begins).
    delayed: dict[str, int] = field(default_factory=dict)
    post_limit: _Limit | None = None
    method_limits: dict[str, _Limit] = field(default_factory=dict)
    serial: int = 0
    ts_serial: int = 0

    def next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def next_ts(self) -> str:
        # Unique and increasing, in Slack's `seconds.micros` shape: 1700000000.000100, …000200
        self.ts_serial += 1
        n = self.ts_serial
        return f"{1_700_000_000 + n // 10_000}.{(n % 10_000) * 100:06d}"


@dataclass(frozen=True)
class _Ctx:
    """Per-request facts a handler may need besides the params."""

    base_url: str
    now: float


Handler = Callable[[JSONDict, _Ctx], JSONDict]


class FakeSlack:
    """The Slack Web API under `/api/`, a `response_url` sink, and a control API.

    Serve it with `serve()` (uvicorn in a thread) or `python -m tests.fakes.slack_api`;
    point slack-sdk at `api_url`. Tokens starting `xoxb-` are valid bot tokens, `xapp-`
    app-level tokens (only for apps.connections.open); anything else is `invalid_auth`.
    Reads (`calls()`, `messages()`, …) return immutable snapshots and are thread-safe.
    """

    def __init__(
        self,
        *,
        users: Iterable[FakeUser] = DEFAULT_USERS,
        channels: Iterable[FakeChannel] = DEFAULT_CHANNELS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._initial_users = tuple(users)
        self._initial_channels = tuple(channels)
        self._clock = clock
        self._lock = threading.Lock()
        self._world = self._new_world()
        self.url: str | None = None
        self._handlers: dict[str, Handler] = {
            "api.test": lambda p, c: {"args": p},
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": lambda p, c: self._views_open(p, c, method="views.open"),
            "views.push": lambda p, c: self._views_open(p, c, method="views.push"),
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }
        self.app = Starlette(
            routes=[
                Route("/api/{method}", self._api, methods=["GET", "POST"]),
                Route("/upload/v1/{file_id}", self._upload, methods=["POST", "PUT"]),
                Route("/response/{response_id:path}", self._response, methods=["POST"]),
                *self._control_routes(),
            ]
        )

    def _new_world(self) -> _World:
        return _World(
            users={u.id: u for u in self._initial_users},
            channels={c.id: c for c in self._initial_channels},
        )

    # ------------------------------------------------------------------ serving

    @contextmanager
    def serve(self, port: int | None = None) -> Iterator[FakeSlack]:
        """Serve on 127.0.0.1 (a free port by default) in a thread; sets `url` meanwhile."""
        # Imported here so `python -m tests.fakes.slack_api` does not pull in pytest.
        from tests.conftest import free_port, serve_in_thread

        with serve_in_thread(self.app, port or free_port()) as url:
            self.url = url
            try:
                yield self
            finally:
                self.url = None

    @property
    def api_url(self) -> str:
        """The `base_url` for slack-sdk clients: `http://127.0.0.1:PORT/api/`."""
        return f"{self._base()}/api/"

    def response_url(self, response_id: str) -> str:
        """A `response_url` whose posts are recorded under `response_id` (see `responses()`)."""
        return f"{self._base()}/response/{quote(response_id, safe='')}"

    def _base(self) -> str:
        if self.url is None:
            raise RuntimeError("the fake Slack is not being served; use `with fake.serve():`")
        return self.url

    # ------------------------------------------------------------------ reads

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Every Web API call in arrival order (including rejected ones), or one method's."""
        with self._lock:
            return [c for c in self._world.calls if method is None or c.method == method]

    def messages(
        self, channel: str | None = None, *, include_deleted: bool = False
    ) -> list[Message]:
        """Messages posted by the bot in posting order, edits applied; thread replies included."""
        with self._lock:
            return [
                m
                for m in self._world.messages.values()
                if (channel is None or m.channel == channel) and (include_deleted or not m.deleted)
            ]

    def message(self, channel: str, ts: str) -> Message:
        """One message's current state; KeyError when the bot never posted it."""
        with self._lock:
            return self._world.messages[(channel, ts)]

    def thread(self, channel: str, ts: str) -> list[Message]:
        """The replies under parent `ts` in posting order (the parent itself excluded)."""
        return [m for m in self.messages(channel) if m.thread_ts == ts and m.ts != ts]

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        with self._lock:
            return [e for e in self._world.ephemerals if user is None or e.user == user]

    def views(self) -> list[View]:
        """Every view opened, pushed or published, in its current state, in creation order."""
        with self._lock:
            return list(self._world.views.values())

    def view(self, view_id: str) -> View:
        with self._lock:
            return self._world.views[view_id]

    def files(self) -> list[UploadedFile]:
        with self._lock:
            return list(self._world.files.values())

    def responses(self, response_id: str | None = None) -> list[ResponsePost]:
        """Bodies posted to `response_url(...)` URLs, in arrival order."""
        with self._lock:
            return [r for r in self._world.responses if response_id is None or r.id == response_id]

    # ------------------------------------------------------------------ setup and faults

    def set_users(self, users: Iterable[FakeUser]) -> None:
        """Replace the user table (until `reset()`, which restores the constructor's)."""
        with self._lock:
            self._world.users = {u.id: u for u in users}

    def add_user(self, user: FakeUser) -> None:
        with self._lock:
            self._world.users[user.id] = user

    def add_channel(self, channel: FakeChannel) -> None:
        """Register a conversation, e.g. one the bot is not in (`is_member=False`)."""
        with self._lock:
            self._world.channels[channel.id] = channel

    def _add_channels(self, channels: Iterable[JSONDict]) -> None:
        for channel in channels:
            self.add_channel(FakeChannel.from_json(channel))

    def fail(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int | None = None,
        times: int | None = None,
        where: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer `method` ("*" = any) with `{"ok": false, "error": error}`.

        `ratelimited` defaults to HTTP 429 with `Retry-After: 1` (reference §3.3), every
        other error to HTTP 200 like Slack's own errors; pass `status=500` for a server
        error. `times=None` keeps firing until `reset()`; `where` narrows it by params.
        """
        if status is None:
            status = 429 if error == "ratelimited" else 200
        if status == 429 and retry_after is None:
            retry_after = 1
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for 'until reset')")
        fault = Fault(method, error, status, retry_after, times, dict(where) if where else None)
        with self._lock:
            self._world.faults.append(fault)
        return fault

    def latency(self, method: str, seconds: float, *, times: int | None = None) -> None:
        """Delay answers to `method` ("*" = any) by `seconds`."""
        with self._lock:
            self._world.latencies.append(_Latency(method, seconds, times))

    def delayed(self, method: str) -> int:
        """How many calls to `method` a latency has held back so far (answered or still held)."""
        with self._lock:
            return self._world.delayed.get(method, 0)

    def limit_posts_per_channel(self, per_second: float = 1.0, *, burst: int = 1) -> None:
        """Enforce chat.postMessage's ~1/s per channel (reference §3.1) with 429 + Retry-After."""
        with self._lock:
            self._world.post_limit = _Limit(per_second, float(burst))

    def limit_method(self, method: str, *, per_minute: float, burst: int | None = None) -> None:
        """Enforce a workspace-wide per-method budget (e.g. chat.update, Tier 3 ≈ 50/min).

        `burst` is how many calls may arrive at once; it defaults to `per_minute`.
        """
        with self._lock:
            capacity = float(burst if burst is not None else max(1, int(per_minute)))
            self._world.method_limits[method] = _Limit(per_minute / 60.0, capacity)

    def reset(self) -> None:
        """Forget every record, fault, limit and used trigger; restore the initial tables."""
        with self._lock:
            self._world = self._new_world()

    # ------------------------------------------------------------------ HTTP plumbing

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        headers = {k.lower(): v for k, v in request.headers.items()}
        bad_body: str | None = None
        try:
            params = await _read_params(request)
        except SlackError as exc:
            params, bad_body = {}, exc.error
        token = _bearer(headers.get("authorization")) or params.pop("token", None)
        await self._delay(method)
        ctx = _Ctx(base_url=str(request.base_url), now=self._clock())
        with self._lock:
            status, body, extra_headers = self._answer(method, params, token, ctx, bad_body)
            self._world.calls.append(RecordedCall(method, params, headers, ctx.now, status, body))
        return JSONResponse(body, status_code=status, headers=extra_headers)

    def _answer(
        self, method: str, params: JSONDict, token: object, ctx: _Ctx, bad_body: str | None
    ) -> tuple[int, JSONDict, dict[str, str]]:
        try:
            handler = self._handlers.get(method)
            if handler is None:
                _fail("unknown_method")
            self._authorize(method, token)
            if bad_body is not None:
                _fail(bad_body)
            self._apply_faults(method, params)
            self._apply_limits(method, params, ctx.now)
            return 200, {"ok": True, **handler(params, ctx)}, {}
        except SlackError as exc:
            return exc.status, {"ok": False, "error": exc.error, **exc.extra}, exc.headers

    @staticmethod
    def _authorize(method: str, token: object) -> None:
        if not token:
            _fail("not_authed")
        if not isinstance(token, str) or not re.fullmatch(r"(xoxb|xapp)-[\w.-]+", token):
            _fail("invalid_auth")
        wants_app_token = method == "apps.connections.open"
        if token.startswith("xapp-") != wants_app_token:
            _fail("not_allowed_token_type")

    def _apply_faults(self, method: str, params: JSONDict) -> None:
        for fault in self._world.faults:
            if fault.matches(method, params):
                fault.fired += 1
                headers = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = str(fault.retry_after)
                raise SlackError(fault.error, status=fault.status, headers=headers)

    def _apply_limits(self, method: str, params: JSONDict, now: float) -> None:
        waits: list[float] = []
        world = self._world
        if method == "chat.postMessage" and world.post_limit is not None:
            # Keyed by the resolved conversation: thread replies and `#name` posts share it.
            waits.append(world.post_limit.take(self._conversation(params), now))
        if method in world.method_limits:
            waits.append(world.method_limits[method].take("*", now))
        wait = max(waits, default=0.0)
        if wait > 0:
            # Slack sends whole seconds; never 0, or a client would retry at once.
            retry_after = str(max(1, math.ceil(wait)))
            raise SlackError("ratelimited", status=429, headers={"Retry-After": retry_after})

    async def _delay(self, method: str) -> None:
        seconds = 0.0
        with self._lock:
            for latency in self._world.latencies:
                spent = latency.times is not None and latency.fired >= latency.times
                if latency.method in ("*", method) and not spent:
                    latency.fired += 1
                    seconds += latency.seconds
            if seconds:
                self._world.delayed[method] = self._world.delayed.get(method, 0) + 1
        if seconds:
            await asyncio.sleep(seconds)

    def _endpoint_fault(self, name: str, params: JSONDict) -> Response | None:
        """Faults on the non-API endpoints answer plain text, like Slack's hooks do."""
        try:
            self._apply_faults(name, params)
        except SlackError as exc:
            return PlainTextResponse(exc.error, status_code=exc.status, headers=exc.headers)
        return None

    async def _upload(self, request: Request) -> Response:
        file_id = request.path_params["file_id"]
        content = await request.body()
        await self._delay("upload")
        with self._lock:
            fault = self._endpoint_fault("upload", {"file_id": file_id})
            if fault is not None:
                return fault
            upload = self._world.files.get(file_id)
            if upload is None or upload.completed:
                return PlainTextResponse("file_not_found", status_code=404)
            self._world.files[file_id] = replace(upload, content=content)
        return PlainTextResponse(f"OK - {len(content)}")

    async def _response(self, request: Request) -> Response:
        response_id = request.path_params["response_id"]
        headers = {k.lower(): v for k, v in request.headers.items()}
        raw = await request.body()
        await self._delay("response_url")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        with self._lock:
            fault = self._endpoint_fault("response_url", {"id": response_id})
            if fault is not None:
                return fault
            if not isinstance(body, dict):
                return PlainTextResponse("invalid_payload", status_code=400)
            problem = _response_problem(body)
            if problem is not None:
                return PlainTextResponse(problem, status_code=400)
            self._world.responses.append(ResponsePost(response_id, body, headers, self._clock()))
        return PlainTextResponse("ok")

    # ------------------------------------------------------------------ Web API methods

    def _auth_test(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        ws_base = "ws" + ctx.base_url.removeprefix("http")
        ticket = f"fake-ticket-{self._world.next_serial()}"
        return {"url": f"{ws_base}link/?ticket={ticket}&app_id={APP_ID}"}

    def _conversation(self, params: JSONDict, key: str = "channel") -> str:
        """Resolve a posting target: channel id, `#name`, or a user id (→ the DM)."""
        raw = _text(params, key)
        if raw is None or raw == "":
            _fail("channel_not_found")
        if raw.startswith("#"):
            named = [c for c in self._world.channels.values() if c.name == raw[1:]]
            if not named:
                _fail("channel_not_found")
            raw = named[0].id
        if _USER_ID.match(raw):
            return dm_channel(raw)
        if not _CONVERSATION_ID.match(raw):
            _fail("channel_not_found")
        known = self._world.channels.get(raw)
        if known is not None and known.is_archived:
            _fail("is_archived")
        if known is not None and not known.is_member:
            _fail("not_in_channel")
        return raw

    def _content(self, params: JSONDict, *, required: bool) -> tuple[str | None, Any, Any]:
        """Validated text, blocks and attachments of a message (reference §3.5)."""
        text, blocks = _text(params, "text"), params.get("blocks")
        attachments = params.get("attachments")
        if blocks is not None:
            if not isinstance(blocks, list):
                _fail("invalid_blocks_format")
            errors = block_errors(blocks)
            if errors:
                raise SlackError("invalid_blocks", messages=errors)
        if attachments is not None and not isinstance(attachments, list):
            _fail("invalid_attachments")
        if isinstance(attachments, list) and len(attachments) > MAX_ATTACHMENTS:
            _fail("too_many_attachments")
        if required and not text and not blocks and not attachments:
            _fail("no_text")
        return text, blocks, attachments

    def _message_api(self, message: Message) -> JSONDict:
        body: JSONDict = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": message.text,
            "ts": message.ts,
        }
        optional = {
            "blocks": message.blocks,
            "attachments": message.attachments,
            "thread_ts": message.thread_ts,
            "metadata": message.metadata,
        }
        body.update({k: v for k, v in optional.items() if v is not None})
        if message.edits:
            body["edited"] = {"user": BOT_USER_ID, "ts": message.ts}
        return body

    def _chat_post_message(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        channel = self._conversation(params)
        text, blocks, attachments = self._content(params, required=True)
        answer: JSONDict = {}
        text = text or ""
        if len(text) > TEXT_TRUNCATE_AT:
            text, answer["warning"] = text[:TEXT_TRUNCATE_AT], "message_truncated"
        ts = self._world.next_ts()
        metadata = params.get("metadata")
        message = Message(
            channel=channel,
            ts=ts,
            text=text,
            blocks=blocks,
            attachments=attachments,
            thread_ts=_text(params, "thread_ts") or None,
            reply_broadcast=_flag(params.get("reply_broadcast")),
            metadata=metadata if isinstance(metadata, dict) else None,
        )
        self._world.messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": self._message_api(message), **answer}

    def _existing(self, params: JSONDict, ts_key: str = "ts") -> Message:
        channel = self._conversation(params)
        ts = _text(params, ts_key) or ""
        message = self._world.messages.get((channel, ts))
        if message is None or message.deleted:
            _fail("message_not_found")
        return message

    def _chat_update(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        message = self._existing(params)
        text, blocks, attachments = self._content(params, required=False)
        if text is None and blocks is None and attachments is None:
            _fail("no_text")
        # Fields left out keep their previous value; an empty list removes blocks (chat.update).
        changes: JSONDict = {"edits": message.edits + 1}
        if text is not None:
            changes["text"] = text[:TEXT_TRUNCATE_AT]
        if blocks is not None:
            changes["blocks"] = blocks or None
        if attachments is not None:
            changes["attachments"] = attachments or None
        if isinstance(params.get("metadata"), dict):
            changes["metadata"] = params["metadata"]
        updated = replace(message, **changes)
        self._world.messages[(message.channel, message.ts)] = updated
        return {
            "channel": updated.channel,
            "ts": updated.ts,
            "text": updated.text,
            "message": self._message_api(updated),
        }

    def _chat_delete(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        message = self._existing(params)
        self._world.messages[(message.channel, message.ts)] = replace(message, deleted=True)
        return {"channel": message.channel, "ts": message.ts}

    def _chat_get_permalink(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        message = self._existing(params, "message_ts")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{message.channel}/p"
        link += message.ts.replace(".", "")
        if message.is_reply:
            link += f"?thread_ts={message.thread_ts}&cid={message.channel}"
        return {"channel": message.channel, "permalink": link}

    def _chat_post_ephemeral(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        channel = self._conversation(params)
        user = _text(params, "user") or ""
        if not _USER_ID.match(user):
            _fail("user_not_in_channel")
        text, blocks, attachments = self._content(params, required=True)
        ts = self._world.next_ts()
        self._world.ephemerals.append(
            Ephemeral(
                channel=channel,
                user=user,
                message_ts=ts,
                text=text or "",
                blocks=blocks,
                attachments=attachments,
                thread_ts=_text(params, "thread_ts") or None,
            )
        )
        return {"message_ts": ts}

    # views ------------------------------------------------------------------

    def _view_definition(self, params: JSONDict, kind: str) -> JSONDict:
        definition = params.get("view")
        if not isinstance(definition, dict):
            _fail("invalid_arguments", "invalid `view`")
        errors = view_errors(definition, kind=kind)
        if errors:
            _fail("invalid_arguments", *errors)
        return definition

    def _take_trigger(self, params: JSONDict) -> str:
        """Triggers are single use and expire after 3 s (reference §3.4)."""
        trigger = _text(params, "trigger_id") or _text(params, "interactivity_pointer")
        if not trigger:
            _fail("invalid_arguments", "invalid `trigger_id`")
        if "expired" in trigger:
            _fail("expired_trigger_id")
        if trigger in self._world.used_triggers:
            _fail("trigger_exchanged")
        return trigger

    def _new_hash(self) -> str:
        n = self._world.next_serial()
        return f"{1_700_000_000 + n}.{n * 2654435761 % 2**32:08x}"

    def _store_view(
        self, definition: JSONDict, *, existing: View | None = None, **facts: Any
    ) -> View:
        title = definition.get("title")
        common: JSONDict = {
            "hash": self._new_hash(),
            "definition": definition,
            "callback_id": str(definition.get("callback_id") or ""),
            "external_id": str(definition.get("external_id") or ""),
            "private_metadata": str(definition.get("private_metadata") or ""),
            "title": title.get("text") if isinstance(title, dict) else None,
        }
        if existing is not None:
            view = replace(existing, updates=existing.updates + 1, **common, **facts)
        else:
            view_id = f"V{self._world.next_serial():08d}"
            view = View(
                id=view_id,
                type=str(definition.get("type")),
                root_view_id=view_id,
                **common,
                **facts,
            )
        self._world.views[view.id] = view
        return view

    def _view_api(self, view: View) -> JSONDict:
        definition = view.definition
        body: JSONDict = {
            "id": view.id,
            "team_id": TEAM_ID,
            "type": view.type,
            "blocks": view.blocks,
            "private_metadata": view.private_metadata,
            "callback_id": view.callback_id,
            "state": {"values": {}},
            "hash": view.hash,
            "clear_on_close": _flag(definition.get("clear_on_close")),
            "notify_on_close": _flag(definition.get("notify_on_close")),
            "root_view_id": view.root_view_id,
            "previous_view_id": view.previous_view_id,
            "app_id": APP_ID,
            "external_id": view.external_id,
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        for key in ("title", "submit", "close"):
            if definition.get(key) is not None:
                body[key] = definition[key]
        return body

    def _check_external_id(self, definition: JSONDict, keep: str | None = None) -> None:
        external = definition.get("external_id")
        if external and any(
            v.external_id == external and v.id != keep for v in self._world.views.values()
        ):
            _fail("duplicate_external_id")

    def _views_open(self, params: JSONDict, ctx: _Ctx, *, method: str) -> JSONDict:
        trigger = self._take_trigger(params)
        definition = self._view_definition(params, "modal")
        self._check_external_id(definition)
        self._world.used_triggers.add(trigger)
        view = self._store_view(definition, trigger_id=trigger, opened_by=method)
        return {"view": self._view_api(view)}

    def _views_update(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        view_id, external = _text(params, "view_id"), _text(params, "external_id")
        if not view_id and not external:
            _fail("invalid_arguments", "either `view_id` or `external_id` is required")
        matches = [
            v
            for v in self._world.views.values()
            if (view_id and v.id == view_id) or (not view_id and v.external_id == external)
        ]
        if not matches:
            _fail("not_found")
        existing = matches[0]
        expected = _text(params, "hash")
        if expected and expected != existing.hash:
            _fail("hash_conflict")
        definition = self._view_definition(params, existing.type)
        self._check_external_id(definition, keep=existing.id)
        view = self._store_view(definition, existing=existing)
        return {"view": self._view_api(view)}

    def _views_publish(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        user_id = _text(params, "user_id") or ""
        if not _USER_ID.match(user_id):
            _fail("invalid_arguments", "invalid `user_id`")
        definition = self._view_definition(params, "home")
        existing = next(
            (v for v in self._world.views.values() if v.type == "home" and v.user_id == user_id),
            None,
        )
        expected = _text(params, "hash")
        if existing is not None and expected and expected != existing.hash:
            _fail("hash_conflict")
        view = self._store_view(
            definition, existing=existing, user_id=user_id, opened_by="views.publish"
        )
        return {"view": self._view_api(view)}

    # users and conversations -----------------------------------------------

    def _users_info(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        user = self._world.users.get(_text(params, "user") or "")
        if user is None:
            _fail("user_not_found")
        return {"user": user.to_api(TEAM_ID)}

    def _users_lookup_by_email(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        email = (_text(params, "email") or "").lower()
        for user in self._world.users.values():
            if user.email is not None and user.email.lower() == email and not user.deleted:
                return {"user": user.to_api(TEAM_ID)}
        _fail("users_not_found")

    def _conversations_open(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        channel = _text(params, "channel")
        if channel:
            return {"channel": {"id": channel}, "already_open": True}
        users = [u for u in (_text(params, "users") or "").split(",") if u]
        if not users:
            _fail("users_list_not_supplied")
        for user in users:
            if user not in self._world.users:
                _fail("user_not_found")
        if len(users) == 1:
            return {"channel": {"id": dm_channel(users[0])}, "no_op": False}
        return {"channel": {"id": "G" + "".join(u[1:] for u in sorted(users))[:20]}}

    def _conversations_info(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        channel_id = _text(params, "channel") or ""
        known = self._world.channels.get(channel_id)
        if known is not None:
            return {"channel": known.to_api()}
        if channel_id.startswith("D"):
            user = next((u for u in self._world.users if dm_channel(u) == channel_id), None)
            if user is None:
                _fail("channel_not_found")
            return {"channel": {"id": channel_id, "is_im": True, "user": user, "created": 0}}
        if not _CONVERSATION_ID.match(channel_id):
            _fail("channel_not_found")
        return {"channel": FakeChannel(channel_id, channel_id.lower()).to_api()}

    # files -----------------------------------------------------------------

    def _files_get_upload_url(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        filename = _text(params, "filename")
        try:
            length = int(str(params.get("length")))
        except ValueError:
            length = 0
        if not filename or length <= 0:
            # Slack answers an empty upload (length 0) with missing_argument too.
            _fail("missing_argument")
        snippet_type = _text(params, "snippet_type")
        if snippet_type and length > SNIPPET_MAX_BYTES:
            _fail("snippet_too_large")
        file_id = f"F{self._world.next_serial():08d}"
        self._world.files[file_id] = UploadedFile(
            id=file_id,
            filename=filename,
            length=length,
            snippet_type=snippet_type,
            alt_txt=_text(params, "alt_txt"),
        )
        return {"upload_url": f"{ctx.base_url}upload/v1/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, params: JSONDict, ctx: _Ctx) -> JSONDict:
        entries = params.get("files")
        if not isinstance(entries, list) or not entries:
            _fail("invalid_arguments", "`files` must be a non-empty array")
        uploads: list[tuple[UploadedFile, str | None]] = []
        for entry in entries:
            file_id = entry.get("id") if isinstance(entry, dict) else None
            upload = self._world.files.get(str(file_id))
            if upload is None or upload.content is None or upload.completed:
                _fail("file_not_found")
            uploads.append((upload, entry.get("title")))
        channels: list[str] = []
        for key in ("channel_id", "channels"):
            for raw in (_text(params, key) or "").split(","):
                if raw:
                    try:
                        channels.append(self._conversation({"channel": raw}))
                    except SlackError:
                        _fail("invalid_channel")
        thread_ts = _text(params, "thread_ts") or None
        comment = _text(params, "initial_comment")
        done: list[UploadedFile] = []
        for upload, title in uploads:
            done.append(
                replace(
                    upload,
                    title=title or upload.filename,
                    channels=channels,
                    thread_ts=thread_ts,
                    initial_comment=comment,
                    completed=True,
                )
            )
            self._world.files[upload.id] = done[-1]
        # Sharing posts one message carrying the files into each channel (or thread).
        for channel in channels:
            ts = self._world.next_ts()
            self._world.messages[(channel, ts)] = Message(
                channel=channel,
                ts=ts,
                text=comment or "",
                thread_ts=thread_ts,
                files=[f.id for f in done],
            )
        return {"files": [{"id": f.id, "title": f.title} for f in done]}

    # ------------------------------------------------------------------ control API

    def _control_routes(self) -> list[Route]:
        def get(path: str, read: Callable[[Request], list[Any]]) -> Route:
            async def endpoint(request: Request) -> Response:
                return JSONResponse([item.to_json() for item in read(request)])

            return Route(f"/_fake/{path}", endpoint, methods=["GET"])

        def post(path: str, act: Callable[[JSONDict], Any]) -> Route:
            async def endpoint(request: Request) -> Response:
                raw = await request.body()
                try:
                    payload = json.loads(raw) if raw else {}
                    result = act(payload)
                except (ValueError, TypeError, KeyError) as exc:
                    return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)
                answer: JSONDict = {"ok": True}
                if result is not None:
                    answer["result"] = result.to_json()
                return JSONResponse(answer)

            return Route(f"/_fake/{path}", endpoint, methods=["POST"])

        def arg(request: Request, name: str) -> str | None:
            return request.query_params.get(name)

        async def healthz(request: Request) -> Response:
            return JSONResponse({"ok": True})

        async def delayed(request: Request) -> Response:
            return JSONResponse({"count": self.delayed(arg(request, "method") or "")})

        return [
            Route("/_fake/healthz", healthz, methods=["GET"]),
            Route("/_fake/delayed", delayed, methods=["GET"]),
            get("calls", lambda r: self.calls(arg(r, "method"))),
            get("messages", lambda r: self.messages(arg(r, "channel"))),
            get("thread", lambda r: self.thread(arg(r, "channel") or "", arg(r, "ts") or "")),
            get("ephemerals", lambda r: self.ephemerals(arg(r, "user"))),
            get("views", lambda r: self.views()),
            get("files", lambda r: self.files()),
            get("responses", lambda r: self.responses(arg(r, "id"))),
            post("reset", lambda p: self.reset()),
            post("fail", lambda p: self.fail(**p)),
            post("latency", lambda p: self.latency(**p)),
            post("limits/posts", lambda p: self.limit_posts_per_channel(**p)),
            post("limits/method", lambda p: self.limit_method(**p)),
            post("users", lambda p: self.set_users(FakeUser.from_json(u) for u in p["users"])),
            post("channels", lambda p: self._add_channels(p["channels"])),
        ]


# ---------------------------------------------------------------------- request parsing


async def _read_params(request: Request) -> JSONDict:
    """Query string merged with a form or JSON body; JSON-encoded form fields decoded."""
    params: JSONDict = dict(request.query_params)
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if raw and content_type == "application/json":
        try:
            body = json.loads(raw)
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("invalid_json")
        params.update(body)
    elif raw and content_type in ("application/x-www-form-urlencoded", ""):
        try:
            params.update(parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError):
            raise SlackError("invalid_form_data") from None
    elif raw:
        raise SlackError("invalid_post_type")
    for key in JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            # Left as a string when it is not JSON: the handler rejects it like Slack would.
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


def _bearer(header: str | None) -> str | None:
    if header and header.lower().startswith("bearer "):
        return header[7:].strip()
    return None


def _text(params: JSONDict, key: str) -> str | None:
    value = params.get(key)
    if value is None or isinstance(value, (dict, list)):
        return None
    return value if isinstance(value, str) else str(value)


def _flag(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("1", "true"))


def _response_problem(body: JSONDict) -> str | None:
    """Why Slack would refuse a response_url body (HTTP 400 with this text), or None."""
    if _flag(body.get("delete_original")):
        return None
    blocks = body.get("blocks")
    if blocks is not None and (not isinstance(blocks, list) or block_errors(blocks)):
        return "invalid_blocks"
    if not body.get("text") and not blocks and not body.get("attachments"):
        return "no_text"
    return None


# ---------------------------------------------------------------------- separate process


def main(argv: Sequence[str] | None = None) -> None:
    """`python -m tests.fakes.slack_api [--port N]`: serve until interrupted, URL on stdout."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    args = parser.parse_args(argv)
    fake = FakeSlack()
    # Bind and listen before announcing the URL, so a client may connect at once.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(128)
    host, port = sock.getsockname()[:2]
    fake.url = f"http://{host}:{port}"
    print(fake.url, flush=True)  # the URL line is this command's output
    config = uvicorn.Config(fake.app, log_level="warning", lifespan="off", access_log=False)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main()
