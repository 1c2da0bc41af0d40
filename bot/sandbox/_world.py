"""The whole simulated BlueKing: the BK-Job and BK-SOPS worlds plus test hooks."""

from __future__ import annotations

import logging
from datetime import datetime

from ._iam import Directory
from ._job_world import JobWorld
from ._sops_world import SopsWorld

__all__ = ["World"]

log = logging.getLogger(__name__)


class World:
    """The in-memory state behind the sandbox; tests reach in through the hooks below."""

    def __init__(self, seed: int = 0) -> None:
        self.directory = Directory()
        self.job = JobWorld(seed)
        self.sops = SopsWorld(seed)

    def advance(self, now: datetime) -> None:
        """Bring every run up to `now` (the simulation is lazy and event-driven)."""
        self.job.advance(now)
        self.sops.advance(now)

    def delete_job_instance(self, job_instance_id: int) -> bool:
        """Forget a job instance, as if archived: reads then answer 1244006."""
        found = self.job.instances.pop(job_instance_id, None) is not None
        log.info("job instance deleted", extra={"job_instance_id": job_instance_id})
        return found

    def delete_task(self, task_id: int) -> bool:
        """Forget a SOPS task: reads then answer 3540400."""
        found = self.sops.tasks.pop(task_id, None) is not None
        self._drop_cached(task_id)
        log.info("sops task deleted", extra={"task_id": task_id})
        return found

    def expire_task(self, task_id: int) -> bool:
        """Mark a task's instance data expired: get_task_status answers `EXPIRED`."""
        task = self.sops.tasks.get(task_id)
        if task is None:
            return False
        task.expired = True
        self._drop_cached(task_id)
        return True

    def _drop_cached(self, task_id: int) -> None:
        cache = self.sops.cache
        for key in [k for k, v in cache.items() if v[2] == task_id]:
            del cache[key]
