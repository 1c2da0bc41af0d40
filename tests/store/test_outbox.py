"""Snapshots and the notification outbox: recorded once, posted by the lease holder, in order."""

from __future__ import annotations

from datetime import timedelta

from bot.store import (
    EndReason,
    JsonObject,
    NewNotification,
    NotificationState,
    WatchRow,
    WatchStatus,
    WatchStore,
)
from bot.views import RunKind, RunRef
from tests.store.conftest import T0

LEASE = 30.0
JOB = RunRef(kind=RunKind.JOB, id=20000300001, biz=2)


def step(n: int, status: int) -> NewNotification:
    key = f"step:{n}:status:{status}"
    return NewNotification(key=key, kind="step", payload={"step": n, "status": status})


async def claimed(watches: WatchStore, owner: str = "a", at: float = 0) -> WatchRow:
    await watches.watch(JOB, channel="C01", card_ts="1.1", bk_username="ann")
    rows = await watches.claim_due(owner, T0 + timedelta(seconds=at), 10, LEASE)
    assert len(rows) == 1
    return rows[0]


async def test_save_snapshot_stores_snapshot_cursors_and_transitions_together(
    watches: WatchStore,
) -> None:
    w = await claimed(watches)
    snapshot: JsonObject = {"status": 2, "steps": [{"id": 1, "status": 3}], "name": "发布"}
    next_poll = T0 + timedelta(seconds=5)

    assert await watches.save_snapshot(
        w.id, "a", snapshot, next_poll, [step(1, 2), step(1, 3)], log_cursors={"1": 42}
    )

    row = await watches.get(w.id)
    assert row is not None
    assert (row.last_snapshot, row.log_cursors, row.next_poll_at) == (
        snapshot,
        {"1": 42},
        next_poll,
    )
    notes = await watches.notifications(w.id)
    assert [(n.key, n.payload, n.state, n.attempts) for n in notes] == [
        ("step:1:status:2", {"step": 1, "status": 2}, NotificationState.PENDING, 0),
        ("step:1:status:3", {"step": 1, "status": 3}, NotificationState.PENDING, 0),
    ]


async def test_save_snapshot_keeps_log_cursors_when_none_are_given(watches: WatchStore) -> None:
    w = await claimed(watches)
    await watches.save_snapshot(w.id, "a", {"v": 1}, T0, log_cursors={"s": "x"})
    await watches.save_snapshot(w.id, "a", {"v": 2}, T0)
    row = await watches.get(w.id)
    assert row is not None
    assert (row.last_snapshot, row.log_cursors) == ({"v": 2}, {"s": "x"})


async def test_save_snapshot_is_refused_once_the_lease_was_taken_over(
    watches: WatchStore,
) -> None:
    w = await claimed(watches, "a")
    taken = await watches.claim_due("b", T0 + timedelta(seconds=LEASE), 10, LEASE)
    assert [t.id for t in taken] == [w.id]

    saved = await watches.save_snapshot(
        w.id, "a", {"stale": True}, T0 + timedelta(seconds=99), [step(1, 3)]
    )

    assert not saved
    row = await watches.get(w.id)
    assert row is not None
    assert row.last_snapshot is None
    assert row.next_poll_at == T0
    assert await watches.notifications(w.id) == []


async def test_a_transition_is_recorded_once_however_often_it_is_saved(
    watches: WatchStore,
) -> None:
    w = await claimed(watches)
    await watches.save_snapshot(w.id, "a", {"v": 1}, T0, [step(1, 2), step(1, 2)])
    # The poller crashed before releasing; whoever polls next diffs again and finds the same.
    assert await watches.save_snapshot(w.id, "a", {"v": 1}, T0, [step(1, 2), step(2, 2)])

    assert [n.key for n in await watches.notifications(w.id)] == [
        "step:1:status:2",
        "step:2:status:2",
    ]


async def test_posting_cycle_marks_each_notification_sent_once(watches: WatchStore) -> None:
    w = await claimed(watches)
    await watches.save_snapshot(w.id, "a", {"v": 1}, T0, [step(1, 2), step(1, 3)])
    now = T0 + timedelta(seconds=1)

    pending = await watches.pending_notifications("a", now)
    assert [n.key for n in pending] == ["step:1:status:2", "step:1:status:3"]
    assert await watches.mark_sent(pending[0].id, "1.2", now=now)
    assert not await watches.mark_sent(pending[0].id, "1.9", now=now)  # already sent

    assert [n.key for n in await watches.pending_notifications("a", now)] == ["step:1:status:3"]
    sent = (await watches.notifications(w.id))[0]
    assert (sent.state, sent.slack_ts, sent.sent_at, sent.attempts) == (
        NotificationState.SENT,
        "1.2",
        now,
        1,
    )


async def test_only_the_lease_holder_gets_the_notifications(watches: WatchStore) -> None:
    w = await claimed(watches, "a")
    await watches.save_snapshot(w.id, "a", {"v": 1}, T0, [step(1, 2)])
    assert await watches.pending_notifications("b", T0) == []
    # Once the lease has expired not even its holder may post (another may be taking over).
    assert await watches.pending_notifications("a", T0 + timedelta(seconds=LEASE)) == []
    assert len(await watches.pending_notifications("a", T0)) == 1


async def test_a_failed_post_holds_back_the_later_ones_until_its_retry(
    watches: WatchStore,
) -> None:
    w = await claimed(watches)
    await watches.save_snapshot(w.id, "a", {"v": 1}, T0, [step(1, 2), step(1, 3)])
    first = (await watches.pending_notifications("a", T0))[0]
    retry_at = T0 + timedelta(seconds=10)

    assert await watches.mark_failed(first.id, "ratelimited", retry_at)

    assert await watches.pending_notifications("a", T0 + timedelta(seconds=9)) == []
    due = await watches.pending_notifications("a", retry_at)
    assert [n.key for n in due] == ["step:1:status:2", "step:1:status:3"]
    assert (due[0].attempts, due[0].last_error) == (1, "ratelimited")


async def test_giving_up_on_a_post_lets_the_later_ones_through(watches: WatchStore) -> None:
    w = await claimed(watches)
    await watches.save_snapshot(w.id, "a", {"v": 1}, T0, [step(1, 2), step(1, 3)])
    first = (await watches.pending_notifications("a", T0))[0]

    assert await watches.mark_failed(first.id, "channel_not_found", None)

    assert [n.key for n in await watches.pending_notifications("a", T0)] == ["step:1:status:3"]
    assert (await watches.notifications(w.id))[0].state is NotificationState.FAILED


async def test_a_crash_after_recording_is_delivered_by_the_next_owner(
    watches: WatchStore,
) -> None:
    # Owner a records the run's final transition and ends the watch, then dies unreleased.
    w = await claimed(watches, "a")
    await watches.save_snapshot(w.id, "a", {"done": True}, T0, [step(9, 3)])
    await watches.end(w.id, EndReason.FINISHED, now=T0)

    after = T0 + timedelta(seconds=LEASE)
    taken = await watches.claim_due("b", after, 10, LEASE)

    assert [(t.id, t.status) for t in taken] == [(w.id, WatchStatus.ENDED)]
    pending = await watches.pending_notifications("b", after)
    assert [n.key for n in pending] == ["step:9:status:3"]
    assert await watches.mark_sent(pending[0].id, "1.5")
    assert await watches.release(w.id, "b")
    # Drained and ended: nothing left to claim.
    assert await watches.claim_due("c", after + timedelta(hours=1), 10, LEASE) == []


async def test_an_ended_watch_waiting_for_a_retry_is_not_claimed_early(
    watches: WatchStore,
) -> None:
    w = await claimed(watches)
    await watches.save_snapshot(w.id, "a", {"v": 1}, T0, [step(1, 3)])
    await watches.end(w.id, EndReason.FINISHED, now=T0)
    (note,) = await watches.pending_notifications("a", T0)
    await watches.mark_failed(note.id, "timeout", T0 + timedelta(seconds=60))
    await watches.release(w.id, "a")

    assert await watches.claim_due("b", T0 + timedelta(seconds=59), 10, LEASE) == []
    assert len(await watches.claim_due("b", T0 + timedelta(seconds=60), 10, LEASE)) == 1


async def test_ending_a_watch_twice_reports_the_second_as_no_change(
    watches: WatchStore,
) -> None:
    w = await claimed(watches)
    assert await watches.end(w.id, EndReason.FINISHED)
    assert not await watches.end(w.id, EndReason.NOT_FOUND)
    row = await watches.get(w.id)
    assert row is not None
    assert row.end_reason is EndReason.FINISHED
