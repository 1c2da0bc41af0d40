"""The tables, as SQLAlchemy 2 typed declarative models (migrations must match them)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.store._records import AuditResult, EndReason, NotificationState, WatchStatus
from bot.store._types import ID, JSON_OBJECT, JsonObject, StrEnumType, UTCDateTime
from bot.views import RunKind

__all__ = ["AuditTable", "Base", "ChannelSettingsTable", "NotificationTable", "WatchTable"]

# Deterministic constraint names, so migrations can refer to them on both databases.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Slack ids are ~11 characters and message ts ~17; the margin is for other chat backends.
CHAT_ID = 64
# BlueKing user names and Slack display names.
NAME = 255


class Base(DeclarativeBase):
    """Declarative base holding the metadata alembic compares against."""

    metadata = MetaData(naming_convention=NAMING)


class ChannelSettingsTable(Base):
    """Per-channel settings: the default business chosen with ``biz``."""

    __tablename__ = "channel_settings"

    channel: Mapped[str] = mapped_column(String(CHAT_ID), primary_key=True)
    biz: Mapped[int] = mapped_column(BigInteger)
    set_by: Mapped[str] = mapped_column(String(NAME))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WatchTable(Base):
    """A run the bot follows: its card, its last snapshot and the lease of its poller."""

    __tablename__ = "watches"
    __table_args__ = (
        UniqueConstraint("kind", "run_id", "biz"),
        CheckConstraint("kind IN ('job', 'sops')", name="kind"),
        CheckConstraint("status IN ('active', 'ended')", name="status"),
        # The poller's claim: active watches due for a poll, oldest due first.
        Index("ix_watches_due", "status", "next_poll_at"),
        # The registry's recent(): newest card first among active watches.
        Index("ix_watches_recent", "status", "card_posted_at"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    kind: Mapped[RunKind] = mapped_column(StrEnumType(RunKind, 8))
    run_id: Mapped[int] = mapped_column(BigInteger)
    biz: Mapped[int] = mapped_column(BigInteger)
    bk_username: Mapped[str | None] = mapped_column(String(NAME))
    started_by: Mapped[str | None] = mapped_column(String(NAME))
    channel: Mapped[str | None] = mapped_column(String(CHAT_ID))
    card_ts: Mapped[str | None] = mapped_column(String(CHAT_ID))
    thread_ts: Mapped[str | None] = mapped_column(String(CHAT_ID))
    status: Mapped[WatchStatus] = mapped_column(StrEnumType(WatchStatus, 8))
    last_snapshot: Mapped[JsonObject | None] = mapped_column(JSON_OBJECT)
    log_cursors: Mapped[JsonObject] = mapped_column(JSON_OBJECT)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_owner: Mapped[str | None] = mapped_column(String(NAME))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    card_posted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # No CHECK: adding a reason must not need a migration.
    end_reason: Mapped[EndReason | None] = mapped_column(StrEnumType(EndReason, 32))


class NotificationTable(Base):
    """The outbox: each transition recorded once per watch, then posted and marked sent."""

    __tablename__ = "notifications"
    __table_args__ = (
        # Exactly-once: a transition key can be recorded only once for a watch.
        UniqueConstraint("watch_id", "key"),
        CheckConstraint("state IN ('pending', 'sent', 'failed')", name="state"),
        # The outbox is read per watch, in order: "the unsent notifications of watch W".
        Index("ix_notifications_watch", "watch_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    watch_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("watches.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(NAME))
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[JsonObject] = mapped_column(JSON_OBJECT)
    state: Mapped[NotificationState] = mapped_column(StrEnumType(NotificationState, 8))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    slack_ts: Mapped[str | None] = mapped_column(String(CHAT_ID))
    last_error: Mapped[str | None] = mapped_column(Text)


class AuditTable(Base):
    """Every action that starts or changes work (product.md §6)."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_at", "at"),)

    id: Mapped[int] = mapped_column(ID, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    slack_user: Mapped[str] = mapped_column(String(CHAT_ID))
    bk_username: Mapped[str | None] = mapped_column(String(NAME))
    action: Mapped[str] = mapped_column(String(64))
    biz: Mapped[int | None] = mapped_column(BigInteger)
    # sha256 of the canonical JSON of params: the same hash approvals bind their button to.
    params_hash: Mapped[str] = mapped_column(String(64))
    params: Mapped[JsonObject] = mapped_column(JSON_OBJECT)
    result: Mapped[AuditResult] = mapped_column(StrEnumType(AuditResult, 16))
    bk_request_id: Mapped[str | None] = mapped_column(String(NAME))
    detail: Mapped[str | None] = mapped_column(Text)
