"""The wall clock the repositories stamp rows with, unless a test gives them another."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["SystemClock"]


class SystemClock:
    """The system's time in UTC (satisfies ``bot.services.ports.Clock``)."""

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        return datetime.now(UTC)
