"""Watches as the RunRegistry port: remember, recent, forget."""

from __future__ import annotations

from bot.services.ports import KnownRun, RunRegistry
from bot.store import EndReason, WatchStatus, WatchStore
from bot.views import RunKind, RunRef
from tests.store.conftest import T0, FakeClock

JOB = RunRef(kind=RunKind.JOB, id=20000300001, biz=2)
TASK = RunRef(kind=RunKind.SOPS, id=41, biz=2)


async def test_remembered_runs_are_listed_newest_card_first(
    watches: WatchStore, clock: FakeClock
) -> None:
    registry: RunRegistry = watches
    await registry.remember(KnownRun(ref=JOB, channel="C01", ts="1.1", started_by="Ann"))
    clock.advance(1)
    await registry.remember(KnownRun(ref=TASK, channel="C02", ts=None, started_by=None))
    assert await registry.recent(10) == [
        KnownRun(ref=TASK, channel="C02", ts=None, started_by=None),
        KnownRun(ref=JOB, channel="C01", ts="1.1", started_by="Ann"),
    ]
    assert await registry.recent(1) == [KnownRun(TASK, "C02", None, None)]


async def test_a_newer_card_for_the_same_run_replaces_the_older(
    watches: WatchStore, clock: FakeClock
) -> None:
    await watches.remember(KnownRun(ref=JOB, channel="C01", ts="1.1", started_by="Ann"))
    clock.advance(1)
    await watches.remember(KnownRun(ref=TASK, channel="C01", ts="2.2", started_by="Ann"))
    clock.advance(1)
    await watches.remember(KnownRun(ref=JOB, channel="C09", ts="3.3", started_by=None))

    assert await watches.recent(10) == [
        KnownRun(ref=JOB, channel="C09", ts="3.3", started_by="Ann"),
        KnownRun(ref=TASK, channel="C01", ts="2.2", started_by="Ann"),
    ]
    row = await watches.find(JOB)
    assert row is not None
    assert (row.card_ts, row.thread_ts) == ("3.3", "3.3")
    assert (row.created_at, row.card_posted_at) == (T0, clock.now())


async def test_forget_ends_the_watch_as_unwatched_and_hides_it(
    watches: WatchStore, clock: FakeClock
) -> None:
    await watches.remember(KnownRun(ref=JOB, channel="C01", ts="1.1", started_by="Ann"))
    clock.advance(5)
    await watches.forget(JOB)
    await watches.forget(RunRef(kind=RunKind.JOB, id=1, biz=2))  # unknown: nothing happens

    assert await watches.recent(10) == []
    row = await watches.find(JOB)
    assert row is not None
    assert row.status is WatchStatus.ENDED
    assert row.end_reason is EndReason.UNWATCHED
    assert row.ended_at == clock.now()


async def test_watching_a_forgotten_run_again_makes_it_active(watches: WatchStore) -> None:
    await watches.remember(KnownRun(ref=JOB, channel="C01", ts="1.1", started_by="Ann"))
    await watches.forget(JOB)
    await watches.remember(KnownRun(ref=JOB, channel="C01", ts="4.4", started_by="Bob"))
    row = await watches.find(JOB)
    assert row is not None
    assert (row.status, row.end_reason, row.ended_at) == (WatchStatus.ACTIVE, None, None)
    assert row.started_by == "Bob"


async def test_the_acting_user_is_kept_when_a_later_card_does_not_know_it(
    watches: WatchStore,
) -> None:
    first = await watches.watch(
        JOB, channel="C01", card_ts="1.1", started_by="Ann", bk_username="ann"
    )
    await watches.remember(KnownRun(ref=JOB, channel="C01", ts="2.2", started_by=None))
    row = await watches.get(first.id)
    assert row is not None
    assert (row.bk_username, row.started_by, row.card_ts) == ("ann", "Ann", "2.2")


async def test_the_same_run_id_in_another_business_is_another_watch(watches: WatchStore) -> None:
    one = await watches.watch(JOB, channel="C01", card_ts="1.1")
    other = await watches.watch(
        RunRef(kind=RunKind.JOB, id=JOB.id, biz=3), channel="C01", card_ts="1.2"
    )
    assert one.id != other.id
    assert one.ref == JOB
