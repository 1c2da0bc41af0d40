"""In-process implementations of the ports, for the console and tests without a database."""

from __future__ import annotations

__all__ = ["MemoryChannelSettings"]


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
