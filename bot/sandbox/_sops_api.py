"""The 16 BK-SOPS operations: project and IAM checks, request checking, then the engine."""

from __future__ import annotations

import copy
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

import yaml

from ._common import ApiError, JSONObj, as_bool, as_int, as_list, as_obj, fmt_sops, zone
from ._iam import Directory
from ._sops_engine import PeriodicTask, Project, Task, Template
from ._sops_world import PERIODIC_LIMIT, SopsWorld

__all__ = ["SOPS_OPERATIONS", "SopsApi", "SopsOp", "SopsRequest"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SopsOp:
    """Where an operation lives: HTTP method, path ids, IAM action, gateway resource or not."""

    method: str
    path_ids: tuple[str, ...]
    action: str
    on_gateway: bool = True


_T = ("template_id", "bk_biz_id")
_K = ("task_id", "bk_biz_id")
_B = ("bk_biz_id",)

# bk-sops §0 and §1.2.
SOPS_OPERATIONS: dict[str, SopsOp] = {
    "get_template_list": SopsOp("GET", _B, "project_view"),
    "get_template_info": SopsOp("GET", _T, "flow_view"),
    "create_task": SopsOp("POST", _T, "flow_create_task"),
    "start_task": SopsOp("POST", _K, "task_operate"),
    "operate_task": SopsOp("POST", _K, "task_operate"),
    "node_callback": SopsOp("POST", _K, "task_operate"),
    "get_task_status": SopsOp("GET", _K, "task_view"),
    "get_task_detail": SopsOp("GET", _K, "task_view"),
    "get_task_node_detail": SopsOp("GET", _K, "task_view"),
    # bk-sops §3.10: not declared on the gateway; reachable through ESB only.
    "query_task_count": SopsOp("POST", _B, "project_view", on_gateway=False),
    "get_periodic_task_list": SopsOp("GET", _B, "project_view"),
    "get_periodic_task_info": SopsOp("GET", _K, "periodic_task_view"),
    "create_periodic_task": SopsOp("POST", _T, "flow_create_periodic_task"),
    "set_periodic_task_enabled": SopsOp("POST", _K, "periodic_task_edit"),
    "modify_cron_for_periodic_task": SopsOp("POST", _K, "periodic_task_edit"),
    "modify_constants_for_periodic_task": SopsOp("POST", _K, "periodic_task_edit"),
}

FLOW_ACTIONS = (
    "flow_create",
    "flow_view",
    "flow_edit",
    "flow_delete",
    "flow_create_task",
    "flow_create_mini_app",
    "flow_create_periodic_task",
    "flow_create_clocked_task",
)
PERIODIC_ACTIONS = ("periodic_task_view", "periodic_task_delete", "periodic_task_edit")
_CALLBACK_URL = re.compile(r"^https?://\w.+$")
_CONSTANT_LABELS = {
    "input": "输入框",
    "textarea": "文本框",
    "int": "整数",
    "password": "密码",
    "select": "下拉框",
    "datetime": "日期时间",
    "ip": "IP选择器",
}
_STATUS_NAMES = {"CREATED": "未执行", "EXECUTING": "执行中", "FINISHED": "已完成"}
_FLOW_TYPE_NAMES = {"common": "默认任务流程", "common_func": "职能化任务流程"}
_METHOD_NAMES = {
    "app": "手动",
    "api": "API网关",
    "app_maker": "轻应用",
    "periodic": "周期任务",
    "clocked": "计划任务",
    "mobile": "移动端",
    "mcp": "MCP",
}
_CATEGORY_NAMES = {
    "OpsTools": "运维工具",
    "MonitorAlarm": "监控告警",
    "ConfManage": "配置管理",
    "DevTools": "开发工具",
    "EnterpriseIT": "企业IT",
    "OfficeApp": "办公应用",
    "Other": "其它",
    "Default": "默认分类",
}
_COUNT_FIELDS = {
    "template_id",
    "name",
    "creator",
    "executor",
    "create_time__gte",
    "create_time__lte",
    "start_time__gte",
    "start_time__lte",
    "is_started",
    "is_finished",
    "is_revoked",
    "id",
    "category",
    "flow_type",
    "create_method",
    "template_source",
}
_CELERY_FIELDS: dict[str, tuple[int, int, dict[str, int]]] = {
    "minute": (0, 59, {}),
    "hour": (0, 23, {}),
    "day_of_week": (
        0,
        6,
        {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
    ),
    "day_of_month": (1, 31, {}),
    "month_of_year": (1, 12, {}),
}


@dataclass
class SopsRequest:
    """One BK-SOPS call: who, which ids, which parameters, and its cache identity."""

    operation: str
    user: str
    ids: dict[str, int]
    params: JSONObj
    now: datetime
    cache_key: tuple[Any, ...] = ()
    resolved: Project | None = None

    @property
    def project(self) -> Project:
        """The project the path's bk_biz_id and `scope` resolved to (set by SopsApi)."""
        if self.resolved is None:
            raise RuntimeError("the request's project has not been resolved yet")
        return self.resolved

    def get(self, name: str) -> Any:
        return self.params.get(name)

    def flag(self, name: str) -> bool:
        return as_bool(self.params.get(name)) or False


def _invalid(message: str) -> ApiError:
    # bk-sops §1.6: request-validation errors carry no trace_id.
    return ApiError(3540000, f"task params is invalid: {message}", trace=False)


def _missing_data(message: str) -> ApiError:
    return ApiError(3540400, message, trace=False)


class SopsApi:
    """BK-SOPS behind the gateway or ESB."""

    def __init__(self, world: SopsWorld, directory: Directory) -> None:
        self.world = world
        self.directory = directory
        self._handlers: dict[str, Callable[[SopsRequest], JSONObj]] = {
            name: getattr(self, f"_op_{name}") for name in SOPS_OPERATIONS
        }

    def handle(self, req: SopsRequest) -> JSONObj:
        """Answer one operation with its body (without trace/request ids) or raise ApiError."""
        self.world.advance(req.now)
        op = SOPS_OPERATIONS[req.operation]
        scope = str(req.get("scope") or "cmdb_biz")
        biz = req.ids["bk_biz_id"]
        project = self.world.project_for(biz, scope)
        if project is None:
            raise _missing_data(f"project({biz}) with scope({scope}) does not exist.")
        req.resolved = project
        action = op.action
        if req.operation in ("get_template_info", "create_task", "create_periodic_task") and (
            req.get("template_source") == "common"
        ):
            action = "common_" + action
        self._require(req, action)
        return self._handlers[req.operation](req)

    def _require(self, req: SopsRequest, action: str) -> None:
        if not self.directory.allowed(req.user, req.project.biz_id, action):
            raise ApiError(3599999, f"iam authentication exception, please check, action:{action}")

    # ---- lookups -----------------------------------------------------------------------

    def _template(self, req: SopsRequest) -> Template:
        tid = req.ids["template_id"]
        source = req.get("template_source") or "business"
        if source not in ("business", "project", "common"):
            raise _invalid(f"template_source {source!r} is not supported")
        if source == "common":
            found = self.world.common_templates.get(tid)
        else:
            found = self.world.templates.get(tid)
            if found is not None and found.project_id != req.project.id:
                found = None
        if found is None:
            raise _missing_data(
                f"template[id={tid}] of project[project_id={req.project.id}, "
                f"biz_id={req.project.biz_id}] does not exist"
            )
        return found

    def _task(self, req: SopsRequest) -> Task:
        tid = req.ids["task_id"]
        task = self.world.tasks.get(tid)
        if task is None or task.project.id != req.project.id:
            raise _missing_data(f"数据不存在错误: task[id={tid}] does not exist")
        return task

    def _periodic(self, req: SopsRequest) -> PeriodicTask:
        tid = req.ids["task_id"]
        task = self.world.periodic.get(tid)
        if task is None or task.project.id != req.project.id:
            raise _missing_data(f"task({tid}) does not exist")
        return task

    def _zone(self, req: SopsRequest) -> tzinfo:
        name = req.get("expected_timezone")
        if not name:
            return req.project.tz
        try:
            return zone(str(name))
        except (KeyError, ValueError):
            raise ApiError(3546100, f"expected_timezone {name} is invalid") from None

    def _auth_actions(self, req: SopsRequest, actions: tuple[str, ...]) -> list[str]:
        return [a for a in actions if self.directory.allowed(req.user, req.project.biz_id, a)]

    # ---- templates (bk-sops §3.1, §3.2) -----------------------------------------------------

    def _template_row(self, req: SopsRequest, tpl: Template, tz: tzinfo) -> JSONObj:
        return {
            "id": tpl.id,
            "name": tpl.name,
            "category": tpl.category,
            "description": tpl.description,
            "creator": tpl.creator,
            "create_time": fmt_sops(tpl.create_time, tz),
            "editor": tpl.editor,
            "edit_time": fmt_sops(tpl.edit_time, tz),
            "project_id": req.project.id,
            "project_name": req.project.name,
            "bk_biz_id": req.project.biz_id,
            "bk_biz_name": req.project.biz_name,
        }

    def _op_get_template_list(self, req: SopsRequest) -> JSONObj:
        tz = self._zone(req)
        source = req.get("template_source") or "business"
        if source not in ("business", "project", "common"):
            raise _invalid(f"template_source {source!r} is not supported")
        if source == "common":
            templates = list(self.world.common_templates.values())
        else:
            templates = [t for t in self.world.templates.values() if t.project_id == req.project.id]
        id_in = req.get("id_in")
        if id_in:
            wanted = {as_int(part) for part in str(id_in).split(",") if part.strip()}
            if None in wanted:
                raise _invalid("id_in must be comma separated integers")
            templates = [t for t in templates if t.id in wanted]
        keyword = str(req.get("name_keyword") or "").lower()
        if keyword:
            templates = [t for t in templates if keyword in t.name.lower()]
        rows = []
        prefix = "common_" if source == "common" else ""
        for tpl in sorted(templates, key=lambda t: t.id):
            row = self._template_row(req, tpl, tz)
            row["auth_actions"] = self._auth_actions(req, tuple(prefix + a for a in FLOW_ACTIONS))
            if req.flag("include_executor_proxy"):
                row["executor_proxy"] = tpl.executor_proxy
            if req.flag("include_notify"):
                row["notify_type"] = copy.deepcopy(tpl.notify_type)
                row["notify_receivers"] = copy.deepcopy(tpl.notify_receivers)
            if req.flag("include_labels") and not tpl.is_common:
                row["labels"] = copy.deepcopy(tpl.labels)
            rows.append(row)
        return {"result": True, "code": 0, "data": rows}

    def _op_get_template_info(self, req: SopsRequest) -> JSONObj:
        tpl = self._template(req)
        data = self._template_row(req, tpl, req.project.tz)
        tree = copy.deepcopy(tpl.tree)
        fmt = req.get("format") or "json"
        if fmt == "yaml":
            data["pipeline_tree"] = yaml.safe_dump(tree, allow_unicode=True, sort_keys=False)
        elif fmt == "json":
            data["pipeline_tree"] = tree
        else:
            raise ApiError(3599999, f"format {fmt} is not supported")
        if req.flag("include_constants"):
            data["template_constants"] = _template_constants(tpl.tree)
        if req.flag("include_subprocess"):
            data["has_subprocess"] = False
            data["subprocess_has_update"] = False
        if req.flag("include_executor_proxy"):
            data["executor_proxy"] = tpl.executor_proxy
        if req.flag("include_notify"):
            data["notify_type"] = copy.deepcopy(tpl.notify_type)
            data["notify_receivers"] = copy.deepcopy(tpl.notify_receivers)
        if req.flag("include_webhook"):
            data["enable_webhook"] = False
            data["webhook_configs"] = {}
        return {"result": True, "code": 0, "data": data}

    # ---- tasks (bk-sops §3.3–§3.9) ------------------------------------------------------

    def _op_create_task(self, req: SopsRequest) -> JSONObj:
        name = req.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise _invalid("name is required and must be 1-100 characters")
        flow_type = req.get("flow_type") or "common"
        if flow_type not in ("common", "common_func"):
            raise _invalid(f"flow_type {flow_type!r} is not supported")
        constants = _obj_param(req, "constants")
        exclude = _str_list(req, "exclude_task_nodes_id")
        execute = _str_list(req, "execute_task_nodes_id")
        simplify = _str_list(req, "simplify_vars")
        schemes = req.get("template_schemes_id")
        if schemes not in (None, "", []) and (exclude or execute or req.get("pipeline_tree")):
            raise _invalid("template_schemes_id cannot be combined with node selections")
        callback_url = req.get("callback_url")
        if callback_url is not None and not (
            isinstance(callback_url, str) and _CALLBACK_URL.match(callback_url)
        ):
            raise _invalid("callback_url format is invalid")
        if req.get("pipeline_tree") is not None:
            raise _invalid("pipeline_tree is not supported by the sandbox")
        description = req.get("description")
        tpl = self._template(req)
        if schemes not in (None, "", []):
            raise _missing_data(f"template scheme {schemes} does not exist")
        if execute:
            # bk-sops §3.3: execute_task_nodes_id wins; the rest must be optional.
            exclude = [nid for nid in tpl.tree["activities"] if nid not in execute]
        task = self.world.new_task(
            project=req.project,
            template=tpl,
            name=name,
            creator=req.user,
            now=req.now,
            constants=constants,
            exclude=exclude,
            flow_type=str(flow_type),
            description=str(description or ""),
            simplify_vars=simplify,
        )
        task.callback_url = callback_url
        task.callback_version = str(req.get("callback_version") or "") or None
        log.info("sops task created", extra={"task_id": task.id, "bk_username": req.user})
        data: JSONObj = {
            "task_id": task.id,
            "task_url": task.task_url,
            "pipeline_tree": copy.deepcopy(task.tree),
        }
        if flow_type == "common_func":
            data["function_task_claim_url"] = task.task_url.replace("/execute/", "/claim/")
        return {"result": True, "code": 0, "data": data}

    def _op_start_task(self, req: SopsRequest) -> JSONObj:
        task = self._task(req)
        self._start(task, req)
        return {
            "result": True,
            "code": 0,
            "task_url": task.task_url,
            "data": {"task_url": task.task_url},
        }

    def _start(self, task: Task, req: SopsRequest) -> None:
        if task.flow_type == "common_func":
            raise ApiError(3545000, "task with current_flow:func_claim cannot be started")
        task.request_start(req.now, req.user)

    def _op_operate_task(self, req: SopsRequest) -> JSONObj:
        task = self._task(req)
        action = req.get("action")
        try:
            if action not in ("start", "pause", "resume", "revoke"):
                raise ApiError(3545000, "task command is invalid")
            if action == "start":
                self._start(task, req)
            elif not task.is_started:
                raise ApiError(3545000, "task not started")
            elif action == "pause":
                task.pause(req.now)
            elif action == "resume":
                task.resume(req.now)
            else:
                task.revoke(req.now)
        except ApiError as exc:
            exc.with_data = False
            raise
        return {"result": True, "code": 0, "message": "success"}

    def _op_node_callback(self, req: SopsRequest) -> JSONObj:
        task = self._task(req)
        node_id = req.get("node_id")
        if not isinstance(node_id, str) or not node_id:
            raise ApiError(3540000, "node_id is required", trace=False, with_data=False)
        raw_data = req.get("callback_data")
        data = as_obj(raw_data) if raw_data is not None else {}
        if data is None:
            raise ApiError(3540000, "callback_data must be an object", trace=False, with_data=False)
        version = req.get("version")
        try:
            task.callback(node_id, data, str(version) if version else None, req.user, req.now)
        except ApiError as exc:
            exc.with_data = False
            raise
        return {"result": True, "code": 0, "message": "success"}

    def _cached(self, req: SopsRequest) -> JSONObj | None:
        hit = self.world.cache.get(req.cache_key)
        if hit is not None and hit[0] > req.now:
            return copy.deepcopy(hit[1])
        return None

    def _op_get_task_status(self, req: SopsRequest) -> JSONObj:
        task = self._task(req)
        # bk-sops §1.7: cached per (path, user, query) for 10 s unless the task is CREATED.
        cached = self._cached(req)
        if cached is not None:
            return {"result": True, "code": 0, "message": "", "data": cached}
        subprocess_id = req.get("subprocess_id")
        if subprocess_id:
            act = task.tree["activities"].get(str(subprocess_id), {})
            data: JSONObj = {
                "start_time": None,
                "state": "CREATED",
                "retry": 0,
                "skip": 0,
                "finish_time": None,
                "elapsed_time": 0,
                "children": {},
                "name": act.get("name", ""),
            }
        else:
            # bk-sops §1.5: these two flags are on whenever present and non-empty.
            data = task.status_json(
                req.now,
                with_ex_data=bool(req.get("with_ex_data")),
                with_failed_info=bool(req.get("with_failed_node_info")),
            )
        if data.get("state") != "CREATED":
            self.world.cache[req.cache_key] = (
                req.now + timedelta(seconds=10),
                copy.deepcopy(data),
                task.id,
            )
        return {"result": True, "code": 0, "message": "", "data": data}

    def _op_get_task_detail(self, req: SopsRequest) -> JSONObj:
        task = self._task(req)
        cached = self._cached(req)
        if cached is not None:
            return {"result": True, "code": 0, "data": cached}
        data = task.detail_json(req.now)
        if req.flag("include_webhook_history"):
            data["task_webhook_history"] = []
        self.world.cache[req.cache_key] = (
            req.now + timedelta(seconds=60),
            copy.deepcopy(data),
            task.id,
        )
        return {"result": True, "code": 0, "data": data}

    def _op_get_task_node_detail(self, req: SopsRequest) -> JSONObj:
        task = self._task(req)
        node_id = req.get("node_id")
        if not isinstance(node_id, str) or not node_id:
            raise ApiError(3540000, "节点状态请求失败: node_id is required", trace=False)
        stack = req.get("subprocess_stack")
        if stack not in (None, ""):
            try:
                parsed = json.loads(stack) if isinstance(stack, str) else stack
            except ValueError:
                parsed = None
            if not isinstance(parsed, list):
                raise ApiError(3599999, "subprocess_stack is not a valid array json")
        loop = req.get("loop")
        if loop not in (None, "") and as_int(loop) is None:
            raise ApiError(3599999, "loop must be an integer")
        code = req.get("component_code")
        data = task.node_detail(node_id, req.now, str(code) if code else None)
        return {"result": True, "code": 0, "message": "", "data": data}

    def _op_query_task_count(self, req: SopsRequest) -> JSONObj:
        group_by = req.get("group_by")
        if group_by not in ("status", "category", "flow_type", "create_method"):
            raise _invalid("group_by must be one of status, category, flow_type, create_method")
        conditions = req.get("conditions")
        if conditions is None:
            conditions = {}
        conditions = as_obj(conditions)
        if conditions is None:
            raise _invalid("conditions must be an object")
        tasks = [t for t in self.world.tasks.values() if t.project.id == req.project.id]
        for key, value in conditions.items():
            if value == "":
                continue  # bk-sops §3.10: empty values are ignored
            if key not in _COUNT_FIELDS:
                raise ApiError(3599999, f"Cannot resolve keyword '{key}' into field")
            tasks = [t for t in tasks if _matches(t, key, value, req.project.tz)]
        groups: list[JSONObj]
        total = len(tasks)
        if group_by == "status":
            counts = dict.fromkeys(_STATUS_NAMES, 0)
            for t in tasks:
                # Quirk: a revoked task is not "finished", so it counts as EXECUTING.
                code = "FINISHED" if t.is_finished else "EXECUTING" if t.is_started else "CREATED"
                counts[code] += 1
            groups = [{"code": c, "name": _STATUS_NAMES[c], "value": v} for c, v in counts.items()]
        elif group_by == "flow_type":
            counts = dict.fromkeys(_FLOW_TYPE_NAMES, 0)
            for t in tasks:
                counts[t.flow_type] = counts.get(t.flow_type, 0) + 1
            groups = [
                {"code": c, "name": _FLOW_TYPE_NAMES.get(c, c), "value": v}
                for c, v in counts.items()
            ]
        elif group_by == "create_method":
            counts = dict.fromkeys(_METHOD_NAMES, 0)
            for t in tasks:
                counts[t.create_method] = counts.get(t.create_method, 0) + 1
            groups = [
                {"code": c, "name": _METHOD_NAMES.get(c, c), "value": v} for c, v in counts.items()
            ]
        else:
            counts = {}
            for t in tasks:
                counts[t.category] = counts.get(t.category, 0) + 1
            groups = [
                {"code": c, "name": _CATEGORY_NAMES.get(c, c), "value": v}
                for c, v in counts.items()
            ]
            total = 1  # bk-sops §3.10 quirk: always 1 for group_by=category
        return {"result": True, "code": 0, "data": {"total": total, "groups": groups}}

    # ---- periodic tasks (bk-sops §3.11–§3.16) ---------------------------------------------

    def _periodic_row(self, req: SopsRequest, task: PeriodicTask, tz: tzinfo) -> JSONObj:
        row: JSONObj = {
            "id": task.id,
            "name": task.name,
            "template_id": str(task.template_id),
            "template_source": task.template_source,
            "creator": task.creator,
            "cron": task.cron_text(),
            "enabled": task.enabled,
            "last_run_at": fmt_sops(task.last_run_at, tz) or "",
            "total_run_count": task.total_run_count,
        }
        return row

    def _edit_info(self, task: PeriodicTask, tz: tzinfo) -> JSONObj:
        return {
            "editor": task.editor,
            "edit_time": fmt_sops(task.edit_time, tz) or "",
            "is_latest": True,
        }

    def _periodic_info(self, req: SopsRequest, task: PeriodicTask) -> JSONObj:
        tz = req.project.tz
        data = self._periodic_row(req, task, tz)
        data["form"] = {
            key: copy.deepcopy(const)
            for key, const in task.tree["constants"].items()
            if const.get("show_type") == "show"
        }
        data["pipeline_tree"] = copy.deepcopy(task.tree)
        if req.flag("include_edit_info"):
            data.update(self._edit_info(task, tz))
        return data

    def _op_get_periodic_task_list(self, req: SopsRequest) -> JSONObj:
        tz = self._zone(req)
        tasks = [t for t in self.world.periodic.values() if t.project.id == req.project.id]
        tasks.sort(key=lambda t: (t.create_time, t.id), reverse=True)
        rows = []
        for task in tasks:
            row = self._periodic_row(req, task, tz)
            row["auth_actions"] = self._auth_actions(req, PERIODIC_ACTIONS)
            if req.flag("include_edit_info"):
                row.update(self._edit_info(task, tz))
            rows.append(row)
        return {"result": True, "code": 0, "data": rows}

    def _op_get_periodic_task_info(self, req: SopsRequest) -> JSONObj:
        return {"result": True, "code": 0, "data": self._periodic_info(req, self._periodic(req))}

    def _op_create_periodic_task(self, req: SopsRequest) -> JSONObj:
        name = req.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 50:
            raise _invalid("name is required and must be 1-50 characters")
        cron = as_obj(req.get("cron"))
        if cron is None:
            raise _invalid("cron is required and must be an object")
        constants = _obj_param(req, "constants")
        exclude = _str_list(req, "exclude_task_nodes_id")
        tpl = self._template(req)
        count = sum(1 for t in self.world.periodic.values() if t.project.id == req.project.id)
        if count >= PERIODIC_LIMIT:
            raise ApiError(3545000, f"Periodic task number reaches limit: {PERIODIC_LIMIT}")
        schedule = _celery_cron(cron)
        task = self.world.new_periodic(
            project=req.project,
            template=tpl,
            name=name,
            creator=req.user,
            now=req.now,
            cron=schedule,
            constants=constants,
            exclude=exclude,
        )
        # bk-sops §3.13: the API creates periodic tasks disabled.
        task.enabled = False
        return {"result": True, "code": 0, "data": self._periodic_info(req, task)}

    def _op_set_periodic_task_enabled(self, req: SopsRequest) -> JSONObj:
        task = self._periodic(req)
        # bk-sops §3.14: a call without `enabled` disables the task.
        raw = req.get("enabled") if "enabled" in req.params else False
        enabled = as_bool(raw)
        task.enabled = bool(raw) if enabled is None else enabled
        task.editor, task.edit_time = req.user, req.now
        return {"result": True, "code": 0, "data": {"enabled": task.enabled}}

    def _op_modify_cron_for_periodic_task(self, req: SopsRequest) -> JSONObj:
        task = self._periodic(req)
        raw = req.get("cron")
        cron = {} if raw is None else as_obj(raw)
        if cron is None:
            raise ApiError(3599999, "fail: cron must be an object")
        task.cron = _celery_cron(cron)
        task.editor, task.edit_time = req.user, req.now
        return {"result": True, "code": 0, "data": {"cron": task.cron_text()}}

    def _op_modify_constants_for_periodic_task(self, req: SopsRequest) -> JSONObj:
        task = self._periodic(req)
        raw = req.get("constants")
        constants = {} if raw is None else as_obj(raw)
        if constants is None:
            raise ApiError(3599999, "fail: constants must be an object")
        for key, value in constants.items():
            if key in task.tree["constants"]:
                task.tree["constants"][key]["value"] = value
        task.editor, task.edit_time = req.user, req.now
        return {"result": True, "code": 0, "data": copy.deepcopy(task.tree["constants"])}


# ---- helpers --------------------------------------------------------------------------


def _obj_param(req: SopsRequest, name: str) -> JSONObj:
    raw = req.get(name)
    if raw is None:
        return {}
    value = as_obj(raw)
    if value is None:
        raise _invalid(f"{name} must be an object")
    return value


def _str_list(req: SopsRequest, name: str) -> list[str]:
    raw = req.get(name)
    if raw in (None, ""):
        return []
    value = as_list(raw)
    if value is None or not all(isinstance(v, str) for v in value):
        raise _invalid(f"{name} must be a list of node ids")
    return [str(v) for v in value]


def _celery_cron(cron: JSONObj) -> dict[str, str]:
    """bk-sops §3.13: celery crontab fields, missing ones default to `*`."""
    out: dict[str, str] = {}
    for name, (low, high, names) in _CELERY_FIELDS.items():
        value = str(cron.get(name, "*")).strip() or "*"
        if not _celery_field_ok(value, low, high, names):
            raise ApiError(3599999, f"fail: invalid crontab {name}: {value!r}")
        out[name] = value
    return out


def _celery_field_ok(value: str, low: int, high: int, names: dict[str, int]) -> bool:
    for part in value.split(","):
        base, slash, step = part.partition("/")
        if slash and not (step.isdigit() and int(step) > 0):
            return False
        if base == "*":
            continue
        bounds = base.split("-", 1)
        values = [names.get(b.lower(), int(b) if b.isdigit() else -1) for b in bounds]
        if any(not low <= v <= high for v in values):
            return False
        if len(values) == 2 and values[0] > values[1]:
            return False
    return True


def _matches(task: Task, key: str, value: Any, tz: tzinfo) -> bool:
    if key in ("is_started", "is_finished", "is_revoked"):
        flag = as_bool(value)
        return bool(getattr(task, key)) == flag
    if key.endswith(("__gte", "__lte")):
        attr = key[:-5]
        moment = getattr(task, attr)
        try:
            bound = datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz)
        except ValueError:
            raise ApiError(3599999, f"fail: {key} must be YYYY-MM-DD HH:MM:SS") from None
        if moment is None:
            return False
        return bool(moment >= bound) if key.endswith("__gte") else bool(moment <= bound)
    attr_value = getattr(task, key)
    return str(attr_value) == str(value)


def _template_constants(tree: JSONObj) -> list[JSONObj]:
    """bk-sops §3.2 `template_constants`: referenced, non-output variables."""
    out = []
    texts = {
        nid: json.dumps(act.get("component", {}).get("data", {}), ensure_ascii=False)
        for nid, act in tree["activities"].items()
    }
    for key, const in tree["constants"].items():
        if const.get("source_type") == "component_outputs":
            continue
        # Hoisted inputs count their hooks; custom variables count the nodes that mention them.
        if const.get("source_type") == "component_inputs":
            users = set(const.get("source_info", {}))
        else:
            users = {nid for nid, text in texts.items() if key in text}
        gateway_refs = any(key in json.dumps(gw) for gw in tree["gateways"].values())
        if not users and not gateway_refs:
            continue
        if const.get("source_type") == "component_inputs":
            label = "节点输入"
        else:
            label = _CONSTANT_LABELS.get(const.get("custom_type", ""), "自定义变量")
        out.append(
            {
                "name": const.get("name", ""),
                "key": key,
                "show_type": const.get("show_type", "show"),
                "constant_type": label,
                "activity_count": len(users),
            }
        )
    return out
