"""Test doubles at the Slack edge: a fake Web API server and Slack-style request signing."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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
from .remote import RemoteFakeSlack, spawn_fake_slack
from .signing import (
    block_actions_body,
    block_actions_payload,
    sign,
    signed_headers,
    slash_command_body,
    view_submission_body,
    view_submission_payload,
)

if TYPE_CHECKING:
    from .slack_api import DEFAULT_CHANNELS, DEFAULT_USERS, FakeSlack, dm_channel

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
    "RemoteFakeSlack",
    "ResponsePost",
    "UploadedFile",
    "View",
    "block_actions_body",
    "block_actions_payload",
    "dm_channel",
    "sign",
    "signed_headers",
    "slash_command_body",
    "spawn_fake_slack",
    "view_submission_body",
    "view_submission_payload",
]

# `slack_api` is loaded on first use: importing it here would make
# `python -m tests.fakes.slack_api` find it already imported and warn (runpy).
_LAZY = frozenset({"DEFAULT_CHANNELS", "DEFAULT_USERS", "FakeSlack", "dm_channel"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(".slack_api", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
