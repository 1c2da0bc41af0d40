"""A failed BK-Job step's hosts grouped by identical output, from one log read (bk-job §5.15)."""

from __future__ import annotations

import logging
import re

from bot.clients.bk_job import HostOutcome, IPLog, JobClient, StepLog, StepResult
from bot.clients.errors import BKError
from bot.services.job_runs import host_label, host_status_label
from bot.services.transitions import HostGroup

__all__ = ["LIMIT_CHARS", "failure_groups", "group_failed_hosts", "log_tail"]

log = logging.getLogger(__name__)

# What a thread message keeps of one group's output: the end, where scripts say why they failed.
LIMIT_CHARS = 4000

# bk-job §10: BK-Job opens every script log with its own "[time][PID:n] job_start" line, which
# differs on every host; left in, no two hosts would ever share an output. Only that opening
# stamp goes: the same text later in a log is the script's own output.
_JOB_START = re.compile(r"\A\[[^\]\n]*\]\[PID:\d+\] job_start(?:\n|\Z)")

# (host status code, exit code, normalized output): what hosts must share to be one group.
_Key = tuple[int | None, int | None, str]


def log_tail(text: str, limit_chars: int) -> tuple[str, bool]:
    """The last ``limit_chars`` characters of ``text``, from a line start when one falls inside.

    Returns the tail and whether anything was cut; a last line longer than the limit is cut
    mid-line, since its end is still the most useful part.
    """
    if len(text) <= limit_chars:
        return text, False
    if limit_chars <= 0:
        return "", True
    start = len(text) - limit_chars
    if text[start - 1] != "\n":
        newline = text.find("\n", start, len(text) - 1)
        if newline != -1:
            start = newline + 1
    return text[start:], True


def _output(entry: IPLog) -> str:
    # ``text`` undoes the server's & < > escaping (bk-job §4.3); trailing blank lines and
    # spaces differ between otherwise identical runs and say nothing.
    return _JOB_START.sub("", entry.text).rstrip()


def _exit_code(result: StepResult, entry: IPLog) -> int | None:
    # The v2 log gives each host's ``exit_code`` (bk-job §5.15), used as is. BK-Job reports 0
    # for a failed host whose script never ended with its own code (agent abnormal, dispatch
    # failed, terminated, file steps): no code is shown then, the status label says why.
    if entry.exit_code is None or (entry.exit_code == 0 and result.outcome is HostOutcome.FAILED):
        return None
    return entry.exit_code


def group_failed_hosts(step: StepLog, *, limit_chars: int = LIMIT_CHARS) -> tuple[HostGroup, ...]:
    """The step's hosts that did not succeed, grouped by (status, exit code, output).

    Largest group first, ties in order of first appearance; hosts in the order BK-Job listed
    them. Each output keeps at most its last ``limit_chars`` characters (``truncated`` says so).
    """
    grouped: dict[_Key, list[str]] = {}
    for result, entry in step.host_logs():
        if result.outcome is HostOutcome.SUCCEEDED:
            continue
        status = int(result.ip_status) if result.ip_status is not None else None
        key = (status, _exit_code(result, entry), _output(entry))
        grouped.setdefault(key, []).append(host_label(entry.ip, entry.bk_cloud_id))
    # sorted() is stable, and dicts keep insertion order: equal sizes stay in first-seen order.
    ordered = sorted(grouped.items(), key=lambda item: -len(item[1]))
    return tuple(_group(key, hosts, limit_chars) for key, hosts in ordered)


def _group(key: _Key, hosts: list[str], limit_chars: int) -> HostGroup:
    status, exit_code, output = key
    shown, truncated = log_tail(output, limit_chars)
    return HostGroup(
        hosts=tuple(hosts),
        status=host_status_label(status),
        exit_code=exit_code,
        output=shown,
        truncated=truncated,
    )


async def failure_groups(
    job: JobClient,
    *,
    biz: int,
    instance_id: int,
    step_instance_id: int,
    user: str,
    limit_chars: int = LIMIT_CHARS,
) -> tuple[HostGroup, ...]:
    """Read the instance's logs once as ``user`` and group the step's failed hosts.

    Returns () when BlueKing refuses or the step has no host logs: the failure is posted
    without its output, and the card's Logs button can still read it later.
    """
    context = {
        "biz": biz,
        "job_instance_id": instance_id,
        "step_instance_id": step_instance_id,
        "bk_username": user,
    }
    try:
        # v2 answers with every step's logs in one call (bk-job §5.15); the v3 per-host reads
        # would cost one call per failed host.
        steps = await job.get_job_instance_log(
            bk_biz_id=biz, job_instance_id=instance_id, bk_username=user
        )
    except BKError as exc:
        log.info(
            "failed step posted without logs: BlueKing refused the log read",
            extra={**context, "error": str(exc) or type(exc).__name__},
        )
        return ()
    step = next((s for s in steps if s.step_instance_id == step_instance_id), None)
    groups = group_failed_hosts(step, limit_chars=limit_chars) if step is not None else ()
    if not groups:
        log.info("failed step posted without logs: no failed host logs", extra=context)
    return groups
