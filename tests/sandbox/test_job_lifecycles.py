"""BK-Job run lifecycles: confirmation, retry, ignore error, terminate and step operations."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Bk, b64, ips


async def _status(bk: Bk, instance: int) -> dict[str, Any]:
    data: dict[str, Any] = await bk.job_data("get_job_instance_status", job_instance_id=instance)
    return data


def _steps(status: dict[str, Any]) -> list[dict[str, Any]]:
    return [block["step_instances"][0] for block in status["blocks"]]


async def _run_plan(bk: Bk, plan: int, user: str = "alice") -> int:
    data = await bk.job_data("execute_job", user=user, bk_job_id=plan)
    instance: int = data["job_instance_id"]
    return instance


async def _step_op(
    bk: Bk, instance: int, step: int, code: int, user: str = "alice"
) -> dict[str, Any]:
    return await bk.job(
        "operate_step_instance",
        user=user,
        job_instance_id=instance,
        step_instance_id=step,
        operation_code=code,
    )


async def test_plan_waits_at_its_confirmation_step_then_finishes_when_confirmed(bk: Bk) -> None:
    instance = await _run_plan(bk, 1000123)
    bk.advance(30)
    waiting = await _status(bk, instance)
    assert waiting["job_instance"]["status"] == 7
    assert waiting["is_finished"] is False
    stop, push, confirm = _steps(waiting)
    assert (stop["status"], push["status"], confirm["status"]) == (3, 3, 7)
    assert confirm["type"] == 3
    assert confirm["step_ip_status"] == []
    assert waiting["job_instance"]["current_step_instance_id"] == confirm["step_instance_id"]
    answer = await _step_op(bk, instance, confirm["step_instance_id"], 6)
    assert answer["data"] == {
        "job_instance_id": instance,
        "job_instance_name": None,
        "step_instance_id": confirm["step_instance_id"],
    }
    done = await _status(bk, instance)
    assert done["job_instance"]["status"] == 3
    assert done["is_finished"] is True


async def test_rejected_confirmation_ends_step_and_job_at_13_and_can_be_reissued(bk: Bk) -> None:
    instance = await _run_plan(bk, 1000123)
    bk.advance(30)
    confirm = _steps(await _status(bk, instance))[2]["step_instance_id"]
    assert (await _step_op(bk, instance, confirm, 9))["result"] is True
    rejected = await _status(bk, instance)
    assert rejected["job_instance"]["status"] == 13
    assert _steps(rejected)[2]["status"] == 13
    assert rejected["is_finished"] is True
    assert (await _step_op(bk, instance, confirm, 10))["result"] is True
    again = await _status(bk, instance)
    assert again["job_instance"]["status"] == 7
    assert _steps(again)[2]["status"] == 7
    assert again["job_instance"]["end_time"] is None


async def test_only_the_starter_may_confirm_a_trigger_user_step(bk: Bk) -> None:
    instance = await _run_plan(bk, 1000127, user="alice")
    bk.advance(20)
    confirm = _steps(await _status(bk, instance))[1]
    assert confirm["status"] == 7
    refused = await _step_op(bk, instance, confirm["step_instance_id"], 6, user="bob")
    assert refused["code"] == 1244016
    accepted = await _step_op(bk, instance, confirm["step_instance_id"], 6, user="alice")
    assert accepted["result"] is True
    bk.advance(20)
    assert (await _status(bk, instance))["job_instance"]["status"] == 3


async def test_failing_plan_is_fixed_by_retrying_failed_hosts(bk: Bk) -> None:
    instance = await _run_plan(bk, 1000125)
    bk.advance(20)
    failed = await _status(bk, instance)
    assert failed["job_instance"]["status"] == 4
    assert failed["is_finished"] is True
    check, summary = _steps(failed)
    assert {h["ip"]: h["status"] for h in check["step_ip_status"]} == {
        "10.0.0.11": 9,
        "10.0.0.12": 104,
    }
    assert summary["status"] == 1
    logs = await bk.job_data("get_job_instance_log", job_instance_id=instance)
    failed_log = logs[0]["step_results"][1]["ip_logs"][0]
    assert failed_log["exit_code"] == 1
    assert "503" in failed_log["log_content"]
    assert (await _step_op(bk, instance, check["step_instance_id"], 2))["result"] is True
    retrying = await _status(bk, instance)
    assert retrying["job_instance"]["status"] == 2
    assert retrying["is_finished"] is False
    assert _steps(retrying)[0]["execute_count"] == 1
    bk.advance(20)
    final = await _status(bk, instance)
    assert final["job_instance"]["status"] == 3
    assert [s["status"] for s in _steps(final)] == [3, 3]
    logs = await bk.job_data("get_job_instance_log", job_instance_id=instance)
    per_host = {log["ip"]: log for group in logs[0]["step_results"] for log in group["ip_logs"]}
    assert per_host["10.0.0.12"]["execute_count"] == 1  # only the latest execution
    assert per_host["10.0.0.11"]["execute_count"] == 0  # succeeded host was not re-run


async def test_retry_all_reruns_every_host(bk: Bk) -> None:
    instance = await _run_plan(bk, 1000125)
    bk.advance(20)
    check = _steps(await _status(bk, instance))[0]["step_instance_id"]
    assert (await _step_op(bk, instance, check, 8))["result"] is True
    bk.advance(0.2)
    hosts = _steps(await _status(bk, instance))[0]["step_ip_status"]
    assert {h["status"] for h in hosts} <= {5, 7}


async def test_the_reference_retry_example_works_on_the_seeded_instance(bk: Bk) -> None:
    answer = await bk.job(
        "operate_step_instance",
        job_instance_id=20000123500,
        step_instance_id=20000234600,
        operation_code=2,
    )
    assert answer["result"] is True
    bk.advance(20)
    assert (await _status(bk, 20000123500))["job_instance"]["status"] == 3


async def test_failing_plan_continues_after_ignore_error(bk: Bk) -> None:
    instance = await _run_plan(bk, 1000125)
    bk.advance(20)
    check = _steps(await _status(bk, instance))[0]["step_instance_id"]
    assert (await _step_op(bk, instance, check, 3))["result"] is True
    bk.advance(20)
    final = await _status(bk, instance)
    assert [s["status"] for s in _steps(final)] == [6, 3]
    assert final["job_instance"]["status"] == 3


async def test_terminating_a_running_job_goes_10_then_11_with_hosts_at_403(bk: Bk) -> None:
    instance = await _run_plan(bk, 1000126)
    bk.advance(30)
    assert (await _status(bk, instance))["job_instance"]["status"] == 2
    answer = await bk.job(
        "operate_job_instance", user="alice", job_instance_id=instance, operation_code=1
    )
    assert answer["data"] == {"job_instance_id": instance, "job_instance_name": None}
    stopping = await _status(bk, instance)
    assert stopping["job_instance"]["status"] == 10
    assert _steps(stopping)[0]["status"] == 10
    assert stopping["is_finished"] is False
    again = await bk.job("operate_job_instance", job_instance_id=instance, operation_code=1)
    assert again["code"] == 1241003
    bk.advance(2)
    stopped = await _status(bk, instance)
    assert stopped["job_instance"]["status"] == 11
    assert stopped["is_finished"] is True
    first, second = _steps(stopped)
    assert first["status"] == 11
    assert {h["status"] for h in first["step_ip_status"]} == {403}
    assert second["status"] == 1
    # bk-job §5.13: from a stopped step, "go to next step" continues the job.
    assert (await _step_op(bk, instance, first["step_instance_id"], 11))["result"] is True
    bk.advance(20)
    assert (await _status(bk, instance))["job_instance"]["status"] == 3


async def test_forced_skip_while_stopping_moves_on(bk: Bk) -> None:
    instance = await _run_plan(bk, 1000126)
    bk.advance(10)
    await bk.job("operate_job_instance", job_instance_id=instance, operation_code=1)
    first = _steps(await _status(bk, instance))[0]["step_instance_id"]
    assert (await _step_op(bk, instance, first, 12))["result"] is True
    bk.advance(20)
    final = await _status(bk, instance)
    assert [s["status"] for s in _steps(final)] == [5, 3]
    assert final["job_instance"]["status"] == 3


async def test_terminating_at_a_confirmation_step_leaves_the_job_stopping(bk: Bk) -> None:
    instance = await _run_plan(bk, 1000123)
    bk.advance(30)
    assert (await bk.job("operate_job_instance", job_instance_id=instance, operation_code=1))[
        "result"
    ] is True
    bk.advance(600)
    status = await _status(bk, instance)
    assert status["job_instance"]["status"] == 10
    assert _steps(status)[2]["status"] == 7
    assert status["is_finished"] is False
    confirm = _steps(status)[2]["step_instance_id"]
    assert (await _step_op(bk, instance, confirm, 9))["result"] is True
    assert (await _status(bk, instance))["job_instance"]["status"] == 13


async def test_terminate_needs_a_running_or_waiting_job(bk: Bk) -> None:
    body = await bk.job("operate_job_instance", job_instance_id=20000123456, operation_code=1)
    assert body["code"] == 1241003


async def test_start_operation_only_applies_to_not_started_jobs(bk: Bk) -> None:
    data = await bk.job_data(
        "fast_execute_script",
        script_content=b64("uptime"),
        script_type=1,
        account="root",
        target_server=ips("10.0.0.11"),
    )
    instance = data["job_instance_id"]
    started = await bk.job("operate_job_instance", job_instance_id=instance, operation_code=2)
    assert started["result"] is True
    assert (await _status(bk, instance))["job_instance"]["status"] == 2
    twice = await bk.job("operate_job_instance", job_instance_id=instance, operation_code=2)
    assert twice["code"] == 1241015


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"job_instance_id": 20000123456, "operation_code": 7}, 1241002),
        ({"job_instance_id": 0, "operation_code": 1}, 1241007),
        ({"job_instance_id": 20000123456}, 1241004),
        ({"job_instance_id": 123, "operation_code": 1}, 1244006),
    ],
)
async def test_operate_job_instance_rejects_bad_requests(
    bk: Bk, params: dict[str, Any], code: int
) -> None:
    assert (await bk.job("operate_job_instance", **params))["code"] == code


@pytest.mark.parametrize(
    ("step", "code", "expected"),
    [
        (20000234567, 4, 1241002),  # bk-job §5.13: legacy "execute" is rejected
        (20000234567, 5, 1241002),  # legacy "skip" too
        (20000234567, 99, 1241002),
        (20000234567, 6, 1241003),  # confirm on a script step
        (20000234567, 10, 1241003),
        (20000234567, 11, 1241003),  # next step needs a stopped step
        (20000234567, 12, 1241003),
        (1, 2, 1244007),
    ],
)
async def test_operate_step_instance_checks_codes_and_preconditions(
    bk: Bk, step: int, code: int, expected: int
) -> None:
    body = await _step_op(bk, 20000123456, step, code)
    assert body["code"] == expected


async def test_retrying_the_seeded_fast_script_reruns_only_the_failed_host(bk: Bk) -> None:
    assert (await _step_op(bk, 20000123456, 20000234567, 2))["result"] is True
    bk.advance(10)
    status = await _status(bk, 20000123456)
    assert status["job_instance"]["status"] == 3
    assert _steps(status)[0]["execute_count"] == 1
