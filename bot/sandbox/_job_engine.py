"""BK-Job world objects and the lazy, clock-driven execution engine for job instances."""

from __future__ import annotations

import enum
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ._common import JOB_TZ, JSONObj, fmt_job, html_escape, round_seconds

__all__ = [
    "FINISHED_STATUSES",
    "Account",
    "Cron",
    "DbAccount",
    "FileSource",
    "GlobalVar",
    "Host",
    "HostRun",
    "JobInstance",
    "OperationRefused",
    "Plan",
    "Script",
    "StepInstance",
    "StepKind",
    "StepSpec",
]

# bk-job §6.1: statuses for which `is_finished` is true.
FINISHED_STATUSES = frozenset({3, 4, 5, 6, 8, 9, 11, 13, 14})
# bk-job §6.2: 9 succeeded, 3 "succeeded last time" (retry-failed keeps those hosts).
HOST_SUCCESS = frozenset({9, 3})
TRIGGER_USER_ROLE = "JOB_RESOURCE_TRIGGER_USER"

_START_DELAY = timedelta(milliseconds=500)
_STOP_DELAY = timedelta(seconds=1)


class StepKind(enum.IntEnum):
    """bk-job §6.3: step types as reported on job instances."""

    SCRIPT = 1
    FILE = 2
    CONFIRM = 3
    SQL = 4


@dataclass(frozen=True)
class Host:
    """A CMDB host the sandbox knows about."""

    host_id: int
    ip: str
    biz_id: int
    hostname: str
    cloud_id: int = 0
    agent_ok: bool = True

    def ip_json(self, *, with_host_id: bool = True) -> JSONObj:
        out: JSONObj = {"bk_cloud_id": self.cloud_id, "ip": self.ip}
        if with_host_id:
            out = {"bk_host_id": self.host_id, **out}
        return out


@dataclass(frozen=True)
class Account:
    """An OS execution account (bk-job §5.6)."""

    id: int
    account: str
    alias: str
    os: str
    biz_id: int
    creator: str
    create_time: datetime


@dataclass(frozen=True)
class DbAccount:
    """A DB account (bk-job §5.7); an empty grantee list means everyone may use it."""

    id: int
    alias: str
    account: str
    biz_id: int
    creator: str
    create_time: datetime
    grantees: tuple[str, ...] = ()


@dataclass
class Script:
    """One script version (bk-job §5.3); `status` 1 = online, 2 offline, 3 disabled."""

    id: int
    name: str
    version: str
    type: int
    content: str
    biz_id: int | None
    creator: str
    create_time: datetime
    last_modify_user: str
    last_modify_time: datetime
    status: int = 1

    @property
    def public(self) -> bool:
        return self.biz_id is None


@dataclass
class FileSource:
    """One source group of a file step."""

    files: list[str]
    account: str
    hosts: list[Host]
    custom_query_id: list[str] | None = None


@dataclass
class StepSpec:
    """What a step does; shared by plan steps and fast-task steps."""

    kind: StepKind
    name: str
    step_id: int = -1
    script_content: str = ""
    script_lang: int = 1
    script_param: str = ""
    script_version_id: int | None = None
    is_param_sensitive: int = 0
    timeout: int = 7200
    account: str = ""
    account_id: int | None = None
    targets: list[Host] = field(default_factory=list)
    custom_query_id: list[str] | None = None
    file_sources: list[FileSource] = field(default_factory=list)
    file_target_path: str = ""
    confirm_message: str = ""
    confirm_users: list[str] = field(default_factory=list)
    confirm_roles: list[str] = field(default_factory=list)
    # ip -> (exit code, explanation) applied on the first execution only (flaky hosts).
    flaky: dict[str, tuple[int, str]] = field(default_factory=dict)


@dataclass
class GlobalVar:
    """A plan variable (bk-job §5.2 `global_vars[]`)."""

    id: int
    category: int
    name: str
    value: str
    description: str = ""
    hosts: list[Host] | None = None


@dataclass
class Plan:
    """An execution plan (bk-job §5.2)."""

    id: int
    biz_id: int
    template_id: int
    name: str
    creator: str
    create_time: datetime
    last_modify_user: str
    last_modify_time: datetime
    steps: list[StepSpec]
    global_vars: list[GlobalVar]


@dataclass
class Cron:
    """A cron job (bk-job §5.16)."""

    id: int
    biz_id: int
    name: str
    status: int
    expression: str
    bk_job_id: int
    creator: str
    create_time: datetime
    last_modify_user: str
    last_modify_time: datetime

    def to_json(self) -> JSONObj:
        return {
            "bk_biz_id": self.biz_id,
            "bk_scope_type": "biz",
            "bk_scope_id": str(self.biz_id),
            "bk_job_id": self.bk_job_id,
            "cron_id": self.id,
            "cron_name": self.name,
            "cron_status": self.status,
            "cron_expression": self.expression,
            "creator": self.creator,
            "create_time": fmt_job(self.create_time),
            "last_modify_user": self.last_modify_user,
            "last_modify_time": fmt_job(self.last_modify_time),
        }


class OperationRefused(Exception):
    """An operation that the current status does not allow (the API turns it into a code)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class HostRun:
    """One host's part of one execution of a step; its state is a function of time."""

    host: Host
    execute_count: int
    start_at: datetime
    end_at: datetime
    final_status: int
    exit_code: int = 0
    error_code: int = 0
    lines: list[tuple[datetime, str]] = field(default_factory=list)
    stopped_at: datetime | None = None
    total_time: float | None = None

    def status(self, now: datetime) -> int:
        if self.stopped_at is not None and now >= self.stopped_at:
            return 403  # bk-job §10: running hosts of a terminated step
        if now < self.start_at:
            return 5
        if now < self.end_at:
            return 7
        return self.final_status

    def finished(self, now: datetime) -> bool:
        return self.status(now) not in (5, 7)

    def ended(self, now: datetime) -> datetime | None:
        if self.stopped_at is not None and now >= self.stopped_at:
            return self.stopped_at
        return self.end_at if now >= self.end_at else None

    def log(self, now: datetime) -> str:
        limit = now if self.stopped_at is None else min(now, self.stopped_at)
        shown = [text for at, text in self.lines if at <= limit]
        return "".join(f"{text}\n" for text in shown)

    def to_log_json(self, now: datetime) -> JSONObj:
        started = self.start_at if now >= self.start_at else None
        ended = self.ended(now)
        total = self.total_time if self.total_time is not None else round_seconds(started, ended)
        return {
            "ip": self.host.ip,
            "bk_cloud_id": self.host.cloud_id,
            "start_time": fmt_job(started),
            "end_time": fmt_job(ended),
            "total_time": total,
            "execute_count": self.execute_count,
            "error_code": self.error_code,
            "exit_code": self.exit_code if ended is not None else 0,
            "log_content": html_escape(self.log(now)),
        }


@dataclass
class StepInstance:
    """One step of a job instance."""

    id: int
    spec: StepSpec
    operator: str
    create_time: datetime
    status: int = 1
    execute_count: int = 0
    start_time: datetime | None = None
    end_time: datetime | None = None
    total_time: float | None = None
    hosts: list[HostRun] = field(default_factory=list)
    done_at: datetime | None = None
    stop_done_at: datetime | None = None

    @property
    def kind(self) -> StepKind:
        return self.spec.kind

    @property
    def finished(self) -> bool:
        return self.status in FINISHED_STATUSES


@dataclass
class JobInstance:
    """A job instance (fast task or plan run) that moves through bk-job §6.1 statuses."""

    id: int
    biz_id: int
    bk_job_id: int
    name: str
    operator: str
    create_time: datetime
    steps: list[StepInstance]
    rng: random.Random
    action: str
    resource: JSONObj | None = None
    start_way: int = 2
    status: int = 1
    start_at: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    total_time: float | None = None
    current: int = 0
    variables: dict[str, str] = field(default_factory=dict)
    callback_url: str | None = None
    # Bookkeeping of the world's agenda (_job_agenda.py): creation rank, and the due time of
    # this instance's one authoritative heap entry (None: not on the agenda).
    agenda_rank: int = field(default=0, repr=False, compare=False)
    agenda_due: datetime | None = field(default=None, repr=False, compare=False)

    # ---- construction -------------------------------------------------------------

    def schedule_start(self, now: datetime) -> None:
        self.start_at = now + _START_DELAY

    # ---- time ------------------------------------------------------------------------

    def advance(self, now: datetime) -> None:
        """Apply every transition due at or before `now`, in time order."""
        for _ in range(10_000):  # a bound, not a budget: each loop fires one event
            due = self.next_event()
            if due is None or due > now:
                return
            self._fire(due)

    def next_event(self) -> datetime | None:
        """When the next transition is due (None: only an operation can move this run)."""
        if self.status == 1:
            return self.start_at
        step = self.current_step
        if step.status == 2:
            return step.done_at
        if step.status == 10:
            return step.stop_done_at
        return None

    def _fire(self, at: datetime) -> None:
        if self.status == 1:
            self._start(at)
            return
        step = self.current_step
        if step.status == 2:
            self._finish_step(step, at)
        elif step.status == 10:
            step.status = 11
            step.end_time = at
            if self.status == 10:
                self._end(11, at)

    @property
    def current_step(self) -> StepInstance:
        return self.steps[self.current]

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES

    def _start(self, at: datetime) -> None:
        self.status = 2
        self.start_time = at
        self._run_step(0, at)

    def _end(self, status: int, at: datetime) -> None:
        self.status = status
        self.end_time = at
        self.total_time = None

    def _run_step(self, index: int, at: datetime) -> None:
        self.current = index
        step = self.steps[index]
        if step.start_time is None:
            step.start_time = at
        step.end_time = None
        step.total_time = None
        if step.kind is StepKind.CONFIRM:
            step.status = 7
            self.status = 7
            return
        step.status = 2
        self.status = 2
        runs = [self._plan_host(step, host, at) for host in self._step_hosts(step)]
        step.hosts = runs
        step.done_at = max((r.end_at for r in runs), default=at)

    def _continue_after(self, index: int, at: datetime) -> None:
        if index + 1 < len(self.steps):
            self._run_step(index + 1, at)
        else:
            self._end(3, at)

    def _finish_step(self, step: StepInstance, at: datetime) -> None:
        step.done_at = None
        step.end_time = at
        ok = all(run.status(at) in HOST_SUCCESS for run in step.hosts)
        if ok:
            step.status = 3
            self._continue_after(self.current, at)
        else:
            step.status = 4
            self._end(4, at)

    # ---- operations (bk-job §5.12, §5.13, §10) -----------------------------------------

    def terminate(self, now: datetime) -> None:
        if self.status not in (2, 7):
            raise OperationRefused(
                1241003, f"Job instance status {self.status} does not allow terminating"
            )
        step = self.current_step
        self.status = 10
        if step.status == 2:
            for run in step.hosts:
                if not run.finished(now):
                    run.stopped_at = now
            step.status = 10
            step.done_at = None
            step.stop_done_at = now + _STOP_DELAY
        # At a confirmation step (7) the step stays waiting and the job never finishes
        # by itself (bk-job §10): only a step op 9 ends it.

    def start_now(self, now: datetime) -> None:
        if self.status != 1:
            raise OperationRefused(1241015, "Job instance has already been started")
        self._start(now)

    def operate_step(self, step: StepInstance, code: int, user: str, now: datetime) -> None:
        index = self.steps.index(step)
        exec_kinds = (StepKind.SCRIPT, StepKind.FILE, StepKind.SQL)
        refused = OperationRefused(
            1241003,
            f"Operation {code} is not supported for step status {step.status}",
        )
        if code in (2, 8):
            if step.kind not in exec_kinds or step.status not in (4, 9, 11):
                raise refused
            self._retry(step, index, only_failed=code == 2, at=now)
        elif code == 3:
            if step.kind not in exec_kinds or step.status not in (4, 9):
                raise refused
            self.status = 2
            self.end_time = None
            if step.status == 4:
                step.status = 6
                self._continue_after(index, now)
        elif code == 6:
            if step.kind is not StepKind.CONFIRM or step.status != 7:
                raise refused
            self._check_confirmer(step, user)
            step.status = 3
            step.end_time = now
            if self.status == 10:
                self._end(11, now)
            else:
                self._continue_after(index, now)
        elif code == 9:
            if step.kind is not StepKind.CONFIRM or step.status != 7:
                raise refused
            self._check_confirmer(step, user)
            step.status = 13
            step.end_time = now
            self._end(13, now)
        elif code == 10:
            if step.kind is not StepKind.CONFIRM or step.status != 13:
                raise refused
            step.status = 7
            step.end_time = None
            self.status = 7
            self.end_time = None
        elif code == 11:
            if step.kind not in (StepKind.SCRIPT, StepKind.FILE) or step.status != 11:
                raise refused
            self.status = 2
            self.end_time = None
            self._continue_after(index, now)
        elif code == 12:
            if step.kind not in (StepKind.SCRIPT, StepKind.FILE) or step.status != 10:
                raise refused
            step.status = 5
            step.stop_done_at = None
            step.end_time = now
            self.status = 2
            self._continue_after(index, now)
        elif code == 13:
            raise refused  # no rolling steps in the sandbox
        else:
            raise OperationRefused(1241002, f"Invalid operation_code: {code}")

    def _check_confirmer(self, step: StepInstance, user: str) -> None:
        # bk-job §5.13: listed confirm users always pass; 1244016 only when roles are set
        # and the caller matches none of them.
        spec = step.spec
        if user in spec.confirm_users or not spec.confirm_roles:
            return
        if TRIGGER_USER_ROLE in spec.confirm_roles and user == self.operator:
            return
        raise OperationRefused(1244016, f"User {user} is not a confirmer of step {step.spec.name}")

    def _retry(self, step: StepInstance, index: int, *, only_failed: bool, at: datetime) -> None:
        step.execute_count += 1
        self.current = index
        self.status = 2
        self.end_time = None
        step.status = 2
        step.end_time = None
        step.total_time = None
        step.stop_done_at = None
        kept: list[HostRun] = []
        fresh: list[HostRun] = []
        for run in step.hosts:
            if only_failed and run.status(at) in HOST_SUCCESS:
                kept.append(run)
            else:
                fresh.append(self._plan_host(step, run.host, at))
        if not step.hosts:
            fresh = [self._plan_host(step, host, at) for host in self._step_hosts(step)]
        order = {run.host.ip: i for i, run in enumerate(step.hosts)}
        step.hosts = sorted(kept + fresh, key=lambda r: order.get(r.host.ip, 0))
        step.done_at = max((r.end_at for r in fresh), default=at)

    # ---- host simulation -----------------------------------------------------------

    @staticmethod
    def _step_hosts(step: StepInstance) -> list[Host]:
        return list(step.spec.targets)

    def _plan_host(self, step: StepInstance, host: Host, at: datetime) -> HostRun:
        rng = self.rng
        spec = step.spec
        start = at + timedelta(seconds=rng.uniform(0.2, 0.8))
        if not host.agent_ok:
            # bk-job §6.2: 1 = agent abnormal; Job 3.x checks agents before dispatching any
            # kind of task, so nothing runs and there is no log.
            return HostRun(host, step.execute_count, start, start, 1, error_code=117)
        if spec.kind is StepKind.FILE:
            return self._plan_file_host(step, host, start)
        if spec.kind is StepKind.SQL:
            outcome = interpret_sql(spec.script_content, spec.account)
        else:
            outcome = interpret_script(spec.script_content, host, start)
        exit_code = outcome.exit_code
        lines = list(outcome.lines)
        if step.execute_count == 0 and host.ip in spec.flaky:
            # The flaky host fails its first execution only (retries succeed).
            exit_code, why = spec.flaky[host.ip]
            lines = [why]
        # "A few seconds" per host keeps a served run followable by a person (product §5).
        duration = rng.uniform(2.5, 6.0) + outcome.sleep
        final = 9 if exit_code == 0 else 104
        if duration > spec.timeout:
            duration = float(spec.timeout)
            final = 102
            lines.append(f"script execution timed out after {spec.timeout}s")
        end = start + timedelta(seconds=duration)
        pid = rng.randint(1200, 65000)
        stamped = [(start, f"[{fmt_job(start)}][PID:{pid}] job_start")]
        for i, text in enumerate(lines):
            stamped.append((start + (end - start) * ((i + 1) / (len(lines) + 1)), text))
        return HostRun(host, step.execute_count, start, end, final, exit_code, 0, stamped)

    def _plan_file_host(self, step: StepInstance, host: Host, start: datetime) -> HostRun:
        rng = self.rng
        spec = step.spec
        pairs = [(src, path) for fs in spec.file_sources for src in fs.hosts for path in fs.files]
        duration = rng.uniform(3.0, 6.5)
        end = start + timedelta(seconds=duration)
        lines: list[tuple[datetime, str]] = []
        slot = (end - start) / max(len(pairs), 1)
        for n, (src, path) in enumerate(pairs):
            t0 = start + slot * n
            name = path.rsplit("/", 1)[-1] or path
            dest = spec.file_target_path.rstrip("/") + "/" + name
            size = rng.uniform(0.2, 48.0)
            lines.append(
                (
                    t0,
                    f"[{fmt_job(t0)}] Start download {src.ip}:{path} -> {host.ip}:{dest}",
                )
            )
            for pct in (25, 50, 75, 100):
                at = t0 + slot * (pct / 100)
                speed = rng.uniform(8.0, 60.0)
                state = "Finished" if pct == 100 else "Downloading"
                lines.append(
                    (
                        at,
                        f"[{fmt_job(at)}] FileName: {dest} FileSize: {size:.1f} MB "
                        f"State: {state} Speed: {speed:.1f} MB/s Progress: {pct}%",
                    )
                )
        return HostRun(host, step.execute_count, start, end, 9, 0, 0, lines)

    # ---- rendering (bk-job §5.14, §5.15) --------------------------------------------

    def status_json(self, now: datetime) -> JSONObj:
        blocks = [{"step_instances": [self._step_json(step, now)]} for step in self.steps]
        return {
            "is_finished": self.is_finished,
            "job_instance": {
                "job_instance_id": self.id,
                "bk_biz_id": self.biz_id,
                "bk_scope_type": "biz",
                "bk_scope_id": str(self.biz_id),
                "bk_job_id": self.bk_job_id,
                "name": self.name,
                "operator": self.operator,
                "status": self.status,
                "start_way": self.start_way,
                "create_time": fmt_job(self.create_time),
                "start_time": fmt_job(self.start_time),
                "end_time": fmt_job(self.end_time) if self.is_finished else None,
                "total_time": (
                    self._total(self.start_time, self.end_time, self.total_time)
                    if self.is_finished
                    else None
                ),
                "current_step_instance_id": self.current_step.id,
            },
            "blocks": blocks,
        }

    def _total(
        self, start: datetime | None, end: datetime | None, override: float | None
    ) -> float | None:
        if override is not None:
            return override
        return round_seconds(start, end)

    def _step_json(self, step: StepInstance, now: datetime) -> JSONObj:
        ends = step.end_time if step.finished else None
        return {
            "step_instance_id": step.id,
            "step_id": step.spec.step_id,
            "name": step.spec.name,
            "type": int(step.kind),
            "operator": self.operator,
            "status": step.status,
            "execute_count": step.execute_count,
            "create_time": fmt_job(step.create_time),
            "start_time": fmt_job(step.start_time),
            "end_time": fmt_job(ends),
            "total_time": self._total(step.start_time, ends, step.total_time),
            "pause": None,
            "step_ip_status": [
                {"ip": r.host.ip, "bk_cloud_id": r.host.cloud_id, "status": r.status(now)}
                for r in step.hosts
            ],
        }

    def log_json(self, now: datetime) -> list[JSONObj]:
        out: list[JSONObj] = []
        for step in self.steps:
            groups: dict[tuple[int, str], list[JSONObj]] = {}
            for run in step.hosts:
                groups.setdefault((run.status(now), ""), []).append(run.to_log_json(now))
            out.append(
                {
                    "is_finished": step.finished,
                    "step_instance_id": step.id,
                    "name": step.spec.name,
                    "status": step.status,
                    "step_results": [
                        {"ip_status": status, "tag": tag, "ip_logs": logs}
                        for (status, tag), logs in groups.items()
                    ],
                }
            )
        return out


# ---- a tiny, deliberately naive reading of scripts --------------------------------------


@dataclass
class Outcome:
    """What a simulated script prints, how long it sleeps and how it exits."""

    lines: list[str]
    exit_code: int = 0
    sleep: float = 0.0


_QUOTED = re.compile(r"""^(?:-[neE]+\s+)?(["'])(.*)\1\s*;?$""")


def _unquote(text: str) -> str:
    text = text.strip()
    match = _QUOTED.match(text)
    return match.group(2) if match else text


_EXIT = re.compile(r"\bexit\s*\(?\s*(\d+)")
_SLEEP = re.compile(r"\bsleep\s*\(?\s*(\d+(?:\.\d+)?)")
_STATEMENT_SPLIT = re.compile(r"\n|&&|\|\||;|[{}]")


def interpret_script(content: str, host: Host, at: datetime) -> Outcome:
    """Fake a script run: `exit N` anywhere fails it, `sleep N` adds time, and a few
    well-known commands (echo, print, uptime, df, ...) produce plausible output."""
    codes = [int(code) for code in _EXIT.findall(content) if int(code) != 0]
    out = Outcome(
        lines=[],
        exit_code=codes[0] if codes else 0,
        sleep=sum(float(s) for s in _SLEEP.findall(content)),
    )
    local = at.astimezone(JOB_TZ)
    for piece in _STATEMENT_SPLIT.split(content):
        line = piece.strip()
        if not line or line.startswith(("#", "@echo off", "import ", "use ", "param(")):
            continue
        line = line.replace("$(hostname)", host.hostname).replace("$HOSTNAME", host.hostname)
        words = line.split()
        cmd = words[0]
        if cmd in ("echo", "Write-Host", "Write-Output"):
            out.lines.append(_unquote(line[len(cmd) :]))
        elif cmd.startswith("print"):
            body = line[len("print") :].strip()
            if body.startswith("(") and body.endswith(")"):
                body = body[1:-1]
            out.lines.append(_unquote(body).replace("\\n", ""))
        elif cmd == "uptime":
            out.lines.append(
                f" {local:%H:%M:%S} up 41 days,  3:02,  0 users,  load average: 0.12, 0.08, 0.05"
            )
        elif cmd == "hostname":
            out.lines.append(host.hostname)
        elif cmd == "date":
            out.lines.append(local.strftime("%a %b %d %H:%M:%S CST %Y"))
        elif cmd == "df":
            out.lines.extend(
                [
                    "Filesystem      Size  Used Avail Use% Mounted on",
                    "/dev/vda1        50G   21G   27G  44% /",
                    "/dev/vdb1       200G  131G   70G  66% /data",
                ]
            )
        elif cmd == "free":
            out.lines.extend(
                [
                    "              total        used        free      shared  buff/cache"
                    "   available",
                    "Mem:          15885        6120        1342         412        8423"
                    "        9021",
                ]
            )
        elif cmd == "systemctl" and len(words) > 2 and words[1] == "is-active":
            out.lines.append("active")
    return out


def interpret_sql(content: str, account: str) -> Outcome:
    """Fake mysql client output for a batch of SQL statements."""
    out = Outcome(
        lines=[
            "mysql: [Warning] Using a password on the command line interface can be insecure.",
            f"-- connected as {account or 'db user'}",
        ]
    )
    for statement in content.split(";"):
        text = " ".join(statement.split())
        if not text or text.startswith("--"):
            continue
        low = text.lower()
        if low.startswith("show databases"):
            out.lines.extend(
                [
                    "Database",
                    "information_schema",
                    "mysql",
                    "performance_schema",
                    "web_app",
                ]
            )
        elif low.startswith(("select", "show")):
            out.lines.extend(["+----------+", "| result   |", "+----------+", "1 row in set"])
        elif low.startswith("sleep") or "sleep(" in low:
            match = re.search(r"sleep\((\d+)\)", low)
            out.sleep += float(match.group(1)) if match else 0.0
        else:
            out.lines.append("Query OK, 0 rows affected (0.01 sec)")
    return out
