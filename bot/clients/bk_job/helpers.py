"""Pure rules over BK-Job codes: finished states, host outcomes, valid operations, masking, logs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from bot.clients.bk_job.enums import (
    HostStatus,
    JobOperation,
    JobStatus,
    StepOperation,
    StepType,
    VariableCategory,
)

__all__ = [
    "FINISHED_STATUSES",
    "PASSWORD_MASK",
    "HostCounts",
    "HostOutcome",
    "count_hosts",
    "count_hosts_by_status",
    "host_outcome",
    "is_finished",
    "is_password",
    "mask_value",
    "unescape_log",
    "valid_job_operations",
    "valid_step_operations",
]

# bk-job §5.14/§6.1: the final job/step statuses. 4 (failed) is final even though a retry
# can restart it; 12 (legacy "terminate failed") is not listed as final.
FINISHED_STATUSES: frozenset[int] = frozenset(
    {
        JobStatus.SUCCEEDED,
        JobStatus.FAILED,
        JobStatus.SKIPPED,
        JobStatus.ERROR_IGNORED,
        JobStatus.MANUALLY_ENDED,
        JobStatus.ABNORMAL,
        JobStatus.TERMINATED,
        JobStatus.CONFIRM_TERMINATED,
        JobStatus.ABANDONED,
    }
)

PASSWORD_MASK = "******"


def is_finished(status: JobStatus | int | None) -> bool:
    """True when a job or step status is final (bk-job §6.1); an unknown status is not."""
    return status is not None and int(status) in FINISHED_STATUSES


class HostOutcome(StrEnum):
    """Where a host stands in a step: done well, still going, or anything else."""

    SUCCEEDED = "succeeded"
    RUNNING = "running"
    FAILED = "failed"


# bk-job §6.2: 9 succeeded (3 = succeeded last time, skipped by "retry failed"); 5 and 7
# are not finished yet; every other code is a failure or termination outcome.
_SUCCEEDED_HOSTS = frozenset({HostStatus.SUCCEEDED, HostStatus.LAST_SUCCEEDED})
_RUNNING_HOSTS = frozenset({HostStatus.WAITING, HostStatus.RUNNING})


def host_outcome(status: HostStatus | int | None) -> HostOutcome:
    """Classify a per-host status; a host without a status yet counts as running."""
    if status is None or int(status) in _RUNNING_HOSTS:
        return HostOutcome.RUNNING
    if int(status) in _SUCCEEDED_HOSTS:
        return HostOutcome.SUCCEEDED
    return HostOutcome.FAILED


@dataclass(frozen=True, slots=True)
class HostCounts:
    """How many hosts of a step succeeded, are still running, or failed."""

    succeeded: int = 0
    running: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        """All hosts counted."""
        return self.succeeded + self.running + self.failed


def count_hosts(statuses: Iterable[HostStatus | int | None]) -> HostCounts:
    """Count per-host statuses into succeeded / running / failed."""
    tally = Counter(host_outcome(status) for status in statuses)
    return HostCounts(
        succeeded=tally[HostOutcome.SUCCEEDED],
        running=tally[HostOutcome.RUNNING],
        failed=tally[HostOutcome.FAILED],
    )


def count_hosts_by_status(
    statuses: Iterable[HostStatus | int | None],
) -> dict[HostStatus | int, int]:
    """Hosts per exact status code, ordered by code; hosts without a status are left out."""
    tally = Counter(status for status in statuses if status is not None)
    return {status: tally[status] for status in sorted(tally, key=int)}


# bk-job §5.13: 2/3/8 apply to script, file and SQL steps; 11/12 to script and file steps.
_EXECUTION_STEPS = frozenset({StepType.SCRIPT, StepType.FILE, StepType.SQL})
_SCRIPT_OR_FILE_STEPS = frozenset({StepType.SCRIPT, StepType.FILE})


def valid_step_operations(
    step_type: StepType | int | None, status: JobStatus | int | None
) -> tuple[StepOperation, ...]:
    """The step operations the server accepts now for a step of this type and status.

    Follows the precondition table of bk-job §5.13, so the bot can show exactly the buttons
    that work. Ignore-error is offered only at 4 (the server accepts it at 9 but it changes
    nothing there), and continue-rolling only for a non-confirmation step waiting at 7.
    """
    if step_type is None or status is None:
        return ()
    kind, code = int(step_type), int(status)
    if kind == StepType.CONFIRM:
        if code == JobStatus.WAITING_USER:
            return (StepOperation.CONFIRM, StepOperation.REJECT)
        if code == JobStatus.CONFIRM_TERMINATED:
            return (StepOperation.REISSUE_CONFIRMATION,)
        return ()
    if kind not in _EXECUTION_STEPS:
        return ()
    retries = (StepOperation.RETRY_FAILED, StepOperation.RETRY_ALL)
    if code == JobStatus.FAILED:
        return (*retries, StepOperation.IGNORE_ERROR)
    if code == JobStatus.ABNORMAL:
        return retries
    if code == JobStatus.TERMINATED:
        if kind in _SCRIPT_OR_FILE_STEPS:
            return (*retries, StepOperation.NEXT_STEP)
        return retries
    if code == JobStatus.TERMINATING and kind in _SCRIPT_OR_FILE_STEPS:
        return (StepOperation.FORCE_SKIP,)
    if code == JobStatus.WAITING_USER:
        # A script/file/SQL step waiting for the user is a rolling batch boundary.
        return (StepOperation.CONTINUE_ROLLING,)
    return ()


def valid_job_operations(
    status: JobStatus | int | None, *, at_confirmation: bool = False
) -> tuple[JobOperation, ...]:
    """The job operations worth offering now (bk-job §5.12, §10).

    Terminate is accepted at 2 and 7, but a job waiting at a manual-confirmation step never
    finishes after it (it stays at 10), so ``at_confirmation`` suppresses it: reject the
    step with StepOperation.REJECT instead. START is never offered: v2 cannot create
    unstarted instances, and status 1 is also the brief state of every job before it runs.
    """
    if status is None:
        return ()
    code = int(status)
    if code == JobStatus.RUNNING or (code == JobStatus.WAITING_USER and not at_confirmation):
        return (JobOperation.TERMINATE,)
    return ()


def is_password(category: VariableCategory | int | None) -> bool:
    """True for a password (cipher) variable, whose v2 value arrives decrypted (bk-job §5.2)."""
    return category is not None and int(category) == VariableCategory.PASSWORD


def mask_value(category: VariableCategory | int | None, value: str | None) -> str | None:
    """A global variable value safe to show: passwords masked, host-list JSON dropped.

    bk-job §5.2: category 4 comes back as plain text on v2 and must never be echoed; for
    category 3 ``value`` is the server's internal JSON (read ``ip_list`` instead).
    """
    if is_password(category):
        return PASSWORD_MASK
    if category is not None and int(category) == VariableCategory.HOST_LIST:
        return None
    return value


def unescape_log(text: str | None) -> str:
    """Undo the v2 log escaping of ``& < >`` only (bk-job §4.3); None becomes ``""``.

    Not ``html.unescape``: other entities in a log are the script's own output.
    """
    if not text:
        return ""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
