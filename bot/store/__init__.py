"""The database: tables, alembic migrations and the repositories behind the service ports."""

from bot.store._audit import AuditStore, hash_params
from bot.store._channels import ChannelStore
from bot.store._clock import SystemClock
from bot.store._database import (
    Database,
    DatabaseKind,
    DatabaseUnavailable,
    StoreError,
    UnsupportedDatabase,
)
from bot.store._records import (
    AuditEntry,
    AuditResult,
    EndReason,
    MigrationState,
    NewNotification,
    Notification,
    NotificationState,
    WatchRow,
    WatchStatus,
)
from bot.store._types import JsonObject, JsonValue
from bot.store._watches import ATTACHED, PollOutcome, WatchStore

__all__ = [
    "ATTACHED",
    "AuditEntry",
    "AuditResult",
    "AuditStore",
    "ChannelStore",
    "Database",
    "DatabaseKind",
    "DatabaseUnavailable",
    "EndReason",
    "JsonObject",
    "JsonValue",
    "MigrationState",
    "NewNotification",
    "Notification",
    "NotificationState",
    "PollOutcome",
    "StoreError",
    "SystemClock",
    "UnsupportedDatabase",
    "WatchRow",
    "WatchStatus",
    "WatchStore",
    "hash_params",
]
