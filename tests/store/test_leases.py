"""Claiming due watches under a lease: expiry, takeover, release, concurrent claimers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.store import EndReason, WatchStore
from bot.views import RunKind, RunRef
from tests.store.conftest import T0, FakeClock, Target

LEASE = 30.0


def ref(n: int) -> RunRef:
    return RunRef(kind=RunKind.JOB, id=n, biz=2)


async def test_only_active_watches_whose_poll_is_due_are_claimed(
    watches: WatchStore, clock: FakeClock
) -> None:
    due = await watches.watch(ref(1), channel="C01", card_ts="1.1")
    later = await watches.watch(ref(2), channel="C01", card_ts="1.2")
    ended = await watches.watch(ref(3), channel="C01", card_ts="1.3")
    await watches.end(ended.id, EndReason.FINISHED)
    assert await watches.claim_due("a", T0, 10, LEASE) != []  # everything starts due
    assert await watches.release(due.id, "a")
    assert await watches.release(later.id, "a", next_poll_at=T0 + timedelta(seconds=60))

    claimed = await watches.claim_due("b", T0 + timedelta(seconds=5), 10, LEASE)

    assert [w.id for w in claimed] == [due.id]
    assert claimed[0].lease_owner == "b"
    assert claimed[0].lease_expires_at == T0 + timedelta(seconds=5 + LEASE)


async def test_a_leased_watch_is_not_claimed_again_before_its_lease_expires(
    watches: WatchStore,
) -> None:
    w = await watches.watch(ref(1), channel="C01", card_ts="1.1")
    assert [c.id for c in await watches.claim_due("a", T0, 10, LEASE)] == [w.id]

    almost = T0 + timedelta(seconds=LEASE - 0.001)
    assert await watches.claim_due("b", almost, 10, LEASE) == []
    assert await watches.claim_due("a", almost, 10, LEASE) == []


async def test_another_owner_takes_over_once_the_lease_expires(watches: WatchStore) -> None:
    w = await watches.watch(ref(1), channel="C01", card_ts="1.1")
    await watches.claim_due("a", T0, 10, LEASE)

    expired = T0 + timedelta(seconds=LEASE)
    claimed = await watches.claim_due("b", expired, 10, LEASE)

    assert [(c.id, c.lease_owner) for c in claimed] == [(w.id, "b")]
    assert not await watches.release(w.id, "a")  # the old owner no longer holds it
    assert not await watches.renew(w.id, "a", expired, LEASE)


async def test_renewing_keeps_the_watch_from_being_taken_over(watches: WatchStore) -> None:
    w = await watches.watch(ref(1), channel="C01", card_ts="1.1")
    await watches.claim_due("a", T0, 10, LEASE)
    assert await watches.renew(w.id, "a", T0 + timedelta(seconds=20), LEASE)
    assert await watches.claim_due("b", T0 + timedelta(seconds=40), 10, LEASE) == []
    assert await watches.claim_due("b", T0 + timedelta(seconds=50), 10, LEASE) != []


async def test_release_frees_the_watch_and_sets_its_next_poll(watches: WatchStore) -> None:
    w = await watches.watch(ref(1), channel="C01", card_ts="1.1")
    await watches.claim_due("a", T0, 10, LEASE)
    assert not await watches.release(w.id, "b")
    assert await watches.release(w.id, "a", next_poll_at=T0 + timedelta(seconds=5))

    row = await watches.get(w.id)
    assert row is not None
    assert (row.lease_owner, row.lease_expires_at) == (None, None)
    assert await watches.claim_due("b", T0 + timedelta(seconds=4), 10, LEASE) == []
    assert len(await watches.claim_due("b", T0 + timedelta(seconds=5), 10, LEASE)) == 1


async def test_claims_take_the_oldest_due_first_up_to_the_limit(
    watches: WatchStore, clock: FakeClock
) -> None:
    ids = []
    for n in range(5):
        ids.append((await watches.watch(ref(n), channel="C01", card_ts=f"1.{n}")).id)
        clock.advance(1)
    now = clock.now()
    first = await watches.claim_due("a", now, 2, LEASE)
    second = await watches.claim_due("b", now, 10, LEASE)
    assert [w.id for w in first] == ids[:2]
    assert [w.id for w in second] == ids[2:]
    assert await watches.claim_due("c", now, 0, LEASE) == []


async def test_concurrent_claimers_never_claim_the_same_watch(
    watches: WatchStore, target: Target
) -> None:
    total = 60
    for n in range(total):
        await watches.watch(ref(n), channel="C01", card_ts=f"1.{n}")
    # Two replicas (independent engines and pools), two pollers on each.
    replicas = [await target.open(), await target.open()]
    claimed: dict[str, list[int]] = {}

    async def claimer(name: str, store: WatchStore) -> None:
        mine = claimed.setdefault(name, [])
        while batch := await store.claim_due(name, T0, 3, LEASE):
            mine.extend(w.id for w in batch)
            assert all(w.lease_owner == name for w in batch)
            await asyncio.sleep(0)

    try:
        stores = [WatchStore(replica) for replica in replicas]
        await asyncio.gather(*(claimer(f"r{i}-{j}", stores[i]) for i in range(2) for j in range(2)))
    finally:
        for replica in replicas:
            await replica.aclose()

    every = [watch_id for ids in claimed.values() for watch_id in ids]
    assert len(every) == len(set(every)) == total
    for ids in claimed.values():
        for watch_id in ids:
            row = await watches.get(watch_id)
            assert row is not None
            assert watch_id in claimed[row.lease_owner or ""]


@pytest.mark.postgres
@pytest.mark.parametrize("target", ["postgresql"], indirect=True)
async def test_a_claimer_skips_rows_another_claimer_has_locked(
    watches: WatchStore, target: Target
) -> None:
    busy = await watches.watch(ref(1), channel="C01", card_ts="1.1")
    free = await watches.watch(ref(2), channel="C01", card_ts="1.2")
    other = await target.open()
    try:
        async with other.engine.begin() as connection:
            # Another replica is in the middle of claiming `busy` (its row lock is held).
            await connection.execute(
                text("SELECT id FROM watches WHERE id = :id FOR UPDATE"), {"id": busy.id}
            )
            claimed = await asyncio.wait_for(watches.claim_due("a", T0, 10, LEASE), 5)
            assert [w.id for w in claimed] == [free.id]
    finally:
        await other.aclose()
