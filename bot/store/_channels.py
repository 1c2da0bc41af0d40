"""Channel settings in the database (implements ``bot.services.ports.ChannelSettings``)."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.ports import Clock
from bot.store._clock import SystemClock
from bot.store._database import Database
from bot.store._models import ChannelSettingsTable

__all__ = ["ChannelStore"]


class ChannelStore:
    """Each channel's default business, kept across restarts and shared by replicas."""

    def __init__(self, db: Database, *, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def get_biz(self, channel: str) -> int | None:
        """The business set for ``channel``, if any."""
        async with self._db.transaction() as session:
            return await session.scalar(
                select(ChannelSettingsTable.biz).where(ChannelSettingsTable.channel == channel)
            )

    async def set_biz(self, channel: str, biz: int, *, set_by: str) -> None:
        """Remember ``biz`` as ``channel``'s default business (the last writer wins)."""
        values = {
            "channel": channel,
            "biz": biz,
            "set_by": set_by,
            "updated_at": self._clock.now(),
        }
        insert = self._db.insert(ChannelSettingsTable).values(values)
        upsert = insert.on_conflict_do_update(
            index_elements=[ChannelSettingsTable.channel],
            set_={
                "biz": insert.excluded.biz,
                "set_by": insert.excluded.set_by,
                "updated_at": insert.excluded.updated_at,
            },
        )
        async with self._db.transaction() as session:
            await session.execute(upsert)
