"""BK-SOPS world objects and the lazy, clock-driven pipeline engine for tasks."""

from __future__ import annotations

import copy
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from ._common import ApiError, IdSource, JSONObj, fmt_sops
from ._job_engine import interpret_script

__all__ = [
    "CALLBACK_CODES",
    "NodeRun",
    "PeriodicTask",
    "Project",
    "Task",
    "Template",
    "instantiate",
    "render",
]

# bk-sops §4.1: the plugins that wait for node_callback.
CALLBACK_CODES = frozenset({"pause_node", "bk_approve"})

_START_DELAY = timedelta(seconds=1)  # bk-sops §1.7: start only queues the pipeline
_REF = re.compile(r"\$\{[^}]+\}")

# bk-sops §3.9: declared outputs per plugin (localized labels, as a default install shows).
PLUGIN_OUTPUTS: dict[str, list[tuple[str, str]]] = {
    "pause_node": [("callback_data", "API回调数据")],
    "bk_approve": [("sn", "单号"), ("approve_result", "审核结果")],
    "job_fast_execute_script": [
        ("job_inst_id", "JOB任务ID"),
        ("job_inst_name", "JOB任务名称"),
        ("job_inst_url", "JOB任务链接"),
        ("log_outputs", "日志输出"),
    ],
    "sleep_timer": [],
    "bk_notify": [],
}
COMMON_OUTPUTS = [
    ("_result", "执行结果"),
    ("_loop", "循环次数"),
    ("_inner_loop", "当前流程循环次数"),
]


@dataclass(frozen=True)
class Project:
    """A BK-SOPS project bound to a CMDB business."""

    id: int
    name: str
    biz_id: int
    biz_name: str
    tz_name: str
    tz: tzinfo


@dataclass
class Template:
    """A process template; `project_id` is None for common templates."""

    id: int
    project_id: int | None
    name: str
    category: str
    description: str
    creator: str
    create_time: datetime
    editor: str | None
    edit_time: datetime
    tree: JSONObj
    executor_proxy: str = ""
    notify_type: JSONObj = field(default_factory=lambda: {"success": [], "fail": ["weixin"]})
    notify_receivers: JSONObj = field(
        default_factory=lambda: {"receiver_group": ["Maintainers"], "more_receiver": ""}
    )
    labels: list[JSONObj] = field(default_factory=list)

    @property
    def is_common(self) -> bool:
        return self.project_id is None


@dataclass
class PeriodicTask:
    """A periodic task: a schedule plus the tree each run is created from."""

    id: int
    project: Project
    name: str
    template_id: int
    template_source: str
    creator: str
    create_time: datetime
    cron: dict[str, str]
    enabled: bool
    tree: JSONObj
    last_run_at: datetime | None = None
    total_run_count: int = 0
    editor: str | None = None
    edit_time: datetime | None = None

    def cron_text(self) -> str:
        # bk-sops §3.11: minute hour day_of_week day_of_month month_of_year + zone suffix.
        keys = ("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
        fields = " ".join(self.cron.get(k, "*") for k in keys)
        return f"{fields} (m/h/d/dM/MY) {self.project.tz_name}"


def render(value: Any, constants: JSONObj) -> Any:
    """Substitute `${key}` references with the constants' values."""
    if not isinstance(value, str):
        return value
    whole = constants.get(value.strip())
    if whole is not None and _REF.fullmatch(value.strip()):
        return whole.get("value")
    return _REF.sub(
        lambda m: str((constants.get(m.group(0)) or {}).get("value", m.group(0))), value
    )


def _node_ids(tree: JSONObj) -> list[str]:
    ids = [tree["start_event"]["id"], tree["end_event"]["id"]]
    ids.extend(tree["activities"])
    ids.extend(tree["gateways"])
    return ids


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def exclude_nodes(tree: JSONObj, excluded: list[str]) -> None:
    """Drop optional activities and reconnect their neighbours (bk-sops §3.3)."""
    for node_id in excluded:
        act = tree["activities"].get(node_id)
        if act is None:
            raise ApiError(3599999, f"node[id={node_id}] is not in template pipeline tree")
        if not act.get("optional"):
            raise ApiError(3599999, f"node[id={node_id}] is not optional")
    for node_id in excluded:
        act = tree["activities"].pop(node_id)
        out_flow_id = act["outgoing"]
        out_flow = tree["flows"].pop(out_flow_id)
        target_id = out_flow["target"]
        incoming = _as_list(act["incoming"])
        for flow_id in incoming:
            tree["flows"][flow_id]["target"] = target_id
        target = _find_node(tree, target_id)
        if isinstance(target.get("incoming"), list):
            rest = [f for f in target["incoming"] if f != out_flow_id]
            target["incoming"] = rest + incoming
        else:
            target["incoming"] = incoming[0] if incoming else ""
        for const in tree["constants"].values():
            const.get("source_info", {}).pop(node_id, None)
        dead = [
            key
            for key, const in tree["constants"].items()
            if const.get("source_type") != "custom" and not const.get("source_info")
        ]
        for key in dead:
            del tree["constants"][key]
            if key in tree.get("outputs", []):
                tree["outputs"].remove(key)


def _find_node(tree: JSONObj, node_id: str) -> JSONObj:
    for event in ("start_event", "end_event"):
        if tree[event]["id"] == node_id:
            node: JSONObj = tree[event]
            return node
    found = tree["activities"].get(node_id) or tree["gateways"].get(node_id)
    if found is None:
        raise KeyError(node_id)
    result: JSONObj = found
    return result


def instantiate(
    template_tree: JSONObj,
    ids: IdSource,
    *,
    id_map: dict[str, str] | None = None,
    root_id: str | None = None,
) -> JSONObj:
    """Copy a template tree with fresh `n…`/`l…` ids (bk-sops §1.7) for a task."""
    tree = copy.deepcopy(template_tree)
    mapping = dict(id_map or {})
    for old in _node_ids(tree):
        mapping.setdefault(old, "n" + ids.hex(31))
    for old in tree["flows"]:
        mapping.setdefault(old, "l" + ids.hex(31))

    def m(value: Any) -> Any:
        if isinstance(value, list):
            return [mapping.get(v, v) for v in value]
        if isinstance(value, str):
            return mapping.get(value, value)
        return value

    def remap(node: JSONObj) -> JSONObj:
        node = dict(node)
        node["id"] = m(node["id"])
        node["incoming"] = m(node.get("incoming", ""))
        node["outgoing"] = m(node.get("outgoing", ""))
        if "conditions" in node:
            node["conditions"] = {m(k): v for k, v in node["conditions"].items()}
        if "converge_gateway_id" in node:
            node["converge_gateway_id"] = m(node["converge_gateway_id"])
        return node

    activities = {}
    for old, act in tree["activities"].items():
        new = remap(act)
        ordered = {"id": new["id"], "template_node_id": old}
        ordered.update({k: v for k, v in new.items() if k != "id"})
        activities[mapping[old]] = ordered
    out: JSONObj = {}
    if root_id is not None:
        out["id"] = root_id
    out["start_event"] = remap(tree["start_event"])
    out["activities"] = activities
    out["gateways"] = {mapping[k]: remap(v) for k, v in tree["gateways"].items()}
    out["flows"] = {
        mapping[k]: {**v, "id": mapping[k], "source": m(v["source"]), "target": m(v["target"])}
        for k, v in tree["flows"].items()
    }
    out["end_event"] = remap(tree["end_event"])
    constants = {}
    for key, const in tree["constants"].items():
        const = {k: v for k, v in const.items() if k != "schema"}
        const["source_info"] = {m(k): v for k, v in const.get("source_info", {}).items()}
        constants[key] = const
    out["constants"] = constants
    out["outputs"] = list(tree.get("outputs", []))
    return out


@dataclass
class NodeRun:
    """The execution state of one started node."""

    id: str
    name: str
    code: str | None
    state: str
    version: str
    start: datetime
    finish: datetime | None = None
    due: datetime | None = None
    fails: bool = False
    ex_data: str | None = None
    inputs: JSONObj = field(default_factory=dict)
    outputs: JSONObj = field(default_factory=dict)
    error_ignorable: bool = False


@dataclass
class Task:
    """A BK-SOPS task: its tree, its state and the started nodes."""

    id: int
    project: Project
    template_id: int
    template_source: str
    name: str
    creator: str
    create_method: str
    flow_type: str
    category: str
    description: str
    create_time: datetime
    tree: JSONObj
    ids: IdSource
    rng: random.Random
    task_url: str
    callback_url: str | None = None
    callback_version: str | None = None
    start_at: datetime | None = None
    started: bool = False
    executor: str = ""
    start_time: datetime | None = None
    finish_time: datetime | None = None
    state: str = "CREATED"
    root_version: str = ""
    nodes: dict[str, NodeRun] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)
    converge_tokens: dict[str, int] = field(default_factory=dict)
    outputs: list[JSONObj] = field(default_factory=list)
    expired: bool = False
    forced_durations: dict[str, float] = field(default_factory=dict)
    forced_versions: dict[str, str] = field(default_factory=dict)

    @property
    def root_id(self) -> str:
        return str(self.tree["id"])

    @property
    def is_started(self) -> bool:
        return self.start_at is not None

    @property
    def is_finished(self) -> bool:
        return self.state == "FINISHED"

    @property
    def is_revoked(self) -> bool:
        return self.state == "REVOKED"

    def _version(self, node_id: str) -> str:
        return self.forced_versions.pop(node_id, None) or "v" + self.ids.hex(32)

    # ---- time ------------------------------------------------------------------------

    def request_start(self, now: datetime, user: str) -> None:
        if self.is_started:
            raise ApiError(3545000, "task already started")
        self.start_at = now + _START_DELAY
        self.executor = user

    def advance(self, now: datetime) -> None:
        for _ in range(10_000):  # each loop fires one event; the bound only guards bugs
            due = self._next_event()
            if due is None or due > now:
                return
            self._fire(due)

    def _next_event(self) -> datetime | None:
        if self.state in ("REVOKED", "FINISHED"):
            return None
        if not self.started:
            return self.start_at
        dues = [n.due for n in self.nodes.values() if n.state == "RUNNING" and n.due]
        return min(dues) if dues else None

    def _fire(self, at: datetime) -> None:
        if not self.started:
            self.started = True
            self.start_time = at
            self.root_version = self.root_version or self._version(self.root_id)
            if self.state == "CREATED":
                self.state = "RUNNING"
            self._arrive(self.tree["start_event"]["id"], at)
            return
        for node in sorted(self.nodes.values(), key=lambda n: (n.due or at, n.start)):
            if node.state == "RUNNING" and node.due is not None and node.due <= at:
                self._complete(node, at, ok=not node.fails)
                return

    # ---- token flow ----------------------------------------------------------------

    def _arrive(self, node_id: str, at: datetime) -> None:
        if self.state == "REVOKED":
            return
        if self.state == "SUSPENDED":
            # bk-sops §4.5: paused tasks let running nodes finish but start no new ones.
            self.pending.append(node_id)
            return
        tree = self.tree
        if node_id == tree["start_event"]["id"]:
            run = self._record(node_id, "", None, at)
            self._complete(run, at, ok=True)
        elif node_id == tree["end_event"]["id"]:
            run = self._record(node_id, "", None, at)
            run.state, run.finish = "FINISHED", at
            self.state = "FINISHED"
            self.finish_time = at
            self.outputs = self._task_outputs()
        elif node_id in tree["gateways"]:
            self._through_gateway(node_id, at)
        else:
            existing = self.nodes.get(node_id)
            if existing is None:
                self._start_activity(node_id, at)

    def _record(self, node_id: str, name: str, code: str | None, at: datetime) -> NodeRun:
        run = NodeRun(node_id, name, code, "RUNNING", self._version(node_id), at)
        self.nodes[node_id] = run
        return run

    def _follow(self, node_id: str, at: datetime) -> None:
        node = _find_node(self.tree, node_id)
        for flow_id in _as_list(node.get("outgoing")):
            self._arrive(self.tree["flows"][flow_id]["target"], at)

    def _through_gateway(self, gw_id: str, at: datetime) -> None:
        gw = self.tree["gateways"][gw_id]
        kind = gw["type"]
        if kind == "ConvergeGateway":
            # Joins wait for every incoming branch (used after parallel forks only).
            count = self.converge_tokens.get(gw_id, 0) + 1
            self.converge_tokens[gw_id] = count
            if count < len(_as_list(gw["incoming"])):
                return
        run = self._record(gw_id, "", None, at)
        targets: list[str] = []
        flows = _as_list(gw["outgoing"])
        if kind in ("ExclusiveGateway", "ConditionalParallelGateway"):
            conditions = gw.get("conditions", {})
            chosen = [f for f in flows if f in conditions and self._evaluate(conditions[f])]
            if not chosen:
                chosen = [f for f in flows if self.tree["flows"][f].get("is_default")]
            if kind == "ExclusiveGateway":
                chosen = chosen[:1]
            if not chosen:
                run.state, run.finish = "FAILED", at
                run.ex_data = "no branch condition of the gateway evaluated to true"
                return
            flows = chosen
        targets = [self.tree["flows"][f]["target"] for f in flows]
        run.state, run.finish = "FINISHED", at
        for target in targets:
            self._arrive(target, at)

    def _evaluate(self, condition: JSONObj) -> bool:
        text = str(render(condition.get("evaluate", ""), self.tree["constants"]))
        match = re.fullmatch(r"\s*(.+?)\s*(==|!=)\s*(.+?)\s*", text)
        if match is None:
            return text.strip().lower() in ("true", "1")
        left, op, right = (s.strip().strip("'\"") for s in match.groups())
        return (left == right) if op == "==" else (left != right)

    def _start_activity(self, node_id: str, at: datetime) -> None:
        act = self.tree["activities"][node_id]
        code = act.get("component", {}).get("code")
        run = self._record(node_id, act.get("name", ""), code, at)
        run.error_ignorable = bool(act.get("error_ignorable"))
        run.inputs = {**self.preview_inputs(node_id), "_loop": 1, "_inner_loop": 1}
        forced = self.forced_durations.pop(node_id, None)
        if code in CALLBACK_CODES:
            if code == "bk_approve":
                run.outputs["sn"] = f"REQ{at.astimezone(self.project.tz):%Y%m%d}{self.id:06d}"
            else:
                run.outputs["callback_data"] = ""
            return
        if code == "sleep_timer":
            run.due = at + timedelta(seconds=forced or self._timer(run.inputs, at))
            return
        seconds = forced if forced is not None else self.rng.uniform(3.0, 7.0)
        run.due = at + timedelta(seconds=seconds)
        if code and code.startswith("job_"):
            content = str(run.inputs.get("job_content", ""))
            outcome = interpret_script(content, _NoHost, at)
            if outcome.exit_code:
                hosts = [h for h in re.split(r"[\s,;]+", str(run.inputs.get("job_ip_list"))) if h]
                run.fails = True
                run.ex_data = (
                    f"JOB execution failed: {max(len(hosts), 1)} host(s) returned "
                    "non-zero exit code"
                )
            run.due += timedelta(seconds=outcome.sleep)
            local = at.astimezone(self.project.tz)
            job_id = int(f"{local:%Y%m%d%H%M%S}")
            run.outputs.update(
                job_inst_id=job_id,
                job_inst_name=act.get("name", ""),
                job_inst_url=(
                    f"https://bk-job.sandbox.local/biz/{self.project.biz_id}/execute/task/{job_id}"
                ),
                log_outputs={},
            )

    def _timer(self, inputs: JSONObj, at: datetime) -> float:
        raw = str(inputs.get("bk_timing", "")).strip()
        try:
            return max(float(raw), 0.0)
        except ValueError:
            pass
        try:
            moment = datetime.strptime(raw, "%Y-%m-%d %H:%M:%S").replace(tzinfo=self.project.tz)
        except ValueError:
            return 0.0
        return max((moment - at).total_seconds(), 0.0)

    def _complete(self, run: NodeRun, at: datetime, *, ok: bool) -> None:
        run.due = None
        run.finish = at
        run.state = "FINISHED" if ok else "FAILED"
        if run.code is not None:
            run.outputs["_result"] = ok
            run.outputs["_loop"] = 1
            run.outputs["_inner_loop"] = 1
        if ok:
            self._follow(run.id, at)

    def _task_outputs(self) -> list[JSONObj]:
        out = []
        for key in self.tree.get("outputs", []):
            const = self.tree["constants"].get(key, {})
            value = const.get("value")
            for node_id, names in const.get("source_info", {}).items():
                run = self.nodes.get(node_id)
                if run is not None and names and names[0] in run.outputs:
                    value = run.outputs[names[0]]
            out.append({"key": key, "name": const.get("name", ""), "value": value})
        return out

    # ---- operations (bk-sops §3.5, §3.6) ---------------------------------------------

    def _refuse(self, target: str) -> ApiError:
        return ApiError(
            3599999,
            "fail: Traceback (most recent call last): InvalidOperationError: "
            f"can't transit state of pipeline {self.root_id} from {self.state} to {target}",
        )

    def pause(self, now: datetime) -> None:
        if self.state != "RUNNING":
            raise self._refuse("SUSPENDED")
        self.state = "SUSPENDED"

    def resume(self, now: datetime) -> None:
        if self.state != "SUSPENDED":
            raise self._refuse("RUNNING")
        self.state = "RUNNING"
        waiting, self.pending = self.pending, []
        for node_id in waiting:
            self._arrive(node_id, now)

    def revoke(self, now: datetime) -> None:
        if self.state not in ("RUNNING", "SUSPENDED", "CREATED"):
            raise self._refuse("REVOKED")
        self.state = "REVOKED"
        self.finish_time = now
        self.pending.clear()

    def callback(
        self, node_id: str, data: JSONObj, version: str | None, user: str, now: datetime
    ) -> None:
        if node_id not in _node_ids(self.tree):
            raise ApiError(3540000, f"task[{self.id}] does not have node[{node_id}]")
        if self.state in ("REVOKED", "FINISHED"):
            raise ApiError(3599999, f"fail: schedule of node {node_id} is already finished")
        run = self.nodes.get(node_id)
        if run is None or run.state != "RUNNING" or run.code not in CALLBACK_CODES:
            raise ApiError(
                3599999, f"fail: can not find sleep process with current node id: {node_id}"
            )
        if version is not None and version != run.version:
            raise ApiError(3599999, f"fail: node version {version} not exist")
        if run.code == "pause_node":
            run.outputs["callback_data"] = data
            self._complete(run, now, ok=True)
            return
        approved = data.get("approve_result")
        if not isinstance(approved, bool):
            raise ApiError(3599999, "fail: callback_data.approve_result must be true or false")
        run.outputs["approve_result"] = "通过" if approved else "拒绝"
        block = run.inputs.get("rejected_block", True) not in (False, "false", "False")
        if approved or not block:
            self._complete(run, now, ok=True)
        else:
            run.ex_data = f"approval ticket {run.outputs.get('sn')} was rejected by {user}"
            self._complete(run, now, ok=False)

    # ---- rendering (bk-sops §2.4, §3.7–§3.9) ------------------------------------------

    def reported_state(self) -> str:
        if self.expired:
            return "EXPIRED"
        if self.state in ("REVOKED", "FINISHED", "CREATED"):
            return self.state
        if any(n.state == "FAILED" for n in self.nodes.values()):
            return "FAILED"
        return self.state

    def _times(self, start: datetime | None, finish: datetime | None, now: datetime) -> JSONObj:
        tz = self.project.tz
        end = finish or now
        elapsed = int(max((end - start).total_seconds(), 0)) if start else 0
        return {
            "start_time": fmt_sops(start, tz),
            "finish_time": fmt_sops(finish, tz),
            "elapsed_time": elapsed,
        }

    def _node_json(self, run: NodeRun, now: datetime) -> JSONObj:
        return {
            "id": run.id,
            "state": run.state,
            "root_id:": self.root_id,  # bk-sops §2.4: the engine really emits this key
            "parent_id": self.root_id,
            "version": run.version,
            "loop": 1,
            "retry": 0,
            "skip": False,
            "error_ignorable": run.error_ignorable,
            "error_ignored": False,
            **self._times(run.start, run.finish, now),
            "children": {},
            "name": run.name,
        }

    def status_json(
        self, now: datetime, *, with_ex_data: bool = False, with_failed_info: bool = False
    ) -> JSONObj:
        if self.expired:
            return {"state": "EXPIRED", "name": self.name}
        if not self.started and self.state == "CREATED":
            # bk-sops §2.4 quirk: synthetic root, no id/version, integer skip.
            return {
                "start_time": None,
                "state": "CREATED",
                "retry": 0,
                "skip": 0,
                "finish_time": None,
                "elapsed_time": 0,
                "children": {},
                "name": self.name,
            }
        finish = self.finish_time if self.state in ("FINISHED", "REVOKED") else None
        out: JSONObj = {
            "id": self.root_id,
            "state": self.reported_state(),
            "root_id:": self.root_id,
            "parent_id": self.root_id,
            "version": self.root_version,
            "loop": 1,
            "retry": 0,
            "skip": False,
            "error_ignorable": False,
            "error_ignored": False,
            **self._times(self.start_time, finish, now),
            "children": {nid: self._node_json(run, now) for nid, run in self.nodes.items()},
        }
        failed = {nid: run for nid, run in self.nodes.items() if run.state == "FAILED"}
        if with_ex_data and out["state"] == "FAILED":
            out["ex_data"] = {nid: run.ex_data or "" for nid, run in failed.items()}
        if with_failed_info:
            out["failed_node_info"] = {
                nid: {"auto_retry_times": 0, "max_auto_retry_times": 0} for nid in failed
            }
        out["name"] = self.name
        return out

    def preview_inputs(self, node_id: str) -> JSONObj:
        act = self.tree["activities"].get(node_id)
        if act is None:
            return {}
        data = act.get("component", {}).get("data", {})
        return {k: render(v.get("value"), self.tree["constants"]) for k, v in data.items()}

    def node_detail(self, node_id: str, now: datetime, component_code: str | None) -> JSONObj:
        if node_id not in _node_ids(self.tree):
            raise ApiError(3540000, f"节点状态请求失败: node[{node_id}] is not in task[{self.id}]")
        run = self.nodes.get(node_id)
        act = self.tree["activities"].get(node_id, {})
        if run is None:
            # bk-sops §3.9: a node that has not started answers the READY shape.
            return {
                "name": act.get("name", ""),
                "error_ignorable": bool(act.get("error_ignorable", False)),
                "state": "READY",
                "inputs": self.preview_inputs(node_id),
                "outputs": [],
                "ex_data": "",
            }
        out = self._node_json(run, now)
        name = out.pop("name")
        out.update(
            histories=[],
            history_id=-1,
            inputs=dict(run.inputs),
            outputs=self._outputs(run, component_code),
            ex_data=run.ex_data,
            name=name,
        )
        return out

    def _outputs(self, run: NodeRun, component_code: str | None) -> list[JSONObj]:
        values = dict(run.outputs)
        if run.code is not None:
            values.setdefault("_result", True)
            values.setdefault("_loop", 1)
            values.setdefault("_inner_loop", 1)
        if not component_code:
            return [{"key": k, "value": v, "preset": False} for k, v in values.items()]
        declared = PLUGIN_OUTPUTS.get(component_code, []) + COMMON_OUTPUTS
        out = [
            {"name": label, "key": key, "value": values.pop(key, ""), "preset": True}
            for key, label in declared
        ]
        out.extend({"key": k, "value": v, "preset": False} for k, v in values.items())
        return out

    def detail_json(self, now: datetime) -> JSONObj:
        tz = self.project.tz
        finish = self.finish_time if self.state in ("FINISHED", "REVOKED") else None
        end = finish or now
        elapsed = int(max((end - self.start_time).total_seconds(), 0)) if self.start_time else 0
        return {
            "id": self.id,
            "name": self.name,
            "project_id": self.project.id,
            "project_name": self.project.name,
            "template_id": self.template_id,
            "create_time": fmt_sops(self.create_time, tz),
            "create_method": self.create_method,
            "creator": self.creator,
            "executor": self.executor if self.started else "",
            "start_time": fmt_sops(self.start_time, tz) or "",
            "finish_time": fmt_sops(finish, tz) or "",
            "elapsed_time": elapsed,
            "constants": copy.deepcopy(self.tree["constants"]),
            "outputs": copy.deepcopy(self.outputs),
            "ex_data": "",
            "task_url": self.task_url,
            "pipeline_tree": copy.deepcopy(self.tree),
        }


class _NoHostType:
    """Stands in for a CMDB host when a SOPS JOB node's script is read for its exit code."""

    ip = "0.0.0.0"
    hostname = "sops-target"
    host_id = 0
    cloud_id = 0
    biz_id = 0
    agent_ok = True


_NoHost: Any = _NoHostType()
