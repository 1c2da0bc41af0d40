"""Snapshots and transitions (bot/services/snapshots.py) on hand-built statuses: pure rules."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bot.clients.bk_job import JobInstanceStatus
from bot.clients.bk_sops import PipelineTree, TaskStatus
from bot.services.snapshots import (
    MAX_FAILED_HOSTS,
    JobSnapshot,
    Snapshot,
    SopsSnapshot,
    diff,
    dump_snapshot,
    gone,
    is_final,
    is_fresh,
    is_settled,
    job_snapshot,
    load_snapshot,
    mark_gone,
    sops_snapshot,
)
from bot.services.transitions import GateAnswer, GateKind, Transition, TransitionKind

K = TransitionKind
INSTANCE = 20000200001
S1, S2, S3 = 20000300001, 20000300002, 20000300003


# ------------------------------------------------------------------------------- BK-Job


def _host(ip: str, status: int) -> dict[str, Any]:
    return {"ip": ip, "bk_cloud_id": 0, "status": status}


def _step(
    sid: int,
    status: int,
    *,
    kind: int = 1,
    execute_count: int = 0,
    hosts: Sequence[dict[str, Any]] = (),
    name: str | None = None,
) -> dict[str, Any]:
    return {
        "step_instance_id": sid,
        "step_id": sid - 20000298000,
        "name": name or f"step {sid % 10}",
        "type": kind,
        "status": status,
        "execute_count": execute_count,
        "total_time": 3.5 if status in (3, 4) else None,
        "step_ip_status": list(hosts),
    }


def _job(status: int, *steps: dict[str, Any], current: int | None = None) -> JobInstanceStatus:
    finished = status in (3, 4, 5, 6, 8, 9, 11, 13, 14)
    return JobInstanceStatus.model_validate(
        {
            "is_finished": finished,
            "job_instance": {
                "job_instance_id": INSTANCE,
                "bk_job_id": 1000123,
                "name": "deploy-web (prod)",
                "status": status,
                "current_step_instance_id": current,
                "total_time": 12.0 if finished else None,
            },
            "blocks": [{"step_instances": [s]} for s in steps],
        }
    )


OK = [_host("10.0.0.11", 9), _host("10.0.0.12", 9)]
RUNNING = [_host("10.0.0.11", 7), _host("10.0.0.12", 5)]
ONE_FAILED = [_host("10.0.0.11", 9), _host("10.0.0.12", 104)]
CONFIRM = 3


def _follow(*statuses: JobInstanceStatus, message: str | None = None) -> list[JobSnapshot]:
    """Snapshots as the poller builds them: each from the stored one."""
    found: list[JobSnapshot] = []
    for status in statuses:
        previous = found[-1] if found else None
        found.append(job_snapshot(status, previous=previous, confirm_message=message))
    return found


def _walk(snapshots: Sequence[Snapshot], *, replay: bool = False) -> list[Transition]:
    """Every transition a watch records over ``snapshots`` (the first one has no old)."""
    found: list[Transition] = []
    old: Snapshot | None = None
    for new in snapshots:
        found.extend(diff(old, new, replay=replay))
        old = new
    return found


def _kinds(transitions: Sequence[Transition]) -> list[TransitionKind]:
    return [t.kind for t in transitions]


def _assert_unique(transitions: Sequence[Transition]) -> None:
    keys = [t.key for t in transitions]
    assert len(keys) == len(set(keys)), keys
    assert all(len(k) <= 255 for k in keys)  # the outbox key column


def job_plan_confirmed() -> list[JobSnapshot]:
    return _follow(
        _job(1, _step(S1, 1), _step(S2, 1), _step(S3, 1, kind=CONFIRM)),
        _job(2, _step(S1, 2, hosts=RUNNING), _step(S2, 1), _step(S3, 1, kind=CONFIRM), current=S1),
        _job(2, _step(S1, 3, hosts=OK), _step(S2, 2, hosts=RUNNING), _step(S3, 1, kind=CONFIRM)),
        _job(7, _step(S1, 3, hosts=OK), _step(S2, 3, hosts=OK), _step(S3, 7, kind=CONFIRM)),
        _job(3, _step(S1, 3, hosts=OK), _step(S2, 3, hosts=OK), _step(S3, 3, kind=CONFIRM)),
        message="Please confirm the restart of web",
    )


def job_rejected_then_reissued() -> list[JobSnapshot]:
    done = (_step(S1, 3, hosts=OK),)
    return _follow(
        _job(1, _step(S1, 1), _step(S2, 1, kind=CONFIRM)),
        _job(7, *done, _step(S2, 7, kind=CONFIRM), current=S2),
        _job(13, *done, _step(S2, 13, kind=CONFIRM), current=S2),
        _job(7, *done, _step(S2, 7, kind=CONFIRM), current=S2),  # op 10: re-issued
        _job(3, *done, _step(S2, 3, kind=CONFIRM), current=S2),
    )


def job_failed_retried_twice() -> list[JobSnapshot]:
    return _follow(
        _job(1, _step(S1, 1), _step(S2, 1)),
        _job(2, _step(S1, 2, hosts=RUNNING), _step(S2, 1), current=S1),
        _job(4, _step(S1, 4, hosts=ONE_FAILED), _step(S2, 1), current=S1),
        _job(2, _step(S1, 2, execute_count=1, hosts=RUNNING), _step(S2, 1), current=S1),
        _job(4, _step(S1, 4, execute_count=1, hosts=ONE_FAILED), _step(S2, 1), current=S1),
        _job(2, _step(S1, 2, execute_count=2, hosts=RUNNING), _step(S2, 1), current=S1),
        _job(3, _step(S1, 3, execute_count=2, hosts=OK), _step(S2, 3, hosts=OK), current=S2),
    )


def job_ignored_then_skipped() -> list[JobSnapshot]:
    return _follow(
        _job(1, _step(S1, 1), _step(S2, 1), _step(S3, 1)),
        _job(4, _step(S1, 4, hosts=ONE_FAILED), _step(S2, 1), _step(S3, 1), current=S1),
        _job(
            2, _step(S1, 6, hosts=ONE_FAILED), _step(S2, 2, hosts=RUNNING), _step(S3, 1), current=S2
        ),
        _job(10, _step(S1, 6, hosts=ONE_FAILED), _step(S2, 10), _step(S3, 1), current=S2),
        _job(
            2, _step(S1, 6, hosts=ONE_FAILED), _step(S2, 5), _step(S3, 2, hosts=RUNNING), current=S3
        ),
        _job(3, _step(S1, 6, hosts=ONE_FAILED), _step(S2, 5), _step(S3, 3, hosts=OK), current=S3),
    )


def job_terminated() -> list[JobSnapshot]:
    stopped = [_host("10.0.0.11", 403), _host("10.0.0.12", 403)]
    return _follow(
        _job(1, _step(S1, 1), _step(S2, 1)),
        _job(2, _step(S1, 2, hosts=RUNNING), _step(S2, 1), current=S1),
        _job(10, _step(S1, 10, hosts=RUNNING), _step(S2, 1), current=S1),
        _job(11, _step(S1, 11, hosts=stopped), _step(S2, 1), current=S1),
    )


def test_plan_reports_each_step_start_and_end_then_the_gate_and_the_summary() -> None:
    found = _walk(job_plan_confirmed())
    assert _kinds(found) == [
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.GATE_OPENED,
        K.GATE_CLOSED,
        K.RUN_FINISHED,
    ]
    _assert_unique(found)
    assert [t.subject.index for t in found if t.subject] == [1, 1, 2, 2, 3, 3, 3]
    succeeded = found[1]
    assert succeeded.subject is not None
    assert succeeded.subject.hosts is not None
    assert succeeded.subject.hosts.succeeded == 2
    assert succeeded.duration == 3.5
    assert found[-1].duration == 12.0
    assert found[-1].succeeded
    assert not found[-1].broadcast


def test_confirmation_gate_carries_the_prompt_and_the_step_that_answers_it() -> None:
    found = _walk(job_plan_confirmed())
    opened, closed = found[4], found[5]
    assert opened.gate is not None
    assert closed.gate is not None
    assert opened.gate.kind is GateKind.CONFIRMATION
    assert opened.gate.step_instance_id == S3
    assert opened.gate.prompt == "Please confirm the restart of web"
    assert opened.gate.answer is None
    assert opened.label == "Waiting for confirmation"
    assert closed.gate.answer is GateAnswer.CONFIRMED
    assert closed.gate.prompt == "Please confirm the restart of web"
    assert opened.subject is not None
    assert opened.subject.hosts is None


def test_steps_that_ran_between_two_polls_read_start_end_start_end() -> None:
    first, *_, last = job_plan_confirmed()
    found = diff(first, last)
    assert _kinds(found) == [
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.GATE_CLOSED,
        K.RUN_FINISHED,
    ]


def test_a_skipped_poll_gives_the_same_keys_as_seeing_every_change() -> None:
    for scenario in (job_plan_confirmed(), job_failed_retried_twice(), job_ignored_then_skipped()):
        stepwise = {t.key: t.kind for t in _walk(scenario)}
        for i in range(len(scenario) - 2):
            jumped = diff(scenario[i], scenario[i + 2])
            assert {t.key: t.kind for t in jumped}.items() <= stepwise.items()


def test_a_snapshot_diffed_with_itself_is_empty() -> None:
    scenarios: list[Sequence[Snapshot]] = [
        job_plan_confirmed(),
        job_rejected_then_reissued(),
        job_failed_retried_twice(),
        job_ignored_then_skipped(),
        job_terminated(),
        sops_approved(),
        sops_rejected(),
        sops_failed_retried_skipped(),
        sops_paused_twice_then_revoked(),
    ]
    for scenario in scenarios:
        for snapshot in scenario:
            assert diff(snapshot, snapshot) == []
            stored = load_snapshot(json.loads(json.dumps(dump_snapshot(snapshot))))
            assert diff(stored, snapshot) == []


def test_rejected_then_reissued_confirmation_opens_a_new_gate_with_new_keys() -> None:
    found = _walk(job_rejected_then_reissued())
    assert _kinds(found) == [
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.GATE_OPENED,
        K.GATE_CLOSED,
        K.RUN_STOPPED,
        K.GATE_OPENED,
        K.GATE_CLOSED,
        K.RUN_FINISHED,
    ]
    _assert_unique(found)
    answers = [t.gate.answer for t in found if t.kind is K.GATE_CLOSED and t.gate]
    assert answers == [GateAnswer.REJECTED, GateAnswer.CONFIRMED]
    assert found[4].broadcast
    assert found[4].label == "Confirmation rejected"


def test_each_retry_reports_the_step_again_with_new_keys_and_a_new_failure_summary() -> None:
    found = _walk(job_failed_retried_twice())
    assert _kinds(found) == [
        K.STEP_STARTED,
        K.STEP_FAILED,
        K.RUN_FAILED,
        K.STEP_STARTED,
        K.STEP_FAILED,
        K.RUN_FAILED,
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.RUN_FINISHED,
    ]
    _assert_unique(found)
    starts = [t.subject.attempt for t in found if t.kind is K.STEP_STARTED and t.subject]
    assert starts == [0, 1, 2, 0]
    failed = found[1].subject
    assert failed is not None
    assert failed.hosts is not None
    assert (failed.hosts.failed, failed.hosts.succeeded) == (1, 1)
    assert [(h.ip, h.status, h.label) for h in failed.failed_hosts] == [
        ("10.0.0.12", 104, "non-zero exit code")
    ]
    summary = found[2]
    assert summary.broadcast
    assert [f.name for f in summary.failures] == ["step 1"]


def test_ignored_error_forced_skip_and_stop_read_as_their_own_step_ends() -> None:
    found = _walk(job_ignored_then_skipped())
    assert _kinds(found) == [
        K.STEP_STARTED,
        K.STEP_FAILED,
        K.RUN_FAILED,
        K.STEP_IGNORED,
        K.STEP_STARTED,
        K.STEP_SKIPPED,
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.RUN_FINISHED,
    ]
    _assert_unique(found)
    stopped = _walk(job_terminated())
    assert _kinds(stopped) == [K.STEP_STARTED, K.STEP_STOPPED, K.RUN_STOPPED]
    assert stopped[-1].label == "Stopped"
    assert [f.index for f in stopped[-1].failures] == [1]


def test_failed_hosts_are_capped_while_the_counts_stay_exact() -> None:
    hosts = [_host(f"10.0.{i // 250}.{i % 250}", 1) for i in range(MAX_FAILED_HOSTS + 30)]
    snapshot = job_snapshot(_job(4, _step(S1, 4, hosts=hosts), current=S1))
    step = snapshot.steps[0]
    assert step.failed == MAX_FAILED_HOSTS + 30
    assert len(step.failed_hosts) == MAX_FAILED_HOSTS


def test_stop_at_a_confirmation_step_changes_nothing_and_leaves_the_run_waiting() -> None:
    waiting, stopping = _follow(
        _job(7, _step(S1, 7, kind=CONFIRM), current=S1),
        _job(10, _step(S1, 7, kind=CONFIRM), current=S1),
    )
    assert diff(waiting, stopping) == []
    # bk-job §10: it never finishes by itself; a person must reject the step.
    assert is_settled(stopping)
    assert not is_final(stopping)


def test_confirm_message_is_kept_while_the_same_step_waits() -> None:
    first = job_snapshot(_job(7, _step(S1, 7, kind=CONFIRM)), confirm_message="Go?")
    again = job_snapshot(_job(7, _step(S1, 7, kind=CONFIRM)), previous=first)
    assert again.confirm_message == "Go?"
    done = job_snapshot(_job(3, _step(S1, 3, kind=CONFIRM)), previous=again)
    assert done.confirm_message is None
    assert diff(again, done)[0].gate == diff(first, done)[0].gate


# ------------------------------------------------------------------------------- first snapshot


def test_first_snapshot_of_a_fresh_run_is_quiet_and_later_steps_are_reported() -> None:
    scenario = job_plan_confirmed()
    assert is_fresh(scenario[0])
    assert diff(None, scenario[0]) == []
    assert _kinds(diff(scenario[0], scenario[1])) == [K.STEP_STARTED]


def test_attaching_mid_run_does_not_replay_the_steps_already_run() -> None:
    scenario = job_plan_confirmed()
    assert diff(None, scenario[2]) == []  # step 1 done, step 2 running
    assert _kinds(diff(None, scenario[3])) == [K.GATE_OPENED]  # the open gate only
    assert _kinds(diff(None, scenario[4])) == [K.RUN_FINISHED]  # the result only
    failed = job_failed_retried_twice()
    assert _kinds(diff(None, failed[2])) == [K.RUN_FAILED]


def test_attached_keys_match_the_keys_of_a_watch_that_saw_everything() -> None:
    scenario = job_plan_confirmed()
    seen = {t.key for t in _walk(scenario)}
    for snapshot in scenario:
        assert {t.key for t in diff(None, snapshot)} <= seen


def test_replay_reports_the_history_of_a_run_the_bot_just_started() -> None:
    scenario = job_plan_confirmed()
    assert _kinds(diff(None, scenario[2], replay=True)) == [
        K.STEP_STARTED,
        K.STEP_SUCCEEDED,
        K.STEP_STARTED,
    ]


def test_a_run_gone_upstream_reports_once_and_is_final() -> None:
    old = job_plan_confirmed()[2]
    marked = mark_gone(old)
    assert diff(old, marked) == [gone(old)]
    assert gone(old).kind is K.RUN_GONE
    assert gone(old).broadcast
    assert diff(marked, marked) == []
    assert is_final(marked)
    assert load_snapshot(dump_snapshot(marked)) == marked
    sops = sops_approved()[2]
    assert diff(sops, mark_gone(sops)) == [gone(sops)]


def test_diff_refuses_two_different_runs() -> None:
    job = job_plan_confirmed()[1]
    other = job.model_copy(update={"instance_id": INSTANCE + 1})
    with pytest.raises(ValueError, match="different runs"):
        diff(job, other)
    with pytest.raises(ValueError, match="cannot compare"):
        diff(job, sops_approved()[1])


# ------------------------------------------------------------------------------- BK-SOPS

T0 = datetime(2026, 8, 20, 10, 0, 0, tzinfo=timezone(timedelta(hours=8)))
SCRIPT, PAUSE, APPROVE, INNER, SUB = (
    "n1111111111111111111111111111111",
    "n2222222222222222222222222222222",
    "n3333333333333333333333333333333",
    "n4444444444444444444444444444444",
    "n5555555555555555555555555555555",
)


def _activity(node_id: str, name: str, code: str, **data: str) -> dict[str, Any]:
    return {
        "id": node_id,
        "type": "ServiceActivity",
        "name": name,
        "component": {
            "code": code,
            "version": "legacy",
            "data": {k: {"hook": False, "value": v} for k, v in data.items()},
        },
    }


def _flows(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {
        f"f{i}": {"id": f"f{i}", "source": s, "target": t, "is_default": False}
        for i, (s, t) in enumerate(pairs)
    }


def _tree() -> PipelineTree:
    """script → fork(pause node, approval) → join → sub-process(inner script) → end."""
    inner = {
        "start_event": {"id": "s2", "type": "EmptyStartEvent"},
        "end_event": {"id": "e2", "type": "EmptyEndEvent"},
        "activities": {INNER: _activity(INNER, "Inner script", "job_fast_execute_script")},
        "gateways": {},
        "flows": _flows(("s2", INNER), (INNER, "e2")),
        "constants": {},
    }
    return PipelineTree.model_validate(
        {
            "start_event": {"id": "s", "type": "EmptyStartEvent"},
            "end_event": {"id": "e", "type": "EmptyEndEvent"},
            "activities": {
                SCRIPT: _activity(SCRIPT, "Restart nginx", "job_fast_execute_script"),
                PAUSE: _activity(
                    PAUSE, "Ops check", "pause_node", description="Check ${ip} as ${pw}"
                ),
                APPROVE: _activity(
                    APPROVE, "DBA approval", "bk_approve", bk_approve_title="Change on ${ip}"
                ),
                SUB: {"id": SUB, "type": "SubProcess", "name": "Rollout", "pipeline": inner},
            },
            "gateways": {
                "fork": {"id": "fork", "type": "ParallelGateway"},
                "join": {"id": "join", "type": "ConvergeGateway"},
            },
            "flows": _flows(
                ("s", SCRIPT),
                (SCRIPT, "fork"),
                ("fork", PAUSE),
                ("fork", APPROVE),
                (PAUSE, "join"),
                (APPROVE, "join"),
                ("join", SUB),
                (SUB, "e"),
            ),
            "constants": {
                "${ip}": {"key": "${ip}", "value": "10.0.0.11", "custom_type": "input"},
                "${pw}": {"key": "${pw}", "value": "hunter2", "custom_type": "password"},
            },
        }
    )


TREE = _tree()


def _at(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S %z")


def _node(
    state: str,
    start: float,
    finish: float | None = None,
    *,
    version: str = "v1",
    retry: int = 0,
    skip: bool = False,
    name: str = "",
    children: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "state": state,
        "name": name,
        "version": version,
        "loop": 1,
        "retry": retry,
        "skip": skip,
        "start_time": _at(start),
        "finish_time": _at(finish),
        "elapsed_time": int((finish or start + 1) - start),
        "children": children or {},
    }


def _task(state: str, nodes: dict[str, Any], **extra: Any) -> TaskStatus:
    children = {"s": _node("FINISHED", 0, 0), **nodes}
    if state == "CREATED":
        children = {}
    return TaskStatus.model_validate(
        {"state": state, "name": "nginx restart", "children": children, **extra}
    )


def _script(state: str = "FINISHED", finish: float | None = 5, **kw: Any) -> dict[str, Any]:
    return {SCRIPT: _node(state, 1, finish, name="Restart nginx", **kw)}


def _fork(pause: str, approve: str, finish: float | None = None) -> dict[str, Any]:
    return {
        "fork": _node("FINISHED", 5, 5),
        PAUSE: _node(pause, 5, None if pause == "RUNNING" else finish, name="Ops check"),
        APPROVE: _node(approve, 5, None if approve == "RUNNING" else finish, name="DBA approval"),
    }


def _sub(state: str, finish: float | None = None) -> dict[str, Any]:
    inner = {INNER: _node(state, 9, finish, name="Inner script")}
    return {"join": _node("FINISHED", 9, 9), SUB: _node(state, 9, finish, children=inner)}


def _sops(*statuses: TaskStatus) -> list[SopsSnapshot]:
    found: list[SopsSnapshot] = []
    for status in statuses:
        previous = found[-1] if found else None
        found.append(sops_snapshot(status, TREE, task_id=2001, previous=previous))
    return found


def sops_approved() -> list[SopsSnapshot]:
    return _sops(
        _task("CREATED", {}),
        _task("RUNNING", _script("RUNNING", None)),
        _task("RUNNING", {**_script(), **_fork("RUNNING", "RUNNING")}),
        _task("RUNNING", {**_script(), **_fork("FINISHED", "RUNNING", 7)}),
        _task("RUNNING", {**_script(), **_fork("FINISHED", "FINISHED", 8), **_sub("RUNNING")}),
        _task(
            "FINISHED",
            {**_script(), **_fork("FINISHED", "FINISHED", 8), **_sub("FINISHED", 12)},
        ),
    )


def sops_rejected() -> list[SopsSnapshot]:
    return _sops(
        _task("CREATED", {}),
        _task("RUNNING", _script("RUNNING", None)),
        _task("RUNNING", {**_script(), **_fork("RUNNING", "RUNNING")}),
        _task("FAILED", {**_script(), **_fork("RUNNING", "FAILED", 8)}),
        _task("REVOKED", {**_script(), **_fork("RUNNING", "FAILED", 8)}),
    )


def sops_failed_retried_skipped() -> list[SopsSnapshot]:
    error = {"ex_data": {SCRIPT: "exit code 1"}}
    return _sops(
        _task("CREATED", {}),
        _task("FAILED", _script("FAILED", 4), **error),
        _task("RUNNING", _script("RUNNING", None, version="v2", retry=1)),
        _task("FAILED", _script("FAILED", 6, version="v2", retry=1), **error),
        _task(
            "RUNNING", {**_script(version="v2", retry=2, skip=True), **_fork("RUNNING", "RUNNING")}
        ),
    )


def sops_paused_twice_then_revoked() -> list[SopsSnapshot]:
    waiting = {**_script(), **_fork("RUNNING", "RUNNING")}
    return _sops(
        _task("CREATED", {}),
        _task("RUNNING", waiting),
        _task("SUSPENDED", waiting),
        _task("RUNNING", waiting),
        _task("SUSPENDED", waiting),
        _task("RUNNING", waiting),
        _task("REVOKED", waiting),
    )


def test_sops_snapshot_flattens_sub_processes_in_flow_order_with_their_stack() -> None:
    last = sops_approved()[-1]
    assert [(n.index, n.name, n.stack) for n in last.nodes] == [
        (1, "Restart nginx", ()),
        (2, "Ops check", ()),
        (3, "DBA approval", ()),
        (4, "Inner script", (SUB,)),
    ]
    assert [n.code for n in last.nodes][:3] == [
        "job_fast_execute_script",
        "pause_node",
        "bk_approve",
    ]


def test_waiting_nodes_carry_version_kind_and_a_rendered_masked_prompt() -> None:
    waiting = sops_approved()[2].waiting
    assert [(g.node_id, g.version, g.kind, g.prompt) for g in waiting] == [
        (PAUSE, "v1", GateKind.CONTINUE, "Check 10.0.0.11 as ******"),
        (APPROVE, "v1", GateKind.APPROVAL, "Change on 10.0.0.11"),
    ]


def test_sops_snapshot_round_trips_through_json() -> None:
    for snapshot in [*sops_approved(), *sops_failed_retried_skipped()]:
        stored = json.loads(json.dumps(dump_snapshot(snapshot)))
        assert load_snapshot(stored) == snapshot
    for job in job_failed_retried_twice():
        assert load_snapshot(json.loads(json.dumps(dump_snapshot(job)))) == job


def test_sops_run_reports_nodes_gates_and_the_result_in_time_order() -> None:
    found = _walk(sops_approved())
    assert _kinds(found) == [
        K.NODE_STARTED,
        K.NODE_FINISHED,
        K.GATE_OPENED,
        K.GATE_OPENED,
        K.GATE_CLOSED,
        K.GATE_CLOSED,
        K.NODE_STARTED,
        K.NODE_FINISHED,
        K.RUN_FINISHED,
    ]
    _assert_unique(found)
    closed = [t.gate for t in found if t.kind is K.GATE_CLOSED and t.gate]
    assert [(g.node_id, g.answer) for g in closed] == [
        (PAUSE, GateAnswer.CONTINUED),
        (APPROVE, GateAnswer.APPROVED),
    ]
    opened = found[2]
    assert opened.gate is not None
    assert opened.gate.version == "v1"
    assert opened.label == "Awaiting approval"
    inner = found[6].subject
    assert inner is not None
    assert inner.stack == (SUB,)


def test_sops_nodes_that_ran_between_two_polls_are_ordered_by_time() -> None:
    scenario = sops_approved()
    found = diff(scenario[0], scenario[-1])
    assert [(t.kind, t.subject.index if t.subject else None) for t in found] == [
        (K.NODE_STARTED, 1),
        (K.NODE_FINISHED, 1),
        (K.GATE_CLOSED, 2),
        (K.GATE_CLOSED, 3),
        (K.NODE_STARTED, 4),
        (K.NODE_FINISHED, 4),
        (K.RUN_FINISHED, None),
    ]


def test_rejected_approval_closes_the_gate_and_fails_the_task_then_revoke_cancels() -> None:
    found = _walk(sops_rejected())
    assert _kinds(found) == [
        K.NODE_STARTED,
        K.NODE_FINISHED,
        K.GATE_OPENED,
        K.GATE_OPENED,
        K.GATE_CLOSED,
        K.RUN_FAILED,
        K.GATE_CLOSED,
        K.RUN_REVOKED,
    ]
    _assert_unique(found)
    answers = [(t.gate.node_id, t.gate.answer) for t in found if t.kind is K.GATE_CLOSED and t.gate]
    assert answers == [(APPROVE, GateAnswer.REJECTED), (PAUSE, GateAnswer.CANCELLED)]
    assert found[-1].broadcast


def test_a_node_retried_in_bk_sops_is_reported_again_with_new_keys() -> None:
    found = _walk(sops_failed_retried_skipped())
    assert _kinds(found) == [
        K.NODE_STARTED,
        K.NODE_FAILED,
        K.RUN_FAILED,
        K.NODE_STARTED,
        K.NODE_FAILED,
        K.RUN_FAILED,
        K.NODE_SKIPPED,
        K.GATE_OPENED,
        K.GATE_OPENED,
    ]
    _assert_unique(found)
    failed = found[2]
    assert failed.subject is not None
    assert failed.subject.error == "exit code 1"
    assert [f.name for f in failed.failures] == ["Restart nginx"]
    # bk-sops §4.3: FAILED is not terminal.
    failed_snapshot = sops_failed_retried_skipped()[1]
    assert not is_final(failed_snapshot)
    assert is_settled(failed_snapshot)


def test_each_pause_and_resume_gets_its_own_key() -> None:
    found = _walk(sops_paused_twice_then_revoked())
    assert _kinds(found) == [
        K.NODE_STARTED,
        K.NODE_FINISHED,
        K.GATE_OPENED,
        K.GATE_OPENED,
        K.RUN_PAUSED,
        K.RUN_RESUMED,
        K.RUN_PAUSED,
        K.RUN_RESUMED,
        K.GATE_CLOSED,
        K.GATE_CLOSED,
        K.RUN_REVOKED,
    ]
    _assert_unique(found)
    assert [t.key for t in found if t.kind in (K.RUN_PAUSED, K.RUN_RESUMED)] == [
        "run:paused:1",
        "run:resumed:1",
        "run:paused:2",
        "run:resumed:2",
    ]


def test_attaching_to_a_sops_task_reports_only_its_open_gates_pause_and_result() -> None:
    approved = sops_approved()
    assert diff(None, approved[1]) == []
    assert [t.gate.node_id for t in diff(None, approved[3]) if t.gate] == [APPROVE]
    assert _kinds(diff(None, approved[-1])) == [K.RUN_FINISHED]
    paused = sops_paused_twice_then_revoked()[2]
    assert _kinds(diff(None, paused)) == [K.GATE_OPENED, K.GATE_OPENED, K.RUN_PAUSED]
    assert _kinds(diff(None, sops_failed_retried_skipped()[1])) == [K.RUN_FAILED]


def test_expired_task_closes_its_open_gates_and_reports_expired() -> None:
    waiting = sops_approved()[3]
    expired = sops_snapshot(
        TaskStatus.model_validate({"state": "EXPIRED", "name": "nginx restart"}),
        TREE,
        task_id=2001,
        previous=waiting,
    )
    found = diff(waiting, expired)
    assert _kinds(found) == [K.GATE_CLOSED, K.RUN_EXPIRED]
    assert found[0].gate is not None
    assert (found[0].gate.node_id, found[0].gate.answer) == (APPROVE, GateAnswer.CANCELLED)
    assert is_final(expired)
    assert expired.nodes == ()
    assert diff(expired, expired) == []


def test_a_gate_re_executed_between_two_polls_closes_the_old_one_and_opens_the_new() -> None:
    first, again = _sops(
        _task("RUNNING", {**_script(), **_fork("RUNNING", "FINISHED", 7)}),
        _task(
            "RUNNING",
            {**_script(), **_fork("FINISHED", "FINISHED", 7)}
            | {PAUSE: _node("RUNNING", 8, version="v2", name="Ops check")},
        ),
    )
    found = diff(first, again)
    assert [(t.kind, t.gate.version if t.gate else None) for t in found] == [
        (K.GATE_CLOSED, "v1"),
        (K.GATE_OPENED, "v2"),
    ]
    assert found[0].gate is not None
    assert found[0].gate.answer is GateAnswer.CANCELLED
    assert found[0].key != found[1].key


# ------------------------------------------------------------------------------- the whole set

SCENARIOS: dict[str, Callable[[], Sequence[Snapshot]]] = {
    "job confirmed": job_plan_confirmed,
    "job rejected, re-issued": job_rejected_then_reissued,
    "job retried": job_failed_retried_twice,
    "job ignored, skipped": job_ignored_then_skipped,
    "job terminated": job_terminated,
    "sops approved": sops_approved,
    "sops rejected": sops_rejected,
    "sops retried": sops_failed_retried_skipped,
    "sops paused": sops_paused_twice_then_revoked,
}


def test_the_scenarios_produce_every_transition_kind() -> None:
    seen = {t.kind for scenario in SCENARIOS.values() for t in _walk(scenario())}
    seen |= {K.RUN_EXPIRED, K.RUN_GONE}  # covered by their own tests above
    assert seen == set(TransitionKind)


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_keys_depend_only_on_the_changes_not_on_when_they_are_computed(name: str) -> None:
    scenario = SCENARIOS[name]
    first, again = _walk(scenario()), _walk(scenario())
    assert [t.key for t in first] == [t.key for t in again]
    assert first == again


def test_transitions_round_trip_through_their_json_payload() -> None:
    for scenario in SCENARIOS.values():
        for transition in _walk(scenario()):
            payload = json.loads(json.dumps(transition.model_dump(mode="json")))
            assert Transition.model_validate(payload) == transition


@pytest.mark.parametrize(
    ("snapshot", "final", "settled"),
    [
        (job_plan_confirmed()[1], False, False),
        (job_plan_confirmed()[3], False, True),
        (job_plan_confirmed()[4], True, True),
        (job_failed_retried_twice()[2], True, True),
        (sops_approved()[1], False, False),
        (sops_approved()[2], False, True),
        (sops_approved()[-1], True, True),
        (sops_paused_twice_then_revoked()[2], False, True),
        (sops_paused_twice_then_revoked()[-1], True, True),
    ],
)
def test_final_and_settled(snapshot: Snapshot, final: bool, settled: bool) -> None:
    assert (is_final(snapshot), is_settled(snapshot)) == (final, settled)


def test_without_the_task_tree_named_nodes_are_still_followed_events_and_gateways_not() -> None:
    status = _task("RUNNING", {**_script(), **_fork("RUNNING", "RUNNING"), **_sub("RUNNING")})
    snapshot = sops_snapshot(status, PipelineTree(), task_id=2001)
    assert [(n.name, n.code, n.stack) for n in snapshot.nodes] == [
        ("Restart nginx", None, ()),
        ("Ops check", None, ()),
        ("DBA approval", None, ()),
        ("Inner script", None, (SUB,)),
    ]
    assert snapshot.waiting == ()  # which plugin waits is only known from the tree (§4.2)
