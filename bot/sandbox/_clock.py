"""Clocks that drive the sandbox world: a manual one for tests and a scaled real-time one."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["DEFAULT_START", "Clock", "ManualClock", "RealClock"]

# The BK-SOPS reference's status example (bk-sops §3.7) is taken 130 s after task 1087
# started at 10:00:05 +0800; a manual clock starts exactly there so that example matches.
DEFAULT_START = datetime(2026, 8, 20, 2, 2, 15, tzinfo=UTC)


class Clock(Protocol):
    """What the world needs from a clock: the current, timezone-aware time."""

    def now(self) -> datetime: ...


class ManualClock:
    """A clock that only moves when told to (`advance`); deterministic tests use it."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or DEFAULT_START
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += timedelta(seconds=seconds)
        return self._now

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"


class RealClock:
    """Wall-clock time, scaled by `speed` from the moment the clock was created."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._anchor = datetime.now(UTC)
        self._mono = time.monotonic()

    def now(self) -> datetime:
        elapsed = (time.monotonic() - self._mono) * self.speed
        return self._anchor + timedelta(seconds=elapsed)

    def __repr__(self) -> str:
        return f"RealClock(speed={self.speed})"
