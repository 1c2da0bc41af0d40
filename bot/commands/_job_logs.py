"""``job log``: step logs grouped by identical output, inline when short, as a file when long."""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from bot.clients.bk_job import HostOutcome, StepLog
from bot.commands._job_build import fits
from bot.errors import NotFound
from bot.services.job_runs import host_label, host_status_label, status_emoji, status_label
from bot.views import Action, FileAttachment
from bot.views.job import JobLogGroup, JobLogStep, JobLogView, LogOutcome

__all__ = ["LogSelection", "log_reply_parts", "select_steps"]

# bk-job §5.15: logs come whole; a message shows them inline only while they stay readable.
INLINE_GROUP_CHARS = 2000
INLINE_TOTAL_CHARS = 4000
# What a summary keeps of each group when the full text goes into a file.
SUMMARY_TAIL_LINES = 8
SUMMARY_TAIL_CHARS = 600

# bk-job §10: BK-Job opens every script log with a "[time][PID:n] job_start" line, which differs
# per host; it is left out so hosts that printed the same thing group together.
_JOB_START = re.compile(r"^\[[^\]]*\]\[PID:\d+\] job_start\n?", re.MULTILINE)

_ORDER = {LogOutcome.FAILED: 0, LogOutcome.RUNNING: 1, LogOutcome.SUCCEEDED: 2}


@dataclass(frozen=True)
class LogSelection:
    """One step's log with its 1-based place in the job."""

    index: int
    step: StepLog


def select_steps(logs: Sequence[StepLog], step: int | None) -> list[LogSelection]:
    """Every step, or the one ``step`` names: a 1-based index or a step instance id."""
    chosen = [LogSelection(i + 1, s) for i, s in enumerate(logs)]
    if step is None:
        return chosen
    if 1 <= step <= len(chosen):
        return [chosen[step - 1]]
    found = [c for c in chosen if c.step.step_instance_id == step]
    if not found:
        raise NotFound(
            f"The job has no step {step}.",
            hint=f"Give a step number from 1 to {len(chosen)} or a step instance id.",
        )
    return found


def _matches(host: str | None, ip: str | None, cloud: int | None) -> bool:
    if host is None:
        return True
    wanted = host.strip()
    return wanted in (ip, host_label(ip, cloud), f"{cloud or 0}:{ip}")


def _groups(step: StepLog, host: str | None) -> list[JobLogGroup]:
    grouped: dict[tuple[int | None, int | None, str], list[str]] = {}
    outcomes: dict[tuple[int | None, int | None, str], HostOutcome] = {}
    for result, log in step.host_logs():
        if not _matches(host, log.ip, log.bk_cloud_id):
            continue
        status = int(result.ip_status) if result.ip_status is not None else None
        # bk-job §4.3: the server escapes & < >; the text is shown as the script printed it.
        key = (status, log.exit_code, _JOB_START.sub("", log.text))
        grouped.setdefault(key, []).append(host_label(log.ip, log.bk_cloud_id))
        outcomes[key] = result.outcome
    groups = [
        JobLogGroup(
            outcome=LogOutcome(outcomes[key].value),
            status_label=host_status_label(key[0]),
            exit_code=key[1],
            hosts=tuple(hosts),
            output=key[2],
            lines=len(key[2].splitlines()),
        )
        for key, hosts in grouped.items()
    ]
    return sorted(groups, key=lambda g: _ORDER[g.outcome])


def _tail(group: JobLogGroup) -> JobLogGroup:
    lines = group.output.rstrip("\n").splitlines()
    tail = "\n".join(lines[-SUMMARY_TAIL_LINES:])
    if len(tail) > SUMMARY_TAIL_CHARS:
        tail = tail[-SUMMARY_TAIL_CHARS:]
    cut = tail != group.output.rstrip("\n")
    return group.model_copy(update={"output": tail, "truncated": cut})


def _full_text(instance_id: int, chosen: Sequence[LogSelection], host: str | None) -> str:
    out = [f"BK-Job instance {instance_id}: full log"]
    for c in chosen:
        name = c.step.name or f"Step {c.index}"
        out.append("")
        out.append(f"== Step {c.index} · {name} · {status_label(c.step.status)} ==")
        logs = [
            (r, log) for r, log in c.step.host_logs() if _matches(host, log.ip, log.bk_cloud_id)
        ]
        if not logs:
            out.append("(no output)")
        for result, log in logs:
            exit_code = f" · exit {log.exit_code}" if log.exit_code is not None else ""
            label = host_status_label(result.ip_status)
            out.append(f"-- {host_label(log.ip, log.bk_cloud_id)} · {label}{exit_code} --")
            out.append(log.text.rstrip("\n") or "(empty)")
    return "\n".join(out) + "\n"


def log_reply_parts(
    instance_id: int,
    biz: int,
    chosen: Sequence[LogSelection],
    *,
    step_filter: int | None,
    host: str | None,
) -> tuple[JobLogView, FileAttachment | None]:
    """The log view, plus the whole text as a file when it is too long to show inline."""
    steps = [
        JobLogStep(
            index=c.index,
            step_instance_id=c.step.step_instance_id,
            name=c.step.name or f"Step {c.index}",
            state_label=status_label(c.step.status),
            emoji=status_emoji(c.step.status),
            groups=tuple(_groups(c.step, host)),
        )
        for c in chosen
    ]
    if host is not None and not any(s.groups for s in steps):
        raise NotFound(
            f"No log of host {host} in job {instance_id}.",
            hint="Give the IP as the run card lists it, e.g. 10.0.0.11.",
        )
    sizes = [len(g.output) for s in steps for g in s.groups]
    long = sum(sizes) > INLINE_TOTAL_CHARS or any(n > INLINE_GROUP_CHARS for n in sizes)
    attachment = None
    if long:
        attachment = FileAttachment(
            filename=f"job-{instance_id}-log.txt",
            title=f"Log of job {instance_id}",
            content=_full_text(instance_id, chosen, host),
        )
        steps = [s.model_copy(update={"groups": tuple(_tail(g) for g in s.groups)}) for s in steps]
    again = f"job log {instance_id}"
    if step_filter is not None:
        again += f" --step {step_filter}"
    if host is not None:
        again += f" --host {shlex.quote(host)}"
    view = JobLogView(
        instance_id=instance_id,
        biz=biz,
        step_filter=str(step_filter) if step_filter is not None else None,
        host_filter=host,
        steps=tuple(steps),
        attached=attachment.filename if attachment else None,
        actions=tuple(
            a
            for a in (
                Action(label="Refresh", command=f"{again} --biz {biz}"),
                Action(label="Status", command=f"job status {instance_id} --biz {biz}"),
            )
            if fits(a.command)
        ),
    )
    return view, attachment
