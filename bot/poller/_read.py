"""One look at a run: its snapshot and its card, from as few BlueKing calls as possible."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass

from bot.clients.bk_job import JobClient
from bot.clients.bk_sops import PipelineTree, SopsClient
from bot.services.failure_logs import failure_groups
from bot.services.job_runs import confirm_message, job_card_from_status
from bot.services.snapshots import (
    JobSnapshot,
    Snapshot,
    SopsSnapshot,
    job_snapshot,
    sops_snapshot,
)
from bot.services.sops_runs import sops_card_from_status
from bot.services.transitions import HostGroup
from bot.views import RunKind, RunRef, View

__all__ = ["Look", "RunReader"]

# Task trees kept per process: a tree is read once per task (get_task_detail, cached 60 s
# upstream anyway, bk-sops §1.7), not once per poll.
_MAX_TREES = 20_000


@dataclass(frozen=True)
class Look:
    """What one poll saw: the run's snapshot and the card to show for it."""

    snapshot: Snapshot
    card: View
    # BlueKing calls this look made (the benchmark's "calls per run per interval").
    calls: int


@dataclass(frozen=True)
class _TaskInfo:
    tree: PipelineTree
    project: str | None
    url: str | None
    executor: str | None


class RunReader:
    """Reads runs for the poller under one cap on concurrent BlueKing calls.

    BK-Job: ``get_job_instance_status`` per poll, plus the plan once while a confirmation step
    waits (its message; carried in the snapshot afterwards). BK-SOPS: ``get_task_status`` per
    poll, plus ``get_task_detail`` once per task and process for its tree.
    """

    def __init__(
        self, job: JobClient, sops: SopsClient, *, concurrency: int, call_timeout: float
    ) -> None:
        self._job = job
        self._sops = sops
        self._calls = asyncio.Semaphore(concurrency)
        self._timeout = call_timeout
        self._tasks: OrderedDict[tuple[int, int], _TaskInfo] = OrderedDict()

    async def look(
        self,
        ref: RunRef,
        *,
        user: str,
        previous: Snapshot | None,
        started_by: str | None,
    ) -> Look:
        """Read the run as ``user``; BlueKing errors and timeouts propagate."""
        if ref.kind is RunKind.JOB:
            old = previous if isinstance(previous, JobSnapshot) else None
            return await self._look_job(ref, user=user, previous=old, started_by=started_by)
        old_task = previous if isinstance(previous, SopsSnapshot) else None
        return await self._look_task(ref, user=user, previous=old_task, started_by=started_by)

    async def failed_hosts(
        self, ref: RunRef, *, step_instance_id: int, user: str
    ) -> tuple[HostGroup, ...]:
        """A failed step's hosts grouped by identical output (one log read; () on errors)."""
        try:
            async with self._calls, asyncio.timeout(self._timeout):
                return await failure_groups(
                    self._job,
                    biz=ref.biz,
                    instance_id=ref.id,
                    step_instance_id=step_instance_id,
                    user=user,
                )
        except TimeoutError:
            # The failure is still posted, without its logs; the Logs button reads them.
            return ()

    def forget(self, ref: RunRef) -> None:
        """Drop what is cached about a run (its watch ended)."""
        self._tasks.pop((ref.biz, ref.id), None)

    async def _look_job(
        self, ref: RunRef, *, user: str, previous: JobSnapshot | None, started_by: str | None
    ) -> Look:
        async with self._calls, asyncio.timeout(self._timeout):
            status = await self._job.get_job_instance_status(
                bk_biz_id=ref.biz, job_instance_id=ref.id, bk_username=user
            )
        calls = 1
        message = None
        waiting = status.step_waiting_for_confirmation
        if waiting is not None and not _knows_message(previous, waiting.step_instance_id):
            async with self._calls, asyncio.timeout(self._timeout):
                message = await confirm_message(self._job, status, biz=ref.biz, user=user)
            calls += 1
        snapshot = job_snapshot(
            status, previous=previous, confirm_message=message, instance_id=ref.id
        )
        card = job_card_from_status(
            status,
            biz=ref.biz,
            instance_id=ref.id,
            started_by=started_by,
            confirm_message=snapshot.confirm_message,
        )
        return Look(snapshot, card, calls)

    async def _look_task(
        self,
        ref: RunRef,
        *,
        user: str,
        previous: SopsSnapshot | None,
        started_by: str | None,
    ) -> Look:
        calls = 0
        info = self._tasks.get((ref.biz, ref.id))
        if info is None:
            async with self._calls, asyncio.timeout(self._timeout):
                detail = await self._sops.get_task_detail(
                    task_id=ref.id, bk_biz_id=ref.biz, bk_username=user
                )
            calls += 1
            info = _TaskInfo(
                tree=detail.pipeline_tree or PipelineTree(),
                project=detail.project_name,
                url=detail.task_url,
                executor=detail.executor or detail.creator,
            )
            self._remember(ref, info)
        else:
            self._tasks.move_to_end((ref.biz, ref.id))
        async with self._calls, asyncio.timeout(self._timeout):
            status = await self._sops.get_task_status(
                task_id=ref.id, bk_biz_id=ref.biz, bk_username=user, with_ex_data=True
            )
        calls += 1
        snapshot = sops_snapshot(status, info.tree, task_id=ref.id, previous=previous)
        card = sops_card_from_status(
            status,
            info.tree,
            biz=ref.biz,
            task_id=ref.id,
            project=info.project,
            started_by=started_by or info.executor,
            task_url=info.url,
        )
        return Look(snapshot, card, calls)

    def _remember(self, ref: RunRef, info: _TaskInfo) -> None:
        # Least recently polled first out: a bounded cache, whatever the number of watches.
        self._tasks[(ref.biz, ref.id)] = info
        while len(self._tasks) > _MAX_TREES:
            self._tasks.popitem(last=False)


def _knows_message(previous: JobSnapshot | None, step_instance_id: int | None) -> bool:
    # The snapshot carries the message while the same step keeps waiting (job_snapshot).
    return (
        previous is not None
        and previous.confirm_message is not None
        and previous.waiting_step_instance_id == step_instance_id
    )
