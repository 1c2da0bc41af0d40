"""The poller over BK-SOPS lifecycles: nodes, approvals, pause nodes, pause/resume/revoke."""

from __future__ import annotations

import pytest

from bot.clients.bk_sops import SopsClient, waiting_nodes
from bot.services.transitions import Transition, TransitionKind
from bot.store import EndReason, WatchStatus
from bot.views import RunKind
from tests.poller.conftest import BIZ, CHANNEL, World
from tests.poller.test_job_runs import BOB, _dispatcher

PAUSE_TEMPLATE = 42  # has a pause_node


async def _template_with(sops: SopsClient, code: str) -> int:
    for row in await sops.get_template_list(bk_biz_id=BIZ, bk_username="alice"):
        info = await sops.get_template_info(bk_biz_id=BIZ, template_id=row.id, bk_username="alice")
        activities = info.pipeline_tree.activities or {}
        if any(a.component and a.component.code == code for a in activities.values()):
            return row.id
    raise AssertionError(f"no seeded template with a {code} node")


async def _failing_template(sops: SopsClient) -> int:
    for row in await sops.get_template_list(bk_biz_id=BIZ, bk_username="alice"):
        if "fail" in row.name.lower() or "flaky" in row.name.lower():
            return row.id
    raise AssertionError("the sandbox seeds a template that fails")


async def _run(world: World, template_id: int, **constants: str) -> int:
    created = await world.sops.create_task(
        bk_biz_id=BIZ,
        template_id=template_id,
        name=f"poller {template_id}",
        constants=constants,
        bk_username="alice",
    )
    await world.sops.start_task(bk_biz_id=BIZ, task_id=created.task_id, bk_username="alice")
    return created.task_id


async def _kinds(world: World, watch_id: int) -> list[str]:
    return [n.kind for n in await world.watches.notifications(watch_id)]


async def _until_kind(world: World, watch_id: int, kind: TransitionKind) -> None:
    for _ in range(200):
        await world.tick(5)
        if kind in await _kinds(world, watch_id):
            return
    raise AssertionError(f"no {kind}; got {await _kinds(world, watch_id)}")


async def _until_ended(world: World, watch_id: int) -> None:
    for _ in range(200):
        await world.tick(5)
        row = await world.watches.get(watch_id)
        if row is not None and row.status is WatchStatus.ENDED:
            return
    raise AssertionError(f"watch did not end; got {await _kinds(world, watch_id)}")


def _gate_buttons(world: World) -> dict[str, str]:
    for posted in reversed(world.chat.posts):
        actions = getattr(posted.post.view, "actions", ())
        if actions:
            return {a.label: a.command for a in actions}
    raise AssertionError(f"no post with buttons: {world.chat.texts()}")


@pytest.mark.parametrize(("answer", "final"), [("Approve", "run_finished"), ("Reject", None)])
async def test_approval_node_answered_from_its_thread_buttons(
    world: World, answer: str, final: str | None
) -> None:
    task_id = await _run(world, await _template_with(world.sops, "bk_approve"))
    watch = await world.watch(RunKind.SOPS, task_id)
    await _until_kind(world, watch.id, TransitionKind.GATE_OPENED)
    buttons = _gate_buttons(world)
    assert {"Approve", "Reject"} <= set(buttons)
    reply = await _dispatcher(world).run(buttons[answer], actor=BOB, channel=CHANNEL)
    assert reply.touched is not None, reply
    if final is not None:
        await _until_ended(world, watch.id)
        kinds = await _kinds(world, watch.id)
        assert kinds[-1] == final
    else:
        # A rejected approval fails the node and the task (bk-sops §4.1); FAILED is not final.
        await _until_kind(world, watch.id, TransitionKind.RUN_FAILED)
        assert world.chat.posts[-1].post.broadcast
    assert TransitionKind.GATE_CLOSED in await _kinds(world, watch.id)


async def test_pause_node_continued_then_finished(world: World) -> None:
    task_id = await _run(world, PAUSE_TEMPLATE, **{"${wait_seconds}": "10"})
    watch = await world.watch(RunKind.SOPS, task_id)
    await _until_kind(world, watch.id, TransitionKind.GATE_OPENED)
    buttons = _gate_buttons(world)
    assert "Continue" in buttons
    await _dispatcher(world).run(buttons["Continue"], actor=BOB, channel=CHANNEL)
    await _until_ended(world, watch.id)
    kinds = await _kinds(world, watch.id)
    assert kinds[-1] == TransitionKind.RUN_FINISHED
    assert kinds.count(TransitionKind.NODE_STARTED) >= 2


async def test_pause_resume_revoke_are_each_told_once(world: World) -> None:
    task_id = await _run(world, PAUSE_TEMPLATE)
    watch = await world.watch(RunKind.SOPS, task_id)
    await _until_kind(world, watch.id, TransitionKind.NODE_STARTED)
    bot = _dispatcher(world)
    await bot.run(f"sops pause {task_id} --biz {BIZ}", actor=BOB, channel=CHANNEL)
    await _until_kind(world, watch.id, TransitionKind.RUN_PAUSED)
    await bot.run(f"sops resume {task_id} --biz {BIZ}", actor=BOB, channel=CHANNEL)
    await _until_kind(world, watch.id, TransitionKind.RUN_RESUMED)
    await bot.run(f"sops revoke {task_id} --yes --biz {BIZ}", actor=BOB, channel=CHANNEL)
    await _until_ended(world, watch.id)
    kinds = await _kinds(world, watch.id)
    assert kinds.count(TransitionKind.RUN_PAUSED) == 1
    assert kinds.count(TransitionKind.RUN_RESUMED) == 1
    assert kinds[-1] == TransitionKind.RUN_REVOKED
    row = await world.watches.get(watch.id)
    assert row is not None
    assert row.end_reason is EndReason.FINISHED
    assert world.chat.posts[-1].post.broadcast  # revoked is not a success


async def test_failed_task_is_told_with_its_error_and_keeps_being_followed(world: World) -> None:
    task_id = await _run(world, await _failing_template(world.sops))
    watch = await world.watch(RunKind.SOPS, task_id)
    await _until_kind(world, watch.id, TransitionKind.RUN_FAILED)
    notes = await world.watches.notifications(watch.id)
    failed = [Transition.model_validate(n.payload) for n in notes if n.kind == "node_failed"]
    assert failed
    assert failed[0].subject is not None
    assert failed[0].subject.error
    row = await world.watches.get(watch.id)
    # FAILED is not terminal in BK-SOPS (§4.3): the watch goes on, more slowly.
    assert row is not None
    assert row.status is WatchStatus.ACTIVE


async def test_tasks_are_not_polled_faster_than_the_status_cache(world: World) -> None:
    task_id = await _run(world, PAUSE_TEMPLATE)
    await world.watch(RunKind.SOPS, task_id)
    calls = 0
    for _ in range(12):  # 60 s of sandbox time in 5 s ticks
        calls += (await world.tick(5)).calls
    # One tree read, then at most one status read per 10 s (bk-sops §1.7).
    assert calls <= 1 + 7


async def test_waiting_nodes_helper_agrees_with_the_gate_posted(world: World) -> None:
    task_id = await _run(world, PAUSE_TEMPLATE)
    watch = await world.watch(RunKind.SOPS, task_id)
    await _until_kind(world, watch.id, TransitionKind.GATE_OPENED)
    detail = await world.sops.get_task_detail(bk_biz_id=BIZ, task_id=task_id, bk_username="alice")
    status = await world.sops.get_task_status(bk_biz_id=BIZ, task_id=task_id, bk_username="alice")
    waiting = waiting_nodes(status, detail.pipeline_tree)
    gate = next(
        Transition.model_validate(n.payload)
        for n in await world.watches.notifications(watch.id)
        if n.kind == TransitionKind.GATE_OPENED
    )
    assert gate.gate is not None
    assert (gate.gate.node_id, gate.gate.version) == (waiting[0].node_id, waiting[0].version)
