"""JobClient end to end against the sandbox: every method, the wire form, errors, retries."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import date
from typing import TYPE_CHECKING

import pytest

from bot.clients._http import Transport
from bot.clients.bk_job import (
    IP,
    PASSWORD_MASK,
    CronStatus,
    FileSource,
    GlobalVarValue,
    HostOutcome,
    HostStatus,
    JobClient,
    JobInstanceStatus,
    JobOperation,
    JobStatus,
    ScriptType,
    StepOperation,
    StepType,
    TargetServer,
    TopoNode,
)
from bot.clients.errors import (
    BKInvalidOperation,
    BKNotFound,
    BKPermissionDenied,
    BKRequestInvalid,
    BKServerError,
)
from bot.sandbox import FaultKind, ManualClock, Sandbox

if TYPE_CHECKING:
    from tests.clients.conftest import Wire

BIZ = 2
WEB11 = TargetServer(ip_list=[IP(bk_cloud_id=0, ip="10.0.0.11")])
WEB = TargetServer(ip_list=[IP(bk_cloud_id=0, ip="10.0.0.11"), IP(bk_cloud_id=0, ip="10.0.0.12")])
DB = TargetServer(ip_list=[IP(bk_cloud_id=0, ip="10.0.1.21")])
SEEDED_INSTANCE = 20000123456
SEEDED_STEP = 20000234567


async def _status_after(
    job_client: JobClient, clock: ManualClock, job_instance_id: int, seconds: float = 600
) -> JobInstanceStatus:
    clock.advance(seconds)
    return await job_client.get_job_instance_status(
        bk_biz_id=BIZ, job_instance_id=job_instance_id, bk_username="alice"
    )


# ----------------------------------------------------------------------------- plans


async def test_get_job_list_lists_the_business_plans_as_the_user(
    job_client: JobClient, sandbox: Sandbox
) -> None:
    plans = await job_client.get_job_list(bk_biz_id=BIZ, bk_username="alice")
    by_id = {plan.bk_job_id: plan for plan in plans}
    assert {1000123, 1000124, 1000125, 1000126} <= set(by_id)
    assert by_id[1000123].name == "deploy-web (prod)"
    assert by_id[1000123].bk_scope_id == "2"
    assert by_id[1000123].create_time is not None
    assert sandbox.calls[-1] == ("get_job_list", "alice")


async def test_get_job_list_filters_by_name_and_pages(job_client: JobClient) -> None:
    plans = await job_client.get_job_list(bk_biz_id=BIZ, bk_username="alice", name="migrate")
    assert [plan.name for plan in plans] == ["db-migrate"]
    page = await job_client.get_job_list(bk_biz_id=BIZ, bk_username="alice", start=0, length=1)
    assert len(page) == 1


async def test_get_job_detail_gives_steps_by_kind_and_variables(job_client: JobClient) -> None:
    plan = await job_client.get_job_detail(bk_biz_id=BIZ, bk_job_id=1000123, bk_username="alice")
    assert plan.name == "deploy-web (prod)"
    assert [step.kind for step in plan.steps] == [StepType.SCRIPT, StepType.FILE, StepType.CONFIRM]
    assert plan.steps[2].confirm_message == "Please confirm the restart of web"
    assert plan.has_confirmation
    version = next(var for var in plan.global_vars if var.name == "version")
    assert version.display_value == "1.4.2"
    hosts = next(var for var in plan.global_vars if var.name == "web_hosts")
    assert [host.ip for host in hosts.ip_list] == ["10.0.0.11"]


async def test_get_job_detail_password_variable_is_flagged_and_masked(
    job_client: JobClient,
) -> None:
    plan = await job_client.get_job_detail(bk_biz_id=BIZ, bk_job_id=1000124, bk_username="alice")
    password = next(var for var in plan.global_vars if var.is_password)
    # bk-job §5.2: v2 sends the password decrypted; only the masked form may be shown.
    assert password.value
    assert password.display_value == PASSWORD_MASK
    assert password.value not in repr(plan)


async def test_get_job_detail_of_an_unknown_plan_is_not_found(job_client: JobClient) -> None:
    with pytest.raises(BKNotFound) as caught:
        await job_client.get_job_detail(bk_biz_id=BIZ, bk_job_id=999999, bk_username="alice")
    assert caught.value.code == 1243009
    assert caught.value.operation == "get_job_detail"


# ----------------------------------------------------------------------------- scripts, accounts


async def test_get_script_list_gives_online_versions_with_content_on_request(
    job_client: JobClient,
) -> None:
    page = await job_client.get_script_list(
        bk_biz_id=BIZ, bk_username="alice", script_name="disk", return_script_content=True
    )
    ids = [script.id for script in page.data]
    assert 6862 in ids
    assert 7010 in ids
    # 7011 is a disabled (not online) version of disk_cleanup.sh.
    assert 7011 not in ids
    assert page.total_record_size == len(page.data)
    assert all(script.content for script in page.data)
    assert all(script.type is ScriptType.SHELL for script in page.data)


async def test_get_script_list_filters_by_language(job_client: JobClient) -> None:
    page = await job_client.get_script_list(
        bk_biz_id=BIZ, bk_username="alice", script_type=ScriptType.PYTHON
    )
    assert page.data
    assert {script.type for script in page.data} == {ScriptType.PYTHON}


async def test_get_public_script_list_has_no_scope(job_client: JobClient, wire: Wire) -> None:
    page = await job_client.get_public_script_list(bk_username="alice", script_name="ping")
    (script,) = page.data
    assert (script.id, script.public, script.type) == (36, True, ScriptType.PYTHON)
    _, _, body = wire.requests[-1]
    assert body is not None
    assert "bk_biz_id" not in body
    assert "bk_scope_type" not in body


async def test_get_script_detail_gives_one_version(job_client: JobClient) -> None:
    script = await job_client.get_script_detail(bk_biz_id=BIZ, id=6862, bk_username="alice")
    assert (script.name, script.version, script.public) == ("check_disk.sh", "v1.2", False)
    # bk-job §5.5: Server 3.x does not fill content here.
    assert script.content is None


async def test_get_os_account_gives_aliases_per_business(job_client: JobClient) -> None:
    accounts = await job_client.get_os_account(bk_biz_id=BIZ, bk_username="alice")
    assert {"root", "deploy-user"} <= {account.alias for account in accounts}
    assert all(account.bk_biz_id == BIZ for account in accounts)


async def test_get_own_db_account_list_depends_on_the_acting_user(job_client: JobClient) -> None:
    alice = await job_client.get_own_db_account_list(bk_biz_id=BIZ, bk_username="alice")
    admin = await job_client.get_own_db_account_list(bk_biz_id=BIZ, bk_username="admin")
    assert 1000 in {account.db_account_id for account in alice}
    assert {account.db_account_id for account in alice} < {a.db_account_id for a in admin}


# ----------------------------------------------------------------------------- starting work


async def test_fast_execute_script_sends_base64_and_runs_to_success(
    job_client: JobClient, clock: ManualClock, wire: Wire
) -> None:
    launch = await job_client.fast_execute_script(
        bk_biz_id=BIZ,
        account="root",
        target_server=WEB,
        script_content="#!/bin/bash\necho 'hello <chatops> & co'\n",
        script_type=ScriptType.SHELL,
        script_param="--verbose",
        task_name="slack:alice:hello",
        bk_username="alice",
    )
    assert launch.job_instance_name == "slack:alice:hello"
    method, url, body = wire.requests[-1]
    assert (method, url.path) == ("POST", "/api/c/compapi/v2/job/fast_execute_script/")
    assert body is not None
    assert body["bk_scope_type"] == "biz"
    assert body["bk_scope_id"] == "2"
    assert body["bk_username"] == "alice"
    content = base64.b64decode(str(body["script_content"])).decode()
    assert content.startswith("#!/bin/bash")

    status = await _status_after(job_client, clock, launch.job_instance_id)
    assert status.finished
    assert status.status is JobStatus.SUCCEEDED
    (step,) = status.steps
    # bk-job §5.8: Server 3.x names the single step instance of a fast script.
    assert step.step_instance_id == launch.step_instance_id
    assert step.host_counts.succeeded == 2
    logs = await job_client.get_job_instance_log(
        bk_biz_id=BIZ, job_instance_id=launch.job_instance_id, bk_username="alice"
    )
    texts = [log.text for _, log in logs[0].host_logs()]
    assert len(texts) == 2
    assert all("hello <chatops> & co" in text for text in texts)


async def test_fast_execute_script_failure_offers_retry_and_ignore(
    job_client: JobClient, clock: ManualClock
) -> None:
    launch = await job_client.fast_execute_script(
        bk_biz_id=BIZ,
        account="root",
        target_server=WEB11,
        script_content="echo broken; exit 3",
        script_type=ScriptType.SHELL,
        bk_username="alice",
    )
    status = await _status_after(job_client, clock, launch.job_instance_id)
    assert status.status is JobStatus.FAILED
    (step,) = status.steps
    assert step.host_counts.failed == 1
    assert step.step_ip_status[0].outcome is HostOutcome.FAILED
    assert StepOperation.IGNORE_ERROR in step.valid_operations
    logs = await job_client.get_job_instance_log(
        bk_biz_id=BIZ, job_instance_id=launch.job_instance_id, bk_username="alice"
    )
    (_, log), *_ = logs[0].host_logs()
    assert log.exit_code == 3


async def test_fast_execute_script_runs_a_saved_script_version(
    job_client: JobClient, clock: ManualClock
) -> None:
    launch = await job_client.fast_execute_script(
        bk_biz_id=BIZ, account="root", target_server=WEB11, script_id=6862, bk_username="alice"
    )
    status = await _status_after(job_client, clock, launch.job_instance_id)
    assert status.finished


async def test_fast_push_file_copies_to_the_targets(
    job_client: JobClient, clock: ManualClock
) -> None:
    launch = await job_client.fast_push_file(
        bk_biz_id=BIZ,
        file_target_path="/data/release/",
        file_source=[
            FileSource(
                files=["/data/pkg/web-1.4.2.tar.gz"],
                account="root",
                target_server=TargetServer(ip_list=[IP(bk_cloud_id=0, ip="10.0.0.10")]),
            )
        ],
        account="root",
        target_server=TargetServer(topo_node_list=[TopoNode(id=1000, node_type="module")]),
        timeout=1800,
        bk_username="alice",
    )
    # bk-job §5.9: no step_instance_id from fast_push_file on v2.
    assert launch.step_instance_id is None
    status = await _status_after(job_client, clock, launch.job_instance_id)
    assert status.status is JobStatus.SUCCEEDED
    (step,) = status.steps
    assert step.type is StepType.FILE
    # bk-job §5.14: file steps list only the target hosts (module 1000 = .11 and .12).
    assert sorted(host.ip or "" for host in step.step_ip_status) == ["10.0.0.11", "10.0.0.12"]


async def test_fast_execute_sql_runs_with_a_db_account(
    job_client: JobClient, clock: ManualClock
) -> None:
    launch = await job_client.fast_execute_sql(
        bk_biz_id=BIZ,
        db_account_id=1000,
        target_server=DB,
        script_content="show databases;",
        task_name="slack:alice:show-dbs",
        bk_username="alice",
    )
    assert launch.job_instance_name == "slack:alice:show-dbs"
    status = await _status_after(job_client, clock, launch.job_instance_id)
    assert status.status is JobStatus.SUCCEEDED
    assert status.steps[0].type is StepType.SQL
    logs = await job_client.get_job_instance_log(
        bk_biz_id=BIZ, job_instance_id=launch.job_instance_id, bk_username="alice"
    )
    assert any("information_schema" in log.text for _, log in logs[0].host_logs())


async def test_execute_job_stops_at_the_confirmation_and_confirm_finishes_it(
    job_client: JobClient, clock: ManualClock
) -> None:
    launch = await job_client.execute_job(
        bk_biz_id=BIZ,
        bk_job_id=1000123,
        global_vars=[
            GlobalVarValue(id=5001, value="1.4.3"),
            GlobalVarValue(name="web_hosts", target_server=WEB11),
        ],
        bk_username="alice",
    )
    assert launch.job_instance_name == "deploy-web (prod)"
    status = await _status_after(job_client, clock, launch.job_instance_id)
    assert status.status is JobStatus.WAITING_USER
    assert not status.finished
    waiting = status.step_waiting_for_confirmation
    assert waiting is not None
    assert status.current_step is waiting
    assert waiting.valid_operations == (StepOperation.CONFIRM, StepOperation.REJECT)
    assert status.valid_job_operations == ()

    ref = await job_client.operate_step_instance(
        bk_biz_id=BIZ,
        job_instance_id=launch.job_instance_id,
        step_instance_id=waiting.step_instance_id,
        operation_code=StepOperation.CONFIRM,
        bk_username="alice",
    )
    assert (ref.job_instance_id, ref.step_instance_id) == (
        launch.job_instance_id,
        waiting.step_instance_id,
    )
    status = await _status_after(job_client, clock, launch.job_instance_id)
    assert status.status is JobStatus.SUCCEEDED
    assert status.finished


async def test_operate_job_instance_terminates_a_running_job(
    job_client: JobClient, clock: ManualClock
) -> None:
    launch = await job_client.execute_job(bk_biz_id=BIZ, bk_job_id=1000126, bk_username="alice")
    running = await _status_after(job_client, clock, launch.job_instance_id, seconds=5)
    assert running.status is JobStatus.RUNNING
    assert running.valid_job_operations == (JobOperation.TERMINATE,)
    ref = await job_client.operate_job_instance(
        bk_biz_id=BIZ,
        job_instance_id=launch.job_instance_id,
        operation_code=JobOperation.TERMINATE,
        bk_username="alice",
    )
    assert ref.job_instance_id == launch.job_instance_id
    stopped = await _status_after(job_client, clock, launch.job_instance_id, seconds=30)
    assert stopped.status is JobStatus.TERMINATED
    assert stopped.finished
    step = stopped.current_step
    assert step is not None
    assert StepOperation.NEXT_STEP in step.valid_operations


async def test_operating_a_finished_job_is_an_invalid_operation(job_client: JobClient) -> None:
    with pytest.raises(BKInvalidOperation) as caught:
        await job_client.operate_job_instance(
            bk_biz_id=BIZ,
            job_instance_id=SEEDED_INSTANCE,
            operation_code=JobOperation.TERMINATE,
            bk_username="alice",
        )
    assert caught.value.code == 1241003


# ----------------------------------------------------------------------------- watching runs


async def test_get_job_instance_status_of_the_seeded_failed_run(job_client: JobClient) -> None:
    status = await job_client.get_job_instance_status(
        bk_biz_id=BIZ, job_instance_id=SEEDED_INSTANCE, bk_username="alice"
    )
    assert status.finished is True
    assert status.status is JobStatus.FAILED
    step = status.current_step
    assert step is not None
    by_ip = {host.ip: host.status for host in step.step_ip_status}
    assert by_ip["10.0.0.11"] is HostStatus.SUCCEEDED
    assert by_ip["10.0.0.12"] not in (HostStatus.SUCCEEDED, HostStatus.LAST_SUCCEEDED)
    assert step.host_counts.failed == 1
    assert StepOperation.RETRY_FAILED in step.valid_operations


async def test_get_job_instance_log_of_the_seeded_failed_run(job_client: JobClient) -> None:
    (step,) = await job_client.get_job_instance_log(
        bk_biz_id=BIZ, job_instance_id=SEEDED_INSTANCE, bk_username="alice"
    )
    assert step.is_finished is True
    failed = [log for result, log in step.host_logs() if result.outcome is HostOutcome.FAILED]
    assert [log.ip for log in failed] == ["10.0.0.12"]
    assert failed[0].exit_code not in (0, None)
    assert "&gt;" not in failed[0].text


async def test_status_of_an_unknown_instance_is_not_found(job_client: JobClient) -> None:
    with pytest.raises(BKNotFound) as caught:
        await job_client.get_job_instance_status(
            bk_biz_id=BIZ, job_instance_id=1, bk_username="alice"
        )
    assert caught.value.code == 1244006


# ----------------------------------------------------------------------------- crons


async def test_get_cron_list_finds_the_seeded_cron_by_id_and_filter(job_client: JobClient) -> None:
    (cron,) = await job_client.get_cron_list(bk_biz_id=BIZ, cron_id=1000066, bk_username="alice")
    assert (cron.cron_name, cron.cron_expression, cron.bk_job_id) == (
        "nightly cleanup",
        "30 2 * * *",
        1000123,
    )
    enabled = await job_client.get_cron_list(
        bk_biz_id=BIZ, cron_status=CronStatus.ENABLED, length=50, bk_username="alice"
    )
    assert 1000066 in {c.cron_id for c in enabled}
    assert all(c.cron_status is CronStatus.ENABLED for c in enabled)


async def test_get_cron_list_with_an_unknown_id_is_empty(job_client: JobClient) -> None:
    # bk-job §5.16: the server answers [null] here; the client drops the null.
    assert await job_client.get_cron_list(bk_biz_id=BIZ, cron_id=999999, bk_username="alice") == []


async def test_change_cron_status_calls_update_cron_status_and_pauses(
    job_client: JobClient, sandbox: Sandbox, wire: Wire
) -> None:
    cron = await job_client.change_cron_status(
        bk_biz_id=BIZ, cron_id=1000066, cron_status=CronStatus.PAUSED, bk_username="alice"
    )
    assert cron.cron_id == 1000066
    # bk-job §5.17: the answer carries only cron_id.
    assert cron.enabled is None
    assert wire.paths()[-1] == "/api/c/compapi/v2/job/update_cron_status/"
    assert sandbox.calls[-1] == ("update_cron_status", "alice")
    (after,) = await job_client.get_cron_list(bk_biz_id=BIZ, cron_id=1000066, bk_username="alice")
    assert after.cron_status is CronStatus.PAUSED


async def test_save_cron_creates_paused_and_updates_stay_paused(job_client: JobClient) -> None:
    created = await job_client.save_cron(
        bk_biz_id=BIZ,
        bk_job_id=1000123,
        cron_name="chatops weekday deploy",
        cron_expression="0 9 * * 1-5",
        bk_username="alice",
    )
    assert created.cron_id != 1000066
    assert created.cron_status is CronStatus.PAUSED
    assert created.cron_expression == "0 9 * * 1-5"
    await job_client.change_cron_status(
        bk_biz_id=BIZ, cron_id=created.cron_id, cron_status=CronStatus.ENABLED, bk_username="alice"
    )
    updated = await job_client.save_cron(
        bk_biz_id=BIZ, cron_id=created.cron_id, cron_name="renamed", bk_username="alice"
    )
    assert updated.cron_name == "renamed"
    # bk-job §5.18: an update through v2 pauses the cron again.
    assert updated.cron_status is CronStatus.PAUSED


# ----------------------------------------------------------------------------- errors


async def test_a_read_only_user_may_not_start_work(job_client: JobClient) -> None:
    with pytest.raises(BKPermissionDenied) as caught:
        await job_client.fast_execute_script(
            bk_biz_id=BIZ,
            account="root",
            target_server=WEB11,
            script_content="uptime",
            script_type=ScriptType.SHELL,
            bk_username="carol",
        )
    assert caught.value.code == 9900403
    assert caught.value.permission is not None
    assert caught.value.permission.actions


async def test_a_user_of_another_business_is_denied(job_client: JobClient) -> None:
    with pytest.raises(BKPermissionDenied):
        await job_client.get_job_detail(bk_biz_id=BIZ, bk_job_id=1000123, bk_username="dave")


async def test_an_unknown_account_alias_is_not_found(job_client: JobClient) -> None:
    with pytest.raises(BKNotFound) as caught:
        await job_client.fast_execute_script(
            bk_biz_id=BIZ,
            account="nobody",
            target_server=WEB11,
            script_content="uptime",
            script_type=ScriptType.SHELL,
            bk_username="alice",
        )
    assert caught.value.code == 1244003


Invoke = Callable[[JobClient], Awaitable[object]]

BAD_REQUESTS: dict[str, Invoke] = {
    "get_job_list: end before start": lambda c: c.get_job_list(
        bk_biz_id=BIZ,
        create_time_start=date(2025, 2, 1),
        create_time_end=date(2025, 1, 1),
        bk_username="alice",
    ),
    "get_job_detail: plan id 0": lambda c: c.get_job_detail(
        bk_biz_id=BIZ, bk_job_id=0, bk_username="alice"
    ),
    "get_script_list: business 0": lambda c: c.get_script_list(bk_biz_id=0, bk_username="alice"),
    "get_public_script_list: negative start": lambda c: c.get_public_script_list(
        start=-1, bk_username="alice"
    ),
    "get_script_detail: id 0": lambda c: c.get_script_detail(
        bk_biz_id=BIZ, id=0, bk_username="alice"
    ),
    "fast_execute_script: content without type": lambda c: c.fast_execute_script(
        bk_biz_id=BIZ,
        account="root",
        target_server=WEB11,
        script_content="uptime",
        bk_username="alice",
    ),
    "fast_execute_script: timeout over 72 h": lambda c: c.fast_execute_script(
        bk_biz_id=BIZ,
        account="root",
        target_server=WEB11,
        script_id=6862,
        script_timeout=259_201,
        bk_username="alice",
    ),
    "fast_push_file: relative target path": lambda c: c.fast_push_file(
        bk_biz_id=BIZ,
        file_target_path="release/",
        file_source=[FileSource(files=["/a.tar.gz"], account="root", target_server=WEB11)],
        account="root",
        target_server=WEB11,
        bk_username="alice",
    ),
    "fast_execute_sql: no script": lambda c: c.fast_execute_sql(
        bk_biz_id=BIZ, db_account_id=1000, target_server=DB, bk_username="alice"
    ),
    "execute_job: callback with user@": lambda c: c.execute_job(
        bk_biz_id=BIZ,
        bk_job_id=1000123,
        bk_callback_url="https://me@hooks.example.com/job",
        bk_username="alice",
    ),
    "operate_job_instance: unknown code": lambda c: c.operate_job_instance(
        bk_biz_id=BIZ,
        job_instance_id=SEEDED_INSTANCE,
        operation_code=7,  # type: ignore[arg-type]
        bk_username="alice",
    ),
    "operate_step_instance: legacy skip 5": lambda c: c.operate_step_instance(
        bk_biz_id=BIZ,
        job_instance_id=SEEDED_INSTANCE,
        step_instance_id=1,
        operation_code=5,  # type: ignore[arg-type]
        bk_username="alice",
    ),
    "get_cron_list: half a creation range": lambda c: c.get_cron_list(
        bk_biz_id=BIZ, create_time_start=date(2025, 1, 1), bk_username="alice"
    ),
    "change_cron_status: status 3": lambda c: c.change_cron_status(
        bk_biz_id=BIZ,
        cron_id=1000066,
        cron_status=3,  # type: ignore[arg-type]
        bk_username="alice",
    ),
    "save_cron: quartz expression": lambda c: c.save_cron(
        bk_biz_id=BIZ,
        bk_job_id=1000123,
        cron_name="q",
        cron_expression="0 0 2 * * ?",
        bk_username="alice",
    ),
    "save_cron: update without changes": lambda c: c.save_cron(
        bk_biz_id=BIZ, cron_id=1000066, bk_username="alice"
    ),
}


@pytest.mark.parametrize("invoke", BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
async def test_a_request_breaking_a_rule_is_rejected_before_sending(
    invoke: Invoke, job_client: JobClient, sandbox: Sandbox, wire: Wire
) -> None:
    with pytest.raises(BKRequestInvalid) as caught:
        await invoke(job_client)
    assert caught.value.system == "bk_job"
    assert caught.value.fields
    assert sandbox.calls == []
    assert wire.requests == []


# ----------------------------------------------------------------------------- retries

# One minimal, valid call per method: (operation on the wire, is it a read, the call).
EVERY_METHOD: list[tuple[str, bool, Invoke]] = [
    ("get_job_list", True, lambda c: c.get_job_list(bk_biz_id=BIZ, bk_username="alice")),
    (
        "get_job_detail",
        True,
        lambda c: c.get_job_detail(bk_biz_id=BIZ, bk_job_id=1000123, bk_username="alice"),
    ),
    ("get_script_list", True, lambda c: c.get_script_list(bk_biz_id=BIZ, bk_username="alice")),
    ("get_public_script_list", True, lambda c: c.get_public_script_list(bk_username="alice")),
    (
        "get_script_detail",
        True,
        lambda c: c.get_script_detail(bk_biz_id=BIZ, id=6862, bk_username="alice"),
    ),
    ("get_os_account", True, lambda c: c.get_os_account(bk_biz_id=BIZ, bk_username="alice")),
    (
        "get_own_db_account_list",
        True,
        lambda c: c.get_own_db_account_list(bk_biz_id=BIZ, bk_username="alice"),
    ),
    (
        "fast_execute_script",
        False,
        lambda c: c.fast_execute_script(
            bk_biz_id=BIZ,
            account="root",
            target_server=WEB11,
            script_content="uptime",
            script_type=ScriptType.SHELL,
            bk_username="alice",
        ),
    ),
    (
        "fast_push_file",
        False,
        lambda c: c.fast_push_file(
            bk_biz_id=BIZ,
            file_target_path="/tmp/",
            file_source=[
                FileSource(
                    files=["/data/pkg/web-1.4.2.tar.gz"],
                    account="root",
                    target_server=TargetServer(ip_list=[IP(bk_cloud_id=0, ip="10.0.0.10")]),
                )
            ],
            account="root",
            target_server=WEB11,
            bk_username="alice",
        ),
    ),
    (
        "fast_execute_sql",
        False,
        lambda c: c.fast_execute_sql(
            bk_biz_id=BIZ,
            db_account_id=1000,
            target_server=DB,
            script_content="select 1;",
            bk_username="alice",
        ),
    ),
    (
        "execute_job",
        False,
        lambda c: c.execute_job(bk_biz_id=BIZ, bk_job_id=1000123, bk_username="alice"),
    ),
    (
        "operate_job_instance",
        False,
        lambda c: c.operate_job_instance(
            bk_biz_id=BIZ,
            job_instance_id=SEEDED_INSTANCE,
            operation_code=JobOperation.TERMINATE,
            bk_username="alice",
        ),
    ),
    (
        "operate_step_instance",
        False,
        lambda c: c.operate_step_instance(
            bk_biz_id=BIZ,
            job_instance_id=SEEDED_INSTANCE,
            step_instance_id=SEEDED_STEP,
            operation_code=StepOperation.RETRY_FAILED,
            bk_username="alice",
        ),
    ),
    (
        "get_job_instance_log",
        True,
        lambda c: c.get_job_instance_log(
            bk_biz_id=BIZ, job_instance_id=SEEDED_INSTANCE, bk_username="alice"
        ),
    ),
    (
        "get_job_instance_status",
        True,
        lambda c: c.get_job_instance_status(
            bk_biz_id=BIZ, job_instance_id=SEEDED_INSTANCE, bk_username="alice"
        ),
    ),
    ("get_cron_list", True, lambda c: c.get_cron_list(bk_biz_id=BIZ, bk_username="alice")),
    (
        "update_cron_status",
        False,
        lambda c: c.change_cron_status(
            bk_biz_id=BIZ, cron_id=1000066, cron_status=CronStatus.PAUSED, bk_username="alice"
        ),
    ),
    (
        "save_cron",
        False,
        lambda c: c.save_cron(
            bk_biz_id=BIZ, cron_id=1000066, cron_name="nightly cleanup v2", bk_username="alice"
        ),
    ),
]


async def test_a_trailing_slash_on_the_base_url_is_not_doubled(
    transport: Transport, wire: Wire, sandbox_url: str
) -> None:
    client = JobClient(transport, base_url=sandbox_url + "/")
    await client.get_os_account(bk_biz_id=BIZ, bk_username="alice")
    assert str(wire.requests[-1][1]) == f"{sandbox_url}/api/c/compapi/v2/job/get_os_account/"


def test_every_method_is_covered_once() -> None:
    methods = {name for name in dir(JobClient) if not name.startswith("_")}
    assert len(EVERY_METHOD) == len(methods) == 18


@pytest.mark.parametrize(
    ("operation", "read", "invoke"), EVERY_METHOD, ids=[op for op, _, _ in EVERY_METHOD]
)
async def test_every_method_posts_json_to_its_component_with_the_scope(
    operation: str, read: bool, invoke: Invoke, job_client: JobClient, wire: Wire
) -> None:
    # Terminating the finished seeded run is refused; the request itself was valid.
    with suppress(BKInvalidOperation):
        await invoke(job_client)
    method, url, body = wire.requests[-1]
    assert method == "POST"
    assert url.path == f"/api/c/compapi/v2/job/{operation}/"
    assert body is not None
    assert body["bk_app_code"] == "bkchatops"
    if operation != "get_public_script_list":
        assert (body["bk_biz_id"], body["bk_scope_type"], body["bk_scope_id"]) == (2, "biz", "2")


@pytest.mark.parametrize(
    ("operation", "read", "invoke"), EVERY_METHOD, ids=[op for op, _, _ in EVERY_METHOD]
)
async def test_reads_are_retried_after_a_5xx_and_work_is_never_sent_twice(
    operation: str,
    read: bool,
    invoke: Invoke,
    job_client: JobClient,
    sandbox: Sandbox,
    wire: Wire,
    retry_delays: list[float],
) -> None:
    sandbox.faults.inject(operation, FaultKind.HTTP_STATUS, status=503, times=1)
    if read:
        assert await invoke(job_client) is not None
        assert len(wire.requests) == 2
        assert len(retry_delays) == 1
    else:
        with pytest.raises(BKServerError):
            await invoke(job_client)
        assert len(wire.requests) == 1
        assert retry_delays == []
