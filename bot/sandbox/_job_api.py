"""The 18 BK-Job v2 operations: request checking in the server's order, then the engine."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ._common import (
    JOB_TZ,
    ApiError,
    JSONObj,
    as_bool,
    as_int,
    as_list,
    as_obj,
    fmt_job,
    parse_day,
)
from ._iam import Directory, job_permission
from ._job_engine import (
    Cron,
    FileSource,
    GlobalVar,
    Host,
    JobInstance,
    OperationRefused,
    Plan,
    Script,
    StepKind,
    StepSpec,
)
from ._job_world import BUSINESSES, JobWorld, plan_resource

__all__ = ["JOB_OPERATIONS", "JobApi"]

log = logging.getLogger(__name__)

JOB_OPERATIONS = (
    "get_job_list",
    "get_job_detail",
    "get_script_list",
    "get_public_script_list",
    "get_script_detail",
    "get_os_account",
    "get_own_db_account_list",
    "fast_execute_script",
    "fast_push_file",
    "fast_execute_sql",
    "execute_job",
    "operate_job_instance",
    "operate_step_instance",
    "get_job_instance_log",
    "get_job_instance_status",
    "get_cron_list",
    "update_cron_status",
    "save_cron",
)

MAX_TIMEOUT = 259200  # bk-job §8: Server 3.x accepts 1–259200 s
MAX_CONTENT = 16_777_215
_ABS_PATH = re.compile(r"^(/|[A-Za-z]:[\\/])")
_CALLBACK = re.compile(r"^https?://[^/@\s]+(/[^\s]*)?$")


@dataclass
class Request:
    """One Job call after ESB: who, in which business, with which parameters."""

    user: str
    params: JSONObj
    now: datetime
    biz_id: int = 0

    def get(self, name: str) -> Any:
        value = self.params.get(name)
        return None if value == "" else value


def _missing(name: str) -> ApiError:
    return ApiError(1241004, f"Missing parameter [{name}]")


def _invalid(name: str, code: int = 1241005) -> ApiError:
    if code == 1241007:
        return ApiError(code, f"Missing or invalid parameter [{name}]")
    return ApiError(code, f"Invalid parameter [{name}]")


def _long(
    req: Request,
    name: str,
    *,
    missing: int | None = None,
    invalid: int = 1241005,
    minimum: int | None = 1,
    default: int | None = None,
) -> int | None:
    raw = req.get(name)
    if raw is None:
        if missing is not None:
            raise _missing(name) if missing == 1241004 else _invalid(name, missing)
        return default
    value = as_int(raw)
    if value is None:
        raise ApiError(1241020, f"Parameter type mismatch [{name}]")
    if minimum is not None and value < minimum:
        raise _invalid(name, invalid)
    return value


def _text(req: Request, name: str) -> str | None:
    raw = req.get(name)
    if raw is None:
        return None
    if isinstance(raw, (dict, list)):
        raise ApiError(1241020, f"Parameter type mismatch [{name}]")
    return str(raw)


def _b64(req: Request, name: str, limit: int) -> str | None:
    # bk-job §4.3: script_content / script_param travel as Base64 of UTF-8 text.
    raw = _text(req, name)
    if raw is None:
        return None
    try:
        decoded = base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid(name) from None
    if len(decoded.encode()) > limit:
        raise _invalid(name)
    return decoded


@dataclass
class TargetRef:
    """A target selection as written in the request, before it is resolved."""

    ips: list[tuple[int, str]]
    groups: list[str]
    nodes: list[tuple[str, int]]
    field: str


class JobApi:
    """BK-Job v2 behind ESB: validates like Job 3.x and drives the job engine."""

    def __init__(self, world: JobWorld, directory: Directory) -> None:
        self.world = world
        self.directory = directory
        self._handlers: dict[str, Callable[[Request], Any]] = {
            name: getattr(self, f"_op_{name}") for name in JOB_OPERATIONS
        }

    def handle(self, operation: str, params: JSONObj, user: str, now: datetime) -> Any:
        """Answer one operation; returns `data` or raises ApiError."""
        self.world.advance(now)
        if not self.directory.exists(user):
            raise ApiError(1247001, f"User [{user}] does not exist or is not logged in")
        req = Request(user=user, params=params, now=now)
        if operation != "get_public_script_list":
            req.biz_id = self._scope(req)
            self._require(req, "access_business")
        return self._handlers[operation](req)

    # ---- shared checks ---------------------------------------------------------------

    def _scope(self, req: Request) -> int:
        # bk-job §2.3: scope fields win over bk_biz_id; one of the two is required.
        scope_type = req.get("bk_scope_type")
        scope_id = req.get("bk_scope_id")
        if scope_type is not None or scope_id is not None:
            if scope_type not in ("biz", "biz_set"):
                raise ApiError(1240003, "Invalid parameter: bk_scope_type must be biz or biz_set")
            biz = as_int(scope_id)
            if biz is None:
                raise ApiError(1240003, "Invalid parameter: bk_scope_id")
            if scope_type == "biz_set":
                raise ApiError(1243051, f"Scope [biz_set:{biz}] does not exist")
        else:
            raw = req.get("bk_biz_id")
            if raw is None:
                raise ApiError(1240003, "Invalid parameter: bk_scope_type/bk_scope_id is required")
            parsed = as_int(raw)
            if parsed is None:
                raise ApiError(1240003, "Invalid parameter: bk_biz_id")
            biz = parsed
            if 8000000 <= biz <= 9999999:  # bk-job §2.3: the business-set id range
                raise ApiError(1243051, f"Scope [biz_set:{biz}] does not exist")
        if biz not in BUSINESSES:
            raise ApiError(1243049, f"Business [{biz}] does not exist or has been archived")
        return biz

    def _require(self, req: Request, action: str, resource: JSONObj | None = None) -> None:
        if self.directory.allowed(req.user, req.biz_id, action):
            return
        biz_name = BUSINESSES.get(req.biz_id, str(req.biz_id))
        raise ApiError(
            9900403,
            f"User ({req.user}) has no permission for this operation; apply for it in IAM",
            permission=job_permission(action, req.biz_id, biz_name, resource),
        )

    def _paging(self, req: Request, default_length: int | None) -> tuple[int, int | None]:
        start = max(_long(req, "start", minimum=None, default=0) or 0, 0)
        length = _long(req, "length", minimum=None, default=default_length)
        return start, length

    def _timeout(self, req: Request, name: str) -> int:
        value = _long(req, name, minimum=None, default=7200)
        assert value is not None
        if not 1 <= value <= MAX_TIMEOUT:
            # bk-job §3: bean validation answers 1240003 and names the field.
            raise ApiError(
                1240003, f"Invalid parameter: {name} must be between 1 and {MAX_TIMEOUT}"
            )
        return value

    def _callback(self, req: Request) -> str | None:
        url = _text(req, "bk_callback_url")
        if url is not None and not _CALLBACK.match(url):
            raise ApiError(1240003, "Invalid parameter: bk_callback_url is not an acceptable URL")
        return url

    def _target_ref(self, source: JSONObj, field: str, *, required: bool = True) -> TargetRef:
        # bk-job §4.2: target_server wins; legacy ip_list / custom_query_id otherwise.
        server_raw = source.get("target_server")
        if server_raw is not None:
            server = as_obj(server_raw)
            if server is None:
                raise _invalid(f"{field}target_server", 1241007)
            ip_raw = server.get("ip_list")
            group_raw = server.get("dynamic_group_id_list")
            node_raw = server.get("topo_node_list")
        else:
            ip_raw = source.get("ip_list")
            group_raw = source.get("custom_query_id")
            node_raw = None
            if ip_raw is None and group_raw is None:
                if not required:
                    return TargetRef([], [], [], field)
                raise _invalid(f"{field}ip_list|custom_query_id|target_server", 1241007)
        ip_items: list[Any] = []
        if ip_raw is not None:
            listed = as_list(ip_raw)
            if listed is None:
                raise _invalid(f"{field}ip_list", 1241007)
            ip_items = listed
        ips: list[tuple[int, str]] = []
        for item in ip_items:
            obj = as_obj(item)
            ip = obj.get("ip") if obj else None
            cloud = as_int(obj.get("bk_cloud_id")) if obj else None
            if not isinstance(ip, str) or not ip.strip() or cloud is None or cloud < 0:
                raise _invalid(f"{field}ip_list", 1241007)
            ips.append((cloud, ip.strip()))
        groups: list[str] = []
        if group_raw is not None:
            group_list = as_list(group_raw)
            if group_list is None or not all(isinstance(g, str) for g in group_list):
                raise _invalid(f"{field}dynamic_group_id_list", 1241007)
            groups = [str(g) for g in group_list]
        nodes: list[tuple[str, int]] = []
        if node_raw is not None:
            node_list = as_list(node_raw)
            if node_list is None:
                raise _invalid(f"{field}topo_node_list", 1241007)
            for item in node_list:
                obj = as_obj(item)
                node_id = as_int(obj.get("id")) if obj else None
                node_type = obj.get("node_type") if obj else None
                if node_id is None or not isinstance(node_type, str):
                    raise _invalid(f"{field}topo_node_list", 1241007)
                nodes.append((node_type, node_id))
        if required and not (ips or groups or nodes):
            raise _invalid(f"{field}ip_list|custom_query_id|target_server", 1241007)
        return TargetRef(ips, groups, nodes, field)

    def _resolve(self, ref: TargetRef, biz: int) -> list[Host]:
        hosts: list[Host] = []
        unknown: list[str] = []
        foreign: list[str] = []
        for cloud, ip in ref.ips:
            host = self.world.host(ip, cloud)
            if host is None:
                unknown.append(f"{cloud}:{ip}")
            elif host.biz_id != biz:
                foreign.append(f"{cloud}:{ip}")
            else:
                hosts.append(host)
        if unknown:
            raise ApiError(1243052, f"IPs not found in CMDB: {', '.join(unknown)}")
        if foreign:
            raise ApiError(
                1244002, f"Hosts are invalid (not in business {biz}): {', '.join(foreign)}"
            )
        for group in ref.groups:
            found = self.world.dynamic_groups.get(group)
            if found is None or found[0] != biz:
                raise ApiError(1244030, f"Dynamic group [{group}] does not exist")
            hosts.extend(found[1])
        for node_type, node_id in ref.nodes:
            members = self.world.topology.get((biz, node_type, node_id))
            if members is None:
                raise ApiError(1244030, f"Topology node [{node_type}:{node_id}] does not exist")
            hosts.extend(members)
        unique: dict[int, Host] = {}
        for host in hosts:
            unique.setdefault(host.host_id, host)
        return list(unique.values())

    def _os_account(self, req: Request, alias: str) -> int:
        acc = self.world.account(req.biz_id, alias)
        if acc is None:
            raise ApiError(1244003, f"Account [{alias}] does not exist")
        return acc.id

    def _instance(self, req: Request) -> JobInstance:
        inst_id = _long(req, "job_instance_id", missing=1241007, invalid=1241007)
        inst = self.world.instances.get(inst_id or 0)
        if inst is None or inst.biz_id != req.biz_id:
            raise ApiError(1244006, f"Job instance [{inst_id}] does not exist")
        # Normally a no-op after `handle` advanced the agenda; it keeps a run that somehow
        # missed its agenda entry from looking frozen to whoever reads or operates it.
        self.world.touch(inst, req.now)
        return inst

    def _script_for_run(self, req: Request, script_id: int) -> Script:
        script = self.world.scripts.get(script_id)
        if script is None:
            raise ApiError(1243047, f"Script version [{script_id}] does not exist")
        if not script.public and script.biz_id != req.biz_id:
            raise ApiError(1243004, f"Script version [{script_id}] is not in this business")
        if script.status == 3:
            raise ApiError(1244014, f"Script version [{script_id}] is disabled and cannot run")
        if script.status != 1:
            raise ApiError(1244018, f"Script version [{script_id}] status does not allow running")
        return script

    def _default_name(self, label: str, now: datetime) -> str:
        # bk-job §4.6: `<type label>_<yyyyMMddHHmmssSSS>`.
        local = now.astimezone(JOB_TZ)
        return f"{label}_{local:%Y%m%d%H%M%S}{local.microsecond // 1000:03d}"

    # ---- plans -------------------------------------------------------------------------

    def _op_get_job_list(self, req: Request) -> Any:
        name = _text(req, "name")
        creator = _text(req, "creator")
        modifier = _text(req, "last_modify_user")
        bounds = {
            key: self._day(req, key)
            for key in (
                "create_time_start",
                "create_time_end",
                "last_modify_time_start",
                "last_modify_time_end",
            )
        }
        start, length = self._paging(req, None)
        rows: list[JSONObj] = []
        for plan in sorted(self.world.plans.values(), key=lambda p: p.id):
            if plan.biz_id != req.biz_id:
                continue
            if name and name.lower() not in plan.name.lower():
                continue
            if creator and plan.creator != creator:
                continue
            if modifier and plan.last_modify_user != modifier:
                continue
            if not _in_range(
                plan.create_time, bounds["create_time_start"], bounds["create_time_end"]
            ):
                continue
            if not _in_range(
                plan.last_modify_time,
                bounds["last_modify_time_start"],
                bounds["last_modify_time_end"],
            ):
                continue
            rows.append(_plan_row(plan))
        return _page(rows, start, length)

    def _day(self, req: Request, name: str) -> datetime | None:
        raw = _text(req, name)
        if raw is None:
            return None
        day = parse_day(raw)
        if day is None:
            raise _invalid(name)
        return day

    def _op_get_job_detail(self, req: Request) -> Any:
        plan_id = _long(req, "bk_job_id", missing=1241007, invalid=1241007)
        plan = self.world.plans.get(plan_id or 0)
        if plan is None or plan.biz_id != req.biz_id:
            raise ApiError(1243009, f"Job plan [{plan_id}] does not exist")
        self._require(req, "view_job_plan", plan_resource(plan))
        return {
            **_plan_row(plan),
            "template_id": plan.template_id,
            "steps": [self._step_detail(step) for step in plan.steps],
            "global_vars": [_var_json(var) for var in plan.global_vars],
        }

    def _step_detail(self, step: StepSpec) -> JSONObj:
        out: JSONObj = {
            "step_id": step.step_id,
            "name": step.name,
            "type": int(step.kind) if step.kind is not StepKind.SQL else 1,
            "script_id": None,
            "script_content": None,
            "script_param": None,
            "script_timeout": None,
            "is_param_sensitive": None,
            "account": None,
            "account_id": None,
            "ip_list": None,
            "custom_query_id": None,
            "file_target_path": None,
            "file_source": None,
            "confirm_message": None,
        }
        if step.kind in (StepKind.SCRIPT, StepKind.SQL):
            # bk-job §5.2 quirk: a script step's `type` is its script source.
            source = 1
            if step.script_version_id is not None:
                script = self.world.scripts.get(step.script_version_id)
                source = 3 if script is not None and script.public else 2
            out.update(
                type=source,
                script_id=step.script_version_id,
                script_content=step.script_content,
                script_param=step.script_param,
                script_timeout=step.timeout,
                is_param_sensitive=step.is_param_sensitive,
                account=step.account,
                account_id=step.account_id,
                ip_list=[h.ip_json() for h in step.targets],
                custom_query_id=step.custom_query_id,
            )
        elif step.kind is StepKind.FILE:
            out.update(
                account=step.account,
                ip_list=[h.ip_json() for h in step.targets],
                custom_query_id=step.custom_query_id,
                file_target_path=step.file_target_path,
                file_source=[
                    {
                        "files": list(fs.files),
                        "file_type": 1,
                        "file_source_id": None,
                        "account": fs.account,
                        "ip_list": [h.ip_json() for h in fs.hosts],
                        "custom_query_id": fs.custom_query_id,
                    }
                    for fs in step.file_sources
                ],
            )
        else:
            out["confirm_message"] = step.confirm_message
        return out

    # ---- scripts and accounts ----------------------------------------------------------

    def _script_rows(self, req: Request, *, public: bool, zero_type_ok: bool) -> JSONObj:
        content = as_bool(req.get("return_script_content")) or False
        name = _text(req, "script_name")
        script_type = _long(req, "script_type", minimum=None)
        if script_type is not None and not (
            1 <= script_type <= 6 or (script_type == 0 and zero_type_ok)
        ):
            raise _invalid("script_type", 1241007)
        start, length = self._paging(req, None)
        rows = []
        for script in sorted(self.world.scripts.values(), key=lambda s: s.id):
            if script.status != 1 or script.public != public:
                continue
            if not public and script.biz_id != req.biz_id:
                continue
            if name and name.lower() not in script.name.lower():
                continue
            if script_type and script.type != script_type:
                continue
            rows.append(script)
        if content and not public:
            self._require(req, "view_script")
        page = rows[start:] if not length else rows[start : start + length]
        if not rows:
            page_size = 10
        elif length:
            page_size = length
        else:
            page_size = len(rows)
        return {
            "start": start,
            "page_size": page_size,
            "total_record_size": len(rows),
            "data": [_script_row(s, with_content=content) for s in page],
        }

    def _op_get_script_list(self, req: Request) -> Any:
        public = as_bool(req.get("is_public")) or False
        return self._script_rows(req, public=public, zero_type_ok=True)

    def _op_get_public_script_list(self, req: Request) -> Any:
        # bk-job §5.4: Server 3.x rejects script_type 0 here.
        return self._script_rows(req, public=True, zero_type_ok=False)

    def _op_get_script_detail(self, req: Request) -> Any:
        script_id = _long(req, "id", missing=1241007, invalid=1241007)
        script = self.world.scripts.get(script_id or 0)
        if script is None:
            raise ApiError(1243047, f"Script version [{script_id}] does not exist")
        if not script.public and script.biz_id != req.biz_id:
            raise ApiError(1243004, f"Script [{script_id}] is not in business {req.biz_id}")
        if not script.public:
            self._require(req, "view_script")
        # bk-job §5.5: Server 3.x leaves `content` null on this API.
        return _script_row(script, with_content=False)

    def _op_get_os_account(self, req: Request) -> Any:
        return [
            {
                "id": acc.id,
                "account": acc.account,
                "alias": acc.alias,
                "os": acc.os,
                "creator": acc.creator,
                "create_time": fmt_job(acc.create_time, UTC),
                "bk_biz_id": acc.biz_id,
                "bk_scope_type": "biz",
                "bk_scope_id": str(acc.biz_id),
            }
            for acc in self.world.accounts
            if acc.biz_id == req.biz_id
        ]

    def _op_get_own_db_account_list(self, req: Request) -> Any:
        # bk-job §5.7: paging is ignored; accounts without grantees are everyone's.
        self._paging(req, None)
        return [
            {
                "db_account_id": acc.id,
                "db_alias": acc.alias,
                "account": acc.account,
                "creator": acc.creator,
                "create_time": fmt_job(acc.create_time, UTC),
                "bk_biz_id": acc.biz_id,
                "bk_scope_type": "biz",
                "bk_scope_id": str(acc.biz_id),
            }
            for acc in self.world.db_accounts
            if acc.biz_id == req.biz_id and (not acc.grantees or req.user in acc.grantees)
        ]

    # ---- execution ---------------------------------------------------------------------

    def _op_fast_execute_script(self, req: Request) -> Any:
        script_id = _long(req, "script_id")
        content: str | None = None
        lang = 1
        if script_id is None:
            content = _b64(req, "script_content", MAX_CONTENT)
            if content is None:
                raise _missing("script_id|script_content")
            lang_raw = _long(req, "script_type", minimum=None)
            if lang_raw is None or not 1 <= lang_raw <= 5:
                raise _invalid("script_type")
            lang = lang_raw
        sensitive = _long(req, "is_param_sensitive", minimum=None, default=0)
        if sensitive not in (0, 1):
            raise _invalid("is_param_sensitive")
        param = _b64(req, "script_param", 48128 if sensitive else 65535) or ""
        param = param.replace("\r\n", " ").replace("\n", " ")
        timeout = self._timeout(req, "script_timeout")
        alias = _text(req, "account")
        if not alias:
            raise _missing("account")
        ref = self._target_ref(req.params, "")
        callback = self._callback(req)
        task_name = _text(req, "task_name")
        action = "quick_execute_script"
        if script_id is not None:
            script = self._script_for_run(req, script_id)
            if script.type == 6:
                raise ApiError(1244018, "SQL scripts run through fast_execute_sql")
            content, lang = script.content, script.type
            action = "execute_public_script" if script.public else "execute_script"
        account_id = self._os_account(req, alias)
        hosts = self._resolve(ref, req.biz_id)
        self._require(req, action)
        name = task_name or self._default_name("Script Execution", req.now)
        assert content is not None
        spec = StepSpec(
            StepKind.SCRIPT,
            name,
            script_content=content,
            script_lang=lang,
            script_param=param,
            script_version_id=script_id,
            is_param_sensitive=sensitive or 0,
            timeout=timeout,
            account=alias,
            account_id=account_id,
            targets=hosts,
        )
        inst = self._start(req, name, [spec], action, callback)
        return {
            "job_instance_id": inst.id,
            "job_instance_name": inst.name,
            "step_instance_id": inst.steps[0].id,
        }

    def _op_fast_push_file(self, req: Request) -> Any:
        target_path = _text(req, "file_target_path")
        if not target_path or not _ABS_PATH.match(target_path):
            raise _invalid("file_target_path", 1241007)
        sources_raw = as_list(req.get("file_source"))
        if not sources_raw:
            raise _missing("file_source")
        parsed: list[tuple[list[str], str, TargetRef]] = []
        for raw in sources_raw:
            src = as_obj(raw)
            if src is None:
                raise _invalid("file_source")
            files = as_list(src.get("files"))
            if not files:
                raise _missing("file_source.files")
            if not all(isinstance(f, str) and _ABS_PATH.match(f) for f in files):
                raise _invalid("file_source.files")
            src_alias = src.get("account")
            if not isinstance(src_alias, str) or not src_alias:
                raise _missing("file_source.account")
            # v2 supports server files only (bk-job §5.9): file_type is ignored.
            parsed.append(
                ([str(f) for f in files], src_alias, self._target_ref(src, "file_source."))
            )
        alias = _text(req, "account")
        if not alias:
            raise _missing("account")
        timeout = self._timeout(req, "timeout")
        for speed in ("upload_speed_limit", "download_speed_limit"):
            _long(req, speed, minimum=None)
        ref = self._target_ref(req.params, "")
        callback = self._callback(req)
        task_name = _text(req, "task_name")
        account_id = self._os_account(req, alias)
        sources: list[FileSource] = []
        for files, src_alias, src_ref in parsed:
            self._os_account(req, src_alias)
            src_hosts = self._resolve(src_ref, req.biz_id)
            if not src_hosts:
                raise ApiError(1244029, "A file source has no source hosts")
            sources.append(FileSource(files, src_alias, src_hosts))
        hosts = self._resolve(ref, req.biz_id)
        self._require(req, "quick_transfer_file")
        name = task_name or self._default_name("File Transfer", req.now)
        spec = StepSpec(
            StepKind.FILE,
            name,
            timeout=timeout,
            account=alias,
            account_id=account_id,
            targets=hosts,
            file_sources=sources,
            file_target_path=target_path,
        )
        inst = self._start(req, name, [spec], "quick_transfer_file", callback)
        # bk-job §5.9: v2 does not return step_instance_id here.
        return {"job_instance_id": inst.id, "job_instance_name": inst.name}

    def _op_fast_execute_sql(self, req: Request) -> Any:
        script_id = _long(req, "script_id")
        content: str | None = None
        if script_id is None:
            content = _b64(req, "script_content", MAX_CONTENT)
            if content is None:
                raise _missing("script_id")
        db_account_id = _long(req, "db_account_id", missing=1241004)
        timeout = self._timeout(req, "script_timeout")
        ref = self._target_ref(req.params, "")
        callback = self._callback(req)
        task_name = _text(req, "task_name")
        action = "quick_execute_script"
        if script_id is not None:
            script = self._script_for_run(req, script_id)
            if script.type != 6:
                raise ApiError(1244018, f"Script version [{script_id}] is not a SQL script")
            content = script.content
            action = "execute_public_script" if script.public else "execute_script"
        db_acc = self.world.db_account(req.biz_id, db_account_id or 0)
        if db_acc is None:
            raise ApiError(1244003, f"Account [{db_account_id}] does not exist")
        if db_acc.grantees and req.user not in db_acc.grantees:
            raise ApiError(1244004, f"User {req.user} may not use account [{db_acc.alias}]")
        hosts = self._resolve(ref, req.biz_id)
        self._require(req, action)
        name = task_name or self._default_name("SQL Script", req.now)
        assert content is not None
        spec = StepSpec(
            StepKind.SQL,
            name,
            script_content=content,
            script_lang=6,
            script_version_id=script_id,
            timeout=timeout,
            account=db_acc.alias,
            account_id=db_acc.id,
            targets=hosts,
        )
        inst = self._start(req, name, [spec], action, callback)
        return {"job_instance_id": inst.id, "job_instance_name": inst.name}

    def _op_execute_job(self, req: Request) -> Any:
        plan_id = _long(req, "bk_job_id", missing=1241005)
        raw_vars = req.get("global_vars")
        overrides: list[tuple[int | None, str | None, str | None, TargetRef | None]] = []
        if raw_vars is not None:
            var_list = as_list(raw_vars)
            if var_list is None:
                raise _invalid("global_vars")
            for raw in var_list:
                item = as_obj(raw)
                if item is None:
                    raise _invalid("global_vars")
                var_id = as_int(item.get("id"))
                var_name = item.get("name")
                if (var_id is None or var_id <= 0) and not (isinstance(var_name, str) and var_name):
                    raise _invalid("global_vars.id|global_vars.name")
                value = item.get("value")
                value_text = None if value in (None, "") else str(value)
                ref = None
                has_hosts = any(
                    item.get(key) is not None
                    for key in ("target_server", "ip_list", "custom_query_id")
                )
                if has_hosts and value_text is None:
                    ref = self._target_ref(item, "global_vars.", required=False)
                overrides.append(
                    (
                        var_id if var_id and var_id > 0 else None,
                        var_name if isinstance(var_name, str) else None,
                        value_text,
                        ref,
                    )
                )
        callback = self._callback(req)
        plan = self.world.plans.get(plan_id or 0)
        if plan is None or plan.biz_id != req.biz_id:
            raise ApiError(1244012, f"Job plan [{plan_id}] does not exist")
        values = {var.name: var.value for var in plan.global_vars}
        by_id = {var.id: var for var in plan.global_vars}
        by_name = {var.name: var for var in plan.global_vars}
        for var_id, var_name, value_text, ref in overrides:
            var = by_id.get(var_id) if var_id is not None else by_name.get(var_name or "")
            if var is None:
                continue
            if var.category == 3:
                if ref is None:
                    continue
                if not self._resolve(ref, req.biz_id):
                    raise ApiError(1244009, f"Host variable [{var.name}] has no hosts")
                continue
            values[var.name] = value_text or ""
        self._require(req, "launch_job_plan", plan_resource(plan))
        inst = self._start(req, plan.name, list(plan.steps), "launch_job_plan", callback, plan=plan)
        inst.variables = values
        return {"job_instance_id": inst.id, "job_instance_name": inst.name}

    def _start(
        self,
        req: Request,
        name: str,
        specs: list[StepSpec],
        action: str,
        callback: str | None,
        plan: Plan | None = None,
    ) -> JobInstance:
        inst = self.world.new_instance(
            biz_id=req.biz_id,
            bk_job_id=plan.id if plan else -1,
            name=name,
            operator=req.user,
            specs=specs,
            now=req.now,
            action=action,
            resource=plan_resource(plan) if plan else None,
        )
        inst.callback_url = callback
        log.info(
            "job instance created",
            extra={"job_instance_id": inst.id, "bk_username": req.user, "action": action},
        )
        return inst

    # ---- operations and status ----------------------------------------------------------

    def _op_operate_job_instance(self, req: Request) -> Any:
        _long(req, "job_instance_id", missing=1241007, invalid=1241007)
        code = _long(req, "operation_code", missing=1241004, minimum=None)
        if code not in (1, 2):
            raise ApiError(1241002, f"Invalid parameter: operation_code {code}")
        inst = self._instance(req)
        self._require(req, inst.action, inst.resource)
        try:
            if code == 1:
                inst.terminate(req.now)
            else:
                inst.start_now(req.now)
        except OperationRefused as exc:
            raise ApiError(exc.code, exc.message) from None
        finally:
            self.world.reschedule(inst)  # operations move (or clear) the next transition
        return {"job_instance_id": inst.id, "job_instance_name": None}

    def _op_operate_step_instance(self, req: Request) -> Any:
        _long(req, "job_instance_id", missing=1241007, invalid=1241007)
        step_id = _long(req, "step_instance_id", missing=1241007, invalid=1241007)
        code = _long(req, "operation_code", missing=1241004, minimum=None)
        # bk-job §5.13: 4 (execute) and 5 (skip) are legacy-only and rejected.
        if code not in (2, 3, 6, 8, 9, 10, 11, 12, 13):
            raise ApiError(1241002, f"Invalid parameter: operation_code {code}")
        inst = self._instance(req)
        step = next((s for s in inst.steps if s.id == step_id), None)
        if step is None:
            raise ApiError(1244007, f"Step instance [{step_id}] does not exist")
        self._require(req, inst.action, inst.resource)
        assert code is not None
        try:
            inst.operate_step(step, code, req.user, req.now)
        except OperationRefused as exc:
            raise ApiError(exc.code, exc.message) from None
        finally:
            self.world.reschedule(inst)  # retry, confirm, skip... set a new next transition
        return {"job_instance_id": inst.id, "job_instance_name": None, "step_instance_id": step.id}

    def _readable(self, req: Request) -> JobInstance:
        inst = self._instance(req)
        # bk-job §5.14: the operator may always read; others need view_history.
        if inst.operator != req.user:
            self._require(req, "view_history")
        return inst

    def _op_get_job_instance_status(self, req: Request) -> Any:
        return self._readable(req).status_json(req.now)

    def _op_get_job_instance_log(self, req: Request) -> Any:
        return self._readable(req).log_json(req.now)

    # ---- crons (bk-job §5.16–§5.18) ----------------------------------------------------------

    def _op_get_cron_list(self, req: Request) -> Any:
        cron_id = _long(req, "cron_id", minimum=None)
        crons = [c for c in self.world.crons.values() if c.biz_id == req.biz_id]
        if cron_id is not None and cron_id > 0:
            found = next((c for c in crons if c.id == cron_id), None)
            return [found.to_json() if found else None]
        name = _text(req, "cron_name")
        status = _long(req, "cron_status", minimum=None)
        creator = _text(req, "creator")
        modifier = _text(req, "last_modify_user")
        c_start, c_end = self._day(req, "create_time_start"), self._day(req, "create_time_end")
        m_start = self._day(req, "last_modify_time_start")
        m_end = self._day(req, "last_modify_time_end")
        start, length = self._paging(req, 10)  # Server 3.x default page size
        rows = []
        for cron in sorted(crons, key=lambda c: c.id):
            if name and name.lower() not in cron.name.lower():
                continue
            if status in (1, 2) and cron.status != status:
                continue
            if creator and cron.creator != creator:
                continue
            if modifier and cron.last_modify_user != modifier:
                continue
            if c_start and c_end and not _in_range(cron.create_time, c_start, c_end):
                continue
            if not _in_range(cron.last_modify_time, m_start, m_end):
                continue
            rows.append(cron.to_json())
        return _page(rows, start, length)

    def _op_update_cron_status(self, req: Request) -> Any:
        cron_id = _long(req, "cron_id", missing=1241002, invalid=1241002)
        status = _long(req, "cron_status", missing=1241002, minimum=None)
        if status not in (1, 2):
            raise ApiError(1241002, "Invalid parameter: cron_status must be 1 or 2")
        cron = self.world.crons.get(cron_id or 0)
        if cron is None or cron.biz_id != req.biz_id:
            raise ApiError(1245001, f"Cron [{cron_id}] does not exist")
        self._require(req, "manage_cron", _cron_resource(cron))
        cron.status = status
        cron.last_modify_user = req.user
        cron.last_modify_time = req.now
        # bk-job §5.17: only cron_id is set in the answer.
        return {key: (cron.id if key == "cron_id" else None) for key in cron.to_json()}

    def _op_save_cron(self, req: Request) -> Any:
        raw_id = req.get("cron_id")
        cron_id = as_int(raw_id) if raw_id is not None else None
        if raw_id is not None and (cron_id is None or cron_id <= 0):
            raise ApiError(1241010, "Invalid parameter [id]: must be a positive cron id")
        plan_id = _long(req, "bk_job_id", minimum=None)
        name = _text(req, "cron_name")
        expression = _text(req, "cron_expression")
        if cron_id is None:
            if plan_id is None or plan_id <= 0:
                raise ApiError(1241010, "Invalid parameter [bk_job_id]: required on create")
            if not name or not name.strip():
                raise ApiError(1241010, "Invalid parameter [cron_name]: required on create")
            if expression is None:
                raise ApiError(1241010, "Invalid parameter [expression]: required on create")
        elif plan_id is None and name is None and expression is None:
            raise ApiError(
                1241010, "Invalid parameter: one of bk_job_id, cron_name, cron_expression"
            )
        if plan_id is not None and plan_id <= 0:
            raise ApiError(1241010, "Invalid parameter [bk_job_id]")
        if expression is not None and not valid_crontab(expression):
            raise ApiError(
                1241010, f"Invalid parameter [expression]: {expression!r} is not a crontab"
            )
        if plan_id is not None:
            plan = self.world.plans.get(plan_id)
            if plan is None or plan.biz_id != req.biz_id:
                raise ApiError(1243009, f"Job plan [{plan_id}] does not exist")
        if cron_id is None:
            self._require(req, "create_cron")
            assert plan_id is not None
            assert name is not None
            assert expression is not None
            cron = Cron(
                id=self.world.new_cron_id(),
                biz_id=req.biz_id,
                name=name,
                status=2,
                expression=" ".join(expression.split()),
                bk_job_id=plan_id,
                creator=req.user,
                create_time=req.now,
                last_modify_user=req.user,
                last_modify_time=req.now,
            )
            self.world.crons[cron.id] = cron
            return cron.to_json()
        existing = self.world.crons.get(cron_id)
        if existing is None or existing.biz_id != req.biz_id:
            raise ApiError(1245001, f"Cron [{cron_id}] does not exist")
        self._require(req, "manage_cron", _cron_resource(existing))
        if plan_id is not None:
            existing.bk_job_id = plan_id
        if name is not None:
            existing.name = name
        if expression is not None:
            existing.expression = " ".join(expression.split())
        # bk-job §5.18: a v2 save always leaves the cron paused.
        existing.status = 2
        existing.last_modify_user = req.user
        existing.last_modify_time = req.now
        return existing.to_json()


# ---- rendering helpers -------------------------------------------------------------------


def _plan_row(plan: Plan) -> JSONObj:
    return {
        "bk_biz_id": plan.biz_id,
        "bk_scope_type": "biz",
        "bk_scope_id": str(plan.biz_id),
        "bk_job_id": plan.id,
        "name": plan.name,
        "creator": plan.creator,
        "create_time": fmt_job(plan.create_time),
        "last_modify_user": plan.last_modify_user,
        "last_modify_time": fmt_job(plan.last_modify_time),
    }


def _var_json(var: GlobalVar) -> JSONObj:
    if var.category == 3:
        hosts = var.hosts or []
        internal = {
            "hostNodeList": {
                "hostList": [
                    {"hostId": h.host_id, "ip": h.ip, "cloudAreaId": h.cloud_id} for h in hosts
                ]
            }
        }
        return {
            "id": var.id,
            "category": 3,
            "name": var.name,
            "value": json.dumps(internal, separators=(",", ":")),
            "description": var.description,
            "ip_list": [h.ip_json() for h in hosts],
            "custom_query_id": [],
        }
    # bk-job §5.2: v2 returns password variables decrypted.
    return {
        "id": var.id,
        "category": var.category,
        "name": var.name,
        "value": var.value,
        "description": var.description,
        "ip_list": None,
        "custom_query_id": None,
    }


def _script_row(script: Script, *, with_content: bool) -> JSONObj:
    public = script.public
    return {
        "id": script.id,
        "name": script.name,
        "version": script.version,
        "tag": None,
        "type": script.type,
        "public": public,
        "bk_biz_id": None if public else script.biz_id,
        "bk_scope_type": None if public else "biz",
        "bk_scope_id": None if public else str(script.biz_id),
        "creator": script.creator,
        "create_time": fmt_job(script.create_time, UTC),
        "last_modify_user": script.last_modify_user,
        "last_modify_time": fmt_job(script.last_modify_time, UTC),
        "content": script.content if with_content else None,
    }


def _cron_resource(cron: Cron) -> JSONObj:
    return {"id": str(cron.id), "type": "cron", "type_name": "定时任务", "name": cron.name}


def _in_range(moment: datetime, low: datetime | None, high: datetime | None) -> bool:
    # bk-job §5.1: the server turns an end date into 00:00 of that day, so it is exclusive
    # of the day itself.
    if low is not None and moment < low:
        return False
    return not (high is not None and moment > high)


def _page(rows: list[JSONObj], start: int, length: int | None) -> list[JSONObj]:
    if length is None or length <= 0:
        return rows[start:]
    return rows[start : start + length]


_CRON_FIELDS: list[tuple[int, int, dict[str, int]]] = [
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (
        1,
        12,
        {
            m: i + 1
            for i, m in enumerate(
                ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
            )
        },
    ),
    (0, 7, {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}),
]


def valid_crontab(expression: str) -> bool:
    """bk-job §5.18: a 5-field Linux crontab; `?` and Quartz 6/7-field forms are rejected."""
    fields = expression.split()
    if len(fields) != 5:
        return False
    for text, (low, high, names) in zip(fields, _CRON_FIELDS, strict=True):
        for part in text.split(","):
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
