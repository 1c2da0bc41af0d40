"""Snapshots and transitions over real sandbox runs, polled every few seconds like the poller."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence

import pytest
from pydantic import JsonValue

from bot.clients.bk_job import JobClient, JobOperation, StepOperation
from bot.clients.bk_sops import OperateAction, PipelineTree, SopsClient, TaskState
from bot.sandbox import ManualClock, Sandbox
from bot.services.snapshots import (
    JobSnapshot,
    Snapshot,
    SopsSnapshot,
    diff,
    dump_snapshot,
    is_final,
    job_snapshot,
    load_snapshot,
    sops_snapshot,
)
from bot.services.transitions import GateAnswer, GateKind, Transition, TransitionKind

K = TransitionKind
BIZ = 2
JOB_EVERY = 3.0
# get_task_status is cached for 10 s (bk-sops §1.7); the poller reads it every few seconds.
SOPS_EVERY = 5.0


class Follower:
    """One watch: read → snapshot from the stored one → diff → store the JSON, on a clock."""

    def __init__(
        self,
        sandbox: Sandbox,
        build: Callable[[Snapshot | None], Awaitable[Snapshot]],
        every: float,
    ) -> None:
        self.sandbox = sandbox
        self.build = build
        self.every = every
        self.stored: dict[str, JsonValue] | None = None
        self.transitions: list[Transition] = []

    async def poll(self) -> Snapshot:
        old = load_snapshot(self.stored) if self.stored is not None else None
        new = await self.build(old)
        self.transitions.extend(diff(old, new))
        # The watch's JSON column: what the next poll compares with.
        self.stored = json.loads(json.dumps(dump_snapshot(new)))
        return new

    async def until(self, done: Callable[[Snapshot], bool], limit: float = 900.0) -> Snapshot:
        waited = 0.0
        while True:
            snapshot = await self.poll()
            if done(snapshot):
                return snapshot
            if waited >= limit:
                raise AssertionError(f"not reached in {limit}s of sandbox time: {snapshot!r}")
            clock = self.sandbox.clock
            assert isinstance(clock, ManualClock)
            clock.advance(self.every)
            waited += self.every

    def kinds(self) -> list[TransitionKind]:
        return [t.kind for t in self.transitions]

    def of(self, kind: TransitionKind) -> list[Transition]:
        return [t for t in self.transitions if t.kind is kind]


def _assert_unique(transitions: Sequence[Transition]) -> None:
    keys = [t.key for t in transitions]
    assert len(keys) == len(set(keys)), keys


def _job(snapshot: Snapshot) -> JobSnapshot:
    assert isinstance(snapshot, JobSnapshot)
    return snapshot


def _sops(snapshot: Snapshot) -> SopsSnapshot:
    assert isinstance(snapshot, SopsSnapshot)
    return snapshot


# ------------------------------------------------------------------------------- BK-Job


async def _run_plan(sandbox: Sandbox, job: JobClient, plan: int) -> tuple[int, Follower]:
    started = await job.execute_job(bk_biz_id=BIZ, bk_job_id=plan, bk_username="alice")
    instance = started.job_instance_id
    detail = await job.get_job_detail(bk_biz_id=BIZ, bk_job_id=plan, bk_username="alice")
    messages = {s.step_id: s.confirm_message for s in detail.steps}

    async def build(old: Snapshot | None) -> Snapshot:
        status = await job.get_job_instance_status(
            bk_biz_id=BIZ, job_instance_id=instance, bk_username="alice"
        )
        waiting = status.step_waiting_for_confirmation
        message = messages.get(waiting.step_id) if waiting is not None else None
        previous = old if isinstance(old, JobSnapshot) else None
        return job_snapshot(status, previous=previous, confirm_message=message)

    return instance, Follower(sandbox, build, JOB_EVERY)


async def _step_op(job: JobClient, instance: int, step: int, op: StepOperation) -> None:
    await job.operate_step_instance(
        bk_biz_id=BIZ,
        job_instance_id=instance,
        step_instance_id=step,
        operation_code=op,
        bk_username="bob",
    )


def _waiting(snapshot: Snapshot) -> bool:
    return _job(snapshot).waiting_step_instance_id is not None


async def test_plan_confirmed_at_its_gate(sandbox: Sandbox, job: JobClient) -> None:
    instance, watch = await _run_plan(sandbox, job, 1000123)
    waiting = _job(await watch.until(_waiting))
    assert waiting.waiting_step_instance_id is not None
    await _step_op(job, instance, waiting.waiting_step_instance_id, StepOperation.CONFIRM)
    await watch.until(is_final)

    assert watch.kinds() == [
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.GATE_OPENED,
        K.GATE_CLOSED,
        K.RUN_FINISHED,
    ]
    _assert_unique(watch.transitions)
    (opened,) = watch.of(K.GATE_OPENED)
    assert opened.gate is not None
    assert opened.gate.kind is GateKind.CONFIRMATION
    assert opened.gate.step_instance_id == waiting.waiting_step_instance_id
    assert opened.gate.prompt == "Please confirm the restart of web"
    (closed,) = watch.of(K.GATE_CLOSED)
    assert closed.gate is not None
    assert closed.gate.answer is GateAnswer.CONFIRMED


async def test_plan_rejected_at_its_gate_then_reissued_and_confirmed(
    sandbox: Sandbox, job: JobClient
) -> None:
    instance, watch = await _run_plan(sandbox, job, 1000123)
    step = _job(await watch.until(_waiting)).waiting_step_instance_id
    assert step is not None
    await _step_op(job, instance, step, StepOperation.REJECT)
    rejected = await watch.until(is_final)
    assert watch.kinds()[-3:] == [K.GATE_OPENED, K.GATE_CLOSED, K.RUN_STOPPED]
    assert watch.transitions[-1].broadcast

    # bk-job §5.13 op 10: the same step waits again with the same execute_count.
    await _step_op(job, instance, step, StepOperation.REISSUE_CONFIRMATION)
    await watch.until(lambda s: s != rejected and _waiting(s))
    await _step_op(job, instance, step, StepOperation.CONFIRM)
    await watch.until(is_final)

    assert watch.kinds() == [
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.GATE_OPENED,
        K.GATE_CLOSED,
        K.RUN_STOPPED,
        K.GATE_OPENED,
        K.GATE_CLOSED,
        K.RUN_FINISHED,
    ]
    _assert_unique(watch.transitions)
    answers = [t.gate.answer for t in watch.of(K.GATE_CLOSED) if t.gate]
    assert answers == [GateAnswer.REJECTED, GateAnswer.CONFIRMED]


async def test_flaky_plan_fails_on_one_host_then_retry_failed_succeeds(
    sandbox: Sandbox, job: JobClient
) -> None:
    instance, watch = await _run_plan(sandbox, job, 1000125)
    failed = _job(await watch.until(is_final))
    step = failed.steps[0]
    await _step_op(job, instance, step.step_instance_id, StepOperation.RETRY_FAILED)
    await watch.until(lambda s: is_final(s) and s != failed)

    assert watch.kinds() == [
        K.STEP_STARTED,
        K.STEP_FAILED,
        K.RUN_FAILED,
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.RUN_FINISHED,
    ]
    _assert_unique(watch.transitions)
    step_failed = watch.of(K.STEP_FAILED)[0].subject
    assert step_failed is not None
    assert [(h.ip, h.status) for h in step_failed.failed_hosts] == [("10.0.0.12", 104)]
    starts = [t for t in watch.of(K.STEP_STARTED) if t.subject and t.subject.index == 1]
    assert [t.subject.attempt for t in starts if t.subject] == [0, 1]
    assert starts[0].key != starts[1].key


async def test_long_plan_terminated_while_running(sandbox: Sandbox, job: JobClient) -> None:
    instance, watch = await _run_plan(sandbox, job, 1000126)
    await watch.until(lambda s: _job(s).status == 2)
    await job.operate_job_instance(
        bk_biz_id=BIZ,
        job_instance_id=instance,
        operation_code=JobOperation.TERMINATE,
        bk_username="alice",
    )
    await watch.until(is_final)
    assert watch.kinds() == [K.STEP_STARTED, K.STEP_STOPPED, K.RUN_STOPPED]
    _assert_unique(watch.transitions)
    assert watch.transitions[-1].label == "Stopped"


# ------------------------------------------------------------------------------- BK-SOPS


async def _run_template(
    sandbox: Sandbox, sops: SopsClient, template: int, **constants: str
) -> tuple[int, Follower]:
    created = await sops.create_task(
        bk_biz_id=BIZ,
        template_id=template,
        name=f"snapshots {template}",
        constants=constants,
        bk_username="alice",
    )
    task_id = created.task_id
    tree = created.pipeline_tree or PipelineTree()

    async def build(old: Snapshot | None) -> Snapshot:
        status = await sops.get_task_status(
            bk_biz_id=BIZ, task_id=task_id, bk_username="alice", with_ex_data=True
        )
        previous = old if isinstance(old, SopsSnapshot) else None
        return sops_snapshot(status, tree, task_id=task_id, previous=previous)

    watch = Follower(sandbox, build, SOPS_EVERY)
    await watch.poll()  # the bot's first snapshot: CREATED, nothing to report
    await sops.start_task(bk_biz_id=BIZ, task_id=task_id, bk_username="alice")
    return task_id, watch


def _gate_open(snapshot: Snapshot) -> bool:
    return bool(_sops(snapshot).waiting)


async def _callback(
    sops: SopsClient, task_id: int, snapshot: Snapshot, data: dict[str, bool]
) -> None:
    gate = _sops(snapshot).waiting[0]
    await sops.node_callback(
        bk_biz_id=BIZ,
        task_id=task_id,
        node_id=gate.node_id,
        version=gate.version,
        callback_data=dict(data),
        bk_username="bob",
    )


async def test_pause_node_continued(sandbox: Sandbox, sops: SopsClient) -> None:
    task_id, watch = await _run_template(sandbox, sops, 42, **{"${wait_seconds}": "5"})
    waiting = await watch.until(_gate_open)
    await _callback(sops, task_id, waiting, {})
    await watch.until(is_final)

    assert watch.kinds() == [
        K.NODE_STARTED,
        K.NODE_FINISHED,
        K.GATE_OPENED,
        K.GATE_CLOSED,
        K.NODE_STARTED,
        K.NODE_FINISHED,
        K.RUN_FINISHED,
    ]
    _assert_unique(watch.transitions)
    (opened,) = watch.of(K.GATE_OPENED)
    assert opened.gate is not None
    assert opened.gate.kind is GateKind.CONTINUE
    assert opened.gate.node_id == _sops(waiting).waiting[0].node_id
    assert opened.gate.version == _sops(waiting).waiting[0].version
    assert opened.gate.prompt is not None
    assert opened.gate.prompt.startswith("Approve restart of nginx on 10.0.0.")
    (closed,) = watch.of(K.GATE_CLOSED)
    assert closed.gate is not None
    assert closed.gate.answer is GateAnswer.CONTINUED


@pytest.mark.parametrize("approve", [True, False])
async def test_approval_node_approved_or_rejected(
    sandbox: Sandbox, sops: SopsClient, approve: bool
) -> None:
    task_id, watch = await _run_template(sandbox, sops, 58)
    waiting = await watch.until(_gate_open)
    await _callback(sops, task_id, waiting, {"approve_result": approve})
    done = is_final if approve else (lambda s: _sops(s).state == TaskState.FAILED)
    await watch.until(done)

    head = [K.NODE_STARTED, K.NODE_FINISHED, K.GATE_OPENED, K.GATE_CLOSED]
    tail = [K.NODE_STARTED, K.NODE_FINISHED, K.RUN_FINISHED] if approve else [K.RUN_FAILED]
    assert watch.kinds() == head + tail
    _assert_unique(watch.transitions)
    (opened,) = watch.of(K.GATE_OPENED)
    assert opened.gate is not None
    assert opened.gate.kind is GateKind.APPROVAL
    assert opened.gate.prompt == "Schema change on web_app"
    (closed,) = watch.of(K.GATE_CLOSED)
    assert closed.gate is not None
    assert closed.gate.answer is (GateAnswer.APPROVED if approve else GateAnswer.REJECTED)


async def test_failing_template_reports_the_node_error(sandbox: Sandbox, sops: SopsClient) -> None:
    _, watch = await _run_template(sandbox, sops, 59)
    failed = await watch.until(lambda s: _sops(s).state == TaskState.FAILED)
    assert not is_final(failed)  # bk-sops §4.3: a node can still be retried or skipped
    assert watch.kinds() == [K.NODE_STARTED, K.NODE_FAILED, K.RUN_FAILED]
    _assert_unique(watch.transitions)
    summary = watch.transitions[-1]
    assert summary.broadcast
    assert [f.name for f in summary.failures] == ["Check disk usage"]
    assert summary.failures[0].error


async def test_task_paused_resumed_twice_then_revoked(sandbox: Sandbox, sops: SopsClient) -> None:
    task_id, watch = await _run_template(sandbox, sops, 42, **{"${wait_seconds}": "5"})

    async def operate(action: OperateAction, state: str) -> None:
        await sops.operate_task(bk_biz_id=BIZ, task_id=task_id, action=action, bk_username="bob")
        await watch.until(lambda s: _sops(s).state == state)

    # Paused while the script node runs (a few seconds: look every second until it shows):
    # the script finishes, and the pause node does not start before the resume.
    watch.every = 1.0
    running = await watch.until(lambda s: bool(_sops(s).nodes))
    assert _sops(running).nodes[0].state == TaskState.RUNNING
    watch.every = SOPS_EVERY
    await operate(OperateAction.PAUSE, TaskState.SUSPENDED)
    await watch.until(lambda s: _sops(s).nodes[0].state == TaskState.FINISHED)
    await operate(OperateAction.RESUME, TaskState.RUNNING)
    await watch.until(_gate_open)
    # Paused again while the gate is open: the gate stays open.
    await operate(OperateAction.PAUSE, TaskState.SUSPENDED)
    await operate(OperateAction.RESUME, TaskState.RUNNING)
    await operate(OperateAction.REVOKE, TaskState.REVOKED)

    assert watch.kinds() == [
        K.NODE_STARTED,
        # The script node ends while the task is paused (bk-sops §4.5); read in one poll,
        # the node's end comes before the pause.
        K.NODE_FINISHED,
        K.RUN_PAUSED,
        K.RUN_RESUMED,
        K.GATE_OPENED,
        K.RUN_PAUSED,
        K.RUN_RESUMED,
        K.GATE_CLOSED,
        K.RUN_REVOKED,
    ]
    _assert_unique(watch.transitions)
    (closed,) = watch.of(K.GATE_CLOSED)
    assert closed.gate is not None
    assert closed.gate.answer is GateAnswer.CANCELLED
    assert watch.transitions[-1].broadcast
