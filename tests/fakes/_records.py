"""What the fake Slack remembers: calls, messages, views, files, users, and their JSON forms."""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Self, cast

__all__ = [
    "Ephemeral",
    "FakeChannel",
    "FakeUser",
    "Fault",
    "Message",
    "RecordedCall",
    "ResponsePost",
    "UploadedFile",
    "View",
]

JSONDict = dict[str, Any]


class _Json:
    """`to_json()` / `from_json()` for the control API; records are plain JSON-able dataclasses."""

    def to_json(self) -> JSONDict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(cast(Any, self))}

    @classmethod
    def from_json(cls, data: JSONDict) -> Self:
        names = {f.name for f in dataclasses.fields(cast(Any, cls))}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(frozen=True)
class RecordedCall(_Json):
    """One Web API call as the fake received it and what it answered.

    `params` merges the query string and the body (form or JSON), with JSON-encoded form
    fields such as `blocks`, `view` or `files` decoded; the token is not part of it.
    `at` is the fake's clock (monotonic seconds unless a clock was given).
    """

    method: str
    params: JSONDict
    headers: dict[str, str]
    at: float
    status: int = 200
    response: JSONDict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        error = self.response.get("error")
        return error if isinstance(error, str) else None


@dataclass(frozen=True)
class Message(_Json):
    """The current state of a message the bot posted (edits applied, `edits` counted)."""

    channel: str
    ts: str
    text: str
    blocks: list[JSONDict] | None = None
    attachments: list[JSONDict] | None = None
    thread_ts: str | None = None
    reply_broadcast: bool = False
    metadata: JSONDict | None = None
    files: list[str] = field(default_factory=list)
    edits: int = 0
    deleted: bool = False

    @property
    def is_reply(self) -> bool:
        return self.thread_ts is not None and self.thread_ts != self.ts


@dataclass(frozen=True)
class Ephemeral(_Json):
    """A `chat.postEphemeral` message: seen by `user` only, never editable."""

    channel: str
    user: str
    message_ts: str
    text: str
    blocks: list[JSONDict] | None = None
    attachments: list[JSONDict] | None = None
    thread_ts: str | None = None


@dataclass(frozen=True)
class View(_Json):
    """A modal or Home tab view in its current state; `definition` is the view as last sent."""

    id: str
    hash: str
    type: str
    definition: JSONDict
    callback_id: str = ""
    external_id: str = ""
    private_metadata: str = ""
    title: str | None = None
    user_id: str | None = None
    trigger_id: str | None = None
    root_view_id: str | None = None
    previous_view_id: str | None = None
    opened_by: str = "views.open"
    updates: int = 0

    @property
    def blocks(self) -> list[JSONDict]:
        blocks = self.definition.get("blocks")
        return blocks if isinstance(blocks, list) else []


@dataclass(frozen=True)
class UploadedFile(_Json):
    """A file uploaded through files.getUploadURLExternal → upload URL → completeUploadExternal.

    `content` is None until the bytes arrive; `channels` is empty until the upload is
    completed with a channel (a completed file without one stays private).
    """

    id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    initial_comment: str | None = None
    snippet_type: str | None = None
    alt_txt: str | None = None
    completed: bool = False

    @property
    def channel(self) -> str | None:
        return self.channels[0] if self.channels else None

    @property
    def name(self) -> str:
        return self.filename

    def to_json(self) -> JSONDict:
        data = super().to_json()
        content = self.content
        data["content"] = None if content is None else base64.b64encode(content).decode()
        return data

    @classmethod
    def from_json(cls, data: JSONDict) -> Self:
        content = data.get("content")
        decoded = None if content is None else base64.b64decode(content)
        return super().from_json({**data, "content": decoded})


@dataclass(frozen=True)
class ResponsePost(_Json):
    """One JSON body POSTed to a `response_url` built by `FakeSlack.response_url(id)`."""

    id: str
    body: JSONDict
    headers: dict[str, str]
    at: float


@dataclass(frozen=True)
class FakeUser(_Json):
    """A workspace member as users.info / users.lookupByEmail return it."""

    id: str
    name: str
    real_name: str = ""
    email: str | None = None
    tz: str = "Asia/Shanghai"
    tz_label: str = "China Standard Time"
    tz_offset: int = 8 * 3600
    display_name: str = ""
    is_bot: bool = False
    is_admin: bool = False
    deleted: bool = False

    def to_api(self, team_id: str) -> JSONDict:
        """The `user` object of users.info (the fields a bot reads, in Slack's shape)."""
        profile: JSONDict = {
            "real_name": self.real_name,
            "real_name_normalized": self.real_name,
            "display_name": self.display_name,
            "display_name_normalized": self.display_name,
            "team": team_id,
            "image_72": f"https://avatars.example.invalid/{self.id}_72.png",
        }
        if self.email is not None:
            profile["email"] = self.email
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": self.deleted,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz_label,
            "tz_offset": self.tz_offset,
            "profile": profile,
            "is_admin": self.is_admin,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1700000000,
        }


@dataclass(frozen=True)
class FakeChannel(_Json):
    """A conversation the fake knows by id; unknown well-formed ids are treated as public."""

    id: str
    name: str
    is_private: bool = False
    is_member: bool = True
    is_archived: bool = False

    def to_api(self) -> JSONDict:
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": False,
            "is_member": self.is_member,
            "created": 1700000000,
            "creator": "U0ALICE",
        }


@dataclass
class Fault(_Json):
    """An injected answer for `method` ("*" for all); `times=None` fires until reset.

    `where` narrows it to calls whose params contain those values (e.g. a channel).
    The fake's non-API endpoints use the names "upload" and "response_url".
    """

    method: str
    error: str
    status: int
    retry_after: int | None = None
    times: int | None = None
    where: dict[str, str] | None = None
    fired: int = 0

    def matches(self, method: str, params: JSONDict) -> bool:
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method not in ("*", method):
            return False
        return all(str(params.get(k)) == str(v) for k, v in (self.where or {}).items())
