"""BK-Job run-card snapshots: job instance status → the card view, its step window and buttons."""

from __future__ import annotations

import enum
from datetime import datetime

from bot.clients.bk_job import (
    HostStatus,
    JobClient,
    JobInstanceStatus,
    JobOperation,
    JobStatus,
    StepInstance,
    StepOperation,
    StepType,
)
from bot.clients.errors import BKNotFound, BKPermissionDenied
from bot.views import Action, ButtonStyle, Confirm
from bot.views.job import JobRunCard, JobStepRow, fmt_duration, fmt_time

__all__ = [
    "CARD_WINDOW",
    "DESTRUCTIVE_STEP_OPS",
    "StepOp",
    "confirm_message",
    "host_label",
    "host_status_label",
    "is_terminal",
    "job_card_from_status",
    "job_run_card",
    "status_emoji",
    "status_label",
    "step_kind_label",
    "step_op_action",
    "step_op_effect",
]

# At most this many step rows on a card: context around the current step, short on a phone.
CARD_WINDOW = 7


class StepOp(enum.StrEnum):
    """The words of ``job step ID STEP OP`` and the BK-Job codes behind them (bk-job §5.13)."""

    RETRY_FAILED = "retry-failed"
    RETRY_ALL = "retry-all"
    IGNORE_ERROR = "ignore-error"
    SKIP = "skip"
    CONFIRM = "confirm"
    REJECT = "reject"
    NEXT = "next"

    @property
    def code(self) -> StepOperation:
        """The operation code sent to ``operate_step_instance``."""
        return _OP_CODES[self]

    @property
    def label(self) -> str:
        """The button label."""
        return _OP_LABELS[self]

    @classmethod
    def of(cls, code: StepOperation) -> StepOp | None:
        """The command word for a code; None for codes the bot does not offer (10, 13)."""
        return next((op for op, c in _OP_CODES.items() if c == code), None)


_OP_CODES: dict[StepOp, StepOperation] = {
    StepOp.RETRY_FAILED: StepOperation.RETRY_FAILED,
    StepOp.RETRY_ALL: StepOperation.RETRY_ALL,
    StepOp.IGNORE_ERROR: StepOperation.IGNORE_ERROR,
    # bk-job §5.13: legacy skip (5) is rejected by Server 3.x; forced skip (12) replaces it.
    StepOp.SKIP: StepOperation.FORCE_SKIP,
    StepOp.CONFIRM: StepOperation.CONFIRM,
    StepOp.REJECT: StepOperation.REJECT,
    StepOp.NEXT: StepOperation.NEXT_STEP,
}
_OP_LABELS: dict[StepOp, str] = {
    StepOp.RETRY_FAILED: "Retry failed",
    StepOp.RETRY_ALL: "Retry all",
    StepOp.IGNORE_ERROR: "Ignore error",
    StepOp.SKIP: "Skip",
    StepOp.CONFIRM: "Confirm",
    StepOp.REJECT: "Reject",
    StepOp.NEXT: "Next step",
}

# Operations that cannot be taken back: re-running hosts that already succeeded, accepting a
# failure, abandoning a step, ending the job. They ask first (a prompt, or Slack's dialog).
DESTRUCTIVE_STEP_OPS: frozenset[StepOp] = frozenset(
    {StepOp.RETRY_ALL, StepOp.IGNORE_ERROR, StepOp.SKIP, StepOp.REJECT}
)

_OP_STYLES: dict[StepOp, ButtonStyle] = {
    StepOp.RETRY_FAILED: ButtonStyle.PRIMARY,
    StepOp.CONFIRM: ButtonStyle.PRIMARY,
    StepOp.REJECT: ButtonStyle.DANGER,
    StepOp.SKIP: ButtonStyle.DANGER,
    StepOp.IGNORE_ERROR: ButtonStyle.DANGER,
}

# What each destructive operation does, for the confirmation dialog.
_OP_EFFECTS: dict[StepOp, str] = {
    StepOp.RETRY_ALL: "runs it again on every host, including those that succeeded",
    StepOp.IGNORE_ERROR: "marks its failure as ignored and continues with the next step",
    StepOp.SKIP: "abandons it while it is stopping and continues with the next step",
    StepOp.REJECT: "ends the whole job (confirmation rejected)",
}

# bk-job §6.1: (emoji, label) per job or step status.
_STATUS: dict[int, tuple[str, str]] = {
    JobStatus.NOT_STARTED: (":hourglass_flowing_sand:", "Not started"),
    JobStatus.RUNNING: (":arrows_counterclockwise:", "Running"),
    JobStatus.SUCCEEDED: (":white_check_mark:", "Succeeded"),
    JobStatus.FAILED: (":x:", "Failed"),
    JobStatus.SKIPPED: (":fast_forward:", "Skipped"),
    JobStatus.ERROR_IGNORED: (":warning:", "Error ignored"),
    JobStatus.WAITING_USER: (":raised_hand:", "Waiting for a person"),
    JobStatus.MANUALLY_ENDED: (":black_square_for_stop:", "Ended manually"),
    JobStatus.ABNORMAL: (":rotating_light:", "Abnormal"),
    JobStatus.TERMINATING: (":octagonal_sign:", "Stopping"),
    JobStatus.TERMINATED: (":black_square_for_stop:", "Stopped"),
    JobStatus.TERMINATE_FAILED: (":rotating_light:", "Stop failed"),
    JobStatus.CONFIRM_TERMINATED: (":no_entry:", "Confirmation rejected"),
    JobStatus.ABANDONED: (":wastebasket:", "Abandoned"),
    JobStatus.ROLLING_WAITING: (":pause_button:", "Waiting for the next batch"),
}

_STEP_KINDS: dict[int, str] = {
    StepType.SCRIPT: "script",
    StepType.FILE: "file",
    StepType.CONFIRM: "confirmation",
    StepType.SQL: "SQL",
}

_FAST_KINDS: dict[int, str] = {
    StepType.SCRIPT: "fast script",
    StepType.FILE: "file push",
    StepType.SQL: "SQL",
}


# bk-job §6.2, worded for a chat message.
_HOST_STATUS: dict[int, str] = {
    HostStatus.UNKNOWN_ERROR: "unknown error",
    HostStatus.AGENT_ABNORMAL: "agent abnormal",
    HostStatus.INVALID_TARGET: "invalid target",
    HostStatus.LAST_SUCCEEDED: "succeeded last time",
    HostStatus.WAITING: "waiting",
    HostStatus.RUNNING: "running",
    HostStatus.SUCCEEDED: "succeeded",
    HostStatus.FAILED: "failed",
    HostStatus.DISPATCH_FAILED: "dispatch failed",
    HostStatus.TASK_TIMEOUT: "timed out",
    HostStatus.LOG_ERROR: "log error",
    HostStatus.GSE_SCRIPT_LOG_TIMEOUT: "script log timed out",
    HostStatus.GSE_FILE_LOG_TIMEOUT: "file log timed out",
    HostStatus.AGENT_NOT_INSTALLED: "agent not installed",
    HostStatus.SCRIPT_FAILED: "script failed",
    HostStatus.SCRIPT_TIMEOUT: "script timed out",
    HostStatus.SCRIPT_TERMINATED: "script terminated",
    HostStatus.SCRIPT_NON_ZERO_EXIT: "non-zero exit code",
    HostStatus.FILE_TRANSFER_FAILED: "file transfer failed",
    HostStatus.SOURCE_FILE_MISSING: "source file missing",
    HostStatus.FILE_TASK_SYSTEM_ERROR: "file task system error",
    HostStatus.FILE_TASK_TIMEOUT: "file task timed out",
    HostStatus.FILE_AGENT_ABNORMAL: "agent abnormal (file task)",
    HostStatus.ACCOUNT_MISSING: "account missing on host",
    HostStatus.ACCOUNT_PASSWORD_WRONG: "wrong account password",
    HostStatus.FILE_FETCH_FAILED: "file fetch failed",
    HostStatus.FILE_TOO_LARGE: "file too large",
    HostStatus.FILE_TRANSFER_ERROR: "file transfer error",
    HostStatus.TASK_EXECUTION_ERROR: "task execution error",
    HostStatus.FORCE_TERMINATED: "terminated",
    HostStatus.FORCE_TERMINATE_FAILED: "termination failed",
    HostStatus.UNKNOWN_STATUS: "unknown status",
}


def host_status_label(status: HostStatus | int | None) -> str:
    """How a per-host status reads (bk-job §6.2)."""
    if status is None:
        return "no status yet"
    return _HOST_STATUS.get(int(status), f"host status {int(status)}")


def host_label(ip: str | None, cloud: int | None) -> str:
    """``10.0.0.11`` in the default cloud area, ``2:10.0.0.11`` elsewhere (bk-job §4.1)."""
    text = ip or "?"
    return f"{cloud}:{text}" if cloud else text


def status_label(status: JobStatus | int | None) -> str:
    """How a job or step status reads (bk-job §6.1); unknown codes say their number."""
    if status is None:
        return "Unknown"
    found = _STATUS.get(int(status))
    return found[1] if found else f"Status {int(status)}"


def status_emoji(status: JobStatus | int | None) -> str:
    """The Slack emoji of a job or step status."""
    found = _STATUS.get(int(status)) if status is not None else None
    return found[0] if found else ":grey_question:"


def step_kind_label(step_type: StepType | int | None) -> str:
    """``script``, ``file``, ``confirmation`` or ``SQL`` (bk-job §6.3)."""
    if step_type is None:
        return "step"
    return _STEP_KINDS.get(int(step_type), "step")


def step_op_effect(op: StepOp) -> str | None:
    """What a destructive operation does, as a sentence; None for the others."""
    effect = _OP_EFFECTS.get(op)
    return f"This {effect}." if effect else None


def step_op_action(
    op: StepOp, *, instance_id: int, biz: int, step: StepInstance, index: int
) -> Action:
    """The button for one step operation; destructive ones carry ``--yes`` and a dialog.

    The command names the step by its instance id, which stays valid as the job moves on.
    """
    destructive = op in DESTRUCTIVE_STEP_OPS
    command = f"job step {instance_id} {step.step_instance_id} {op.value}"
    if destructive:
        command += " --yes"
    confirm = None
    if destructive:
        name = step.name or f"step {index}"
        confirm = Confirm(
            title=f"{op.label}?",
            text=f"{op.label} step {index} “{name}” of job {instance_id}? This {_OP_EFFECTS[op]}.",
            confirm=op.label,
        )
    return Action(
        label=op.label,
        command=f"{command} --biz {biz}",
        style=_OP_STYLES.get(op, ButtonStyle.DEFAULT),
        confirm=confirm,
    )


def _step_ops(step: StepInstance) -> list[StepOp]:
    return [op for op in (StepOp.of(code) for code in step.valid_operations) if op is not None]


def _window(count: int, current: int | None) -> tuple[int, int]:
    """[start, end) of the step rows to show: two before the current step, else the start."""
    if count <= CARD_WINDOW:
        return 0, count
    start = 0 if current is None else current - 2
    start = max(0, min(start, count - CARD_WINDOW))
    return start, start + CARD_WINDOW


def _kind(status: JobInstanceStatus, steps: list[StepInstance]) -> tuple[str, int | None]:
    instance = status.job_instance
    if instance is not None and instance.bk_job_id is not None and instance.bk_job_id > 0:
        return f"plan {instance.bk_job_id}", instance.bk_job_id
    first = steps[0].type if steps else None
    return _FAST_KINDS.get(int(first) if first is not None else 0, "fast task"), None


def _elapsed(status: JobInstanceStatus, now: datetime | None) -> float | None:
    instance = status.job_instance
    if instance is None:
        return None
    if instance.total_time is not None:
        return instance.total_time
    start = instance.start_time
    # bk-job §4.4: times come without a zone, so a running job's age is only computed when the
    # caller's clock is comparable (both naive or both zone-aware).
    if start is None or now is None or (start.tzinfo is None) != (now.tzinfo is None):
        return None
    return max((now - start).total_seconds(), 0.0)


def _step_row(index: int, step: StepInstance, *, current: bool) -> JobStepRow:
    counts = step.host_counts
    return JobStepRow(
        index=index,
        step_instance_id=step.step_instance_id,
        name=step.name or f"Step {index}",
        kind=step_kind_label(step.type),
        state_label=_step_state(step),
        emoji=status_emoji(step.status),
        succeeded=counts.succeeded,
        failed=counts.failed,
        running=counts.running,
        hosts=counts.total,
        elapsed=fmt_duration(step.total_time),
        retries=step.execute_count or 0,
        current=current,
    )


def _step_state(step: StepInstance) -> str:
    if step.is_waiting_for_confirmation:
        return "Waiting for confirmation"
    return status_label(step.status)


def _card_actions(
    status: JobInstanceStatus, *, job_id: int, biz: int, name: str
) -> tuple[list[Action], bool]:
    """Stop, the step operations valid now, Logs; and whether a step operation is offered."""
    actions: list[Action] = []
    # bk-job §5.12/§10: terminate only at 2/7, and never offered at a confirmation step.
    if JobOperation.TERMINATE in status.valid_job_operations:
        actions.append(
            Action(
                label="Stop",
                command=f"job stop {job_id} --yes --biz {biz}",
                style=ButtonStyle.DANGER,
                confirm=Confirm(
                    title="Stop the job?",
                    text=f"Stop job {job_id} “{name}”? Hosts still running are terminated.",
                    confirm="Stop",
                ),
            )
        )
    # The step the job is at decides the step buttons; else the first step that has any.
    steps = status.steps
    current = status.current_step
    candidates = ([current] if current is not None else []) + [s for s in steps if s is not current]
    resumable = False
    for step in candidates:
        ops = _step_ops(step)
        if ops:
            index = steps.index(step) + 1
            actions.extend(
                step_op_action(op, instance_id=job_id, biz=biz, step=step, index=index)
                for op in ops
            )
            resumable = True
            break
    actions.append(Action(label="Logs", command=f"job log {job_id} --biz {biz}"))
    return actions, resumable


def job_card_from_status(
    status: JobInstanceStatus,
    *,
    biz: int,
    instance_id: int | None = None,
    started_by: str | None = None,
    link: str | None = None,
    confirm_message: str | None = None,
    now: datetime | None = None,
) -> JobRunCard:
    """The run card for one ``get_job_instance_status`` answer (pure: the poller's too).

    ``now`` (in the zone BK-Job reports times in) lets a running card show its age;
    ``confirm_message`` is the plan step's text for a waiting confirmation step.
    """
    instance = status.job_instance
    job_id = instance_id or (instance.job_instance_id if instance else None) or 0
    name = (instance.name if instance else None) or f"Job {job_id}"
    steps = status.steps
    current = status.current_step
    current_index = next((i for i, s in enumerate(steps) if s is current), None)
    rows = [_step_row(i + 1, s, current=i == current_index) for i, s in enumerate(steps)]
    start, end = _window(len(rows), current_index)
    actions, resumable = _card_actions(status, job_id=job_id, biz=biz, name=name)

    waiting = status.step_waiting_for_confirmation
    waiting_text = None
    if waiting is not None:
        waiting_text = f"{steps.index(waiting) + 1} “{waiting.name or 'confirmation'}”"
    job_status = status.status
    note = None
    if job_status == JobStatus.TERMINATING and waiting is not None:
        # bk-job §10: terminate leaves a job at a confirmation step stopping for ever.
        note = "Stop does not end a job waiting at a confirmation step: reject the step to end it."
    emoji, label = status_emoji(job_status), status_label(job_status)
    if waiting is not None and job_status == JobStatus.WAITING_USER:
        emoji, label = ":raised_hand:", "Waiting for confirmation"
    elif job_status == JobStatus.NOT_STARTED:
        # bk-job §6.1: every new instance reports 1 for a moment before it runs.
        label = "Starting"
    kind, plan_id = _kind(status, steps)
    return JobRunCard(
        instance_id=job_id,
        biz=biz,
        name=name,
        status=int(job_status) if job_status is not None else None,
        state_label=label,
        emoji=emoji,
        kind=kind,
        plan_id=plan_id,
        started_by=started_by or (instance.operator if instance else None),
        started=fmt_time(instance.start_time or instance.create_time) if instance else None,
        elapsed=fmt_duration(_elapsed(status, now)),
        url=link,
        finished=status.finished,
        resumable=resumable,
        steps=tuple(rows[start:end]),
        total_steps=len(rows),
        hidden_before=start,
        hidden_after=len(rows) - end,
        waiting_step=waiting_text,
        confirm_message=confirm_message if waiting is not None else None,
        note=note,
        actions=tuple(actions),
    )


async def job_run_card(
    job: JobClient,
    *,
    biz: int,
    instance_id: int,
    user: str,
    started_by: str | None = None,
    link: str | None = None,
) -> JobRunCard:
    """Read the instance (as ``user``) and build its card.

    At a waiting confirmation step the plan is read too, for the text the confirmer sees;
    a user who may not view the plan still gets the card, without that text.
    """
    status = await job.get_job_instance_status(
        bk_biz_id=biz, job_instance_id=instance_id, bk_username=user
    )
    message = await confirm_message(job, status, biz=biz, user=user)
    return job_card_from_status(
        status,
        biz=biz,
        instance_id=instance_id,
        started_by=started_by,
        link=link,
        confirm_message=message,
    )


async def confirm_message(
    job: JobClient, status: JobInstanceStatus, *, biz: int, user: str
) -> str | None:
    """The plan step's text for the step waiting for confirmation (None when unreadable)."""
    waiting = status.step_waiting_for_confirmation
    instance = status.job_instance
    if waiting is None or instance is None or not instance.bk_job_id or instance.bk_job_id < 1:
        return None
    try:
        plan = await job.get_job_detail(
            bk_biz_id=biz, bk_job_id=instance.bk_job_id, bk_username=user
        )
    except (BKPermissionDenied, BKNotFound):
        # Optional detail: the run is readable even when the plan is not (bk-job §5.14 IAM).
        return None
    step = next((s for s in plan.steps if s.step_id == waiting.step_id), None)
    return step.confirm_message if step is not None else None


def is_terminal(card: JobRunCard) -> bool:
    """Whether the job will not change again by itself or through the card's buttons.

    bk-job §6.1 counts failed (4) and stopped (11) as finished, yet a retry restarts them, so
    a finished card that still offers a step operation is not terminal.
    """
    return card.finished and not card.resumable
