"""Typed reading of Slack's inbound payloads: only the fields the adapter uses (reference §4.4-4.7).

Slack adds fields over time and leaves many out depending on the surface (message, modal,
App Home), so every field is read defensively and missing ones become ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Click",
    "Origin",
    "Submission",
    "click_of",
    "command_of",
    "home_user_of",
    "origin_of",
    "submission_of",
    "unescape",
]

Payload = Mapping[str, Any]


@dataclass(frozen=True)
class Origin:
    """Where a request came from, which decides where its reply can go."""

    user_id: str
    channel_id: str | None = None
    # The parent of the thread the clicked message is in (a reply's own ts is never a parent).
    thread_ts: str | None = None
    # The message whose button was clicked.
    message_ts: str | None = None
    # Slack's webhook for this interaction: works without channel membership (5 uses, 30 min).
    response_url: str | None = None
    trigger_id: str | None = None
    # The clicked message was ephemeral: it has no thread and cannot be edited with chat.update.
    ephemeral: bool = False

    @property
    def reply_thread(self) -> str | None:
        """The ``thread_ts`` for a THREAD reply: the clicked message's thread, or the message."""
        if self.thread_ts:
            return self.thread_ts
        return None if self.ephemeral else self.message_ts


@dataclass(frozen=True)
class Click:
    """A button click: which button, the command text it carries, and where it was."""

    action_id: str
    value: str
    origin: Origin


@dataclass(frozen=True)
class Submission:
    """A submitted modal: its metadata and the raw input values per block and action."""

    user_id: str
    view_id: str | None
    private_metadata: str
    values: Mapping[str, Mapping[str, Payload]]
    block_ids: tuple[str, ...]
    trigger_id: str | None


def _str(data: object, key: str) -> str | None:
    if not isinstance(data, Mapping):
        return None
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _map(data: object, key: str) -> Payload:
    if not isinstance(data, Mapping):
        return {}
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def unescape(text: str) -> str:
    """Undo Slack's escaping of & < > in command text (reference §3.6); ``&amp;`` last."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def command_of(command: Payload) -> tuple[str, Origin]:
    """The text after the slash command and where it was typed."""
    origin = Origin(
        user_id=_str(command, "user_id") or "",
        channel_id=_str(command, "channel_id"),
        response_url=_str(command, "response_url"),
        trigger_id=_str(command, "trigger_id"),
    )
    return unescape(str(command.get("text") or "")).strip(), origin


def origin_of(body: Payload) -> Origin:
    """The origin of any interaction, command or event body (best effort, for error replies)."""
    user = body.get("user")  # an object in interactions, absent in commands and events
    user_id = user if isinstance(user, str) else _str(user, "id")
    user_id = user_id or _str(body, "user_id") or _str(_map(body, "event"), "user")
    container = _map(body, "container")
    message = _map(body, "message")
    channel = (
        _str(_map(body, "channel"), "id")
        or _str(container, "channel_id")
        or _str(body, "channel_id")
        or _str(_map(body, "event"), "channel")
    )
    return Origin(
        user_id=user_id or "",
        channel_id=channel,
        thread_ts=_str(message, "thread_ts"),
        message_ts=_str(container, "message_ts") or _str(message, "ts"),
        response_url=_str(body, "response_url"),
        trigger_id=_str(body, "trigger_id"),
        ephemeral=container.get("is_ephemeral") is True,
    )


def click_of(body: Payload) -> Click:
    """The first action of a ``block_actions`` body (Bolt matched it by action_id)."""
    actions = body.get("actions")
    action: Payload = actions[0] if isinstance(actions, list) and actions else {}
    origin = origin_of(body)
    if _str(_map(body, "container"), "type") == "view":
        # Clicked in App Home or a modal: there is no channel and no response_url (§4.4).
        origin = Origin(user_id=origin.user_id, trigger_id=origin.trigger_id)
    return Click(
        action_id=_str(action, "action_id") or "",
        value=_str(action, "value") or "",
        origin=origin,
    )


def submission_of(body: Payload) -> Submission:
    """A ``view_submission`` body: values live at view.state.values[block_id][action_id]."""
    view = _map(body, "view")
    raw_values = _map(_map(view, "state"), "values")
    values: dict[str, dict[str, Payload]] = {}
    for block_id, actions in raw_values.items():
        if isinstance(actions, Mapping):
            values[str(block_id)] = {
                str(k): v for k, v in actions.items() if isinstance(v, Mapping)
            }
    blocks = view.get("blocks")
    block_ids = tuple(
        b["block_id"]
        for b in (blocks if isinstance(blocks, list) else [])
        if isinstance(b, Mapping) and isinstance(b.get("block_id"), str)
    )
    return Submission(
        user_id=_str(_map(body, "user"), "id") or "",
        view_id=_str(view, "id"),
        private_metadata=str(view.get("private_metadata") or ""),
        values=values,
        block_ids=block_ids,
        trigger_id=_str(body, "trigger_id"),
    )


def home_user_of(event: Payload) -> str | None:
    """The user who opened the Home tab; None for the Messages tab (nothing to publish)."""
    if event.get("tab", "home") != "home":
        return None
    return _str(event, "user")
