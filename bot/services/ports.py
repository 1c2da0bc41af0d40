"""Protocols the domain needs from the outside: channel settings, user directory, clock."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

__all__ = ["ChannelSettings", "Clock", "UserDirectory", "UserProfile"]


class ChannelSettings(Protocol):
    """Per-channel settings (the default business set with ``biz``)."""

    async def get_biz(self, channel: str) -> int | None:
        """The business set for ``channel``, if any."""
        ...

    async def set_biz(self, channel: str, biz: int, *, set_by: str) -> None:
        """Remember ``biz`` as ``channel``'s default business."""
        ...


class UserProfile(Protocol):
    """What the bot needs to know about a chat user."""

    @property
    def display_name(self) -> str | None: ...

    @property
    def email(self) -> str | None: ...


class UserDirectory(Protocol):
    """Looks chat users up (Slack ``users.info``); the console has no directory."""

    async def profile(self, user_id: str) -> UserProfile | None:
        """The user's profile, or None when unknown."""
        ...


class Clock(Protocol):
    """Wall-clock time, replaceable in tests."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...
