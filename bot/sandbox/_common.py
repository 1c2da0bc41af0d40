"""Shared sandbox helpers: the error type, JSON coercion, id generation and time formats."""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "JOB_TZ",
    "ApiError",
    "IdSource",
    "JSONObj",
    "as_bool",
    "as_int",
    "as_list",
    "as_obj",
    "fmt_job",
    "fmt_sops",
    "html_escape",
    "parse_day",
    "round_seconds",
    "zone",
]

JSONObj = dict[str, Any]

_FIXED_ZONES = {"Asia/Shanghai": timedelta(hours=8), "UTC": timedelta(0)}


def zone(name: str) -> tzinfo:
    """An IANA zone; falls back to a fixed offset where the system has no tz database."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if name in _FIXED_ZONES:
            return timezone(_FIXED_ZONES[name], name)
        raise


# bk-job §4.4: execution data is rendered in the request/user zone and plan/cron times in
# the server default zone; the sandbox plays a server in China, so both use Asia/Shanghai.
JOB_TZ = zone("Asia/Shanghai")


class ApiError(Exception):
    """A business error that becomes a `result: false` envelope.

    `trace` is for BK-SOPS: some early errors carry no `trace_id` (bk-sops §1.6).
    `with_data` is False for the BK-SOPS calls whose error bodies have no `data` key.
    """

    def __init__(
        self,
        code: int,
        message: str,
        *,
        permission: JSONObj | None = None,
        trace: bool = True,
        with_data: bool = True,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.permission = permission
        self.trace = trace
        self.with_data = with_data


class IdSource:
    """Deterministic hex identifiers (request ids, node ids, versions) from one seed."""

    def __init__(self, seed: int | str) -> None:
        self._rng = random.Random(f"ids:{seed}")

    def hex(self, length: int) -> str:
        return f"{self._rng.getrandbits(length * 4):0{length}x}"


def as_int(value: Any) -> int | None:
    """An integer from JSON or a query string; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def as_bool(value: Any) -> bool | None:
    """A boolean from JSON or a query string (`true`/`1`/`false`/`0`); None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "1"):
            return True
        if low in ("false", "0", ""):
            return False
    return None


def _maybe_json(value: Any) -> Any:
    # Nested values cannot travel in a query string except as JSON text; accept that.
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                return json.loads(text)
            except ValueError:
                return value
    return value


def as_obj(value: Any) -> JSONObj | None:
    value = _maybe_json(value)
    return value if isinstance(value, dict) else None


def as_list(value: Any) -> list[Any] | None:
    value = _maybe_json(value)
    return value if isinstance(value, list) else None


def html_escape(text: str) -> str:
    """bk-job §4.3: v2 logs are escaped for `&`, `<` and `>` only."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fmt_job(moment: datetime | None, tz: tzinfo = JOB_TZ) -> str | None:
    """bk-job §4.4: `YYYY-MM-DD HH:mm:ss` without a zone suffix."""
    if moment is None:
        return None
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")


def fmt_sops(moment: datetime | None, tz: tzinfo) -> str | None:
    """bk-sops §1.7: `YYYY-MM-DD HH:MM:SS +ZZZZ` in the project's zone."""
    if moment is None:
        return None
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %z")


def round_seconds(start: datetime | None, end: datetime | None) -> float | None:
    """A duration in seconds with millisecond precision (bk-job `total_time`)."""
    if start is None or end is None:
        return None
    return round(max((end - start).total_seconds(), 0.0), 3)


def parse_day(text: str, tz: tzinfo = JOB_TZ) -> datetime | None:
    """A `YYYY-MM-DD` filter as the first second of that day in `tz`; None when malformed."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        return None
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)
