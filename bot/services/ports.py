"""Protocols the domain needs from the outside: channel settings, user directory, clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.views import RunRef

__all__ = ["ChannelSettings", "Clock", "KnownRun", "RunRegistry", "UserDirectory", "UserProfile"]


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


@dataclass(frozen=True)
class KnownRun:
    """A run the bot posted a card for, and where that card is."""

    ref: RunRef
    channel: str | None
    ts: str | None
    started_by: str | None
    # The BlueKing user the card's reader acts as (the poller reads the run as them).
    bk_username: str | None = None


class RunRegistry(Protocol):
    """The runs whose cards the bot posted (the store keeps them across restarts)."""

    async def remember(self, run: KnownRun) -> None:
        """Record a posted card (a newer card for the same run replaces the older)."""
        ...

    async def recent(self, limit: int) -> list[KnownRun]:
        """The most recently posted runs, newest first."""
        ...

    async def forget(self, ref: RunRef) -> None:
        """Stop tracking a run (it ended)."""
        ...
