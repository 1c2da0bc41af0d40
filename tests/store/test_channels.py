"""Channel settings: the ChannelSettings port on a real database."""

from __future__ import annotations

from bot.services.ports import ChannelSettings
from bot.store import ChannelStore, Database
from tests.store.conftest import FakeClock, Target


async def test_channel_without_a_setting_has_no_business(channels: ChannelStore) -> None:
    assert await channels.get_biz("C0NONE") is None


async def test_set_business_round_trips_and_the_last_writer_wins(
    channels: ChannelStore, clock: FakeClock
) -> None:
    port: ChannelSettings = channels
    await port.set_biz("C01", 2, set_by="U1")
    await port.set_biz("C02", 3, set_by="U1")
    clock.advance(60)
    await port.set_biz("C01", 7, set_by="U2")
    assert await port.get_biz("C01") == 7
    assert await port.get_biz("C02") == 3


async def test_channel_settings_survive_reopening_the_database(
    db: Database, channels: ChannelStore, target: Target
) -> None:
    await channels.set_biz("C01", 9_000_000_001, set_by="U1")
    other = await target.open()
    try:
        assert await ChannelStore(other).get_biz("C01") == 9_000_000_001
    finally:
        await other.aclose()
