"""BK-Job lifecycles through JobClient: confirmation, retry, ignore, terminate, crons."""

from __future__ import annotations

from bot.clients.bk_job import JobClient, JobStatus, StepOperation, StepType
from bot.clients.bk_job.models import JobInstanceStatus
from tests.lifecycle.conftest import Waiter

BIZ = 2


async def _status(job: JobClient, instance: int, user: str = "alice") -> JobInstanceStatus:
    return await job.get_job_instance_status(
        bk_biz_id=BIZ, job_instance_id=instance, bk_username=user
    )


async def _start(job: JobClient, plan: int, user: str = "alice") -> int:
    started = await job.execute_job(bk_biz_id=BIZ, bk_job_id=plan, bk_username=user)
    assert started.job_instance_id
    return started.job_instance_id


async def _wait_status(
    wait: Waiter, job: JobClient, instance: int, *codes: int
) -> JobInstanceStatus:
    return await wait.until(lambda: _status(job, instance), lambda s: s.status in codes)


async def test_plan_waits_at_confirmation_and_finishes_when_confirmed(
    job: JobClient, wait: Waiter
) -> None:
    instance = await _start(job, 1000123)
    status = await _wait_status(wait, job, instance, JobStatus.WAITING_USER)
    assert status.is_finished is False
    confirm = next(s for s in status.steps if s.type == StepType.CONFIRM)
    assert confirm.status == JobStatus.WAITING_USER
    earlier = [s for s in status.steps if s.type != StepType.CONFIRM]
    assert all(s.status == JobStatus.SUCCEEDED for s in earlier)

    await job.operate_step_instance(
        bk_biz_id=BIZ,
        job_instance_id=instance,
        step_instance_id=confirm.step_instance_id,
        operation_code=StepOperation.CONFIRM,
        bk_username="bob",
    )
    final = await wait.until(lambda: _status(job, instance), lambda s: s.finished)
    assert final.status == JobStatus.SUCCEEDED
    assert all(s.status == JobStatus.SUCCEEDED for s in final.steps)


async def test_rejected_confirmation_ends_the_job_confirm_terminated(
    job: JobClient, wait: Waiter
) -> None:
    instance = await _start(job, 1000123)
    status = await _wait_status(wait, job, instance, JobStatus.WAITING_USER)
    confirm = next(s for s in status.steps if s.type == StepType.CONFIRM)
    await job.operate_step_instance(
        bk_biz_id=BIZ,
        job_instance_id=instance,
        step_instance_id=confirm.step_instance_id,
        operation_code=StepOperation.REJECT,
        bk_username="bob",
    )
    final = await _status(job, instance)
    assert final.is_finished is True
    assert final.status == JobStatus.CONFIRM_TERMINATED
    rejected = next(s for s in final.steps if s.step_instance_id == confirm.step_instance_id)
    assert rejected.status == JobStatus.CONFIRM_TERMINATED


async def test_failing_plan_is_fixed_by_retrying_failed_hosts(job: JobClient, wait: Waiter) -> None:
    instance = await _start(job, 1000125)
    failed = await wait.until(lambda: _status(job, instance), lambda s: s.finished)
    assert failed.status == JobStatus.FAILED
    step = next(s for s in failed.steps if s.status == JobStatus.FAILED)
    hosts = {h.ip: h.status for h in step.step_ip_status or []}
    assert hosts["10.0.0.12"] == 104  # script exit code non-zero
    assert hosts["10.0.0.11"] == 9

    logs = await job.get_job_instance_log(
        bk_biz_id=BIZ, job_instance_id=instance, bk_username="alice"
    )
    failing_step = next(s for s in logs if s.step_instance_id == step.step_instance_id)
    failed_hosts = [
        log.ip
        for group in failing_step.step_results or []
        if group.ip_status == 104
        for log in group.ip_logs or []
    ]
    assert failed_hosts == ["10.0.0.12"]

    await job.operate_step_instance(
        bk_biz_id=BIZ,
        job_instance_id=instance,
        step_instance_id=step.step_instance_id,
        operation_code=StepOperation.RETRY_FAILED,
        bk_username="alice",
    )
    assert (await _status(job, instance)).status == JobStatus.RUNNING
    final = await wait.until(lambda: _status(job, instance), lambda s: s.finished)
    assert final.status == JobStatus.SUCCEEDED
    retried = next(s for s in final.steps if s.step_instance_id == step.step_instance_id)
    assert retried.execute_count == 1
    assert {h.ip: h.status for h in retried.step_ip_status or []}["10.0.0.12"] == 9


async def test_failing_plan_continues_after_ignore_error(job: JobClient, wait: Waiter) -> None:
    instance = await _start(job, 1000125)
    failed = await wait.until(lambda: _status(job, instance), lambda s: s.finished)
    step = next(s for s in failed.steps if s.status == JobStatus.FAILED)
    later = [s for s in failed.steps if s.step_instance_id != step.step_instance_id]
    assert later
    assert all(s.status == JobStatus.NOT_STARTED for s in later)

    await job.operate_step_instance(
        bk_biz_id=BIZ,
        job_instance_id=instance,
        step_instance_id=step.step_instance_id,
        operation_code=StepOperation.IGNORE_ERROR,
        bk_username="alice",
    )
    final = await wait.until(lambda: _status(job, instance), lambda s: s.finished)
    by_id = {s.step_instance_id: s for s in final.steps}
    assert by_id[step.step_instance_id].status == JobStatus.ERROR_IGNORED
    assert all(by_id[s.step_instance_id].status == JobStatus.SUCCEEDED for s in later)


async def test_terminating_a_running_job_goes_through_terminating_to_terminated(
    job: JobClient, wait: Waiter
) -> None:
    instance = await _start(job, 1000126)
    running = await _wait_status(wait, job, instance, JobStatus.RUNNING)
    assert running.is_finished is False
    await job.operate_job_instance(
        bk_biz_id=BIZ, job_instance_id=instance, operation_code=1, bk_username="alice"
    )
    stopping = await _status(job, instance)
    assert stopping.status in (JobStatus.TERMINATING, JobStatus.TERMINATED)
    final = await _wait_status(wait, job, instance, JobStatus.TERMINATED)
    assert final.is_finished is True
    hosts = [h.status for s in final.steps for h in s.step_ip_status or []]
    assert 403 in hosts  # running hosts were force-terminated


async def test_terminate_at_a_confirmation_step_does_not_finish_the_job(
    job: JobClient, wait: Waiter
) -> None:
    # bk-job §10: the job becomes 10 while the step stays 7; reject with step op 9 instead.
    instance = await _start(job, 1000123)
    await _wait_status(wait, job, instance, JobStatus.WAITING_USER)
    await job.operate_job_instance(
        bk_biz_id=BIZ, job_instance_id=instance, operation_code=1, bk_username="alice"
    )
    status = await _status(job, instance)
    assert status.status == JobStatus.TERMINATING
    assert status.is_finished is False
    confirm = next(s for s in status.steps if s.type == StepType.CONFIRM)
    assert confirm.status == JobStatus.WAITING_USER


async def test_cron_status_changes_and_reads_back(job: JobClient) -> None:
    await job.change_cron_status(bk_biz_id=BIZ, cron_id=1000066, cron_status=2, bk_username="alice")
    crons = await job.get_cron_list(bk_biz_id=BIZ, cron_id=1000066, bk_username="alice")
    assert [c.cron_status for c in crons] == [2]
    await job.change_cron_status(bk_biz_id=BIZ, cron_id=1000066, cron_status=1, bk_username="alice")
    crons = await job.get_cron_list(bk_biz_id=BIZ, cron_id=1000066, bk_username="alice")
    assert [c.cron_status for c in crons] == [1]


async def test_saved_crons_are_created_paused_and_updates_pause_them(job: JobClient) -> None:
    created = await job.save_cron(
        bk_biz_id=BIZ,
        bk_job_id=1000124,
        cron_name="hourly migrate check",
        cron_expression="0 * * * *",
        bk_username="alice",
    )
    assert created.cron_id
    assert created.cron_status == 2  # bk-job §5.18: new crons start paused
    await job.change_cron_status(
        bk_biz_id=BIZ, cron_id=created.cron_id, cron_status=1, bk_username="alice"
    )
    updated = await job.save_cron(
        bk_biz_id=BIZ, cron_id=created.cron_id, cron_expression="30 * * * *", bk_username="alice"
    )
    assert updated.cron_status == 2  # a v2 update pauses the cron again
    listed = await job.get_cron_list(bk_biz_id=BIZ, cron_id=created.cron_id, bk_username="alice")
    assert [(c.cron_expression, c.cron_name) for c in listed] == [
        ("30 * * * *", "hourly migrate check")
    ]
