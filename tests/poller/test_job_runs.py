"""The poller over BK-Job lifecycles: every step told once, in order, and the watch ends."""

from __future__ import annotations

import pytest

from bot.clients.bk_job import StepOperation
from bot.commands import Dispatcher, build_registry
from bot.poller import NOTE
from bot.sandbox import FaultKind
from bot.services import Actor, Identity, MappedBy, MemoryChannelSettings, Services, load_policy
from bot.services.ports import ChannelBusy, RetryLater, Undeliverable
from bot.services.transitions import Transition, TransitionKind
from bot.store import EndReason, NotificationState, WatchStatus
from bot.views import RunKind, RunRef
from tests.poller.conftest import BIZ, CHANNEL, World

SUCCEEDS = 1000124  # db-migrate: two steps, both succeed
CONFIRMS = 1000123  # deploy-web: a manual confirmation step
FLAKY = 1000125  # health-check: fails on some hosts; a retry of the failed hosts fixes it


async def _start(world: World, plan: int) -> int:
    started = await world.job.execute_job(bk_biz_id=BIZ, bk_job_id=plan, bk_username="alice")
    assert started.job_instance_id
    return started.job_instance_id


async def _kinds(world: World, watch_id: int) -> list[str]:
    return [n.kind for n in await world.watches.notifications(watch_id)]


async def _ended(world: World, watch_id: int) -> bool:
    row = await world.watches.get(watch_id)
    assert row is not None
    return row.status is WatchStatus.ENDED


def _dispatcher(world: World) -> Dispatcher:
    services = Services(
        job=world.job,
        sops=world.sops,
        identity=Identity(load_policy(None), sandbox=True),
        channels=MemoryChannelSettings(),
        runs=world.watches,
        default_biz=BIZ,
        command="/bk",
        sandbox=True,
    )
    return Dispatcher(build_registry(), services)


BOB = Actor("U0BOB", "Bob", "bob", MappedBy.POLICY)


async def test_successful_run_tells_each_step_once_then_ends(world: World) -> None:
    instance = await _start(world, SUCCEEDS)
    watch = await world.watch(RunKind.JOB, instance)
    ended = False

    async def poll() -> None:
        nonlocal ended
        ended = await _ended(world, watch.id)

    for _ in range(100):
        await world.tick(5)
        await poll()
        if ended:
            break
    assert ended
    kinds = await _kinds(world, watch.id)
    assert kinds[0] == TransitionKind.STEP_STARTED
    assert kinds[-1] == TransitionKind.RUN_FINISHED
    assert kinds.count(TransitionKind.STEP_STARTED) == kinds.count(TransitionKind.STEP_SUCCEEDED)
    # Every recorded transition reached the thread exactly once, in order.
    notes = await world.watches.notifications(watch.id)
    assert all(n.state is NotificationState.SENT for n in notes)
    assert len(world.chat.posts) == len(notes)
    assert all(p.target.ts == "1.0" and p.target.channel == CHANNEL for p in world.chat.posts)
    assert not world.chat.posts[-1].post.broadcast  # success is not broadcast
    # The card's last edit shows the finished run.
    card = world.chat.cards[-1][1]
    assert getattr(card, "finished", None) is True
    row = await world.watches.get(watch.id)
    assert row is not None
    assert row.end_reason is EndReason.FINISHED
    # An ended watch is not polled again.
    assert (await world.tick(60)).claimed == 0


async def test_failure_is_grouped_broadcast_and_a_retry_from_the_button_follows_again(
    world: World,
) -> None:
    instance = await _start(world, FLAKY)
    watch = await world.watch(RunKind.JOB, instance)
    for _ in range(100):
        await world.tick(5)
        if await _ended(world, watch.id):
            break
    notes = await world.watches.notifications(watch.id)
    failed = [Transition.model_validate(n.payload) for n in notes if n.kind == "step_failed"]
    assert len(failed) == 1
    subject = failed[0].subject
    assert subject is not None
    assert subject.groups, "failed hosts come grouped with their logs"
    assert any("10.0.0.12" in host for g in subject.groups for host in g.hosts)
    assert notes[-1].kind == TransitionKind.RUN_FAILED
    assert world.chat.posts[-1].post.broadcast  # a failed run is told to the channel
    # Retry failed, as the button's command, through the dispatcher: the watch follows again.
    status = await world.job.get_job_instance_status(
        bk_biz_id=BIZ, job_instance_id=instance, bk_username="alice"
    )
    step = next(s for s in status.steps if s.status == 4)
    reply = await _dispatcher(world).run(
        f"job step {instance} {step.step_instance_id} retry-failed --biz {BIZ}",
        actor=BOB,
        channel=CHANNEL,
    )
    assert reply.touched == RunRef(kind=RunKind.JOB, id=instance, biz=BIZ)
    row = await world.watches.get(watch.id)
    assert row is not None
    assert row.status is WatchStatus.ACTIVE
    for _ in range(100):
        await world.tick(5)
        if await _ended(world, watch.id):
            break
    kinds = await _kinds(world, watch.id)
    assert kinds[-1] == TransitionKind.RUN_FINISHED
    # The retried step was told as a new occurrence: started again after the failure.
    after = kinds[kinds.index(TransitionKind.RUN_FAILED) :]
    assert TransitionKind.STEP_STARTED in after
    keys = [n.key for n in await world.watches.notifications(watch.id)]
    assert len(keys) == len(set(keys))
    assert len(world.chat.posts) == len(keys)


async def test_confirmation_gate_is_posted_with_buttons_and_confirmed_from_the_thread(
    world: World,
) -> None:
    instance = await _start(world, CONFIRMS)
    watch = await world.watch(RunKind.JOB, instance)
    for _ in range(100):
        await world.tick(5)
        if TransitionKind.GATE_OPENED in await _kinds(world, watch.id):
            break
    gate_post = next(
        p.post for p in world.chat.posts if "onfirm" in p.text and p.post.view is not None
    )
    actions = getattr(gate_post.view, "actions", ())
    labels = [a.label for a in actions]
    assert "Confirm" in labels
    assert "Reject" in labels
    confirm = next(a for a in actions if a.label == "Confirm")
    reply = await _dispatcher(world).run(confirm.command, actor=BOB, channel=CHANNEL)
    assert reply.touched is not None, reply
    for _ in range(100):
        await world.tick(5)
        if await _ended(world, watch.id):
            break
    kinds = await _kinds(world, watch.id)
    assert TransitionKind.GATE_CLOSED in kinds
    assert kinds[-1] == TransitionKind.RUN_FINISHED


async def test_run_deleted_upstream_ends_the_watch_with_a_note(world: World) -> None:
    instance = await _start(world, CONFIRMS)
    watch = await world.watch(RunKind.JOB, instance)
    await world.tick(5)
    del world.sandbox.world.job.instances[instance]
    await world.tick(5)
    kinds = await _kinds(world, watch.id)
    assert kinds[-1] == TransitionKind.RUN_GONE
    row = await world.watches.get(watch.id)
    assert row is not None
    assert row.end_reason is EndReason.NOT_FOUND
    assert "no longer" in world.chat.texts()[-1].lower() or "gone" in world.chat.texts()[-1]


async def test_unknown_run_ends_at_once_with_a_note(world: World) -> None:
    watch = await world.watch(RunKind.JOB, 987654321)
    await world.tick(1)
    notes = await world.watches.notifications(watch.id)
    assert [n.kind for n in notes] == [NOTE]
    assert "987654321" in world.chat.texts()[0]
    row = await world.watches.get(watch.id)
    assert row is not None
    assert row.end_reason is EndReason.NOT_FOUND


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        (FaultKind.BK_ERROR, {"code": 1240001, "message": "internal error"}),
        (FaultKind.HTTP_STATUS, {"status": 502}),
        (FaultKind.MALFORMED, {}),
    ],
)
async def test_blueking_errors_back_off_and_lose_nothing(
    world: World, kind: FaultKind, options: dict[str, object]
) -> None:
    instance = await _start(world, SUCCEEDS)
    watch = await world.watch(RunKind.JOB, instance)
    world.sandbox.faults.inject("get_job_instance_status", kind, times=20, **options)
    report = await world.tick(1)
    assert report.errors == 1
    assert report.recorded == 0
    row = await world.watches.get(watch.id)
    assert row is not None
    assert row.status is WatchStatus.ACTIVE
    assert row.next_poll_at > world.clock.now()  # backed off, not dropped
    assert row.log_cursors.get("errors") == 1
    world.sandbox.faults.clear()
    for _ in range(100):
        await world.tick(5)
        if await _ended(world, watch.id):
            break
    kinds = await _kinds(world, watch.id)
    assert kinds[0] == TransitionKind.STEP_STARTED  # history replayed from the start
    assert kinds[-1] == TransitionKind.RUN_FINISHED


async def test_a_slow_blueking_times_the_poll_out_and_the_others_go_on(world: World) -> None:
    first = await world.watch(RunKind.JOB, await _start(world, SUCCEEDS))
    second = await world.watch(RunKind.JOB, await _start(world, CONFIRMS))
    poller = world.new_poller("replica-fast", call_timeout=0.2)
    world.sandbox.faults.inject("get_job_instance_status", FaultKind.LATENCY, seconds=1.0, times=1)
    world.clock.advance(1)
    report = await poller.run_once()
    assert report.polled == 2
    assert report.errors == 1
    assert report.recorded > 0  # the other run was told
    rows = [await world.watches.get(w.id) for w in (first, second)]
    assert sorted(bool(r and r.log_cursors.get("errors")) for r in rows) == [False, True]


async def test_attached_run_reports_from_now_on(world: World) -> None:
    instance = await _start(world, SUCCEEDS)
    world.clock.advance(3)
    await world.job.get_job_instance_status(
        bk_biz_id=BIZ, job_instance_id=instance, bk_username="alice"
    )
    watch = await world.watch(RunKind.JOB, instance, attached=True)
    await world.tick(0)
    # The steps that ran before are not replayed; the thread says why it starts mid-run.
    assert [n.kind for n in await world.watches.notifications(watch.id)] == ["attached"]
    assert f"Following job {instance} “db-migrate”" in world.chat.texts()[0]
    for _ in range(100):
        await world.tick(5)
        if await _ended(world, watch.id):
            break
    assert (await _kinds(world, watch.id))[-1] == TransitionKind.RUN_FINISHED


async def test_operating_a_step_polls_the_run_at_once(world: World) -> None:
    instance = await _start(world, CONFIRMS)
    watch = await world.watch(RunKind.JOB, instance)
    for _ in range(100):
        await world.tick(5)
        if TransitionKind.GATE_OPENED in await _kinds(world, watch.id):
            break
    row = await world.watches.get(watch.id)
    assert row is not None
    assert row.next_poll_at > world.clock.now()
    status = await world.job.get_job_instance_status(
        bk_biz_id=BIZ, job_instance_id=instance, bk_username="alice"
    )
    waiting = status.step_waiting_for_confirmation
    assert waiting is not None
    await world.job.operate_step_instance(
        bk_biz_id=BIZ,
        job_instance_id=instance,
        step_instance_id=waiting.step_instance_id,
        operation_code=StepOperation.CONFIRM,
        bk_username="bob",
    )
    await world.watches.touch(RunRef(kind=RunKind.JOB, id=instance, biz=BIZ))
    report = await world.tick(0)
    assert report.polled == 1
    assert TransitionKind.GATE_CLOSED in await _kinds(world, watch.id)


async def test_a_finished_run_ends_only_once_its_last_card_is_shown(world: World) -> None:
    instance = await _start(world, SUCCEEDS)
    watch = await world.watch(RunKind.JOB, instance)
    # Slack keeps the last card back twice (a 429, then a busy channel).
    world.chat.edit_refusals.extend([RetryLater("ratelimited", 1.0), ChannelBusy("busy")])
    for _ in range(100):
        await world.tick(5)
        if world.chat.final_edits:
            break
    assert world.chat.texts()[-1]  # the final summary is posted regardless
    assert not await _ended(world, watch.id)  # but the card still says "Running"
    for _ in range(20):
        await world.tick(5)
        if await _ended(world, watch.id):
            break
    assert await _ended(world, watch.id)
    assert world.chat.final_edits == 3
    assert getattr(world.chat.cards[-1][1], "finished", None) is True
    # Nothing was posted twice meanwhile.
    notes = await world.watches.notifications(watch.id)
    assert len(world.chat.posts) == len(notes)


async def test_a_deleted_card_does_not_keep_a_finished_runs_watch_alive(world: World) -> None:
    instance = await _start(world, SUCCEEDS)
    watch = await world.watch(RunKind.JOB, instance)
    # Someone deleted the card (or archived the channel) before the run finished.
    world.chat.edit_refusals.append(Undeliverable("message_not_found"))
    for _ in range(100):
        await world.tick(5)
        if world.chat.final_edits:
            break
    # Nothing is left to correct: the watch ends with that one attempt, no edit again.
    assert await _ended(world, watch.id)
    row = await world.watches.get(watch.id)
    assert row is not None
    assert row.end_reason is EndReason.FINISHED
    await world.tick(60)
    assert world.chat.final_edits == 1
    assert "succeeded" in world.chat.texts()[-1]


async def test_a_retry_clicked_while_the_last_card_is_sent_keeps_the_watch(
    world: World,
) -> None:
    instance = await _start(world, FLAKY)
    watch = await world.watch(RunKind.JOB, instance)
    original = world.chat.edit_card

    async def clicked_meanwhile(target, card):  # type: ignore[no-untyped-def]
        # The person clicks Retry failed on the card while its last edit is on its way.
        status = await world.job.get_job_instance_status(
            bk_biz_id=BIZ, job_instance_id=instance, bk_username="alice"
        )
        step = next(s for s in status.steps if s.status == 4)
        await world.job.operate_step_instance(
            bk_biz_id=BIZ,
            job_instance_id=instance,
            step_instance_id=step.step_instance_id,
            operation_code=StepOperation.RETRY_FAILED,
            bk_username="alice",
        )
        await world.watches.touch(RunRef(kind=RunKind.JOB, id=instance, biz=BIZ))
        await original(target, card)

    world.chat.edit_card = clicked_meanwhile  # type: ignore[method-assign]
    for _ in range(100):
        await world.tick(5)
        if world.chat.final_edits:
            break
    world.chat.edit_card = original  # type: ignore[method-assign]
    assert not await _ended(world, watch.id)
    for _ in range(100):
        await world.tick(5)
        if await _ended(world, watch.id):
            break
    assert "succeeded" in world.chat.texts()[-1]


async def test_an_attached_runs_card_names_who_started_it_not_who_attached_it(
    world: World,
) -> None:
    started = await world.job.execute_job(bk_biz_id=BIZ, bk_job_id=SUCCEEDS, bk_username="bob")
    assert started.job_instance_id
    # Alice attaches it (the world's watches are made by "Alice").
    await world.watch(RunKind.JOB, started.job_instance_id, attached=True)
    await world.tick(3)
    card = world.chat.cards[-1][1]
    assert getattr(card, "started_by", None) == "bob"
