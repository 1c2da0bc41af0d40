"""Failed hosts grouped by identical output: the pure grouping, then real sandbox runs."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bot.clients.bk_job import (
    IP,
    JobClient,
    JobInstanceStatus,
    JobStatus,
    ScriptType,
    StepLog,
    TargetServer,
)
from bot.sandbox import ManualClock, Sandbox
from bot.sandbox._faults import FaultKind
from bot.services.failure_logs import failure_groups, group_failed_hosts, log_tail
from bot.services.transitions import HostGroup

BIZ = 2
FLAKY_PLAN = 1000125


def _host(ip: str, output: str = "", *, exit_code: int = 1, cloud: int = 0) -> dict[str, Any]:
    return {"ip": ip, "bk_cloud_id": cloud, "exit_code": exit_code, "log_content": output}


def _step(*results: tuple[int, list[dict[str, Any]]]) -> StepLog:
    return StepLog.model_validate(
        {
            "step_instance_id": 7,
            "name": "check",
            "status": 4,
            "step_results": [{"ip_status": s, "tag": "", "ip_logs": logs} for s, logs in results],
        }
    )


# ---------------------------------------------------------------- pure grouping


def test_identical_outputs_are_one_group_and_succeeded_hosts_are_left_out() -> None:
    step = _step(
        (9, [_host("10.0.0.9", "fine\n", exit_code=0)]),
        (
            104,
            [
                _host("10.0.0.1", "[2025-03-14 15:30:12][PID:101] job_start\ndisk &gt; 90%\n"),
                _host("10.0.0.2", "[2025-03-14 15:30:14][PID:202] job_start\ndisk &gt; 90%  \n\n"),
            ],
        ),
    )
    assert group_failed_hosts(step) == (
        HostGroup(
            hosts=("10.0.0.1", "10.0.0.2"),
            status="non-zero exit code",
            exit_code=1,
            output="disk > 90%",
        ),
    )


def test_different_exit_codes_or_statuses_are_separate_groups() -> None:
    step = _step(
        (104, [_host("10.0.0.1", "boom", exit_code=1), _host("10.0.0.2", "boom", exit_code=2)]),
        (102, [_host("10.0.0.3", "boom", exit_code=1)]),
    )
    groups = group_failed_hosts(step)
    assert [(g.hosts, g.status, g.exit_code) for g in groups] == [
        (("10.0.0.1",), "non-zero exit code", 1),
        (("10.0.0.2",), "non-zero exit code", 2),
        (("10.0.0.3",), "script timed out", 1),
    ]


def test_groups_by_size_then_first_appearance_hosts_as_listed() -> None:
    step = _step(
        (104, [_host("10.0.0.5", "a"), _host("10.0.0.1", "b"), _host("10.0.0.4", "a")]),
        (104, [_host("10.0.0.3", "c"), _host("10.0.0.2", "b", cloud=2)]),
        (1, [_host("10.0.0.6", exit_code=0)]),
    )
    groups = group_failed_hosts(step)
    assert [(g.hosts, g.output) for g in groups] == [
        (("10.0.0.5", "10.0.0.4"), "a"),
        (("10.0.0.1", "2:10.0.0.2"), "b"),
        (("10.0.0.3",), "c"),
        (("10.0.0.6",), ""),
    ]


def test_hosts_that_never_ran_have_no_exit_code_and_empty_output() -> None:
    step = _step((1, [_host("10.0.0.13", exit_code=0), _host("10.0.0.14", exit_code=0)]))
    step.step_results[0].ip_logs[1].log_content = None
    assert group_failed_hosts(step) == (
        HostGroup(hosts=("10.0.0.13", "10.0.0.14"), status="agent abnormal", output=""),
    )


def test_a_log_of_only_the_job_start_stamp_is_empty() -> None:
    step = _step((104, [_host("10.0.0.1", "[2025-03-14 15:30:12][PID:7] job_start\n")]))
    assert group_failed_hosts(step)[0].output == ""


def test_only_the_opening_stamp_is_dropped_and_inner_whitespace_is_kept() -> None:
    text = "x  \n\n[t][PID:1] job_start\n  indented\t\n"
    step = _step((104, [_host("10.0.0.1", text)]))
    assert group_failed_hosts(step)[0].output == "x  \n\n[t][PID:1] job_start\n  indented"


def test_long_output_keeps_its_tail_from_a_line_start() -> None:
    lines = [f"line {n:02d}" for n in range(1, 21)]  # 7 characters each, 159 in all
    step = _step((104, [_host("10.0.0.1", "\n".join(lines) + "\n")]))
    (group,) = group_failed_hosts(step, limit_chars=20)
    assert group.output == "line 19\nline 20"
    assert group.truncated is True


def test_short_output_is_not_truncated() -> None:
    step = _step((104, [_host("10.0.0.1", "one\ntwo\n")]))
    (group,) = group_failed_hosts(step, limit_chars=7)
    assert (group.output, group.truncated) == ("one\ntwo", False)


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("aaa\nbbb\nccc", 8, ("bbb\nccc", True)),  # the cut falls right after a newline
        ("aaa\nbbb\nccc", 9, ("bbb\nccc", True)),  # mid-line: forward to the next line
        ("aaa\nbbbbbbbbbb", 5, ("bbbbb", True)),  # one line longer than the limit
        ("abc", 3, ("abc", False)),
        ("", 0, ("", False)),
        ("abc", 0, ("", True)),
    ],
)
def test_log_tail(text: str, limit: int, expected: tuple[str, bool]) -> None:
    assert log_tail(text, limit) == expected


# ---------------------------------------------------------------- against the sandbox


async def _finished(job: JobClient, sandbox: Sandbox, instance: int) -> JobInstanceStatus:
    clock = sandbox.clock
    assert isinstance(clock, ManualClock)
    for _ in range(300):
        status = await job.get_job_instance_status(
            bk_biz_id=BIZ, job_instance_id=instance, bk_username="alice"
        )
        if status.finished:
            return status
        clock.advance(2.0)
    raise AssertionError(f"job {instance} did not finish")


async def _failed_plan(job: JobClient, sandbox: Sandbox) -> tuple[int, int]:
    started = await job.execute_job(bk_biz_id=BIZ, bk_job_id=FLAKY_PLAN, bk_username="alice")
    status = await _finished(job, sandbox, started.job_instance_id)
    assert status.status == JobStatus.FAILED
    step = next(s for s in status.steps if s.status == JobStatus.FAILED)
    return started.job_instance_id, step.step_instance_id


async def test_failed_plan_step_gives_its_failed_host_with_the_real_log(
    job: JobClient, sandbox: Sandbox
) -> None:
    instance, step = await _failed_plan(job, sandbox)
    groups = await failure_groups(
        job, biz=BIZ, instance_id=instance, step_instance_id=step, user="alice"
    )
    assert groups == (
        HostGroup(
            hosts=("10.0.0.12",),
            status="non-zero exit code",
            exit_code=1,
            output="curl: (22) The requested URL returned error: 503 "
            "(upstream app-server on 10.0.0.12 still warming up)",
        ),
    )


async def test_hosts_that_printed_the_same_are_grouped(job: JobClient, sandbox: Sandbox) -> None:
    hosts = ["10.0.0.11", "10.0.0.12", "10.0.0.13"]  # 10.0.0.13: agent abnormal
    launch = await job.fast_execute_script(
        bk_biz_id=BIZ,
        account="root",
        target_server=TargetServer(ip_list=[IP(bk_cloud_id=0, ip=ip) for ip in hosts]),
        script_content='#!/bin/bash\necho "disk <full> & more"\nexit 3\n',
        script_type=ScriptType.SHELL,
        bk_username="alice",
    )
    assert launch.step_instance_id is not None
    await _finished(job, sandbox, launch.job_instance_id)
    groups = await failure_groups(
        job,
        biz=BIZ,
        instance_id=launch.job_instance_id,
        step_instance_id=launch.step_instance_id,
        user="alice",
    )
    assert groups == (
        HostGroup(
            hosts=("10.0.0.11", "10.0.0.12"),
            status="non-zero exit code",
            exit_code=3,
            output="disk <full> & more",
        ),
        HostGroup(hosts=("10.0.0.13",), status="agent abnormal"),
    )


async def test_a_blueking_error_gives_no_groups_and_says_why(
    job: JobClient, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    instance, step = await _failed_plan(job, sandbox)
    sandbox.faults.inject("get_job_instance_log", FaultKind.BK_ERROR, code=1240002)
    with caplog.at_level(logging.INFO, logger="bot.services.failure_logs"):
        groups = await failure_groups(
            job, biz=BIZ, instance_id=instance, step_instance_id=step, user="alice"
        )
    assert groups == ()
    (record,) = [r for r in caplog.records if r.name == "bot.services.failure_logs"]
    assert record.levelno == logging.INFO
    assert record.__dict__["step_instance_id"] == step
    assert "1240002" in record.__dict__["error"]


async def test_a_user_who_may_not_read_the_run_gets_no_groups(
    job: JobClient, sandbox: Sandbox
) -> None:
    instance, step = await _failed_plan(job, sandbox)
    # dave has no rights in business 2: BlueKing answers 9900403.
    groups = await failure_groups(
        job, biz=BIZ, instance_id=instance, step_instance_id=step, user="dave"
    )
    assert groups == ()


async def test_a_step_without_logs_gives_no_groups(job: JobClient, sandbox: Sandbox) -> None:
    instance, step = await _failed_plan(job, sandbox)
    status = await _finished(job, sandbox, instance)
    never_ran = next(s for s in status.steps if s.status == JobStatus.NOT_STARTED)
    for step_id in (never_ran.step_instance_id, step + 10_000):
        groups = await failure_groups(
            job, biz=BIZ, instance_id=instance, step_instance_id=step_id, user="alice"
        )
        assert groups == ()
