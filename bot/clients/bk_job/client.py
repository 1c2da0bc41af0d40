"""JobClient: one async method per BK-Job v2 (ESB) component, acting as a named user."""

from __future__ import annotations

from datetime import date
from typing import Final

from pydantic import BaseModel, TypeAdapter

from bot.clients._envelope import Envelope
from bot.clients._http import Call, Transport, build_request, decode, dump_request
from bot.clients.bk_job.enums import CronStatus, JobOperation, ScriptType, StepOperation
from bot.clients.bk_job.models import (
    Cron,
    DBAccount,
    ExecuteJobRequest,
    FastExecuteScriptRequest,
    FastExecuteSQLRequest,
    FastPushFileRequest,
    FileSource,
    GetCronListRequest,
    GetJobDetailRequest,
    GetJobInstanceLogRequest,
    GetJobInstanceStatusRequest,
    GetJobListRequest,
    GetOSAccountRequest,
    GetOwnDBAccountListRequest,
    GetPublicScriptListRequest,
    GetScriptDetailRequest,
    GetScriptListRequest,
    GlobalVarValue,
    JobInstanceRef,
    JobInstanceStatus,
    JobLaunch,
    JobPlan,
    JobPlanDetail,
    ListOrEmpty,
    OperateJobInstanceRequest,
    OperateStepInstanceRequest,
    OSAccount,
    SaveCronRequest,
    Script,
    ScriptPage,
    StepInstanceRef,
    StepLog,
    TargetServer,
    UpdateCronStatusRequest,
)

__all__ = ["JobClient"]

_SYSTEM: Final = "bk_job"

_PLANS: TypeAdapter[list[JobPlan]] = TypeAdapter(ListOrEmpty[JobPlan])
_OS_ACCOUNTS: TypeAdapter[list[OSAccount]] = TypeAdapter(ListOrEmpty[OSAccount])
_DB_ACCOUNTS: TypeAdapter[list[DBAccount]] = TypeAdapter(ListOrEmpty[DBAccount])
_STEP_LOGS: TypeAdapter[list[StepLog]] = TypeAdapter(ListOrEmpty[StepLog])
# bk-job §5.16: an unknown cron_id may come back as ``[null]`` (unconfirmed).
_CRONS: TypeAdapter[list[Cron | None]] = TypeAdapter(ListOrEmpty[Cron | None])


class JobClient:
    """Typed BK-Job v2 client over ESB (bk-job §1–§5).

    Every call is made as ``bk_username`` (BK-Job checks that user's IAM rights), is sent as
    POST + JSON (§1.1) to ``{base_url}/api/c/compapi/v2/job/<name>/`` and names its business
    with ``bk_biz_id`` plus ``bk_scope_type``/``bk_scope_id`` (§2.3). Only ``get_*`` calls
    are retried by the transport; calls that start or change work are sent once.
    """

    def __init__(self, transport: Transport, *, base_url: str) -> None:
        self._transport = transport
        # ESB root (BK_COMPONENT_API_URL / BK_PAAS_HOST).
        self._base_url = base_url.rstrip("/")

    def _call(self, component: str, request: BaseModel, *, read: bool) -> Call:
        return Call(
            system=_SYSTEM,
            operation=component,
            method="POST",
            # bk-job §2.1: keep the trailing slash.
            url=f"{self._base_url}/api/c/compapi/v2/job/{component}/",
            params=dump_request(request),
            read=read,
        )

    async def _send(
        self, component: str, request: BaseModel, *, read: bool, bk_username: str
    ) -> tuple[Envelope, Call]:
        call = self._call(component, request, read=read)
        return await self._transport.call(call, bk_username=bk_username), call

    # ------------------------------------------------------------------ plans

    async def get_job_list(
        self,
        *,
        bk_biz_id: int,
        bk_username: str,
        name: str | None = None,
        creator: str | None = None,
        create_time_start: date | None = None,
        create_time_end: date | None = None,
        last_modify_user: str | None = None,
        last_modify_time_start: date | None = None,
        last_modify_time_end: date | None = None,
        start: int | None = None,
        length: int | None = None,
    ) -> list[JobPlan]:
        """get_job_list: list the business's execution plans (bk-job §5.1).

        ``name`` is a substring match; without ``length`` every plan is returned.
        """
        req = build_request(
            GetJobListRequest,
            system=_SYSTEM,
            operation="get_job_list",
            bk_biz_id=bk_biz_id,
            name=name,
            creator=creator,
            create_time_start=create_time_start,
            create_time_end=create_time_end,
            last_modify_user=last_modify_user,
            last_modify_time_start=last_modify_time_start,
            last_modify_time_end=last_modify_time_end,
            start=start,
            length=length,
        )
        env, call = await self._send("get_job_list", req, read=True, bk_username=bk_username)
        return decode(env, _PLANS, call)

    async def get_job_detail(
        self, *, bk_biz_id: int, bk_job_id: int, bk_username: str
    ) -> JobPlanDetail:
        """get_job_detail: one execution plan with its steps and global variables (§5.2).

        Password variables arrive decrypted: show ``PlanGlobalVar.display_value`` only.
        """
        req = build_request(
            GetJobDetailRequest,
            system=_SYSTEM,
            operation="get_job_detail",
            bk_biz_id=bk_biz_id,
            bk_job_id=bk_job_id,
        )
        env, call = await self._send("get_job_detail", req, read=True, bk_username=bk_username)
        return decode(env, JobPlanDetail, call)

    # ------------------------------------------------------------------ scripts and accounts

    async def get_script_list(
        self,
        *,
        bk_biz_id: int,
        bk_username: str,
        is_public: bool | None = None,
        return_script_content: bool | None = None,
        script_name: str | None = None,
        script_type: ScriptType | None = None,
        start: int | None = None,
        length: int | None = None,
    ) -> ScriptPage:
        """get_script_list: online versions of the business's scripts (bk-job §5.3).

        With ``return_script_content`` the user needs ``view_script`` on every row, else the
        whole call is denied. ``script_type`` None lists every language.
        """
        req = build_request(
            GetScriptListRequest,
            system=_SYSTEM,
            operation="get_script_list",
            bk_biz_id=bk_biz_id,
            is_public=is_public,
            return_script_content=return_script_content,
            script_name=script_name,
            script_type=script_type,
            start=start,
            length=length,
        )
        env, call = await self._send("get_script_list", req, read=True, bk_username=bk_username)
        return decode(env, ScriptPage, call)

    async def get_public_script_list(
        self,
        *,
        bk_username: str,
        return_script_content: bool | None = None,
        script_name: str | None = None,
        script_type: ScriptType | None = None,
        start: int | None = None,
        length: int | None = None,
    ) -> ScriptPage:
        """get_public_script_list: online versions of platform-wide scripts (bk-job §5.4).

        The only call without a business scope.
        """
        req = build_request(
            GetPublicScriptListRequest,
            system=_SYSTEM,
            operation="get_public_script_list",
            return_script_content=return_script_content,
            script_name=script_name,
            script_type=script_type,
            start=start,
            length=length,
        )
        env, call = await self._send(
            "get_public_script_list", req, read=True, bk_username=bk_username
        )
        return decode(env, ScriptPage, call)

    async def get_script_detail(self, *, bk_biz_id: int, id: int, bk_username: str) -> Script:
        """get_script_detail: one script version by its version ID (bk-job §5.5).

        Server 3.x leaves ``content`` null here; use ``get_script_list`` with
        ``return_script_content=True`` to read the text.
        """
        req = build_request(
            GetScriptDetailRequest,
            system=_SYSTEM,
            operation="get_script_detail",
            bk_biz_id=bk_biz_id,
            id=id,
        )
        env, call = await self._send("get_script_detail", req, read=True, bk_username=bk_username)
        return decode(env, Script, call)

    async def get_os_account(self, *, bk_biz_id: int, bk_username: str) -> list[OSAccount]:
        """get_os_account: the business's execution (OS) accounts (bk-job §5.6).

        Execution calls expect an account's ``alias``.
        """
        req = build_request(
            GetOSAccountRequest, system=_SYSTEM, operation="get_os_account", bk_biz_id=bk_biz_id
        )
        env, call = await self._send("get_os_account", req, read=True, bk_username=bk_username)
        return decode(env, _OS_ACCOUNTS, call)

    async def get_own_db_account_list(
        self,
        *,
        bk_biz_id: int,
        bk_username: str,
        start: int | None = None,
        length: int | None = None,
    ) -> list[DBAccount]:
        """get_own_db_account_list: DB accounts the user may use (bk-job §5.7).

        Server 3.x ignores ``start``/``length`` and returns every account.
        """
        req = build_request(
            GetOwnDBAccountListRequest,
            system=_SYSTEM,
            operation="get_own_db_account_list",
            bk_biz_id=bk_biz_id,
            start=start,
            length=length,
        )
        env, call = await self._send(
            "get_own_db_account_list", req, read=True, bk_username=bk_username
        )
        return decode(env, _DB_ACCOUNTS, call)

    # ------------------------------------------------------------------ starting work

    async def fast_execute_script(
        self,
        *,
        bk_biz_id: int,
        account: str,
        target_server: TargetServer,
        bk_username: str,
        script_id: int | None = None,
        script_content: str | None = None,
        script_type: ScriptType | None = None,
        script_param: str | None = None,
        script_timeout: int | None = None,
        is_param_sensitive: bool | None = None,
        task_name: str | None = None,
        bk_callback_url: str | None = None,
    ) -> JobLaunch:
        """fast_execute_script: run a script on hosts now (bk-job §5.8).

        Pass ``script_content`` and ``script_param`` as plain text (they are Base64-encoded
        on the wire) with ``script_type``, or a saved version's ``script_id``. ``account``
        is an OS account alias. Never retried.
        """
        req = build_request(
            FastExecuteScriptRequest,
            system=_SYSTEM,
            operation="fast_execute_script",
            bk_biz_id=bk_biz_id,
            account=account,
            target_server=target_server,
            script_id=script_id,
            script_content=script_content,
            script_type=script_type,
            script_param=script_param,
            script_timeout=script_timeout,
            is_param_sensitive=is_param_sensitive,
            task_name=task_name,
            bk_callback_url=bk_callback_url,
        )
        env, call = await self._send(
            "fast_execute_script", req, read=False, bk_username=bk_username
        )
        return decode(env, JobLaunch, call)

    async def fast_push_file(
        self,
        *,
        bk_biz_id: int,
        file_target_path: str,
        file_source: list[FileSource],
        account: str,
        target_server: TargetServer,
        bk_username: str,
        timeout: int | None = None,  # noqa: ASYNC109 - the wire field, not a deadline
        download_speed_limit: int | None = None,
        upload_speed_limit: int | None = None,
        task_name: str | None = None,
        bk_callback_url: str | None = None,
    ) -> JobLaunch:
        """fast_push_file: copy files from source hosts to target hosts (bk-job §5.9).

        ``account`` is the target-side alias; each source group names its own. Server files
        only on v2. Never retried.
        """
        req = build_request(
            FastPushFileRequest,
            system=_SYSTEM,
            operation="fast_push_file",
            bk_biz_id=bk_biz_id,
            file_target_path=file_target_path,
            file_source=file_source,
            account=account,
            target_server=target_server,
            timeout=timeout,
            download_speed_limit=download_speed_limit,
            upload_speed_limit=upload_speed_limit,
            task_name=task_name,
            bk_callback_url=bk_callback_url,
        )
        env, call = await self._send("fast_push_file", req, read=False, bk_username=bk_username)
        return decode(env, JobLaunch, call)

    async def fast_execute_sql(
        self,
        *,
        bk_biz_id: int,
        db_account_id: int,
        target_server: TargetServer,
        bk_username: str,
        script_id: int | None = None,
        script_content: str | None = None,
        script_timeout: int | None = None,
        task_name: str | None = None,
        bk_callback_url: str | None = None,
    ) -> JobLaunch:
        """fast_execute_sql: run SQL on DB hosts with a DB account (bk-job §5.10).

        Pass ``script_content`` as plain SQL (Base64-encoded on the wire) or a saved SQL
        version's ``script_id``. Never retried.
        """
        req = build_request(
            FastExecuteSQLRequest,
            system=_SYSTEM,
            operation="fast_execute_sql",
            bk_biz_id=bk_biz_id,
            db_account_id=db_account_id,
            target_server=target_server,
            script_id=script_id,
            script_content=script_content,
            script_timeout=script_timeout,
            task_name=task_name,
            bk_callback_url=bk_callback_url,
        )
        env, call = await self._send("fast_execute_sql", req, read=False, bk_username=bk_username)
        return decode(env, JobLaunch, call)

    async def execute_job(
        self,
        *,
        bk_biz_id: int,
        bk_job_id: int,
        bk_username: str,
        global_vars: list[GlobalVarValue] | None = None,
        bk_callback_url: str | None = None,
    ) -> JobLaunch:
        """execute_job: start an execution plan (bk-job §5.11).

        Variables not listed in ``global_vars`` keep their defaults. Never retried.
        """
        req = build_request(
            ExecuteJobRequest,
            system=_SYSTEM,
            operation="execute_job",
            bk_biz_id=bk_biz_id,
            bk_job_id=bk_job_id,
            global_vars=global_vars,
            bk_callback_url=bk_callback_url,
        )
        env, call = await self._send("execute_job", req, read=False, bk_username=bk_username)
        return decode(env, JobLaunch, call)

    # ------------------------------------------------------------------ operating runs

    async def operate_job_instance(
        self,
        *,
        bk_biz_id: int,
        job_instance_id: int,
        operation_code: JobOperation,
        bk_username: str,
    ) -> JobInstanceRef:
        """operate_job_instance: act on a whole job instance, e.g. terminate (bk-job §5.12).

        Asynchronous: poll ``get_job_instance_status``. Terminating a job waiting at a
        manual-confirmation step never finishes it: reject the step instead. Never retried.
        """
        req = build_request(
            OperateJobInstanceRequest,
            system=_SYSTEM,
            operation="operate_job_instance",
            bk_biz_id=bk_biz_id,
            job_instance_id=job_instance_id,
            operation_code=operation_code,
        )
        env, call = await self._send(
            "operate_job_instance", req, read=False, bk_username=bk_username
        )
        return decode(env, JobInstanceRef, call)

    async def operate_step_instance(
        self,
        *,
        bk_biz_id: int,
        job_instance_id: int,
        step_instance_id: int,
        operation_code: StepOperation,
        bk_username: str,
    ) -> StepInstanceRef:
        """operate_step_instance: retry, ignore, confirm, reject … one step (bk-job §5.13).

        ``StepInstance.valid_operations`` says which codes the server accepts now. Never
        retried.
        """
        req = build_request(
            OperateStepInstanceRequest,
            system=_SYSTEM,
            operation="operate_step_instance",
            bk_biz_id=bk_biz_id,
            job_instance_id=job_instance_id,
            step_instance_id=step_instance_id,
            operation_code=operation_code,
        )
        env, call = await self._send(
            "operate_step_instance", req, read=False, bk_username=bk_username
        )
        return decode(env, StepInstanceRef, call)

    # ------------------------------------------------------------------ watching runs

    async def get_job_instance_log(
        self, *, bk_biz_id: int, job_instance_id: int, bk_username: str
    ) -> list[StepLog]:
        """get_job_instance_log: the latest log of every step and host (bk-job §5.15).

        Logs come whole and HTML-escaped: read ``IPLog.text`` and truncate for display.
        """
        req = build_request(
            GetJobInstanceLogRequest,
            system=_SYSTEM,
            operation="get_job_instance_log",
            bk_biz_id=bk_biz_id,
            job_instance_id=job_instance_id,
        )
        env, call = await self._send(
            "get_job_instance_log", req, read=True, bk_username=bk_username
        )
        return decode(env, _STEP_LOGS, call)

    async def get_job_instance_status(
        self, *, bk_biz_id: int, job_instance_id: int, bk_username: str
    ) -> JobInstanceStatus:
        """get_job_instance_status: job, step and per-host status of an instance (§5.14)."""
        req = build_request(
            GetJobInstanceStatusRequest,
            system=_SYSTEM,
            operation="get_job_instance_status",
            bk_biz_id=bk_biz_id,
            job_instance_id=job_instance_id,
        )
        env, call = await self._send(
            "get_job_instance_status", req, read=True, bk_username=bk_username
        )
        return decode(env, JobInstanceStatus, call)

    # ------------------------------------------------------------------ crons

    async def get_cron_list(
        self,
        *,
        bk_biz_id: int,
        bk_username: str,
        cron_id: int | None = None,
        cron_name: str | None = None,
        cron_status: CronStatus | None = None,
        creator: str | None = None,
        create_time_start: date | None = None,
        create_time_end: date | None = None,
        last_modify_user: str | None = None,
        last_modify_time_start: date | None = None,
        last_modify_time_end: date | None = None,
        start: int | None = None,
        length: int = 10,
    ) -> list[Cron]:
        """get_cron_list: the business's crons (bk-job §5.16).

        ``length`` is always sent (Server 3.x defaults to 10, the legacy doc to all). With
        ``cron_id`` the other filters are ignored; an unknown ``cron_id`` gives ``[]``.
        """
        req = build_request(
            GetCronListRequest,
            system=_SYSTEM,
            operation="get_cron_list",
            bk_biz_id=bk_biz_id,
            cron_id=cron_id,
            cron_name=cron_name,
            cron_status=cron_status,
            creator=creator,
            create_time_start=create_time_start,
            create_time_end=create_time_end,
            last_modify_user=last_modify_user,
            last_modify_time_start=last_modify_time_start,
            last_modify_time_end=last_modify_time_end,
            start=start,
            length=length,
        )
        env, call = await self._send("get_cron_list", req, read=True, bk_username=bk_username)
        return [cron for cron in decode(env, _CRONS, call) if cron is not None]

    async def change_cron_status(
        self, *, bk_biz_id: int, cron_id: int, cron_status: CronStatus, bk_username: str
    ) -> Cron:
        """change_cron_status: enable or pause a cron, via the v2 ``update_cron_status``.

        ``change_cron_status`` is the retired v1 name; Job 3.x serves the v2 component
        ``update_cron_status`` (bk-job §5.17), which this calls. The answer carries only
        ``cron_id``; every other field is null. Enabling also needs the rights to launch
        the plan. Never retried.
        """
        req = build_request(
            UpdateCronStatusRequest,
            system=_SYSTEM,
            operation="update_cron_status",
            bk_biz_id=bk_biz_id,
            cron_id=cron_id,
            cron_status=cron_status,
        )
        env, call = await self._send("update_cron_status", req, read=False, bk_username=bk_username)
        return decode(env, Cron, call)

    async def save_cron(
        self,
        *,
        bk_biz_id: int,
        bk_username: str,
        cron_id: int | None = None,
        bk_job_id: int | None = None,
        cron_name: str | None = None,
        cron_expression: str | None = None,
    ) -> Cron:
        """save_cron: create a cron (no ``cron_id``) or update one (bk-job §5.18).

        Both create and update leave the cron **paused** (the v2 handler always saves it
        disabled): call ``change_cron_status`` with ENABLED afterwards if it should run.
        ``cron_expression`` is 5-field Linux crontab. Never retried.
        """
        req = build_request(
            SaveCronRequest,
            system=_SYSTEM,
            operation="save_cron",
            bk_biz_id=bk_biz_id,
            cron_id=cron_id,
            bk_job_id=bk_job_id,
            cron_name=cron_name,
            cron_expression=cron_expression,
        )
        env, call = await self._send("save_cron", req, read=False, bk_username=bk_username)
        return decode(env, Cron, call)
