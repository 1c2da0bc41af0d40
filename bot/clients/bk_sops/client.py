"""SopsClient: one async method per BK-SOPS API, over the API gateway or the legacy ESB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, Literal

from pydantic import BaseModel, JsonValue, TypeAdapter

from bot.clients._http import AuthStyle, Call, Transport, build_request, decode, dump_request
from bot.clients.bk_sops.cron import CronSpec
from bot.clients.bk_sops.enums import FlowType, GroupBy, OperateAction, Scope, TemplateSource
from bot.clients.bk_sops.models import (
    Ack,
    Constant,
    CreatedTask,
    CreatePeriodicTaskRequest,
    CreateTaskRequest,
    GetPeriodicTaskInfoRequest,
    GetPeriodicTaskListRequest,
    GetTaskDetailRequest,
    GetTaskNodeDetailRequest,
    GetTaskStatusRequest,
    GetTemplateInfoRequest,
    GetTemplateListRequest,
    ModifyConstantsForPeriodicTaskRequest,
    ModifyCronForPeriodicTaskRequest,
    NodeCallbackRequest,
    OperateTaskRequest,
    PeriodicTask,
    PeriodicTaskCron,
    PeriodicTaskEnabled,
    PeriodicTaskSummary,
    QueryTaskCountRequest,
    SetPeriodicTaskEnabledRequest,
    StartedTask,
    StartTaskRequest,
    TaskCount,
    TaskCountConditions,
    TaskDetail,
    TaskNodeDetail,
    TaskStatus,
    TemplateInfo,
    TemplateSummary,
)

__all__ = ["ESB_PREFIX", "SopsClient"]

SYSTEM: Final = "bk_sops"
# bk-sops §1.1: the ESB component system is "sops", not "bk_sops"
ESB_PREFIX = "/api/c/compapi/v2/sops"

_TEMPLATE_LIST = TypeAdapter(list[TemplateSummary])
_PERIODIC_LIST = TypeAdapter(list[PeriodicTaskSummary])
_CONSTANTS = TypeAdapter(dict[str, Constant])

# Gateway path ids in path order (bk-sops §0: the template/task id comes before bk_biz_id).
_TEMPLATE_PATH = ("template_id", "bk_biz_id")
_TASK_PATH = ("task_id", "bk_biz_id")
_BIZ_PATH = ("bk_biz_id",)


class SopsClient:
    """Typed client for the 16 BK-SOPS APIs the bot uses (bk-sops §0).

    With ``gateway_url`` (the stage URL, e.g. ``https://bkapi.example.com/api/bk-sops/prod``)
    calls take the gateway form: ``{gateway_url}/<api>/<id>/<bk_biz_id>/`` with the ids only in
    the path and credentials in the ``X-Bkapi-Authorization`` header. Otherwise they take the
    legacy ESB form ``{esb_url}/api/c/compapi/v2/sops/<api>/`` with ids and credentials as
    ordinary parameters. Every method acts as ``bk_username``; BK-SOPS checks that user's IAM
    permissions (bk-sops §1.2).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        esb_url: str | None = None,
        gateway_url: str | None = None,
    ) -> None:
        if not esb_url and not gateway_url:
            raise ValueError("SopsClient needs esb_url, gateway_url or both")
        self._transport = transport
        self._esb_url = esb_url.rstrip("/") if esb_url else None
        self._gateway_url = gateway_url.rstrip("/") if gateway_url else None

    @property
    def uses_gateway(self) -> bool:
        """Whether calls go through the API gateway (else the legacy ESB)."""
        return self._gateway_url is not None

    def _call(
        self,
        operation: str,
        method: Literal["GET", "POST"],
        request: BaseModel,
        *,
        path: tuple[str, ...],
        read: bool,
        on_gateway: bool = True,
    ) -> Call:
        # GET params become the query and POST params the JSON body, which is also where
        # scope must go (bk-sops §1.3).
        params = dump_request(request)
        if self._gateway_url is not None and (on_gateway or self._esb_url is None):
            ids = "/".join(str(params.pop(name)) for name in path)
            return Call(
                system=SYSTEM,
                operation=operation,
                method=method,
                url=f"{self._gateway_url}/{operation}/{ids}/",
                params=params,
                read=read,
                auth=AuthStyle.HEADER,
            )
        return Call(
            system=SYSTEM,
            operation=operation,
            method=method,
            url=f"{self._esb_url}{ESB_PREFIX}/{operation}/",
            params=params,
            read=read,
            auth=AuthStyle.PARAMS,
        )

    # ------------------------------------------------------------------------------ templates

    async def get_template_list(
        self,
        *,
        bk_biz_id: int,
        bk_username: str,
        template_source: TemplateSource | None = None,
        id_in: Sequence[int] | None = None,
        name_keyword: str | None = None,
        include_executor_proxy: bool | None = None,
        include_notify: bool | None = None,
        include_labels: bool | None = None,
        expected_timezone: str | None = None,
        scope: Scope | None = None,
    ) -> list[TemplateSummary]:
        """get_template_list: list the project's (or all common) templates; no paging."""
        req = build_request(
            GetTemplateListRequest,
            system=SYSTEM,
            operation="get_template_list",
            bk_biz_id=bk_biz_id,
            template_source=template_source,
            id_in=id_in,
            name_keyword=name_keyword,
            include_executor_proxy=include_executor_proxy,
            include_notify=include_notify,
            include_labels=include_labels,
            expected_timezone=expected_timezone,
            scope=scope,
        )
        call = self._call("get_template_list", "GET", req, path=_BIZ_PATH, read=True)
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, _TEMPLATE_LIST, call)

    async def get_template_info(
        self,
        *,
        template_id: int,
        bk_biz_id: int,
        bk_username: str,
        template_source: TemplateSource | None = None,
        include_constants: bool | None = None,
        include_subprocess: bool | None = None,
        include_executor_proxy: bool | None = None,
        include_notify: bool | None = None,
        include_webhook: bool | None = None,
        unfold_subprocess: bool | None = None,
        scope: Scope | None = None,
    ) -> TemplateInfo:
        """get_template_info: one template with its pipeline tree and variables."""
        req = build_request(
            GetTemplateInfoRequest,
            system=SYSTEM,
            operation="get_template_info",
            template_id=template_id,
            bk_biz_id=bk_biz_id,
            template_source=template_source,
            include_constants=include_constants,
            include_subprocess=include_subprocess,
            include_executor_proxy=include_executor_proxy,
            include_notify=include_notify,
            include_webhook=include_webhook,
            unfold_subprocess=unfold_subprocess,
            scope=scope,
        )
        call = self._call("get_template_info", "GET", req, path=_TEMPLATE_PATH, read=True)
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, TemplateInfo, call)

    # ---------------------------------------------------------------------------------- tasks

    async def create_task(
        self,
        *,
        template_id: int,
        bk_biz_id: int,
        name: str,
        bk_username: str,
        template_source: TemplateSource | None = None,
        constants: Mapping[str, JsonValue] | None = None,
        flow_type: FlowType | None = None,
        exclude_task_nodes_id: Sequence[str] | None = None,
        execute_task_nodes_id: Sequence[str] | None = None,
        template_schemes_id: int | str | Sequence[int | str] | None = None,
        simplify_vars: Sequence[str] | None = None,
        description: str | None = None,
        callback_url: str | None = None,
        callback_version: Literal["v2"] | None = None,
        scope: Scope | None = None,
    ) -> CreatedTask:
        """create_task: create a task from a template (state CREATED; it is not started)."""
        req = build_request(
            CreateTaskRequest,
            system=SYSTEM,
            operation="create_task",
            template_id=template_id,
            bk_biz_id=bk_biz_id,
            name=name,
            template_source=template_source,
            constants=constants,
            flow_type=flow_type,
            exclude_task_nodes_id=exclude_task_nodes_id,
            execute_task_nodes_id=execute_task_nodes_id,
            template_schemes_id=template_schemes_id,
            simplify_vars=simplify_vars,
            description=description,
            callback_url=callback_url,
            callback_version=callback_version,
            scope=scope,
        )
        call = self._call("create_task", "POST", req, path=_TEMPLATE_PATH, read=False)
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, CreatedTask, call)

    async def start_task(
        self, *, task_id: int, bk_biz_id: int, bk_username: str, scope: Scope | None = None
    ) -> StartedTask:
        """start_task: queue the start of a created task; it reports CREATED for a moment."""
        req = build_request(
            StartTaskRequest,
            system=SYSTEM,
            operation="start_task",
            task_id=task_id,
            bk_biz_id=bk_biz_id,
            scope=scope,
        )
        call = self._call("start_task", "POST", req, path=_TASK_PATH, read=False)
        env = await self._transport.call(call, bk_username=bk_username)
        started = decode(env, StartedTask, call) if env.data is not None else StartedTask()
        if started.task_url is None:
            # bk-sops §3.4: task_url is repeated at the top level of the envelope
            started.task_url = env.task_url
        return started

    async def operate_task(
        self,
        *,
        task_id: int,
        bk_biz_id: int,
        action: OperateAction,
        bk_username: str,
        scope: Scope | None = None,
    ) -> Ack:
        """operate_task: start, pause, resume or revoke a task (revoke cannot be undone)."""
        req = build_request(
            OperateTaskRequest,
            system=SYSTEM,
            operation="operate_task",
            task_id=task_id,
            bk_biz_id=bk_biz_id,
            action=action,
            scope=scope,
        )
        call = self._call("operate_task", "POST", req, path=_TASK_PATH, read=False)
        env = await self._transport.call(call, bk_username=bk_username)
        # bk-sops §3.5: the success answer carries no data
        return Ack(message=env.message, trace_id=env.trace_id, request_id=env.request_id)

    async def node_callback(
        self,
        *,
        task_id: int,
        bk_biz_id: int,
        node_id: str,
        bk_username: str,
        callback_data: Mapping[str, JsonValue] | None = None,
        version: str | None = None,
        scope: Scope | None = None,
    ) -> Ack:
        """node_callback: answer a node waiting for a callback (pause_node, bk_approve).

        Pass the node's ``version`` from the status tree so a stale execution is not answered.
        """
        req = build_request(
            NodeCallbackRequest,
            system=SYSTEM,
            operation="node_callback",
            task_id=task_id,
            bk_biz_id=bk_biz_id,
            node_id=node_id,
            callback_data=callback_data,
            version=version,
            scope=scope,
        )
        call = self._call("node_callback", "POST", req, path=_TASK_PATH, read=False)
        env = await self._transport.call(call, bk_username=bk_username)
        # bk-sops §3.6: the success answer carries no data
        return Ack(message=env.message, trace_id=env.trace_id, request_id=env.request_id)

    async def get_task_status(
        self,
        *,
        task_id: int,
        bk_biz_id: int,
        bk_username: str,
        subprocess_id: str | None = None,
        with_ex_data: bool = False,
        with_failed_node_info: bool = False,
        with_auto_retry_status: bool = False,
        scope: Scope | None = None,
    ) -> TaskStatus:
        """get_task_status: the task state and the tree of started nodes (cached 10 s)."""
        # bk-sops §1.5: these flags are on whenever present, so "off" means "not sent"
        req = build_request(
            GetTaskStatusRequest,
            system=SYSTEM,
            operation="get_task_status",
            task_id=task_id,
            bk_biz_id=bk_biz_id,
            subprocess_id=subprocess_id,
            with_ex_data=True if with_ex_data else None,
            with_failed_node_info=True if with_failed_node_info else None,
            with_auto_retry_status=True if with_auto_retry_status else None,
            scope=scope,
        )
        call = self._call("get_task_status", "GET", req, path=_TASK_PATH, read=True)
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, TaskStatus, call)

    async def get_task_detail(
        self,
        *,
        task_id: int,
        bk_biz_id: int,
        bk_username: str,
        include_webhook_history: bool | None = None,
        scope: Scope | None = None,
    ) -> TaskDetail:
        """get_task_detail: task metadata, variables, outputs and tree (cached 60 s)."""
        req = build_request(
            GetTaskDetailRequest,
            system=SYSTEM,
            operation="get_task_detail",
            task_id=task_id,
            bk_biz_id=bk_biz_id,
            include_webhook_history=include_webhook_history,
            scope=scope,
        )
        call = self._call("get_task_detail", "GET", req, path=_TASK_PATH, read=True)
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, TaskDetail, call)

    async def get_task_node_detail(
        self,
        *,
        task_id: int,
        bk_biz_id: int,
        node_id: str,
        bk_username: str,
        component_code: str | None = None,
        subprocess_stack: Sequence[str] | None = None,
        loop: int | None = None,
        scope: Scope | None = None,
    ) -> TaskNodeDetail:
        """get_task_node_detail: one node's inputs, outputs, error and earlier attempts."""
        req = build_request(
            GetTaskNodeDetailRequest,
            system=SYSTEM,
            operation="get_task_node_detail",
            task_id=task_id,
            bk_biz_id=bk_biz_id,
            node_id=node_id,
            component_code=component_code,
            subprocess_stack=subprocess_stack,
            loop=loop,
            scope=scope,
        )
        call = self._call("get_task_node_detail", "GET", req, path=_TASK_PATH, read=True)
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, TaskNodeDetail, call)

    async def query_task_count(
        self,
        *,
        bk_biz_id: int,
        group_by: GroupBy,
        bk_username: str,
        conditions: TaskCountConditions | None = None,
        scope: Scope | None = None,
    ) -> TaskCount:
        """query_task_count: count the project's tasks grouped by status, category, … .

        Not a gateway resource (bk-sops §3.10): a client with both URLs sends it through ESB.
        A gateway-only client calls ``/query_task_count/<bk_biz_id>/`` and, where the operator
        has not published it, raises ``BKEndpointNotFound`` — treat the count as optional.
        """
        req = build_request(
            QueryTaskCountRequest,
            system=SYSTEM,
            operation="query_task_count",
            bk_biz_id=bk_biz_id,
            group_by=group_by,
            conditions=conditions,
            scope=scope,
        )
        call = self._call(
            "query_task_count", "POST", req, path=_BIZ_PATH, read=True, on_gateway=False
        )
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, TaskCount, call)

    # ------------------------------------------------------------------------- periodic tasks

    async def get_periodic_task_list(
        self,
        *,
        bk_biz_id: int,
        bk_username: str,
        include_edit_info: bool | None = None,
        expected_timezone: str | None = None,
        scope: Scope | None = None,
    ) -> list[PeriodicTaskSummary]:
        """get_periodic_task_list: the project's periodic tasks, newest first; no paging."""
        req = build_request(
            GetPeriodicTaskListRequest,
            system=SYSTEM,
            operation="get_periodic_task_list",
            bk_biz_id=bk_biz_id,
            include_edit_info=include_edit_info,
            expected_timezone=expected_timezone,
            scope=scope,
        )
        call = self._call("get_periodic_task_list", "GET", req, path=_BIZ_PATH, read=True)
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, _PERIODIC_LIST, call)

    async def get_periodic_task_info(
        self,
        *,
        task_id: int,
        bk_biz_id: int,
        bk_username: str,
        include_edit_info: bool | None = None,
        scope: Scope | None = None,
    ) -> PeriodicTask:
        """get_periodic_task_info: one periodic task with its visible variables and tree."""
        req = build_request(
            GetPeriodicTaskInfoRequest,
            system=SYSTEM,
            operation="get_periodic_task_info",
            task_id=task_id,
            bk_biz_id=bk_biz_id,
            include_edit_info=include_edit_info,
            scope=scope,
        )
        call = self._call("get_periodic_task_info", "GET", req, path=_TASK_PATH, read=True)
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, PeriodicTask, call)

    async def create_periodic_task(
        self,
        *,
        template_id: int,
        bk_biz_id: int,
        name: str,
        cron: CronSpec,
        bk_username: str,
        template_source: TemplateSource | None = None,
        constants: Mapping[str, JsonValue] | None = None,
        exclude_task_nodes_id: Sequence[str] | None = None,
        include_edit_info: bool | None = None,
        scope: Scope | None = None,
    ) -> PeriodicTask:
        """create_periodic_task: create a periodic task — **disabled**; enable it separately.

        The schedule runs in the project's time zone; there is no time-zone field (§3.13).
        """
        req = build_request(
            CreatePeriodicTaskRequest,
            system=SYSTEM,
            operation="create_periodic_task",
            template_id=template_id,
            bk_biz_id=bk_biz_id,
            name=name,
            cron=cron,
            template_source=template_source,
            constants=constants,
            exclude_task_nodes_id=exclude_task_nodes_id,
            include_edit_info=include_edit_info,
            scope=scope,
        )
        call = self._call("create_periodic_task", "POST", req, path=_TEMPLATE_PATH, read=False)
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, PeriodicTask, call)

    async def set_periodic_task_enabled(
        self,
        *,
        task_id: int,
        bk_biz_id: int,
        enabled: bool,
        bk_username: str,
        scope: Scope | None = None,
    ) -> PeriodicTaskEnabled:
        """set_periodic_task_enabled: enable or disable a periodic task (idempotent).

        ``enabled`` is required: the server reads a missing value as ``false`` (§3.14).
        """
        req = build_request(
            SetPeriodicTaskEnabledRequest,
            system=SYSTEM,
            operation="set_periodic_task_enabled",
            task_id=task_id,
            bk_biz_id=bk_biz_id,
            enabled=enabled,
            scope=scope,
        )
        call = self._call("set_periodic_task_enabled", "POST", req, path=_TASK_PATH, read=False)
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, PeriodicTaskEnabled, call)

    async def modify_cron_for_periodic_task(
        self,
        *,
        task_id: int,
        bk_biz_id: int,
        cron: CronSpec,
        bk_username: str,
        scope: Scope | None = None,
    ) -> PeriodicTaskCron:
        """modify_cron_for_periodic_task: replace the schedule (all five fields are sent)."""
        req = build_request(
            ModifyCronForPeriodicTaskRequest,
            system=SYSTEM,
            operation="modify_cron_for_periodic_task",
            task_id=task_id,
            bk_biz_id=bk_biz_id,
            cron=cron,
            scope=scope,
        )
        call = self._call("modify_cron_for_periodic_task", "POST", req, path=_TASK_PATH, read=False)
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, PeriodicTaskCron, call)

    async def modify_constants_for_periodic_task(
        self,
        *,
        task_id: int,
        bk_biz_id: int,
        constants: Mapping[str, JsonValue],
        bk_username: str,
        scope: Scope | None = None,
    ) -> dict[str, Constant]:
        """modify_constants_for_periodic_task: set variable values for future runs.

        Unknown keys are ignored by the server; the answer is the complete constants map.
        """
        req = build_request(
            ModifyConstantsForPeriodicTaskRequest,
            system=SYSTEM,
            operation="modify_constants_for_periodic_task",
            task_id=task_id,
            bk_biz_id=bk_biz_id,
            constants=constants,
            scope=scope,
        )
        call = self._call(
            "modify_constants_for_periodic_task", "POST", req, path=_TASK_PATH, read=False
        )
        env = await self._transport.call(call, bk_username=bk_username)
        return decode(env, _CONSTANTS, call)
