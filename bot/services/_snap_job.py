"""BK-Job snapshots: what the poller stores of a job instance, and the transitions between two."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.clients.bk_job import HostOutcome, JobInstanceStatus, JobStatus, StepInstance, StepType
from bot.clients.bk_job import is_finished as status_is_finished
from bot.services.job_runs import host_status_label, status_label, step_kind_label
from bot.services.transitions import (
    FailedHost,
    Gate,
    GateAnswer,
    GateKind,
    HostTally,
    Subject,
    System,
    Transition,
    TransitionKind,
)

__all__ = [
    "MAX_FAILED_HOSTS",
    "JobHost",
    "JobSnapshot",
    "JobStep",
    "diff_job",
    "gone_job",
    "job_snapshot",
]

# Failed hosts kept per step: enough to name them in a message; the counts stay exact.
MAX_FAILED_HOSTS = 20

# bk-job §6.1 step status → how a step's end reads. 4 is "finished" but can be retried.
_STEP_ENDS: dict[int, TransitionKind] = {
    JobStatus.SUCCEEDED: TransitionKind.STEP_SUCCEEDED,
    JobStatus.FAILED: TransitionKind.STEP_FAILED,
    JobStatus.ABNORMAL: TransitionKind.STEP_FAILED,
    JobStatus.SKIPPED: TransitionKind.STEP_SKIPPED,
    JobStatus.ERROR_IGNORED: TransitionKind.STEP_IGNORED,
    JobStatus.MANUALLY_ENDED: TransitionKind.STEP_STOPPED,
    JobStatus.TERMINATED: TransitionKind.STEP_STOPPED,
    JobStatus.CONFIRM_TERMINATED: TransitionKind.STEP_STOPPED,
    JobStatus.ABANDONED: TransitionKind.STEP_STOPPED,
}

# bk-job §6.1 job status → the run's summary. 5/6 are step-only codes; read as success.
_RUN_ENDS: dict[int, TransitionKind] = {
    JobStatus.SUCCEEDED: TransitionKind.RUN_FINISHED,
    JobStatus.SKIPPED: TransitionKind.RUN_FINISHED,
    JobStatus.ERROR_IGNORED: TransitionKind.RUN_FINISHED,
    JobStatus.FAILED: TransitionKind.RUN_FAILED,
    JobStatus.ABNORMAL: TransitionKind.RUN_FAILED,
    JobStatus.MANUALLY_ENDED: TransitionKind.RUN_STOPPED,
    JobStatus.TERMINATED: TransitionKind.RUN_STOPPED,
    JobStatus.CONFIRM_TERMINATED: TransitionKind.RUN_STOPPED,
    JobStatus.ABANDONED: TransitionKind.RUN_STOPPED,
}

# Step statuses a failed or stopped run's summary lists (bk-job §6.1).
_PROBLEMS = frozenset(
    {
        JobStatus.FAILED,
        JobStatus.ABNORMAL,
        JobStatus.MANUALLY_ENDED,
        JobStatus.TERMINATED,
        JobStatus.CONFIRM_TERMINATED,
        JobStatus.ABANDONED,
    }
)

# The words of the keys: short, fixed, never shown to people.
_WORDS: dict[TransitionKind, str] = {
    TransitionKind.STEP_STARTED: "started",
    TransitionKind.STEP_SUCCEEDED: "succeeded",
    TransitionKind.STEP_FAILED: "failed",
    TransitionKind.STEP_SKIPPED: "skipped",
    TransitionKind.STEP_IGNORED: "ignored",
    TransitionKind.STEP_STOPPED: "stopped",
    TransitionKind.GATE_OPENED: "opened",
    TransitionKind.GATE_CLOSED: "closed",
    TransitionKind.RUN_FINISHED: "finished",
    TransitionKind.RUN_FAILED: "failed",
    TransitionKind.RUN_STOPPED: "stopped",
}


class _Frozen(BaseModel):
    # Stored in a JSON column between polls: frozen values, nothing unknown.
    model_config = ConfigDict(frozen=True, extra="forbid")


class JobHost(_Frozen):
    """A host of a step that did not succeed (bk-job §5.14 ``step_ip_status``)."""

    ip: str
    cloud: int = 0
    status: int | None = None


class JobStep(_Frozen):
    """One step instance as the poller last saw it."""

    step_instance_id: int
    # 1-based position in the job.
    index: int
    name: str
    type: int | None = None
    status: int | None = None
    # bk-job §5.14: 0 on the first run, +1 per retry (step ops 2 and 8).
    execute_count: int = 0
    # Times the step came back from a final status without a new execution: a re-issued
    # confirmation goes 13 → 7 and keeps its execute_count (bk-job §5.13 op 10, §10).
    reopened: int = 0
    succeeded: int = 0
    failed: int = 0
    running: int = 0
    total: int = 0
    # The first MAX_FAILED_HOSTS failed hosts; ``failed`` has the full count.
    failed_hosts: tuple[JobHost, ...] = ()
    duration: float | None = None

    @property
    def occurrence(self) -> str:
        """Which execution of the step this is; part of every key about it."""
        return f"{self.execute_count}:{self.reopened}"


class JobSnapshot(_Frozen):
    """What the poller stores of a BK-Job instance (bk-job §5.14) and diffs on the next poll."""

    system: Literal["job"] = "job"
    instance_id: int
    name: str
    status: int | None = None
    # The server's ``is_finished``: true at 4 too, which a retry reopens (bk-job §6.1).
    finished: bool = False
    current_step_instance_id: int | None = None
    # The manual-confirmation step waiting for a person, and its message (from the plan).
    waiting_step_instance_id: int | None = None
    confirm_message: str | None = None
    duration: float | None = None
    steps: tuple[JobStep, ...] = ()
    # The instance no longer exists upstream (1244006): see ``gone_job``.
    gone: bool = False

    @property
    def epoch(self) -> int:
        """Grows with every retry and re-issued confirmation: scopes the run's summary key."""
        return sum(s.execute_count + s.reopened for s in self.steps)

    def step(self, step_instance_id: int | None) -> JobStep | None:
        """The step with this instance id, if any."""
        return next((s for s in self.steps if s.step_instance_id == step_instance_id), None)


# ----------------------------------------------------------------------------- the builder


def _seconds(total: float | None, start: datetime | None, end: datetime | None) -> float | None:
    if total is not None:
        return total
    if start is None or end is None or (start.tzinfo is None) != (end.tzinfo is None):
        return None
    return max((end - start).total_seconds(), 0.0)


def _reopened(prior: JobStep | None, execute_count: int, status: int | None) -> int:
    if prior is None or prior.execute_count != execute_count:
        return 0  # a new execution starts counting again
    back = (
        status_is_finished(prior.status)
        and status is not None
        and status != JobStatus.NOT_STARTED
        and not status_is_finished(status)
    )
    return prior.reopened + (1 if back else 0)


def _step(index: int, step: StepInstance, prior: JobStep | None) -> JobStep:
    execute_count = step.execute_count or 0
    status = int(step.status) if step.status is not None else None
    counts = step.host_counts
    failed = [h for h in step.step_ip_status if h.outcome is HostOutcome.FAILED]
    return JobStep(
        step_instance_id=step.step_instance_id,
        index=index,
        name=step.name or f"Step {index}",
        type=int(step.type) if step.type is not None else None,
        status=status,
        execute_count=execute_count,
        reopened=_reopened(prior, execute_count, status),
        succeeded=counts.succeeded,
        failed=counts.failed,
        running=counts.running,
        total=counts.total,
        failed_hosts=tuple(
            JobHost(
                ip=h.ip or "?",
                cloud=h.bk_cloud_id or 0,
                status=int(h.status) if h.status is not None else None,
            )
            for h in failed[:MAX_FAILED_HOSTS]
        ),
        duration=_seconds(step.total_time, step.start_time, step.end_time),
    )


def job_snapshot(
    status: JobInstanceStatus,
    *,
    previous: JobSnapshot | None = None,
    confirm_message: str | None = None,
    instance_id: int | None = None,
) -> JobSnapshot:
    """The snapshot of one ``get_job_instance_status`` answer (bk-job §5.14).

    Pass the stored snapshot as ``previous``: it carries the counters that give a repeated
    occurrence a new key (a confirmation re-issued after a reject keeps its execute_count,
    bk-job §5.13 op 10), and the confirmation message while the same step keeps waiting.
    ``confirm_message`` is the plan step's text (``get_job_detail``, bk-job §5.2) for the step
    waiting for confirmation; the status does not carry it.
    """
    instance = status.job_instance
    found = instance.job_instance_id if instance is not None else None
    run_id = found or instance_id or (previous.instance_id if previous is not None else 0)
    if previous is not None and previous.instance_id != run_id:
        previous = None  # another run's counters mean nothing here
    prior = {s.step_instance_id: s for s in previous.steps} if previous is not None else {}
    steps = tuple(
        _step(i, s, prior.get(s.step_instance_id)) for i, s in enumerate(status.steps, start=1)
    )
    waiting = status.step_waiting_for_confirmation
    waiting_id = waiting.step_instance_id if waiting is not None else None
    if (
        confirm_message is None
        and previous is not None
        and waiting_id is not None
        and previous.waiting_step_instance_id == waiting_id
    ):
        confirm_message = previous.confirm_message
    current = status.current_step
    return JobSnapshot(
        instance_id=run_id,
        name=(instance.name if instance is not None else None) or f"Job {run_id}",
        status=int(status.status) if status.status is not None else None,
        finished=status.finished,
        current_step_instance_id=current.step_instance_id if current is not None else None,
        waiting_step_instance_id=waiting_id,
        confirm_message=confirm_message if waiting_id is not None else None,
        duration=(
            _seconds(instance.total_time, instance.start_time, instance.end_time)
            if instance is not None
            else None
        ),
        steps=steps,
    )


# ------------------------------------------------------------------------------- the diff


def _run_label(run: JobSnapshot) -> str:
    if run.gone:
        return "Deleted in BK-Job"
    if run.waiting_step_instance_id is not None and run.status == JobStatus.WAITING_USER:
        return "Waiting for confirmation"
    return status_label(run.status)


def _transition(
    run: JobSnapshot,
    kind: TransitionKind,
    key: str,
    *,
    subject: Subject | None = None,
    gate: Gate | None = None,
    failures: tuple[Subject, ...] = (),
    duration: float | None = None,
) -> Transition:
    return Transition(
        key=key,
        kind=kind,
        system=System.JOB,
        run_id=run.instance_id,
        run_name=run.name,
        status=run.status,
        label=_run_label(run),
        subject=subject,
        gate=gate,
        failures=failures,
        duration=duration,
    )


def _step_label(run: JobSnapshot, step: JobStep) -> str:
    if step.type == StepType.CONFIRM and step.status == JobStatus.WAITING_USER:
        return "Waiting for confirmation"
    return status_label(step.status)


def _subject(run: JobSnapshot, step: JobStep) -> Subject:
    confirm = step.type == StepType.CONFIRM
    return Subject(
        id=str(step.step_instance_id),
        index=step.index,
        name=step.name,
        type=step_kind_label(step.type),
        status=step.status,
        label=_step_label(run, step),
        attempt=step.execute_count,
        # bk-job §5.14: a confirmation step has no hosts.
        hosts=None
        if confirm
        else HostTally(
            succeeded=step.succeeded, failed=step.failed, running=step.running, total=step.total
        ),
        failed_hosts=tuple(
            FailedHost(ip=h.ip, cloud=h.cloud, status=h.status, label=host_status_label(h.status))
            for h in step.failed_hosts
        ),
        duration=step.duration,
    )


def _step_key(step: JobStep, kind: TransitionKind) -> str:
    scope = "gate" if kind in (TransitionKind.GATE_OPENED, TransitionKind.GATE_CLOSED) else "step"
    return f"{scope}:{step.step_instance_id}:{step.occurrence}:{_WORDS[kind]}"


def _answer(status: int | None) -> GateAnswer:
    # bk-job §5.13: op 6 → 3 (confirmed), op 9 → 13 (rejected); anything else ended it.
    if status == JobStatus.SUCCEEDED:
        return GateAnswer.CONFIRMED
    if status == JobStatus.CONFIRM_TERMINATED:
        return GateAnswer.REJECTED
    return GateAnswer.CANCELLED


def _prompt(old: JobSnapshot | None, new: JobSnapshot, step_id: int) -> str | None:
    for run in (new, old):
        if run is not None and run.waiting_step_instance_id == step_id and run.confirm_message:
            return run.confirm_message
    return None


def _gate_transitions(
    old: JobSnapshot | None, new: JobSnapshot, step: JobStep, before: int | None
) -> list[Transition]:
    now = step.status
    gate = Gate(
        kind=GateKind.CONFIRMATION,
        prompt=_prompt(old, new, step.step_instance_id),
        step_instance_id=step.step_instance_id,
    )
    subject = _subject(new, step)
    if now == JobStatus.WAITING_USER:
        kind = TransitionKind.GATE_OPENED
        return [_transition(new, kind, _step_key(step, kind), subject=subject, gate=gate)]
    # A gate closes when its step ends; one opened and answered between two polls is still
    # reported as answered (without the buttons it no longer needs).
    if status_is_finished(now) and before in (None, JobStatus.NOT_STARTED, JobStatus.WAITING_USER):
        kind = TransitionKind.GATE_CLOSED
        closed = gate.model_copy(update={"answer": _answer(now)})
        return [_transition(new, kind, _step_key(step, kind), subject=subject, gate=closed)]
    return []


def _step_transitions(
    old: JobSnapshot | None, new: JobSnapshot, step: JobStep, before: int | None
) -> list[Transition]:
    now = step.status
    if now is None or now == before:
        return []
    if step.type == StepType.CONFIRM:
        return _gate_transitions(old, new, step, before)
    found: list[Transition] = []
    subject = _subject(new, step)
    # A step seen for the first time already ended still gets its start, except a step
    # skipped without running (forced skip, bk-job §5.13 op 12).
    if before in (None, JobStatus.NOT_STARTED) and now not in (
        JobStatus.NOT_STARTED,
        JobStatus.SKIPPED,
    ):
        kind = TransitionKind.STEP_STARTED
        found.append(_transition(new, kind, _step_key(step, kind), subject=subject))
    if status_is_finished(now):
        kind = _STEP_ENDS.get(now, TransitionKind.STEP_FAILED)
        found.append(
            _transition(new, kind, _step_key(step, kind), subject=subject, duration=step.duration)
        )
    return found


def _summary(run: JobSnapshot) -> Transition | None:
    if not run.finished or run.status is None:
        return None
    kind = _RUN_ENDS.get(run.status, TransitionKind.RUN_FAILED)
    # A failed (4) or stopped (11, 13) job can run again after a retry, "next step" or a
    # re-issued confirmation (bk-job §6.1, §10), so the key names where and after how many
    # restarts it ended.
    cursor = run.current_step_instance_id or 0
    key = f"run:{_WORDS[kind]}:{cursor}:{run.epoch}"
    current = run.step(run.current_step_instance_id)
    return _transition(
        run,
        kind,
        key,
        subject=_subject(run, current) if current is not None else None,
        failures=tuple(_subject(run, s) for s in run.steps if s.status in _PROBLEMS),
        duration=run.duration,
    )


def gone_job(old: JobSnapshot) -> Transition:
    """The instance disappeared upstream (``1244006``, bk-job §5.14): the thread's last word."""
    marked = old.model_copy(update={"gone": True})
    return _transition(marked, TransitionKind.RUN_GONE, "run:gone", duration=old.duration)


def diff_job(old: JobSnapshot | None, new: JobSnapshot) -> list[Transition]:
    """Every transition from ``old`` to ``new``; ``old`` None is the run before it started.

    Steps run one after another (bk-job §10), so they are reported in step order, each with
    its start, its gate and its end; the run's summary comes last. A step whose occurrence
    changed (retried, re-issued) starts over: its earlier events keep their keys.
    """
    if new.gone:
        return [] if old is not None and old.gone else [gone_job(old or new)]
    prior = {s.step_instance_id: s for s in old.steps} if old is not None else {}
    found: list[Transition] = []
    for step in new.steps:
        seen = prior.get(step.step_instance_id)
        before = seen.status if seen is not None and seen.occurrence == step.occurrence else None
        found.extend(_step_transitions(old, new, step, before))
    summary = _summary(new)
    if summary is not None:
        previous = _summary(old) if old is not None and not old.gone else None
        if previous is None or previous.key != summary.key:
            found.append(summary)
    return found
