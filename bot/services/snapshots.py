"""The poller's state of a run (a snapshot) and what changed between two (transitions); pure."""

# A poller tick (architecture "The flows" 3):
#
#     old = load_snapshot(watch.last_snapshot) if watch.last_snapshot else None
#     new = job_snapshot(status, previous=old)               # or sops_snapshot(status, tree, …)
#     for t in diff(old, new, replay=started_by_the_bot):    # in reading order
#         outbox.add(key=t.key, kind=t.kind, payload=t.model_dump(mode="json"))
#     store(dump_snapshot(new))                              # same transaction as the outbox
#
# When the run is gone upstream (BK-Job 1244006, BK-SOPS 3540400): post gone(old), store
# mark_gone(old).
#
# Keys, unique per watch and the same on every replica and every repeated poll, because they
# name the occurrence (ids, execute_count, version, counters carried in the snapshot), never a
# time or the poll that saw it:
#
#     step:<step_instance_id>:<execute_count>:<reopened>:<started|succeeded|failed|…>
#     gate:<step_instance_id>:<execute_count>:<reopened>:<opened|closed>
#     node:<node_id>:<version>:<loop>:<retry>:<started|finished|skipped|failed>
#     gate:<node_id>:<version>:<loop>:<retry>:<opened|closed>
#     run:<finished|failed|stopped>:<current step instance id>:<restarts>      (BK-Job)
#     run:failed:<digest of the failed nodes and their versions>               (BK-SOPS)
#     run:<paused|resumed>:<pause count>   run:<finished|revoked|expired>   run:gone

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from pydantic import Field, JsonValue, TypeAdapter

from bot.clients.bk_job import JobStatus
from bot.clients.bk_sops import TERMINAL_STATES, TaskState
from bot.services._snap_job import (
    MAX_FAILED_HOSTS,
    JobHost,
    JobSnapshot,
    JobStep,
    diff_job,
    gone_job,
    job_snapshot,
)
from bot.services._snap_sops import (
    PAUSED_STATES,
    SopsGate,
    SopsNode,
    SopsSnapshot,
    diff_sops,
    gone_sops,
    sops_snapshot,
)
from bot.services.transitions import RUN_KINDS, Transition, TransitionKind

__all__ = [
    "MAX_FAILED_HOSTS",
    "JobHost",
    "JobSnapshot",
    "JobStep",
    "Snapshot",
    "SopsGate",
    "SopsNode",
    "SopsSnapshot",
    "diff",
    "dump_snapshot",
    "gone",
    "is_final",
    "is_fresh",
    "is_settled",
    "job_snapshot",
    "load_snapshot",
    "mark_gone",
    "sops_snapshot",
]

Snapshot = JobSnapshot | SopsSnapshot

_SNAPSHOT: TypeAdapter[Snapshot] = TypeAdapter(
    Annotated[JobSnapshot | SopsSnapshot, Field(discriminator="system")]
)


def load_snapshot(data: Mapping[str, JsonValue]) -> Snapshot:
    """A stored snapshot back from its JSON form (``dump_snapshot``)."""
    return _SNAPSHOT.validate_python(dict(data))


def dump_snapshot(snapshot: Snapshot) -> dict[str, JsonValue]:
    """The JSON form of a snapshot, for the watch's JSON column."""
    return snapshot.model_dump(mode="json")


def is_fresh(snapshot: Snapshot) -> bool:
    """The run has not started yet: BK-Job status 1 (bk-job §6.1), BK-SOPS CREATED (§2.4)."""
    if snapshot.gone:
        return False
    if isinstance(snapshot, JobSnapshot):
        return snapshot.status in (None, JobStatus.NOT_STARTED) and all(
            s.status in (None, JobStatus.NOT_STARTED) for s in snapshot.steps
        )
    return snapshot.state in (TaskState.CREATED, TaskState.READY) and not snapshot.nodes


def is_final(snapshot: Snapshot) -> bool:
    """Nothing will change without a person, and no gate waits for one.

    BK-Job: finished (bk-job §6.1, which counts failed 4 and stopped 11: a retry from the card
    reopens them) and no step waiting. BK-SOPS: FINISHED, REVOKED or EXPIRED; FAILED is not
    final (§4.3). A run gone upstream is final.
    """
    if snapshot.gone:
        return True
    if isinstance(snapshot, JobSnapshot):
        return snapshot.finished and snapshot.waiting_step_instance_id is None
    return snapshot.state in TERMINAL_STATES


def is_settled(snapshot: Snapshot) -> bool:
    """Final, or waiting for a person: a gate open, a BK-SOPS task failed or paused.

    The run will not move by itself, so the poller may poll it less often; it is not over.
    A BK-Job instance stopping at a confirmation step (10, the step still at 7) is settled:
    it never finishes by itself (bk-job §10).
    """
    if is_final(snapshot):
        return True
    if isinstance(snapshot, JobSnapshot):
        return snapshot.waiting_step_instance_id is not None
    return bool(snapshot.waiting) or snapshot.state in PAUSED_STATES | {TaskState.FAILED}


def _check(old: Snapshot, new: Snapshot) -> None:
    if isinstance(old, JobSnapshot) and isinstance(new, JobSnapshot):
        if old.instance_id != new.instance_id:
            raise ValueError(f"job {old.instance_id} and job {new.instance_id} are different runs")
        return
    if isinstance(old, SopsSnapshot) and isinstance(new, SopsSnapshot):
        if None not in (old.task_id, new.task_id) and old.task_id != new.task_id:
            raise ValueError(f"task {old.task_id} and task {new.task_id} are different runs")
        return
    raise ValueError(f"cannot compare a {old.system} run with a {new.system} run")


def _diff(old: Snapshot | None, new: Snapshot) -> list[Transition]:
    if isinstance(new, JobSnapshot):
        return diff_job(old if isinstance(old, JobSnapshot) else None, new)
    return diff_sops(old if isinstance(old, SopsSnapshot) else None, new)


def diff(old: Snapshot | None, new: Snapshot, *, replay: bool = False) -> list[Transition]:
    """The transitions from ``old`` to ``new``, in the order a person should read them.

    Steps and nodes: starts before ends, an end before the next start; the run's summary last.
    ``diff(s, s)`` is always empty, and every transition's key is the same whenever and
    wherever the same change is seen (the key scheme is at the top of this module).

    The first snapshot of a watch (``old`` None) does not replay history. A run not started
    yet (``is_fresh``) has none, so every later step or node is reported as it happens. A run
    attached mid-way reports only what matters now: its open gates (with their buttons), a
    pause, and its summary when it has already ended; steps and nodes that already ran, and
    gates already answered, are left out (a single "attached" note is the poster's business).
    ``replay=True`` reports everything anyway: for a run the bot itself just started, whose
    first poll came after its first step had begun.

    BK-Job failed (4) counts as finished, yet a retry restarts the step with a higher
    ``execute_count`` (bk-job §6.1, §10): the retried step's transitions get new keys, and a
    second failure of the run a new summary. BK-SOPS FAILED is not terminal (§4.3): a node
    retried in BK-SOPS runs with a new ``version`` and is reported again.
    """
    if old is not None:
        _check(old, new)
        return _diff(old, new)
    found = _diff(None, new)
    if replay or is_fresh(new):
        return found
    return [t for t in found if t.kind in RUN_KINDS or t.kind is TransitionKind.GATE_OPENED]


def gone(old: Snapshot) -> Transition:
    """The run's last transition when it no longer exists upstream (deleted or archived)."""
    return gone_job(old) if isinstance(old, JobSnapshot) else gone_sops(old)


def mark_gone(old: Snapshot) -> Snapshot:
    """The snapshot to store once the run is gone: ``diff(old, mark_gone(old)) == [gone(old)]``."""
    return old.model_copy(update={"gone": True})
