"""Column types shared by the tables: UTC timestamps, JSON objects, string enums, ids."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import JsonValue
from sqlalchemy import JSON, BigInteger, Dialect, Integer, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine

__all__ = ["ID", "JSON_OBJECT", "JsonObject", "JsonValue", "StrEnumType", "UTCDateTime", "aware"]

# What JSON columns hold: always an object at the top, so callers can add keys later.
JsonObject = dict[str, JsonValue]

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
ID: TypeEngine[int] = BigInteger().with_variant(Integer(), "sqlite")

# none_as_null: Python None is SQL NULL ("no snapshot yet"), not the JSON literal null.
JSON_OBJECT: TypeEngine[Any] = JSON(none_as_null=True).with_variant(
    JSONB(none_as_null=True), "postgresql"
)


def aware(value: datetime) -> datetime:
    """``value`` in UTC; naive datetimes are refused (their zone would be a guess)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timezone-aware datetime required, got naive {value!r}")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on both databases.

    PostgreSQL stores ``timestamptz``. SQLite has no time zones: values are stored as naive
    UTC text, which keeps SQL comparisons (``next_poll_at <= :now``) correct because every
    value is written in the same zone and format.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = aware(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


E = TypeVar("E", bound=enum.StrEnum)


class StrEnumType(TypeDecorator[E]):
    """A StrEnum stored as its value in a VARCHAR (CHECK constraints live on the tables)."""

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[E], length: int = 16) -> None:
        super().__init__(length)
        self._enum = enum_class

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self._enum(value).value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self._enum(value)
