"""The seeded BK-Job world: businesses, hosts, accounts, scripts, plans, crons and runs."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from ._common import JOB_TZ, JSONObj
from ._job_agenda import JobAgenda
from ._job_engine import (
    Account,
    Cron,
    DbAccount,
    FileSource,
    GlobalVar,
    Host,
    HostRun,
    JobInstance,
    Plan,
    Script,
    StepInstance,
    StepKind,
    StepSpec,
)

__all__ = ["BUSINESSES", "JobWorld"]

BUSINESSES: dict[int, str] = {2: "demo-biz", 3: "payments"}


def _cn(text: str) -> datetime:
    """A seeded timestamp written in the Job server's zone (Asia/Shanghai)."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=JOB_TZ).astimezone(UTC)


def _utc(text: str) -> datetime:
    """A seeded script/account timestamp; bk-job §4.4 renders those in UTC."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


class JobWorld:
    """Everything BK-Job knows, plus the id counters for what the sandbox creates."""

    FIRST_INSTANCE_ID = 20000200001
    FIRST_STEP_ID = 20000300001
    FIRST_CRON_ID = 1000101

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.next_instance_id = self.FIRST_INSTANCE_ID
        self.next_step_id = self.FIRST_STEP_ID
        self.next_cron_id = self.FIRST_CRON_ID
        self.hosts: list[Host] = []
        self.topology: dict[tuple[int, str, int], list[Host]] = {}
        self.dynamic_groups: dict[str, tuple[int, list[Host]]] = {}
        self.accounts: list[Account] = []
        self.db_accounts: list[DbAccount] = []
        self.scripts: dict[int, Script] = {}
        self.plans: dict[int, Plan] = {}
        self.crons: dict[int, Cron] = {}
        self.instances: dict[int, JobInstance] = {}
        # Reads `instances` live, so that dict is never replaced, only changed.
        self.agenda = JobAgenda(self.instances)
        self._seed_cmdb()
        self._seed_accounts()
        self._seed_scripts()
        self._seed_plans()
        self._seed_crons()
        self._seed_instances()
        # The seeds edit and advance their runs by hand after creating them.
        for inst in self.instances.values():
            self.reschedule(inst)

    # ---- lookups -------------------------------------------------------------------

    def host(self, ip: str, cloud_id: int = 0) -> Host | None:
        for host in self.hosts:
            if host.ip == ip and host.cloud_id == cloud_id:
                return host
        return None

    def hosts_of(self, *ips: str) -> list[Host]:
        found = [self.host(ip) for ip in ips]
        return [h for h in found if h is not None]

    def account(self, biz_id: int, alias: str) -> Account | None:
        for acc in self.accounts:
            if acc.biz_id == biz_id and acc.alias == alias:
                return acc
        return None

    def db_account(self, biz_id: int, account_id: int) -> DbAccount | None:
        for acc in self.db_accounts:
            if acc.biz_id == biz_id and acc.id == account_id:
                return acc
        return None

    def instance_rng(self, instance_id: int) -> random.Random:
        # One generator per run keeps a run's timing independent of other requests.
        return random.Random(f"job:{self.seed}:{instance_id}")

    def new_instance(
        self,
        *,
        biz_id: int,
        bk_job_id: int,
        name: str,
        operator: str,
        specs: list[StepSpec],
        now: datetime,
        action: str,
        resource: JSONObj | None = None,
        instance_id: int | None = None,
        step_ids: list[int] | None = None,
    ) -> JobInstance:
        if instance_id is None:
            instance_id = self.next_instance_id
            self.next_instance_id += 1
        steps: list[StepInstance] = []
        for n, spec in enumerate(specs):
            if step_ids is not None:
                step_id = step_ids[n]
            else:
                step_id = self.next_step_id
                self.next_step_id += 1
            steps.append(StepInstance(id=step_id, spec=spec, operator=operator, create_time=now))
        inst = JobInstance(
            id=instance_id,
            biz_id=biz_id,
            bk_job_id=bk_job_id,
            name=name,
            operator=operator,
            create_time=now,
            steps=steps,
            rng=self.instance_rng(instance_id),
            action=action,
            resource=resource,
        )
        inst.schedule_start(now)
        self.instances[instance_id] = inst
        self.agenda.add(inst)
        return inst

    def new_cron_id(self) -> int:
        cron_id = self.next_cron_id
        self.next_cron_id += 1
        return cron_id

    def advance(self, now: datetime) -> None:
        """Apply every transition due at or before `now`; runs with nothing due cost nothing."""
        for inst in self.agenda.pop_due(now):
            self.touch(inst, now)

    def touch(self, inst: JobInstance, now: datetime) -> None:
        """Bring one instance up to `now` whatever the agenda holds for it."""
        inst.advance(now)
        self.reschedule(inst)

    def reschedule(self, inst: JobInstance) -> None:
        """Call after anything outside `advance` changes when the instance moves next."""
        self.agenda.reschedule(inst)

    # ---- seed: CMDB ------------------------------------------------------------------

    def _seed_cmdb(self) -> None:
        rows = [
            (300, "10.0.0.10", 2, "ops-repo-01", True),
            (301, "10.0.0.11", 2, "web-nginx-01", True),
            (302, "10.0.0.12", 2, "web-nginx-02", True),
            (303, "10.0.0.13", 2, "web-spare-01", False),  # agent abnormal
            (304, "10.0.1.21", 2, "db-mysql-01", True),
            (400, "10.0.2.11", 3, "pay-api-01", True),
            (401, "10.0.2.12", 3, "pay-api-02", True),
            (402, "10.0.2.13", 3, "pay-api-03", True),
        ]
        for host_id, ip, biz, name, agent_ok in rows:
            self.hosts.append(Host(host_id, ip, biz, name, 0, agent_ok))
        h = self.hosts_of
        self.topology = {
            (2, "biz", 2): [x for x in self.hosts if x.biz_id == 2],
            (2, "set", 10): h("10.0.0.10", "10.0.0.11", "10.0.0.12", "10.0.0.13"),
            (2, "set", 11): h("10.0.1.21"),
            (2, "module", 1000): h("10.0.0.11", "10.0.0.12"),
            (2, "module", 1001): h("10.0.1.21"),
            (2, "module", 1002): h("10.0.0.10"),
            (2, "module", 1003): h("10.0.0.13"),
            (3, "biz", 3): [x for x in self.hosts if x.biz_id == 3],
            (3, "set", 20): h("10.0.2.11", "10.0.2.12", "10.0.2.13"),
            (3, "module", 2000): h("10.0.2.11", "10.0.2.12", "10.0.2.13"),
        }
        self.dynamic_groups = {
            "blo8gojho0skft7pr5q0": (2, h("10.0.0.11", "10.0.0.12")),
            "bq3kx7m2pa9wd4c1e8f6": (3, h("10.0.2.11", "10.0.2.12")),
        }

    def _seed_accounts(self) -> None:
        # bk-job §5.6 example, verbatim for business 2.
        self.accounts = [
            Account(3, "root", "root", "Linux", 2, "system", _utc("2023-03-22 07:36:31")),
            Account(
                2,
                "Administrator",
                "Administrator",
                "Windows",
                2,
                "system",
                _utc("2023-03-22 07:36:31"),
            ),
            Account(19, "deploy", "deploy-user", "Linux", 2, "alice", _utc("2024-08-10 03:49:20")),
            Account(40, "root", "root", "Linux", 3, "system", _utc("2023-03-22 07:36:31")),
        ]
        self.db_accounts = [
            DbAccount(1000, "mysql-readonly", "reader", 2, "alice", _utc("2024-02-01 08:00:00")),
            DbAccount(
                1001, "mysql-admin", "dba", 2, "bob", _utc("2024-02-01 08:05:00"), ("admin",)
            ),
            DbAccount(1100, "pg-payments", "payments_ro", 3, "admin", _utc("2024-04-11 02:30:00")),
        ]

    # ---- seed: scripts (bk-job §5.3, §5.4) ---------------------------------------------

    def _seed_scripts(self) -> None:
        def add(
            sid: int,
            name: str,
            version: str,
            lang: int,
            biz: int | None,
            creator: str,
            created: str,
            modified: str,
            content: str,
            status: int = 1,
        ) -> None:
            self.scripts[sid] = Script(
                sid,
                name,
                version,
                lang,
                content,
                biz,
                creator,
                _utc(created),
                creator,
                _utc(modified),
                status,
            )

        add(
            6862,
            "check_disk.sh",
            "v1.2",
            1,
            2,
            "alice",
            "2024-06-27 09:23:06",
            "2024-07-01 02:11:45",
            CHECK_DISK,
        )
        add(
            7010,
            "disk_cleanup.sh",
            "v3",
            1,
            2,
            "bob",
            "2024-08-02 07:45:37",
            "2024-08-02 07:45:37",
            DISK_CLEANUP,
        )
        add(
            7011,
            "disk_cleanup.sh",
            "v2",
            1,
            2,
            "bob",
            "2024-05-12 03:10:09",
            "2024-08-02 07:45:37",
            DISK_CLEANUP_V2,
            status=3,
        )
        add(
            7020,
            "collect_metrics.py",
            "v2.0",
            4,
            2,
            "alice",
            "2024-09-14 06:00:12",
            "2024-10-03 08:41:55",
            COLLECT_METRICS,
        )
        add(
            7030,
            "rotate_logs.pl",
            "v1.1",
            3,
            2,
            "bob",
            "2024-03-08 11:20:44",
            "2024-03-09 01:02:03",
            ROTATE_LOGS,
        )
        add(
            7040,
            "show_slow_queries.sql",
            "v1.0",
            6,
            2,
            "alice",
            "2024-11-20 04:15:00",
            "2024-11-20 04:15:00",
            SLOW_QUERIES,
        )
        add(
            7100,
            "payments_healthcheck.sh",
            "v1.0",
            1,
            3,
            "admin",
            "2024-04-11 02:40:00",
            "2024-04-11 02:40:00",
            PAYMENTS_HEALTHCHECK,
        )
        add(
            36,
            "net_ping_check",
            "v1.0",
            4,
            None,
            "admin",
            "2023-07-23 07:45:37",
            "2023-07-23 09:24:17",
            NET_PING_CHECK,
        )
        add(
            37,
            "clear_tmp.sh",
            "v1.0",
            1,
            None,
            "admin",
            "2023-07-25 03:00:00",
            "2023-07-25 03:00:00",
            CLEAR_TMP,
        )

    # ---- seed: plans (bk-job §5.2) ------------------------------------------------------

    def _seed_plans(self) -> None:
        h = self.hosts_of
        web11 = h("10.0.0.11")
        web = h("10.0.0.11", "10.0.0.12")
        deploy = Plan(
            id=1000123,
            biz_id=2,
            template_id=1000045,
            name="deploy-web (prod)",
            creator="alice",
            create_time=_cn("2024-05-20 10:12:31"),
            last_modify_user="bob",
            last_modify_time=_cn("2025-01-08 17:40:02"),
            steps=[
                StepSpec(
                    StepKind.SCRIPT,
                    "stop service",
                    step_id=2000501,
                    script_content="#!/bin/bash\nsystemctl stop web\n",
                    timeout=600,
                    account="root",
                    account_id=3,
                    targets=web11,
                ),
                StepSpec(
                    StepKind.FILE,
                    "push package",
                    step_id=2000502,
                    account="root",
                    targets=web11,
                    file_target_path="/data/release/",
                    file_sources=[
                        FileSource(["/data/pkg/web-1.4.2.tar.gz"], "root", h("10.0.0.10")),
                    ],
                ),
                StepSpec(
                    StepKind.CONFIRM,
                    "approve restart",
                    step_id=2000503,
                    confirm_message="Please confirm the restart of web",
                ),
            ],
            global_vars=[
                GlobalVar(5001, 1, "version", "1.4.2", "release version"),
                GlobalVar(5002, 3, "web_hosts", "", "", hosts=web11),
            ],
        )
        migrate = Plan(
            id=1000124,
            biz_id=2,
            template_id=1000046,
            name="db-migrate",
            creator="bob",
            create_time=_cn("2024-09-03 14:02:11"),
            last_modify_user="bob",
            last_modify_time=_cn("2025-02-17 09:30:45"),
            steps=[
                StepSpec(
                    StepKind.SCRIPT,
                    "backup schema",
                    step_id=2000511,
                    script_content=(
                        "#!/bin/bash\n"
                        "mysqldump --no-data web_app > /data/backup/web_app_schema.sql\n"
                        'echo "schema backup written to /data/backup/web_app_schema.sql"\n'
                    ),
                    timeout=1800,
                    account="root",
                    account_id=3,
                    targets=h("10.0.1.21"),
                ),
                StepSpec(
                    StepKind.SQL,
                    "apply migration",
                    step_id=2000512,
                    script_content=(
                        "ALTER TABLE orders ADD COLUMN refund_reason VARCHAR(255) NULL;\n"
                        "UPDATE schema_version SET version = '2026.08.1';\n"
                    ),
                    script_lang=6,
                    timeout=1800,
                    account="mysql-admin",
                    account_id=1001,
                    targets=h("10.0.1.21"),
                ),
            ],
            global_vars=[
                GlobalVar(5101, 1, "migration_version", "2026.08.1", "schema version to apply"),
                GlobalVar(5102, 4, "db_password", "S3cr3t-Sandbox!", "password of the dba user"),
                GlobalVar(5103, 2, "db_name", "web_app", "database namespace"),
            ],
        )
        flaky = Plan(
            id=1000125,
            biz_id=2,
            template_id=1000047,
            name="health-check (flaky)",
            creator="alice",
            create_time=_cn("2024-10-11 08:45:00"),
            last_modify_user="alice",
            last_modify_time=_cn("2025-06-30 16:20:18"),
            steps=[
                StepSpec(
                    StepKind.SCRIPT,
                    "check services",
                    step_id=2000521,
                    script_content=(
                        "#!/bin/bash\n"
                        "systemctl is-active nginx\n"
                        "curl -fsS http://127.0.0.1/healthz\n"
                        'echo "health endpoint OK on $(hostname)"\n'
                    ),
                    timeout=300,
                    account="root",
                    account_id=3,
                    targets=web,
                    flaky={
                        "10.0.0.12": (
                            1,
                            "curl: (22) The requested URL returned error: 503 "
                            "(upstream app-server on 10.0.0.12 still warming up)",
                        )
                    },
                ),
                StepSpec(
                    StepKind.SCRIPT,
                    "summarize",
                    step_id=2000522,
                    script_content='#!/bin/bash\necho "all web nodes healthy"\n',
                    timeout=300,
                    account="root",
                    account_id=3,
                    targets=h("10.0.0.10"),
                ),
            ],
            global_vars=[],
        )
        reindex = Plan(
            id=1000126,
            biz_id=2,
            template_id=1000048,
            name="batch reindex",
            creator="bob",
            create_time=_cn("2025-01-21 20:11:09"),
            last_modify_user="bob",
            last_modify_time=_cn("2025-01-21 20:11:09"),
            steps=[
                StepSpec(
                    StepKind.SCRIPT,
                    "reindex shards",
                    step_id=2000531,
                    script_content=(
                        "#!/bin/bash\n"
                        'echo "reindexing 48 shards"\n'
                        "sleep 300\n"
                        'echo "reindex complete"\n'
                    ),
                    timeout=3600,
                    account="root",
                    account_id=3,
                    targets=web,
                ),
                StepSpec(
                    StepKind.SCRIPT,
                    "verify index",
                    step_id=2000532,
                    script_content='#!/bin/bash\necho "index verified"\n',
                    timeout=600,
                    account="root",
                    account_id=3,
                    targets=web11,
                ),
            ],
            global_vars=[GlobalVar(5301, 1, "index_name", "products_v7", "index to rebuild")],
        )
        hotfix = Plan(
            id=1000127,
            biz_id=2,
            template_id=1000049,
            name="hotfix rollout (starter confirms)",
            creator="alice",
            create_time=_cn("2025-04-02 11:00:00"),
            last_modify_user="alice",
            last_modify_time=_cn("2025-04-02 11:05:31"),
            steps=[
                StepSpec(
                    StepKind.SCRIPT,
                    "pre-check",
                    step_id=2000541,
                    script_content="#!/bin/bash\nuptime\n",
                    timeout=300,
                    account="root",
                    account_id=3,
                    targets=web11,
                ),
                StepSpec(
                    StepKind.CONFIRM,
                    "starter confirms",
                    step_id=2000542,
                    confirm_message="Only the person who started this run may confirm the hotfix",
                    confirm_roles=["JOB_RESOURCE_TRIGGER_USER"],
                ),
                StepSpec(
                    StepKind.SCRIPT,
                    "apply hotfix",
                    step_id=2000543,
                    script_content='#!/bin/bash\necho "hotfix applied on $(hostname)"\n',
                    timeout=600,
                    account="root",
                    account_id=3,
                    targets=web,
                ),
            ],
            global_vars=[],
        )
        canary = Plan(
            id=1000200,
            biz_id=3,
            template_id=1000060,
            name="payments canary restart",
            creator="admin",
            create_time=_cn("2024-12-01 09:00:00"),
            last_modify_user="dave",
            last_modify_time=_cn("2025-05-05 18:22:40"),
            steps=[
                StepSpec(
                    StepKind.SCRIPT,
                    "restart canary",
                    step_id=2000601,
                    script_content=(
                        "systemctl restart payments-api && systemctl is-active payments-api\n"
                    ),
                    timeout=600,
                    account="root",
                    account_id=40,
                    targets=h("10.0.2.11"),
                ),
                StepSpec(
                    StepKind.SCRIPT,
                    "check fleet",
                    step_id=2000602,
                    script_content='#!/bin/bash\necho "canary healthy on $(hostname)"\n',
                    timeout=600,
                    account="root",
                    account_id=40,
                    targets=h("10.0.2.11", "10.0.2.12", "10.0.2.13"),
                ),
            ],
            global_vars=[GlobalVar(6001, 1, "service", "payments-api", "systemd unit")],
        )
        for plan in (deploy, migrate, flaky, reindex, hotfix, canary):
            self.plans[plan.id] = plan

    def _seed_crons(self) -> None:
        self.crons = {
            # bk-job §5.16 example, verbatim.
            1000066: Cron(
                1000066,
                2,
                "nightly cleanup",
                1,
                "30 2 * * *",
                1000123,
                "alice",
                _cn("2024-11-02 10:20:00"),
                "alice",
                _cn("2024-11-02 10:21:15"),
            ),
            1000067: Cron(
                1000067,
                2,
                "weekly health check",
                2,
                "0 9 * * 1",
                1000125,
                "bob",
                _cn("2025-02-03 09:15:40"),
                "bob",
                _cn("2025-03-01 12:00:00"),
            ),
            1000070: Cron(
                1000070,
                3,
                "payments hourly canary",
                1,
                "0 * * * *",
                1000200,
                "dave",
                _cn("2025-05-06 08:00:00"),
                "dave",
                _cn("2025-05-06 08:00:00"),
            ),
        }

    # ---- seed: finished runs ---------------------------------------------------------

    def _seed_instances(self) -> None:
        h = self.hosts_of
        # bk-job §5.14/§5.15 examples, verbatim: one host succeeded, one exited 1.
        t0 = _cn("2025-03-14 15:30:12")
        spec = StepSpec(
            StepKind.SCRIPT,
            "slack:alice:uptime",
            script_content="#!/bin/bash\nuptime\ndf -h /\n",
            script_param="--verbose /var/log",
            timeout=600,
            account="root",
            account_id=3,
            targets=h("10.0.0.11", "10.0.0.12"),
        )
        inst = self.new_instance(
            biz_id=2,
            bk_job_id=-1,
            name="slack:alice:uptime",
            operator="alice",
            specs=[spec],
            now=t0,
            action="quick_execute_script",
            instance_id=20000123456,
            step_ids=[20000234567],
        )
        web11, web12 = h("10.0.0.11", "10.0.0.12")
        step = inst.steps[0]
        step.hosts = [
            HostRun(
                web11,
                0,
                t0,
                t0 + timedelta(seconds=1.204),
                9,
                lines=[
                    (t0, "[2025-03-14 15:30:12][PID:56875] job_start"),
                    (
                        t0 + timedelta(seconds=0.6),
                        " 15:30:12 up 41 days,  3:02,  0 users,  load average: 0.12, 0.08, 0.05",
                    ),
                ],
                total_time=1.204,
            ),
            HostRun(
                web12,
                0,
                t0,
                t0 + timedelta(seconds=3.169),
                104,
                exit_code=1,
                lines=[
                    (t0, "[2025-03-14 15:30:12][PID:40211] job_start"),
                    (t0 + timedelta(seconds=3), "check failed: disk usage of / > 90%"),
                ],
                total_time=3.169,
            ),
        ]
        end = t0 + timedelta(seconds=4)
        step.status = 4
        step.start_time, step.end_time, step.total_time = t0, end, 3.169
        inst.status, inst.start_at, inst.start_time, inst.end_time = 4, None, t0, end
        inst.total_time = 3.169

        # The §5.13 example retries step 20000234600: a run of the flaky plan.
        flaky = self.plans[1000125]
        run = self.new_instance(
            biz_id=2,
            bk_job_id=flaky.id,
            name=flaky.name,
            operator="alice",
            specs=flaky.steps,
            now=_cn("2026-08-19 09:00:00"),
            action="launch_job_plan",
            resource=plan_resource(flaky),
            instance_id=20000123500,
            step_ids=[20000234600, 20000234601],
        )
        run.advance(_cn("2026-08-19 09:05:00"))

        push = StepSpec(
            StepKind.FILE,
            "slack:alice:push-nginx-conf",
            timeout=1800,
            account="root",
            account_id=3,
            targets=h("10.0.0.11", "10.0.0.12"),
            file_target_path="/etc/nginx/conf.d/",
            file_sources=[
                FileSource(
                    [
                        "/data/release/nginx/site.conf",
                        "/data/release/nginx/REGEX:upstream_.*\\.conf",
                    ],
                    "root",
                    h("10.0.0.10"),
                )
            ],
        )
        self.new_instance(
            biz_id=2,
            bk_job_id=-1,
            name="slack:alice:push-nginx-conf",
            operator="alice",
            specs=[push],
            now=_cn("2025-03-14 15:35:02"),
            action="quick_transfer_file",
            instance_id=20000123460,
            step_ids=[20000234570],
        ).advance(_cn("2025-03-14 15:40:00"))

        sql = StepSpec(
            StepKind.SQL,
            "slack:alice:show-dbs",
            script_content="show databases;",
            script_lang=6,
            timeout=300,
            account="mysql-readonly",
            account_id=1000,
            targets=h("10.0.1.21"),
        )
        self.new_instance(
            biz_id=2,
            bk_job_id=-1,
            name="slack:alice:show-dbs",
            operator="alice",
            specs=[sql],
            now=_cn("2025-03-14 15:41:30"),
            action="quick_execute_script",
            instance_id=20000123470,
            step_ids=[20000234580],
        ).advance(_cn("2025-03-14 15:45:00"))


def plan_resource(plan: Plan) -> JSONObj:
    """The IAM resource instance naming a plan (bk-job §3 `permission`)."""
    return {"id": str(plan.id), "type": "job_plan", "type_name": "执行方案", "name": plan.name}


CHECK_DISK = """#!/bin/bash
# check_disk.sh - show filesystem usage on this host
# usage: check_disk.sh [threshold-percent]
threshold="${1:-90}"
df -h
echo "disk check finished on $(hostname)"
"""

DISK_CLEANUP = """#!/bin/bash
# disk_cleanup.sh - remove rotated logs and temp files older than 7 days
set -euo pipefail
find /data/logs -name '*.log.[0-9]*' -mtime +7 -delete
find /tmp -type f -mtime +7 -delete
echo "cleanup finished"
df -h
"""

DISK_CLEANUP_V2 = """#!/bin/bash
# disk_cleanup.sh v2 - superseded by v3 (deleted live logs by mistake)
rm -f /data/logs/*.log
echo "cleanup finished"
"""

COLLECT_METRICS = '''#!/usr/bin/env python3
"""collect_metrics.py - print load and memory figures as key=value lines."""
import os

load1, load5, load15 = os.getloadavg()
print("load1=%.2f load5=%.2f load15=%.2f" % (load1, load5, load15))
print("metrics collected")
'''

ROTATE_LOGS = r"""#!/usr/bin/perl
use strict;
use warnings;
# rotate_logs.pl - rename the application log with a timestamp suffix
my $log = "/data/logs/app.log";
rename($log, "$log." . time()) or warn "nothing to rotate\n";
print "rotation done\n";
"""

SLOW_QUERIES = """-- show_slow_queries.sql: the ten slowest statement digests
SELECT digest_text, count_star, avg_timer_wait / 1e9 AS avg_ms
FROM performance_schema.events_statements_summary_by_digest
ORDER BY avg_timer_wait DESC
LIMIT 10;
"""

PAYMENTS_HEALTHCHECK = """#!/bin/bash
# payments_healthcheck.sh - check the payments API unit and its listener
systemctl is-active payments-api
echo "payments-api listening on :8443"
"""

NET_PING_CHECK = '''#!/usr/bin/env python3
"""net_ping_check - ping each host given as an argument once and report reachability."""
import subprocess
import sys

for target in sys.argv[1:] or ["127.0.0.1"]:
    code = subprocess.call(["ping", "-c", "1", "-W", "2", target], stdout=subprocess.DEVNULL)
    sys.stdout.write("%s %s\\n" % (target, "reachable" if code == 0 else "unreachable"))
print("ping check finished")
'''

CLEAR_TMP = """#!/bin/bash
# clear_tmp.sh - delete files under /tmp not accessed for 3 days
find /tmp -xdev -type f -atime +3 -delete
echo "tmp cleared"
"""
