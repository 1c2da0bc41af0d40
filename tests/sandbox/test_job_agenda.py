"""The BK-Job agenda: a request advances only the runs that are due, operations reschedule."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

import pytest

from bot.sandbox import ManualClock, Sandbox
from bot.sandbox._job_engine import JobInstance
from bot.sandbox._job_world import JobWorld

from .conftest import Bk, b64, ips

TICK = timedelta(microseconds=1)


@pytest.fixture
def advanced(monkeypatch: pytest.MonkeyPatch) -> Counter[int]:
    """Counts JobInstance.advance calls per instance id."""
    calls: Counter[int] = Counter()
    original = JobInstance.advance

    def spy(self: JobInstance, now: datetime) -> None:
        calls[self.id] += 1
        original(self, now)

    monkeypatch.setattr(JobInstance, "advance", spy)
    return calls


def _world(sandbox: Sandbox[ManualClock]) -> JobWorld:
    return sandbox.world.job


async def _script(bk: Bk, content: str, *hosts: str) -> int:
    data = await bk.job_data(
        "fast_execute_script",
        script_content=b64(content),
        script_type=1,
        account="root",
        **ips(*(hosts or ("10.0.0.11",))),
    )
    instance: int = data["job_instance_id"]
    return instance


async def _plan(bk: Bk, plan: int) -> int:
    data = await bk.job_data("execute_job", user="alice", bk_job_id=plan)
    instance: int = data["job_instance_id"]
    return instance


async def _status(bk: Bk, instance: int, user: str = "admin") -> int:
    data = await bk.job_data("get_job_instance_status", user=user, job_instance_id=instance)
    status: int = data["job_instance"]["status"]
    return status


async def _step_op(bk: Bk, instance: int, step: int, code: int) -> None:
    await bk.job_data(
        "operate_step_instance",
        user="alice",
        job_instance_id=instance,
        step_instance_id=step,
        operation_code=code,
    )


def _due(sandbox: Sandbox[ManualClock], instance: int) -> datetime:
    due = _world(sandbox).instances[instance].next_event()
    assert due is not None
    return due


async def test_a_request_advances_only_the_runs_that_are_due(
    bk: Bk, sandbox: Sandbox[ManualClock], advanced: Counter[int]
) -> None:
    sleepers = [await _script(bk, "sleep 3600\n") for _ in range(40)]
    quick = await _script(bk, "echo hi\n")
    bk.advance(1)
    assert await _status(bk, quick) == 2  # everyone started: all were due
    advanced.clear()
    bk.advance(10)  # the quick run's step is done; the sleepers have an hour to go
    assert await _status(bk, sleepers[0]) == 2
    # Popped from the agenda once; the sleeper is advanced only because it was read.
    assert advanced == Counter({quick: 1, sleepers[0]: 1})
    assert _world(sandbox).instances[quick].status == 3


async def test_retry_puts_the_rerun_on_the_agenda(bk: Bk, sandbox: Sandbox[ManualClock]) -> None:
    instance = await _plan(bk, 1000125)  # its flaky host fails the first execution
    bk.advance(20)
    assert await _status(bk, instance) == 4
    inst = _world(sandbox).instances[instance]
    await _step_op(bk, instance, inst.steps[0].id, 2)  # retry the failed hosts
    due = _due(sandbox, instance)
    # Nobody reads the run from here on: only the agenda can move it.
    _world(sandbox).advance(due - TICK)
    assert (inst.steps[0].status, inst.current) == (2, 0)
    _world(sandbox).advance(due)
    assert (inst.steps[0].status, inst.current, inst.steps[1].status) == (3, 1, 2)


async def test_confirming_puts_the_next_step_on_the_agenda(
    bk: Bk, sandbox: Sandbox[ManualClock]
) -> None:
    instance = await _plan(bk, 1000127)  # script, starter confirms, script
    bk.advance(20)
    assert await _status(bk, instance, user="alice") == 7
    inst = _world(sandbox).instances[instance]
    await _step_op(bk, instance, inst.steps[1].id, 6)
    due = _due(sandbox, instance)
    _world(sandbox).advance(due - TICK)
    assert inst.status == 2
    _world(sandbox).advance(due)
    assert inst.status == 3


async def test_stopping_puts_the_stop_on_the_agenda(bk: Bk, sandbox: Sandbox[ManualClock]) -> None:
    instance = await _script(bk, "sleep 3600\n")
    bk.advance(5)
    await bk.job_data("operate_job_instance", job_instance_id=instance, operation_code=1)
    inst = _world(sandbox).instances[instance]
    due = _due(sandbox, instance)
    _world(sandbox).advance(due - TICK)
    assert inst.status == 10
    _world(sandbox).advance(due)
    assert inst.status == 11


async def test_starting_now_puts_the_first_step_on_the_agenda(
    bk: Bk, sandbox: Sandbox[ManualClock]
) -> None:
    instance = await _script(bk, "echo hi\n")
    await bk.job_data("operate_job_instance", job_instance_id=instance, operation_code=2)
    inst = _world(sandbox).instances[instance]
    assert inst.status == 2
    due = _due(sandbox, instance)
    _world(sandbox).advance(due - TICK)
    assert inst.status == 2
    _world(sandbox).advance(due)
    assert inst.status == 3


async def test_deleted_runs_are_skipped_and_leave_the_agenda(
    bk: Bk, sandbox: Sandbox[ManualClock]
) -> None:
    first, second, third = [await _script(bk, "echo hi\n") for _ in range(3)]
    assert sandbox.world.delete_job_instance(second)
    del _world(sandbox).instances[third]  # as tests/poller do, behind the world's back
    bk.advance(10)
    assert await _status(bk, first) == 3
    answer = await bk.job("get_job_instance_status", job_instance_id=second)
    assert answer["code"] == 1244006
    assert len(_world(sandbox).agenda) == 0  # nothing else is running


async def test_rescheduling_again_and_again_keeps_the_heap_small(
    bk: Bk, sandbox: Sandbox[ManualClock], advanced: Counter[int]
) -> None:
    instance = await _script(bk, "echo hi\n")
    world = _world(sandbox)
    inst = world.instances[instance]
    far = sandbox.clock.now() + timedelta(days=1)
    last = far
    for n in range(5000):
        last = far + timedelta(seconds=n)
        inst.start_at = last
        world.reschedule(inst)
    assert len(world.agenda) < 100  # compaction dropped the stale future entries
    # The stale entries still in the heap are recognised: the run is not advanced early.
    world.advance(last - TICK)
    assert advanced[instance] == 0
    assert inst.status == 1
    world.advance(last)
    assert (advanced[instance], inst.status) == (1, 2)


async def test_rescheduling_earlier_wins_over_the_older_entry(
    bk: Bk, sandbox: Sandbox[ManualClock]
) -> None:
    instance = await _script(bk, "echo hi\n")
    world = _world(sandbox)
    inst = world.instances[instance]
    soon = sandbox.clock.now() + timedelta(seconds=0.1)
    assert inst.start_at is not None
    assert inst.start_at > soon
    inst.start_at = soon
    world.reschedule(inst)
    world.advance(soon)
    assert inst.status == 2


async def test_reading_a_run_advances_it_even_off_the_agenda(
    bk: Bk, sandbox: Sandbox[ManualClock]
) -> None:
    instance = await _script(bk, "echo hi\n")
    inst = _world(sandbox).instances[instance]
    inst.agenda_due = None  # as if some change forgot to reschedule it: its entry is stale
    bk.advance(1)
    await bk.job_data("get_job_list")
    assert inst.status == 1  # the agenda alone no longer moves it...
    assert await _status(bk, instance) == 2  # ...but reading it does
