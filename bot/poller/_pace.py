"""When to poll a run next: soon while it moves, slower while it waits for a person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services.snapshots import Snapshot, SopsSnapshot, is_fresh, is_settled

__all__ = ["PollerConfig", "error_delay", "next_poll"]


@dataclass(frozen=True)
class PollerConfig:
    """The poller's knobs; ``interval`` is BKBOT_POLL_INTERVAL, the rest have safe defaults."""

    # Seconds between polls of a running instance.
    interval: float = 5.0
    # The bound: a run waiting for a person is polled at least this often.
    max_interval: float = 60.0
    # bk-sops §1.7: get_task_status answers are cached 10 s (except CREATED); polling a task
    # faster only reads the same answer again.
    sops_min_interval: float = 10.0
    # A lease outlives one tick by far; a replica that dies hands its runs over after it.
    lease_seconds: float = 60.0
    # Watches claimed per tick, and BlueKing calls in flight at once (all watches together).
    # 16 cover 320 calls/s at 50 ms per call; spread over the four small pools of
    # bot/runtime.py (PoolSet: a call costs more CPU the larger its pool), they stay within
    # the 20 connections kept alive.
    batch: int = 200
    concurrency: int = 16
    # One BlueKing read may take this long before the poll counts as failed.
    call_timeout: float = 15.0
    # Consecutive failed polls before the watch gives up (with backoff: about an hour).
    give_up_after: int = 80
    # A post Slack keeps refusing with "try later" is dropped after this many attempts.
    max_post_attempts: int = 50
    # How long a tick waits for a finished run's last card edit before moving on (the edit
    # goes on in the background and ends the watch when Slack has it).
    final_wait: float = 1.0
    # Idle pause of run_forever when nothing was due.
    idle_sleep: float = 0.25


def next_poll(
    now: datetime,
    snapshot: Snapshot,
    *,
    changed: bool,
    last_change: datetime | None,
    config: PollerConfig,
) -> datetime:
    """The next poll of a run that was just read.

    A running run is polled every ``interval`` (a task no faster than the BK-SOPS status
    cache). A settled run (a gate open, a failure to retry, a pause) moves only when someone
    acts: the longer it has been quiet, the longer the wait, up to ``max_interval``. Commands
    that act on a run poll it at once (``WatchStore.touch``), so the wait does not slow them.
    """
    base = config.interval
    if isinstance(snapshot, SopsSnapshot) and not is_fresh(snapshot):
        base = max(base, config.sops_min_interval)
    delay = base
    if not changed and is_settled(snapshot):
        quiet = (now - last_change).total_seconds() if last_change is not None else 0.0
        delay = min(config.max_interval, max(base, quiet / 4))
    return now + timedelta(seconds=delay)


def error_delay(errors: int, config: PollerConfig) -> float:
    """Backoff after ``errors`` consecutive failed polls: doubling, bounded."""
    return float(min(config.max_interval, config.interval * 2 ** min(errors, 16)))
