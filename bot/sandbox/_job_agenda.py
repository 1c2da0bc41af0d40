"""A heap of job instances' next transitions, so advancing the world touches only due runs."""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from datetime import datetime

from ._job_engine import JobInstance

__all__ = ["JobAgenda"]

# Stale entries leave the heap only when their time comes; past this many per live instance
# (plus the slack below) the heap is rebuilt from the authoritative entries.
_BLOAT_FACTOR = 2
_BLOAT_SLACK = 64


class JobAgenda:
    """Entries are (due, creation rank, instance id); each instance has at most one
    authoritative entry, the one whose due time equals its `agenda_due`. Any other entry
    for it is stale and dropped when popped, so rescheduling never needs to find and
    remove the old entry."""

    def __init__(self, instances: Mapping[int, JobInstance]) -> None:
        # The world's own dict, read live: an instance deleted from it is simply skipped.
        self._instances = instances
        self._heap: list[tuple[datetime, int, int]] = []
        self._created = 0

    def __len__(self) -> int:
        """Entries in the heap, stale ones included."""
        return len(self._heap)

    def add(self, inst: JobInstance) -> None:
        """Give a new instance its creation rank and put its first event on the agenda."""
        inst.agenda_rank = self._created
        self._created += 1
        inst.agenda_due = None
        self.reschedule(inst)

    def reschedule(self, inst: JobInstance) -> None:
        """Make the instance's current next event its one authoritative entry."""
        due = inst.next_event()
        if due == inst.agenda_due:
            return  # the authoritative entry is already right
        inst.agenda_due = due
        if due is not None:
            heapq.heappush(self._heap, (due, inst.agenda_rank, inst.id))
            self._compact_if_bloated()

    def pop_due(self, now: datetime) -> list[JobInstance]:
        """Take every instance with an event at or before `now` off the agenda.

        They come back in creation order, the order the world used to advance every
        instance in; nothing one instance does depends on another today, but keeping the
        order costs only a sort of the few due ones.
        """
        due: dict[int, JobInstance] = {}
        heap = self._heap
        while heap and heap[0][0] <= now:
            at, _, inst_id = heapq.heappop(heap)
            inst = self._instances.get(inst_id)
            if inst is None or inst.agenda_due != at:
                continue  # deleted, or rescheduled since this entry was pushed
            inst.agenda_due = None  # its authoritative entry has just left the heap
            due[inst_id] = inst
        return sorted(due.values(), key=lambda inst: inst.agenda_rank)

    def _compact_if_bloated(self) -> None:
        # An instance rescheduled again and again to later times would otherwise leave a
        # trail of future stale entries; rebuilding after that many pushes keeps pushes O(log n)
        # amortised.
        if len(self._heap) <= _BLOAT_FACTOR * len(self._instances) + _BLOAT_SLACK:
            return
        self._heap = [
            (inst.agenda_due, inst.agenda_rank, inst.id)
            for inst in self._instances.values()
            if inst.agenda_due is not None
        ]
        heapq.heapify(self._heap)
