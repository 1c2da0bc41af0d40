"""What the store hands out and takes in: frozen records and enums, never ORM objects."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.services.ports import KnownRun
from bot.store._types import JsonObject, JsonValue
from bot.views import RunRef

__all__ = [
    "AuditEntry",
    "AuditResult",
    "EndReason",
    "MigrationState",
    "NewNotification",
    "Notification",
    "NotificationState",
    "WatchRow",
    "WatchStatus",
]


class WatchStatus(enum.StrEnum):
    """Whether the poller still follows a run."""

    ACTIVE = "active"
    ENDED = "ended"


class EndReason(enum.StrEnum):
    """Why a watch ended."""

    # The run reached a final state and its summary was recorded.
    FINISHED = "finished"
    # A person ran `unwatch` (or `pending` found the run settled).
    UNWATCHED = "unwatched"
    # BlueKing no longer knows the run, or the acting user lost access to it.
    NOT_FOUND = "not_found"
    # The poller stopped trying (too many errors, or watched for too long).
    GAVE_UP = "gave_up"


class NotificationState(enum.StrEnum):
    """Where a recorded transition is on its way to Slack."""

    PENDING = "pending"
    SENT = "sent"
    # Given up on (``mark_failed`` without a retry time); later ones of the watch go on.
    FAILED = "failed"


class AuditResult(enum.StrEnum):
    """How an audited action ended."""

    OK = "ok"
    FAILED = "failed"
    DENIED = "denied"


@dataclass(frozen=True)
class MigrationState:
    """Where the database schema is relative to the migrations shipped with this code."""

    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        """True when the database is at the newest migration."""
        return self.current == self.head

    def describe(self) -> str:
        """One line for ``bkbot check``, e.g. ``at 0001 (head)``."""
        if self.up_to_date:
            return f"at {self.current} (head)"
        if self.current is None:
            return f"empty (no migrations applied; head is {self.head})"
        return f"at {self.current}, head is {self.head}"


@dataclass(frozen=True)
class WatchRow:
    """One watched run: where its card is, what was last seen, and who polls it now."""

    id: int
    ref: RunRef
    # The BlueKing user the poller acts as; None until a caller that knows it says so.
    bk_username: str | None
    started_by: str | None
    channel: str | None
    card_ts: str | None
    thread_ts: str | None
    status: WatchStatus
    last_snapshot: JsonObject | None
    log_cursors: JsonObject
    next_poll_at: datetime
    lease_owner: str | None
    lease_expires_at: datetime | None
    card_posted_at: datetime
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    end_reason: EndReason | None

    @property
    def known(self) -> KnownRun:
        """The watch as the run registry port describes it."""
        return KnownRun(
            ref=self.ref,
            channel=self.channel,
            ts=self.card_ts,
            started_by=self.started_by,
            bk_username=self.bk_username,
        )


@dataclass(frozen=True)
class NewNotification:
    """A transition to post, keyed so that recording it twice records it once.

    ``key`` must be derived from the transition itself (``step:20000300001:status:3``),
    never from time or a counter, so every replica and every retry computes the same key.
    """

    key: str
    kind: str
    payload: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """A recorded transition (the outbox row)."""

    id: int
    watch_id: int
    key: str
    kind: str
    payload: JsonObject
    state: NotificationState
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    slack_ts: str | None
    last_error: str | None


@dataclass(frozen=True)
class AuditEntry:
    """One audited action (product.md §6)."""

    id: int
    at: datetime
    slack_user: str
    bk_username: str | None
    action: str
    biz: int | None
    params_hash: str
    params: JsonObject
    result: AuditResult
    bk_request_id: str | None
    detail: str | None
