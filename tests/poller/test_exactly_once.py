"""Each transition reaches the thread once: across crashes, lease moves, 429 storms and errors."""

from __future__ import annotations

from bot.poller import TickReport
from bot.services.ports import ChannelBusy
from bot.store import NotificationState, WatchStatus
from bot.views import RunKind
from tests.poller.conftest import BIZ, World, retry_later, undeliverable

SUCCEEDS = 1000124
CONFIRMS = 1000123


async def _start(world: World, plan: int) -> int:
    started = await world.job.execute_job(bk_biz_id=BIZ, bk_job_id=plan, bk_username="alice")
    assert started.job_instance_id
    return started.job_instance_id


async def test_a_replica_that_dies_after_recording_hands_its_posts_over(world: World) -> None:
    watch = await world.watch(RunKind.JOB, await _start(world, SUCCEEDS))
    dead = world.new_poller("replica-dead")

    # It records the first transitions, then dies before posting or releasing its lease.
    async def no_release(ids: object, owner: str) -> int:
        return 0

    async def crash(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed")

    original_release = world.watches.release_many
    world.watches.release_many = no_release  # type: ignore[method-assign]
    dead._deliver = crash  # type: ignore[method-assign]
    world.clock.advance(5)
    try:
        await dead.run_once()
    except SystemExit:
        pass
    finally:
        world.watches.release_many = original_release  # type: ignore[method-assign]
    recorded = await world.watches.notifications(watch.id)
    assert recorded
    assert all(n.state is NotificationState.PENDING for n in recorded)
    # While its lease lives, nobody else touches the watch.
    assert (await world.tick(1)).claimed == 0
    # After it expires, another replica posts them, then follows the run to its end.
    world.clock.advance(60)
    total = TickReport()
    for _ in range(100):
        total.add(await world.tick(5))
        row = await world.watches.get(watch.id)
        if row is not None and row.status is WatchStatus.ENDED:
            break
    notes = await world.watches.notifications(watch.id)
    assert all(n.state is NotificationState.SENT for n in notes)
    assert len(world.chat.posts) == len(notes)
    assert next(p.text for p in world.chat.posts) == world.chat.posts[0].text


async def test_429_storm_delivers_everything_in_order(world: World) -> None:
    watch = await world.watch(RunKind.JOB, await _start(world, SUCCEEDS))
    # Slack refuses two of every three posts for a while, each with Retry-After 1 s.
    world.chat.refuse(*(retry_later(1.0) for _ in range(12)))
    for _ in range(200):
        await world.tick(1)
        row = await world.watches.get(watch.id)
        notes = await world.watches.notifications(watch.id)
        if (
            row
            and row.status is WatchStatus.ENDED
            and all(n.state is NotificationState.SENT for n in notes)
        ):
            break
    notes = await world.watches.notifications(watch.id)
    assert notes
    assert all(n.state is NotificationState.SENT for n in notes)
    assert not world.chat.refusals
    # In the thread, in the order recorded, each once.
    expected = [n.slack_ts for n in notes]
    assert expected == [f"{i}.000100" for i in range(1, len(notes) + 1)]
    assert max(n.attempts for n in notes) > 1


async def test_an_undeliverable_post_is_given_up_and_the_rest_go_on(world: World) -> None:
    watch = await world.watch(RunKind.JOB, await _start(world, SUCCEEDS))
    world.chat.refuse(undeliverable())
    for _ in range(100):
        await world.tick(5)
        row = await world.watches.get(watch.id)
        if row is not None and row.status is WatchStatus.ENDED:
            break
    states = [n.state for n in await world.watches.notifications(watch.id)]
    assert states[0] is NotificationState.FAILED
    assert all(s is NotificationState.SENT for s in states[1:])


async def test_a_card_not_posted_yet_holds_its_thread_until_it_is(world: World) -> None:
    instance = await _start(world, SUCCEEDS)
    watch = await world.watch(RunKind.JOB, instance, card_ts=None)
    world.chat.refusals.clear()

    # The recording chat refuses targets without a ts, as the Slack notifier does.
    original = world.chat.post

    async def needs_ts(target, post):  # type: ignore[no-untyped-def]
        if target.ts is None:
            raise retry_later(2.0)
        return await original(target, post)

    world.chat.post = needs_ts  # type: ignore[method-assign]
    await world.tick(5)
    assert world.chat.posts == []
    await world.watch(RunKind.JOB, instance)  # the card is posted: channel and ts known
    for _ in range(100):
        await world.tick(5)
        row = await world.watches.get(watch.id)
        if row is not None and row.status is WatchStatus.ENDED:
            break
    notes = await world.watches.notifications(watch.id)
    assert all(n.state is NotificationState.SENT for n in notes)
    assert all(p.target.ts == "1.0" for p in world.chat.posts)


async def test_two_pollers_never_post_the_same_transition(world: World) -> None:
    watches = [await world.watch(RunKind.JOB, await _start(world, SUCCEEDS)) for _ in range(6)]
    other = world.new_poller("replica-b")
    for _ in range(100):
        world.clock.advance(2.5)
        await world.poller.run_once()
        await other.run_once()
        rows = [await world.watches.get(w.id) for w in watches]
        if all(r is not None and r.status is WatchStatus.ENDED for r in rows):
            break
    keys = []
    for w in watches:
        keys += [(w.id, n.key) for n in await world.watches.notifications(w.id)]
    assert len(world.chat.posts) == len(keys) == len(set(keys))


async def test_a_thread_that_takes_long_to_post_keeps_its_lease(world: World) -> None:
    watch = await world.watch(RunKind.JOB, await _start(world, SUCCEEDS))
    other = world.new_poller("replica-b")
    original = world.chat.post
    seen_by_other: list[int] = []

    async def slow(target, post):  # type: ignore[no-untyped-def]
        # Each post takes 40 s (a channel crowded at 1 post/s): past half the 60 s lease,
        # the poller renews it, so the other replica cannot claim the thread mid-way.
        world.clock.advance(40)
        seen_by_other.append((await other.run_once()).claimed)
        return await original(target, post)

    world.chat.post = slow  # type: ignore[method-assign]
    for _ in range(30):
        await world.tick(5)
        row = await world.watches.get(watch.id)
        if row is not None and row.status is WatchStatus.ENDED:
            break
    notes = await world.watches.notifications(watch.id)
    assert len(notes) > 2
    assert all(n.state is NotificationState.SENT for n in notes)
    assert len(world.chat.posts) == len(notes)
    assert seen_by_other
    assert set(seen_by_other) == {0}


async def test_a_busy_channel_keeps_the_post_queued_without_counting_an_attempt(
    world: World,
) -> None:
    watch = await world.watch(RunKind.JOB, await _start(world, SUCCEEDS))
    world.chat.refuse(ChannelBusy("channel busy"))
    await world.tick(5)
    first = (await world.watches.notifications(watch.id))[0]
    assert first.state is NotificationState.PENDING
    assert first.attempts == 0
    assert world.chat.posts == []
    # The next tick, even without a poll due, posts it and the rest in order.
    report = await world.tick(0)
    assert report.posted >= 1
    assert world.chat.posts[0].text
    assert (await world.watches.notifications(watch.id))[0].state is NotificationState.SENT
