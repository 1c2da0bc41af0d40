"""Run cards for either system behind one interface: fetch by RunRef, settled, succeeded."""

from __future__ import annotations

from bot.clients.bk_job import JobStatus
from bot.clients.bk_sops import TaskState
from bot.services import Services
from bot.services.job_runs import job_run_card
from bot.services.sops_runs import sops_run_card
from bot.views import RunKind, RunRef
from bot.views.job import JobRunCard
from bot.views.sops import SopsRunCard

__all__ = ["RunCard", "fetch_card", "settled", "succeeded"]

RunCard = JobRunCard | SopsRunCard

# bk-sops §4.3: FAILED is not terminal (retry/skip in the web UI, or revoke) but nothing moves
# on by itself; for "wait until it is done" it counts as settled.
_SOPS_SETTLED = {TaskState.FINISHED, TaskState.REVOKED, TaskState.EXPIRED, TaskState.FAILED}


async def fetch_card(
    services: Services,
    ref: RunRef,
    *,
    user: str,
    started_by: str | None = None,
    starting: bool = False,
) -> RunCard:
    """The current card of a BK-Job instance or BK-SOPS task, read as ``user``.

    ``started_by`` keeps the name the first card showed (the chat user), instead of the
    BlueKing operator the server reports. ``starting`` says the bot has started the task: BK-SOPS
    reports CREATED for a moment after ``start_task`` (bk-sops §1.7), which must not read as
    "not started" (and offer Start again).
    """
    if ref.kind is RunKind.JOB:
        return await job_run_card(
            services.job, biz=ref.biz, instance_id=ref.id, user=user, started_by=started_by
        )
    return await sops_run_card(
        services.sops,
        biz=ref.biz,
        task_id=ref.id,
        user=user,
        started_by=started_by,
        starting=starting,
    )


def settled(card: RunCard) -> bool:
    """Nothing will happen without a person: finished, failed or stopped (gates are not)."""
    if isinstance(card, JobRunCard):
        return card.finished
    return card.state in _SOPS_SETTLED


def succeeded(card: RunCard) -> bool:
    """The run ended well."""
    if isinstance(card, JobRunCard):
        return card.status == JobStatus.SUCCEEDED
    return card.state == TaskState.FINISHED
