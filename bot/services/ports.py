"""Protocols the domain needs from the outside: settings, users, clock, runs, notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.views import FileAttachment, RunRef, View

__all__ = [
    "CardTarget",
    "ChannelSettings",
    "Clock",
    "DeliveryError",
    "KnownRun",
    "Notifier",
    "RetryLater",
    "RunRegistry",
    "ThreadPost",
    "Undeliverable",
    "UserDirectory",
    "UserProfile",
]


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
    # Started elsewhere and attached with ``watch``: its thread reports from now on, it does
    # not replay the steps that ran before (a run the bot started is reported from its start).
    attached: bool = False


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

    async def touch(self, ref: RunRef) -> None:
        """A command changed the run: poll it now, and follow it again if it had finished."""
        ...


@dataclass(frozen=True)
class CardTarget:
    """Where a run card is: its channel and message ts (None for the console)."""

    channel: str | None
    ts: str | None


@dataclass(frozen=True)
class ThreadPost:
    """One message for a run card's thread: a view, maybe a file, maybe broadcast."""

    view: View
    # Logs too long to read inline: uploaded into the same thread.
    attachment: FileAttachment | None = None
    # Also show it in the channel (Slack ``reply_broadcast``): a run that did not succeed.
    broadcast: bool = False


class DeliveryError(Exception):
    """A thread post did not reach the chat; ``reason`` is safe to store and log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(DeliveryError):
    """Try the same post again after ``retry_after`` seconds (a 429, a timeout, a 5xx)."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class ChannelBusy(DeliveryError):
    """The channel's queue is too long to post now; not the post's fault, so no attempt counts:
    the poller keeps it (and the rest of its thread) for its next turn."""


class Undeliverable(DeliveryError):
    """The post can never be delivered (channel gone, bot removed): give up on it."""


class Notifier(Protocol):
    """Tells a run's story in chat: posts in the card's thread, edits the card in place."""

    async def post(self, target: CardTarget, post: ThreadPost) -> str | None:
        """Post in the thread of the card at ``target``; the message ts when there is one.

        Raises RetryLater, ChannelBusy or Undeliverable; returning means the chat accepted
        the post.
        Posts for one thread are made in the order this is called.
        """
        ...

    def update_card(self, target: CardTarget, card: View) -> None:
        """Queue an edit of the card; a newer edit of the same card replaces a queued one.

        Never raises and never blocks: edits are coalesced and paced by the adapter.
        """
        ...

    async def edit_card(self, target: CardTarget, card: View) -> None:
        """Edit the card and return once the chat has it: a run's final state, which must
        not be lost with a queue in memory (the watch ends only after it).

        Paced and coalesced like ``update_card``; raises RetryLater, ChannelBusy (not sent
        within the adapter's wait; it may still be sent) or Undeliverable (the card is gone).
        """
        ...
