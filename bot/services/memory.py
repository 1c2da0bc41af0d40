"""In-process implementations of the ports, for the console and tests without a database."""

from __future__ import annotations

from bot.services.ports import KnownRun
from bot.views import RunRef

__all__ = ["MemoryChannelSettings", "MemoryRunRegistry"]

# Enough for `pending` in a busy channel; older runs fall off (the store keeps them all).
_MAX_RUNS = 500


class MemoryChannelSettings:
    """Channel settings kept in memory (lost on restart; the store keeps them in the DB)."""

    def __init__(self) -> None:
        self._biz: dict[str, int] = {}

    async def get_biz(self, channel: str) -> int | None:
        """The business set for ``channel``, if any."""
        return self._biz.get(channel)

    async def set_biz(self, channel: str, biz: int, *, set_by: str) -> None:
        """Remember ``biz`` for ``channel``."""
        self._biz[channel] = biz


class MemoryRunRegistry:
    """Posted runs kept in memory, newest last (lost on restart)."""

    def __init__(self) -> None:
        self._runs: dict[RunRef, KnownRun] = {}

    async def remember(self, run: KnownRun) -> None:
        """Record a posted card; the oldest entries go when the registry is full."""
        self._runs.pop(run.ref, None)
        self._runs[run.ref] = run
        while len(self._runs) > _MAX_RUNS:
            del self._runs[next(iter(self._runs))]

    async def recent(self, limit: int) -> list[KnownRun]:
        """The newest ``limit`` runs, newest first."""
        return list(reversed(list(self._runs.values())))[:limit]

    async def forget(self, ref: RunRef) -> None:
        """Drop a run."""
        self._runs.pop(ref, None)

    async def touch(self, ref: RunRef) -> None:
        """Nothing to do: without a store there is no poller to wake."""
