"""The seeded BK-SOPS world: projects, templates, tasks and periodic tasks."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from typing import Any

from ._common import IdSource, JSONObj, zone
from ._sops_engine import PeriodicTask, Project, Task, Template, exclude_nodes, instantiate

__all__ = ["SOPS_APP_URL", "SopsWorld"]

SOPS_APP_URL = "https://bk-sops.sandbox.local"
PERIODIC_LIMIT = 50  # bk-sops §3.13: default per-project limit


def _at(text: str, tz_name: str = "Asia/Shanghai") -> datetime:
    return (
        datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone(tz_name)).astimezone(UTC)
    )


class TreeBuilder:
    """Builds template trees in the editor's id style (`node…` / `line…`, bk-sops §1.7)."""

    def __init__(self, ids: IdSource) -> None:
        self.ids = ids
        self.start_event: JSONObj = {}
        self.end_event: JSONObj = {}
        self.activities: dict[str, JSONObj] = {}
        self.gateways: dict[str, JSONObj] = {}
        self.flows: dict[str, JSONObj] = {}
        self.constants: dict[str, JSONObj] = {}
        self.outputs: list[str] = []

    def _node(self, node_id: str) -> JSONObj:
        for event in (self.start_event, self.end_event):
            if event.get("id") == node_id:
                return event
        return self.activities.get(node_id) or self.gateways[node_id]

    def start(self) -> str:
        nid = "node" + self.ids.hex(28)
        self.start_event = {
            "id": nid,
            "type": "EmptyStartEvent",
            "name": "",
            "incoming": "",
            "outgoing": "",
            "labels": [],
        }
        return nid

    def end(self) -> str:
        nid = "node" + self.ids.hex(28)
        self.end_event = {
            "id": nid,
            "type": "EmptyEndEvent",
            "name": "",
            "incoming": [],
            "outgoing": "",
            "labels": [],
        }
        return nid

    def act(
        self,
        name: str,
        code: str,
        data: dict[str, Any],
        *,
        version: str = "legacy",
        hooks: tuple[str, ...] = (),
        optional: bool = False,
    ) -> str:
        nid = "node" + self.ids.hex(28)
        self.activities[nid] = {
            "id": nid,
            "type": "ServiceActivity",
            "name": name,
            "stage_name": "",
            "incoming": [],
            "outgoing": "",
            "component": {
                "code": code,
                "version": version,
                "data": {k: {"hook": k in hooks, "value": v} for k, v in data.items()},
            },
            "error_ignorable": False,
            "optional": optional,
            "retryable": True,
            "skippable": True,
            "auto_retry": {"enable": False, "interval": 0, "times": 1},
            "timeout_config": {"enable": False, "seconds": 10, "action": "forced_fail"},
            "labels": [],
            "loop": None,
        }
        return nid

    def gateway(self, kind: str, name: str = "") -> str:
        nid = "node" + self.ids.hex(28)
        gw: JSONObj = {"id": nid, "type": kind, "name": name}
        if kind == "ConvergeGateway":
            gw.update(incoming=[], outgoing="")
        else:
            gw.update(incoming="", outgoing=[])
        if kind in ("ExclusiveGateway", "ConditionalParallelGateway"):
            gw["conditions"] = {}
        self.gateways[nid] = gw
        return nid

    def link(
        self, source: str, target: str, *, evaluate: str | None = None, label: str = ""
    ) -> str:
        fid = "line" + self.ids.hex(28)
        self.flows[fid] = {"id": fid, "source": source, "target": target, "is_default": False}
        src, dst = self._node(source), self._node(target)
        if isinstance(src["outgoing"], list):
            src["outgoing"].append(fid)
        else:
            src["outgoing"] = fid
        if isinstance(dst["incoming"], list):
            dst["incoming"].append(fid)
        else:
            dst["incoming"] = fid
        if evaluate is not None:
            src["conditions"][fid] = {"evaluate": evaluate, "name": label}
        return fid

    def custom(
        self,
        key: str,
        name: str,
        value: Any,
        *,
        custom_type: str = "input",
        show: bool = True,
        desc: str = "",
        validation: str = "",
    ) -> None:
        self.constants[key] = {
            "key": key,
            "name": name,
            "index": len(self.constants),
            "desc": desc,
            "source_type": "custom",
            "custom_type": custom_type,
            "source_tag": f"{custom_type}.{custom_type}",
            "source_info": {},
            "value": value,
            "show_type": "show" if show else "hide",
            "validation": validation,
            "is_meta": False,
            "version": "legacy",
            "schema": {"type": "string", "description": desc, "enum": []},
        }

    def hooked(
        self, key: str, name: str, value: Any, node: str, field: str, desc: str = ""
    ) -> None:
        code = self.activities[node]["component"]["code"]
        self.constants[key] = {
            "key": key,
            "name": name,
            "index": len(self.constants),
            "desc": desc,
            "source_type": "component_inputs",
            "custom_type": "",
            "source_tag": f"{code}.{field}",
            "source_info": {node: [field]},
            "value": value,
            "show_type": "show",
            "validation": "",
            "version": self.activities[node]["component"]["version"],
            "schema": {"type": "string", "description": desc, "enum": []},
        }

    def output(self, key: str, name: str, node: str, field: str) -> None:
        code = self.activities[node]["component"]["code"]
        self.constants[key] = {
            "key": key,
            "name": name,
            "index": len(self.constants),
            "desc": "",
            "source_type": "component_outputs",
            "custom_type": "",
            "source_tag": f"{code}.{field}",
            "source_info": {node: [field]},
            "value": "",
            "show_type": "hide",
            "validation": "",
            "version": self.activities[node]["component"]["version"],
            "schema": None,
        }
        self.outputs.append(key)

    def build(self) -> JSONObj:
        return {
            "start_event": self.start_event,
            "activities": self.activities,
            "gateways": self.gateways,
            "flows": self.flows,
            "end_event": self.end_event,
            "constants": self.constants,
            "outputs": self.outputs,
        }


def _job_script(content: str, hosts: str = "${ip_list}") -> dict[str, Any]:
    return {
        "job_script_source": "manual",
        "job_script_type": "1",
        "job_content": content,
        "job_script_param": "",
        "job_script_timeout": "600",
        "job_ip_list": hosts,
        "job_account": "root",
    }


class SopsWorld:
    """Everything BK-SOPS knows, plus id counters for what the sandbox creates."""

    FIRST_TASK_ID = 2001
    FIRST_PERIODIC_ID = 101

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.ids = IdSource(f"sops:{seed}")
        self.next_task_id = self.FIRST_TASK_ID
        self.next_periodic_id = self.FIRST_PERIODIC_ID
        self.projects = {
            3: Project(
                3, "Web Platform", 2, "Web Platform", "Asia/Shanghai", zone("Asia/Shanghai")
            ),
            4: Project(4, "Payments", 3, "Payments", "UTC", zone("UTC")),
        }
        self.templates: dict[int, Template] = {}
        self.common_templates: dict[int, Template] = {}
        self.tasks: dict[int, Task] = {}
        self.periodic: dict[int, PeriodicTask] = {}
        # bk-sops §1.7 response caches: key -> (expires at, data, task id).
        self.cache: dict[tuple[Any, ...], tuple[datetime, JSONObj, int]] = {}
        self._seed_templates()
        self._seed_tasks()
        self._seed_periodic()

    # ---- lookups and factories ---------------------------------------------------------

    def project_for(self, value: int, scope: str) -> Project | None:
        if scope == "project":
            return self.projects.get(value)
        return next((p for p in self.projects.values() if p.biz_id == value), None)

    def task_url(self, project: Project, task_id: int) -> str:
        return f"{SOPS_APP_URL}/taskflow/execute/{project.id}/?instance_id={task_id}"

    def new_task(
        self,
        *,
        project: Project,
        template: Template,
        name: str,
        creator: str,
        now: datetime,
        constants: JSONObj | None = None,
        exclude: list[str] | None = None,
        create_method: str = "api",
        flow_type: str = "common",
        description: str = "",
        task_id: int | None = None,
        id_map: dict[str, str] | None = None,
        root_id: str | None = None,
        simplify_vars: list[str] | None = None,
    ) -> Task:
        if task_id is None:
            task_id = self.next_task_id
            self.next_task_id += 1
        ids = IdSource(f"sops:{self.seed}:task:{task_id}")
        source_tree = copy.deepcopy(template.tree)
        if exclude:
            exclude_nodes(source_tree, exclude)
        tree = instantiate(source_tree, ids, id_map=id_map, root_id=root_id or "n" + ids.hex(31))
        for key, value in (constants or {}).items():
            if key in tree["constants"]:
                tree["constants"][key]["value"] = value
        for key in simplify_vars or []:
            const = tree["constants"].get(key)
            if const is not None and const.get("source_type") == "custom":
                const["custom_type"] = "textarea"
                const["source_tag"] = "textarea.textarea"
        task = Task(
            id=task_id,
            project=project,
            template_id=template.id,
            template_source="common" if template.is_common else "project",
            name=name,
            creator=creator,
            create_method=create_method,
            flow_type=flow_type,
            category=template.category,
            description=description,
            create_time=now,
            tree=tree,
            ids=ids,
            rng=random.Random(f"sops:{self.seed}:run:{task_id}"),
            task_url=self.task_url(project, task_id),
        )
        self.tasks[task_id] = task
        return task

    def new_periodic(
        self,
        *,
        project: Project,
        template: Template,
        name: str,
        creator: str,
        now: datetime,
        cron: dict[str, str],
        constants: JSONObj | None = None,
        exclude: list[str] | None = None,
        periodic_id: int | None = None,
        id_map: dict[str, str] | None = None,
    ) -> PeriodicTask:
        if periodic_id is None:
            periodic_id = self.next_periodic_id
            self.next_periodic_id += 1
        source_tree = copy.deepcopy(template.tree)
        if exclude:
            exclude_nodes(source_tree, exclude)
        tree = instantiate(
            source_tree, IdSource(f"sops:{self.seed}:periodic:{periodic_id}"), id_map=id_map
        )
        for key, value in (constants or {}).items():
            if key in tree["constants"]:
                tree["constants"][key]["value"] = value
        task = PeriodicTask(
            id=periodic_id,
            project=project,
            name=name,
            template_id=template.id,
            template_source="common" if template.is_common else "project",
            creator=creator,
            create_time=now,
            cron=cron,
            enabled=False,
            tree=tree,
            editor=creator,
            edit_time=now,
        )
        self.periodic[periodic_id] = task
        return task

    def advance(self, now: datetime) -> None:
        for task in self.tasks.values():
            task.advance(now)

    # ---- seed: templates ---------------------------------------------------------------

    def _template(self, tid: int, project_id: int | None, tree: JSONObj, **meta: Any) -> None:
        template = Template(id=tid, project_id=project_id, tree=tree, **meta)
        if project_id is None:
            self.common_templates[tid] = template
        else:
            self.templates[tid] = template

    def _seed_templates(self) -> None:
        self._template(
            42,
            3,
            template_42_tree(),
            name="Restart nginx (with approval)",
            category="OpsTools",
            description="Rolling restart of nginx with an ops confirmation step",
            creator="alice",
            create_time=_at("2026-07-01 09:12:44"),
            editor="bob",
            edit_time=_at("2026-08-18 17:40:02"),
        )

        b = TreeBuilder(self.ids)
        s, n1, e = (
            b.start(),
            b.act(
                "Reload nginx",
                "job_fast_execute_script",
                _job_script("nginx -t && systemctl reload nginx"),
                version="v1.0",
                hooks=("job_ip_list",),
            ),
            b.end(),
        )
        b.link(s, n1)
        b.link(n1, e)
        b.hooked(
            "${ip_list}",
            "Target IPs",
            "10.0.0.11,10.0.0.12",
            n1,
            "job_ip_list",
            "Comma separated hosts",
        )
        b.output("${job_inst_id}", "JOB instance id", n1, "job_inst_id")
        self._template(
            57,
            3,
            b.build(),
            name="nginx config reload",
            category="ConfManage",
            description="",
            creator="bob",
            create_time=_at("2026-07-15 11:02:10"),
            editor=None,
            edit_time=_at("2026-07-15 11:02:10"),
        )

        b = TreeBuilder(self.ids)
        s = b.start()
        n1 = b.act(
            "Clean old logs",
            "job_fast_execute_script",
            _job_script("${cleanup_cmd}"),
            version="v1.0",
            hooks=("job_ip_list",),
        )
        n2 = b.act(
            "Report disk usage",
            "job_fast_execute_script",
            _job_script("df -h /data"),
            version="v1.0",
            hooks=("job_ip_list",),
            optional=True,
        )
        e = b.end()
        b.link(s, n1)
        b.link(n1, n2)
        b.link(n2, e)
        b.hooked("${ip_list}", "Target IPs", "10.0.0.11,10.0.0.12", n1, "job_ip_list")
        b.constants["${ip_list}"]["source_info"][n2] = ["job_ip_list"]
        b.custom(
            "${cleanup_cmd}",
            "Cleanup command",
            "find /data/logs -name '*.log.*' -mtime +7 -delete",
            custom_type="textarea",
        )
        b.custom("${retention_days}", "Retention days", "7", custom_type="int", show=False)
        self._template(
            51,
            3,
            b.build(),
            name="weekly log cleanup",
            category="OpsTools",
            description="Delete rotated logs older than a week",
            creator="bob",
            create_time=_at("2026-06-02 16:30:00"),
            editor="bob",
            edit_time=_at("2026-06-10 10:11:12"),
        )

        b = TreeBuilder(self.ids)
        s = b.start()
        n1 = b.act(
            "Pre-check",
            "job_fast_execute_script",
            _job_script('mysql --version && echo "replication lag 0s"', "10.0.1.21"),
            version="v1.0",
        )
        n2 = b.act(
            "DBA approval",
            "bk_approve",
            {
                "bk_verifier": "${approvers}",
                "bk_approve_title": "Schema change on ${db_name}",
                "bk_approve_content": "${sql_text}",
                "rejected_block": True,
            },
            version="v1.0",
        )
        n3 = b.act(
            "Apply change",
            "job_fast_execute_script",
            _job_script('echo "applying migration to ${db_name}"', "10.0.1.21"),
            version="v1.0",
        )
        e = b.end()
        b.link(s, n1)
        b.link(n1, n2)
        b.link(n2, n3)
        b.link(n3, e)
        b.custom("${approvers}", "Approvers", "admin,alice")
        b.custom("${db_name}", "Database", "web_app")
        b.custom(
            "${sql_text}",
            "SQL",
            "ALTER TABLE orders ADD INDEX idx_created (created_at);",
            custom_type="textarea",
        )
        b.custom(
            "${db_password}",
            "DB password",
            "",
            custom_type="password",
            desc="password of the migration user",
        )
        self._template(
            58,
            3,
            b.build(),
            name="DB schema change (ITSM approval)",
            category="DevTools",
            description="Schema change gated by an ITSM approval ticket",
            creator="alice",
            create_time=_at("2026-07-20 14:00:00"),
            editor="alice",
            edit_time=_at("2026-08-01 09:30:00"),
        )

        b = TreeBuilder(self.ids)
        s = b.start()
        n1 = b.act(
            "Check disk usage",
            "job_fast_execute_script",
            _job_script('df -h /data\necho "disk usage of /data is above 80%"\nexit 1'),
            version="v1.0",
            hooks=("job_ip_list",),
        )
        e = b.end()
        b.link(s, n1)
        b.link(n1, e)
        b.hooked("${ip_list}", "Target IPs", "10.0.0.11,10.0.0.12", n1, "job_ip_list")
        self._template(
            59,
            3,
            b.build(),
            name="disk check (fails)",
            category="MonitorAlarm",
            description="Always fails: the disk check exits 1",
            creator="bob",
            create_time=_at("2026-07-22 08:00:00"),
            editor=None,
            edit_time=_at("2026-07-22 08:00:00"),
        )

        b = TreeBuilder(self.ids)
        s = b.start()
        prep = b.act(
            "Prepare release",
            "job_fast_execute_script",
            _job_script('echo "release ${release_version} staged"', "10.0.0.10"),
            version="v1.0",
        )
        fork = b.gateway("ParallelGateway")
        a1 = b.act(
            "Deploy web-nginx-01",
            "job_fast_execute_script",
            _job_script('echo "deployed ${release_version}"', "10.0.0.11"),
            version="v1.0",
        )
        a2 = b.act(
            "Deploy web-nginx-02",
            "job_fast_execute_script",
            _job_script('echo "deployed ${release_version}"', "10.0.0.12"),
            version="v1.0",
        )
        join = b.gateway("ConvergeGateway")
        branch = b.gateway("ExclusiveGateway", "notify?")
        notify = b.act(
            "Notify ops",
            "bk_notify",
            {
                "bk_notify_type": ["weixin"],
                "bk_receiver_info": "${deploy_user}",
                "bk_notify_title": "release ${release_version} rolled out",
            },
        )
        e = b.end()
        b.link(s, prep)
        b.link(prep, fork)
        b.gateways[fork]["converge_gateway_id"] = join
        b.link(fork, a1)
        b.link(fork, a2)
        b.link(a1, join)
        b.link(a2, join)
        b.link(join, branch)
        b.link(branch, notify, evaluate='"${notify}" == "yes"', label="notify")
        b.link(branch, e, evaluate='"${notify}" != "yes"', label="quiet")
        b.link(notify, e)
        b.custom("${release_version}", "Release version", "1.4.2")
        b.custom("${notify}", "Notify ops (yes/no)", "yes")
        b.custom("${deploy_user}", "Deploy user", "deploy", show=False)
        self._template(
            60,
            3,
            b.build(),
            name="multi-node rollout (parallel)",
            category="DevTools",
            description="Deploys two nodes in parallel, then optionally notifies",
            creator="alice",
            create_time=_at("2026-07-28 10:00:00"),
            editor="bob",
            edit_time=_at("2026-08-05 18:45:00"),
        )

        b = TreeBuilder(self.ids)
        s = b.start()
        n1 = b.act(
            "Health check",
            "job_fast_execute_script",
            _job_script("uptime && df -h"),
            version="v1.0",
            hooks=("job_ip_list",),
        )
        e = b.end()
        b.link(s, n1)
        b.link(n1, e)
        b.hooked("${ip_list}", "Target IPs", "10.0.0.11", n1, "job_ip_list")
        self._template(
            1001,
            None,
            b.build(),
            name="[Common] host health check",
            category="OpsTools",
            description="Shared template: uptime and disk usage of the given hosts",
            creator="admin",
            create_time=_at("2026-05-01 09:00:00"),
            editor=None,
            edit_time=_at("2026-05-01 09:00:00"),
        )

        b = TreeBuilder(self.ids)
        s = b.start()
        n1 = b.act(
            "Restart canary",
            "job_fast_execute_script",
            _job_script("systemctl restart payments-api", "10.0.2.11"),
            version="v1.0",
        )
        n2 = b.act(
            "Confirm canary",
            "pause_node",
            {"description": "Check payments dashboards, then continue"},
        )
        n3 = b.act(
            "Restart fleet",
            "job_fast_execute_script",
            _job_script("systemctl restart payments-api", "10.0.2.12,10.0.2.13"),
            version="v1.0",
        )
        e = b.end()
        b.link(s, n1)
        b.link(n1, n2)
        b.link(n2, n3)
        b.link(n3, e)
        b.custom("${change_ticket}", "Change ticket", "CHG-0000")
        self._template(
            70,
            4,
            b.build(),
            name="payments canary restart",
            category="OpsTools",
            description="Restart one node, confirm, then the rest",
            creator="dave",
            create_time=_at("2026-06-15 09:00:00", "UTC"),
            editor=None,
            edit_time=_at("2026-06-15 09:00:00", "UTC"),
        )

    # ---- seed: tasks ---------------------------------------------------------------------

    def _seed_tasks(self) -> None:
        p3, p4 = self.projects[3], self.projects[4]
        t = self.templates

        done = self.new_task(
            project=p3,
            template=t[57],
            name="nginx config reload 2026-08-18",
            creator="bob",
            now=_at("2026-08-18 14:00:00"),
            task_id=1050,
        )
        done.request_start(_at("2026-08-18 14:00:03"), "bob")
        done.advance(_at("2026-08-18 14:05:00"))

        nightly = self.new_task(
            project=p3,
            template=t[42],
            name="nightly nginx restart_20260820",
            creator="alice",
            now=_at("2026-08-20 02:00:00"),
            constants={"${ip_list}": "10.0.0.11", "${wait_seconds}": "60"},
            create_method="periodic",
            task_id=1061,
        )
        nightly.request_start(_at("2026-08-20 02:00:00"), "alice")
        nightly.advance(_at("2026-08-20 02:05:00"))
        pause_id = next(
            n
            for n, a in nightly.tree["activities"].items()
            if a["component"]["code"] == "pause_node"
        )
        nightly.callback(
            pause_id, {"decision": "approve"}, None, "alice", _at("2026-08-20 02:09:30")
        )
        nightly.advance(_at("2026-08-20 02:15:00"))

        failed = self.new_task(
            project=p3,
            template=t[59],
            name="disk check 2026-08-19",
            creator="alice",
            now=_at("2026-08-19 11:00:00"),
            task_id=1072,
        )
        failed.request_start(_at("2026-08-19 11:00:02"), "alice")
        failed.advance(_at("2026-08-19 11:02:00"))

        revoked = self.new_task(
            project=p3,
            template=t[42],
            name="nginx restart 2026-08-19 (slack:bob)",
            creator="bob",
            now=_at("2026-08-19 15:00:00"),
            task_id=1080,
        )
        revoked.request_start(_at("2026-08-19 15:00:04"), "bob")
        revoked.advance(_at("2026-08-19 15:02:00"))
        revoked.revoke(_at("2026-08-19 15:20:00"))

        self.new_task(
            project=p3,
            template=t[57],
            name="nginx config reload (draft)",
            creator="alice",
            now=_at("2026-08-20 09:30:00"),
            task_id=1085,
        )

        # bk-sops §3.3/§3.7: task 1087 with the examples' exact ids, waiting at the pause node.
        task = self.new_task(
            project=p3,
            template=t[42],
            name="nginx restart 2026-08-20 (slack:alice)",
            creator="alice",
            now=_at("2026-08-20 10:00:00"),
            constants={"${ip_list}": "10.0.0.11,10.0.0.12", "${wait_seconds}": "30"},
            task_id=1087,
            id_map=TASK_1087_IDS,
            root_id="n6b6fb00b2271429684afe8fcbfd0002",
        )
        task.forced_versions = {
            "n6b6fb00b2271429684afe8fcbfd0002": "v811d409c67704af3b5c1e9f7478d94b1",
            "n36700260743945f4823816bdf629795": "veb09e25b84284c9a8fd6404590e6d4ca",
            "neb693d84fdcb4969a2dd8121ba0fd33": "ve392974d5a2243cfa35b2094e41a2ca5",
            "nbc131c04c41b4806baaca3f97fb465d": "vb1bf117ec7f244a3b9a7f98ac1f516bd",
        }
        task.forced_durations = {"neb693d84fdcb4969a2dd8121ba0fd33": 30.0}
        task.request_start(_at("2026-08-20 10:00:04"), "alice")
        task.advance(_at("2026-08-20 10:00:40"))

        pay = self.new_task(
            project=p4,
            template=t[70],
            name="payments canary 2026-08-19",
            creator="dave",
            now=_at("2026-08-19 08:00:00", "UTC"),
            task_id=1090,
        )
        pay.request_start(_at("2026-08-19 08:00:02", "UTC"), "dave")
        pay.advance(_at("2026-08-19 08:03:00", "UTC"))
        waiting = next(n for n, r in pay.nodes.items() if r.code == "pause_node")
        pay.callback(waiting, {"ok": True}, None, "dave", _at("2026-08-19 08:10:00", "UTC"))
        pay.advance(_at("2026-08-19 08:20:00", "UTC"))

    def _seed_periodic(self) -> None:
        p3 = self.projects[3]
        nightly = self.new_periodic(
            project=p3,
            template=self.templates[42],
            name="nightly nginx restart",
            creator="alice",
            now=_at("2026-07-30 18:00:00"),
            cron={
                "minute": "0",
                "hour": "2",
                "day_of_week": "*",
                "day_of_month": "*",
                "month_of_year": "*",
            },
            constants={"${ip_list}": "10.0.0.11", "${wait_seconds}": "60"},
            periodic_id=7,
            id_map=PERIODIC_7_IDS,
        )
        nightly.enabled = True
        nightly.last_run_at = _at("2026-08-20 02:00:00")
        nightly.total_run_count = 19
        weekly = self.new_periodic(
            project=p3,
            template=self.templates[51],
            name="weekly log cleanup",
            creator="bob",
            now=_at("2026-06-10 10:20:00"),
            cron={
                "minute": "30",
                "hour": "3",
                "day_of_week": "0",
                "day_of_month": "*",
                "month_of_year": "*",
            },
            periodic_id=5,
        )
        weekly.enabled = False


TASK_1087_IDS = {
    "nodefd236c48a9a840d6b3af8ed6c441": "n36700260743945f4823816bdf629795",
    "nodecfc5725adaa2485a86a44f9b2df3": "neb693d84fdcb4969a2dd8121ba0fd33",
    "node30640179c8be4a2d9ff5210aeb6f": "nbc131c04c41b4806baaca3f97fb465d",
    "node5eab2e72ed8b4c29bded4a12333d": "n322a3a2faab54d6cacb40a8a2da97ea",
    "node9a1ba80b8f4c403fb509459a7fb8": "n265083c31256438b8f9a5100b40c137",
    "line5c273fff6bc545558c4ebc52979e": "l5121aa5289b64a819e49154cc8f7bf8",
    "line816ea55202674e18a52a9a0e99f1": "l05cd7c328aab474e93c1c162ee14584",
    "linefa8310593aab4f28a745b04cc9e1": "l09630ef4daba4db58ab69604b7186da",
    "line1767ef155ff044a8b607f8211a6b": "l8e83f94213de4453bc0f34b7d4b99af",
}

PERIODIC_7_IDS = {
    "nodefd236c48a9a840d6b3af8ed6c441": "n57fb5209596b4572935ba8bb7efa86b",
    "nodecfc5725adaa2485a86a44f9b2df3": "naea83e9a5fda408dbd9cf0051c43b3a",
    "node30640179c8be4a2d9ff5210aeb6f": "n29083dbc7b7d427c9e4f85ace307e76",
    "node5eab2e72ed8b4c29bded4a12333d": "n373d29af87f147edb4e7f16a36d3f15",
    "node9a1ba80b8f4c403fb509459a7fb8": "n77840a6b07704e0da729c89e2b43b37",
    "line5c273fff6bc545558c4ebc52979e": "l76a8773df82344f8a9791c1ce326346",
    "line816ea55202674e18a52a9a0e99f1": "laf012e5a5c8942c09108bdb938e9010",
    "linefa8310593aab4f28a745b04cc9e1": "ldcdf12d6b6244773bf6a04b36159838",
    "line1767ef155ff044a8b607f8211a6b": "l1970d1f6c6d54aa49997bfb61629654",
}


def _a(
    node_id: str,
    name: str,
    incoming: str,
    outgoing: str,
    code: str,
    version: str,
    data: JSONObj,
    optional: bool,
) -> JSONObj:
    return {
        "id": node_id,
        "type": "ServiceActivity",
        "name": name,
        "stage_name": "",
        "incoming": [incoming],
        "outgoing": outgoing,
        "component": {"code": code, "version": version, "data": data},
        "error_ignorable": False,
        "optional": optional,
        "retryable": True,
        "skippable": True,
        "auto_retry": {"enable": False, "interval": 0, "times": 1},
        "timeout_config": {"enable": False, "seconds": 10, "action": "forced_fail"},
        "labels": [],
        "loop": None,
    }


def _flow(fid: str, source: str, target: str) -> JSONObj:
    return {"id": fid, "source": source, "target": target, "is_default": False}


def template_42_tree() -> JSONObj:
    """bk-sops §2.3, verbatim: script → pause_node → sleep_timer → end."""
    start, script, pause = (
        "nodefd236c48a9a840d6b3af8ed6c441",
        "nodecfc5725adaa2485a86a44f9b2df3",
        "node30640179c8be4a2d9ff5210aeb6f",
    )
    wait, end = "node5eab2e72ed8b4c29bded4a12333d", "node9a1ba80b8f4c403fb509459a7fb8"
    f1, f2 = "line5c273fff6bc545558c4ebc52979e", "line816ea55202674e18a52a9a0e99f1"
    f3, f4 = "linefa8310593aab4f28a745b04cc9e1", "line1767ef155ff044a8b607f8211a6b"
    script_data = {
        "job_script_source": {"hook": False, "value": "manual"},
        "job_script_type": {"hook": False, "value": "1"},
        "job_content": {"hook": False, "value": "${script_content}"},
        "job_script_param": {"hook": False, "value": ""},
        "job_script_timeout": {"hook": False, "value": "600"},
        "job_ip_list": {"hook": True, "value": "${ip_list}"},
        "job_account": {"hook": False, "value": "root"},
    }
    return {
        "start_event": {
            "id": start,
            "type": "EmptyStartEvent",
            "name": "",
            "incoming": "",
            "outgoing": f1,
            "labels": [],
        },
        "activities": {
            script: _a(
                script,
                "Restart nginx",
                f1,
                f2,
                "job_fast_execute_script",
                "v1.0",
                script_data,
                False,
            ),
            pause: _a(
                pause,
                "Ops approval",
                f2,
                f3,
                "pause_node",
                "legacy",
                {"description": {"hook": False, "value": "Approve restart of nginx on ${ip_list}"}},
                True,
            ),
            wait: _a(
                wait,
                "Warm-up wait",
                f3,
                f4,
                "sleep_timer",
                "legacy",
                {
                    "bk_timing": {"hook": True, "value": "${wait_seconds}"},
                    "force_check": {"hook": False, "value": True},
                },
                True,
            ),
        },
        "gateways": {},
        "flows": {
            f1: _flow(f1, start, script),
            f2: _flow(f2, script, pause),
            f3: _flow(f3, pause, wait),
            f4: _flow(f4, wait, end),
        },
        "end_event": {
            "id": end,
            "type": "EmptyEndEvent",
            "name": "",
            "incoming": [f4],
            "outgoing": "",
            "labels": [],
        },
        "constants": {
            "${ip_list}": {
                "key": "${ip_list}",
                "name": "Target IPs",
                "index": 0,
                "desc": "Comma separated hosts",
                "source_type": "component_inputs",
                "custom_type": "",
                "source_tag": "job_fast_execute_script.job_ip_list",
                "source_info": {script: ["job_ip_list"]},
                "value": "10.0.0.11,10.0.0.12",
                "show_type": "show",
                "validation": "",
                "version": "v1.0",
                "schema": {"type": "string", "description": "IP list", "enum": []},
            },
            "${script_content}": {
                "key": "${script_content}",
                "name": "Script",
                "index": 1,
                "desc": "",
                "source_type": "custom",
                "custom_type": "textarea",
                "source_tag": "textarea.textarea",
                "source_info": {},
                "value": "systemctl restart nginx && systemctl is-active nginx",
                "show_type": "show",
                "validation": "^.+$",
                "is_meta": False,
                "version": "legacy",
                "schema": {"type": "string", "description": "", "enum": []},
            },
            "${wait_seconds}": {
                "key": "${wait_seconds}",
                "name": "Warm-up seconds",
                "index": 2,
                "desc": "",
                "source_type": "component_inputs",
                "custom_type": "",
                "source_tag": "sleep_timer.bk_timing",
                "source_info": {wait: ["bk_timing"]},
                "value": "30",
                "show_type": "show",
                "validation": "",
                "version": "legacy",
                "schema": {"type": "string", "description": "", "enum": []},
            },
            "${job_inst_id}": {
                "key": "${job_inst_id}",
                "name": "JOB instance id",
                "index": 3,
                "desc": "",
                "source_type": "component_outputs",
                "custom_type": "",
                "source_tag": "job_fast_execute_script.job_inst_id",
                "source_info": {script: ["job_inst_id"]},
                "value": "",
                "show_type": "hide",
                "validation": "",
                "version": "v1.0",
                "schema": None,
            },
        },
        "outputs": ["${job_inst_id}"],
    }
