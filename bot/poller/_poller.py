"""The poller: claim due watches under a lease, read each run once, record and post changes."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pydantic import ValidationError

from bot.clients.errors import BKError, BKNotFound, BKPermissionDenied
from bot.poller._pace import PollerConfig, error_delay, next_poll
from bot.poller._read import RunReader
from bot.services.ports import (
    CardTarget,
    ChannelBusy,
    Clock,
    Notifier,
    RetryLater,
    ThreadPost,
    Undeliverable,
)
from bot.services.snapshots import (
    Snapshot,
    diff,
    dump_snapshot,
    gone,
    is_final,
    is_fresh,
    load_snapshot,
    mark_gone,
)
from bot.services.thread_posts import attached_post, thread_post
from bot.services.transitions import Transition, TransitionKind
from bot.store import (
    ATTACHED,
    EndReason,
    JsonValue,
    NewNotification,
    Notification,
    PollOutcome,
    WatchRow,
    WatchStatus,
    WatchStore,
)
from bot.views import RunKind, RunRef, View
from bot.views.common import NoticeView

__all__ = ["NOTE", "Poller", "TickReport", "default_owner"]

log = logging.getLogger(__name__)

# Outbox kind of the poller's own notes (a run gone, a watch given up), as opposed to a
# transition of the run.
NOTE = "note"
# The first post of a thread attached with `watch` mid-run.
ATTACHED_NOTE = "attached"

# Cursor keys in ``watches.log_cursors``.
_CHANGED_AT = "changed_at"
_ERRORS = "errors"
_CARD = "card"
# The card fields that change on every poll without anything happening.
_VOLATILE = frozenset({"elapsed"})
_SYSTEM = {RunKind.JOB: "BK-Job", RunKind.SOPS: "BK-SOPS"}


def default_owner() -> str:
    """A lease owner name unique to this process: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class TickReport:
    """What one ``run_once`` did (logs, tests and the benchmark read it)."""

    claimed: int = 0
    polled: int = 0
    calls: int = 0
    changed: int = 0
    recorded: int = 0
    posted: int = 0
    deferred: int = 0
    dropped: int = 0
    ended: int = 0
    errors: int = 0
    cards: int = 0

    def add(self, other: TickReport) -> None:
        """Accumulate another tick's counts into this one."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Polled:
    outcome: PollOutcome
    card: View | None = None
    # A finished run's last card: edited and waited for before its watch ends.
    final_card: View | None = None
    calls: int = 0
    error: bool = False
    transitions: list[NewNotification] = field(default_factory=list)


class Poller:
    """Keeps watched runs' cards current and tells their story in the cards' threads.

    One tick (``run_once``): claim due watches under a lease → read each run once (all in
    parallel, under the reader's cap on BlueKing calls) → diff against the stored snapshot →
    store every snapshot and its transitions in one commit → post what is pending, marking
    each post sent in its own commit → release the leases. A transition is recorded once per
    watch (its key is unique), so a crash or a lease moving to another replica repeats a post
    only in the window between Slack accepting it and ``mark_sent`` committing.
    """

    def __init__(
        self,
        watches: WatchStore,
        reader: RunReader,
        notifier: Notifier,
        *,
        clock: Clock,
        config: PollerConfig | None = None,
        owner: str | None = None,
    ) -> None:
        self._watches = watches
        self._reader = reader
        self._notifier = notifier
        self._clock = clock
        self.config = config or PollerConfig()
        self.owner = owner or default_owner()
        # Final card edits still waiting for Slack when their tick moved on.
        self._finishing: set[asyncio.Task[bool]] = set()

    # ------------------------------------------------------------------------- the loop

    async def run_forever(self, stop: asyncio.Event, *, workers: int = 2) -> None:
        """Tick until ``stop`` is set; ``workers`` ticks overlap (one waits on BlueKing while
        another writes). A failing tick is logged and the loop goes on."""
        try:
            await asyncio.gather(*(self._loop(stop) for _ in range(max(1, workers))))
        finally:
            await self._drain_finishing()

    async def _drain_finishing(self) -> None:
        """Let final card edits in flight land briefly; the rest are redone after a restart
        (their watches have not ended, so the next owner polls and edits them again)."""
        if self._finishing:
            _, pending = await asyncio.wait(self._finishing, timeout=self.config.final_wait)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    async def _loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                report = await self.run_once()
            except Exception:
                # The database may be restarting; the leases expire and nothing is lost.
                log.exception("poller tick failed", extra={"owner": self.owner})
                report = None
            if report is not None and report.claimed >= self.config.batch:
                continue  # more is due right now
            delay = self.config.idle_sleep if report is not None else 5.0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)

    async def run_once(self) -> TickReport:
        """One tick over the watches due now; returns what it did."""
        now = self._clock.now()
        config = self.config
        rows = await self._watches.claim_due(self.owner, now, config.batch, config.lease_seconds)
        report = TickReport(claimed=len(rows))
        if not rows:
            return report
        # The leases this tick still holds (a watch with nothing to post is let go early).
        held = {r.id for r in rows}
        try:
            due = [r for r in rows if r.status is WatchStatus.ACTIVE and r.next_poll_at <= now]
            polled = await asyncio.gather(*(self._poll(r, now) for r in due))
            saved = await self._watches.save_polls(self.owner, [p.outcome for p in polled], now=now)
            for row, p in zip(due, polled, strict=True):
                report.polled += 1
                report.calls += p.calls
                report.errors += p.error
                if row.id not in saved:
                    continue  # the lease moved on meanwhile: the new owner redoes it
                report.recorded += len(p.transitions)
                report.changed += bool(p.transitions)
                if p.outcome.end is not None:
                    report.ended += 1
                    self._reader.forget(row.ref)
                if p.card is not None:
                    report.cards += 1
                    self._notifier.update_card(CardTarget(row.channel, row.card_ts), p.card)
            # A finished run keeps its lease until its last card is shown.
            keep = {row.id for row, p in zip(due, polled, strict=True) if p.final_card is not None}
            await self._deliver({r.id: r for r in rows}, report, held, keep)
            finals = [
                asyncio.create_task(self._finish(row, p.final_card, p.outcome.next_poll_at))
                for row, p in zip(due, polled, strict=True)
                if p.final_card is not None and row.id in saved
            ]
            if finals:
                # Usually done at once; one waiting out a 429 must not hold the tick up.
                done, pending = await asyncio.wait(finals, timeout=self.config.final_wait)
                report.ended += sum(t.result() for t in done)
                for task in pending:
                    self._finishing.add(task)
                    task.add_done_callback(self._finishing.discard)
        finally:
            await self._watches.release_many(sorted(held), self.owner)
        return report

    # ------------------------------------------------------------------------- one poll

    async def _poll(self, row: WatchRow, now: datetime) -> _Polled:
        cursors: dict[str, JsonValue] = dict(row.log_cursors)
        user = row.bk_username or row.started_by
        if not user:
            return self._note_and_end(
                row,
                now,
                cursors,
                key="note:no-user",
                text=f"Stopped following {_run_name(row.ref)}: nobody to read it as.",
                reason=EndReason.GAVE_UP,
            )
        old = _stored(row)
        try:
            look = await self._reader.look(
                row.ref,
                user=user,
                previous=old,
                # A run attached with `watch` was started by whoever BlueKing says, not by
                # the person who attached it.
                started_by=None if cursors.get(ATTACHED) else row.started_by,
            )
        except BKNotFound:
            return self._gone(row, old, now, cursors)
        except (BKError, TimeoutError) as exc:
            return self._failed(row, now, cursors, exc)
        except Exception as exc:  # a bug must not stop the other watches
            log.exception("poll failed unexpectedly", extra=_context(row))
            return self._failed(row, now, cursors, exc)
        new = look.snapshot
        # A run the bot started is reported from its first step, even when the first poll
        # comes after it began; one attached with `watch` reports from now on.
        replay = old is None and not cursors.get(ATTACHED)
        transitions = await self._with_logs(row, user, diff(old, new, replay=replay))
        cursors.pop(_ERRORS, None)
        if transitions:
            cursors[_CHANGED_AT] = now.isoformat()
        card = final_card = None
        final = is_final(new)
        # Edits wait in this process's memory: a new owner (another replica, or this one
        # restarted) sends the current card again rather than trust an edit it never saw.
        stamp = f"{self.owner}:{_digest(look.card)}"
        # A run not started yet keeps the card its command posted ("Starting…").
        if row.card_ts and not is_fresh(new) and (final or cursors.get(_CARD) != stamp):
            cursors[_CARD] = stamp
            card = look.card
        if final and card is not None:
            # Its watch ends once Slack has the last card, not before: nothing would ever
            # correct a card left at "Running" by an edit lost in a crash.
            final_card, card = card, None
        records = [_record(t) for t in transitions]
        if old is None and cursors.get(ATTACHED):
            # A thread that starts mid-run says why it starts there.
            records.insert(0, _attached(new.name))
        dumped = dump_snapshot(new)
        outcome = PollOutcome(
            watch_id=row.id,
            next_poll_at=next_poll(
                now,
                new,
                changed=bool(transitions) or old is None,
                last_change=_changed_at(cursors) or row.created_at,
                config=self.config,
            ),
            snapshot=dumped if dumped != row.last_snapshot else None,
            transitions=records,
            log_cursors=cursors if cursors != row.log_cursors else None,
            end=EndReason.FINISHED if final and final_card is None else None,
        )
        return _Polled(
            outcome, card=card, final_card=final_card, calls=look.calls, transitions=records
        )

    async def _with_logs(
        self, row: WatchRow, user: str, transitions: list[Transition]
    ) -> list[Transition]:
        """Failed BK-Job steps get their hosts grouped by identical output (one log read)."""
        out: list[Transition] = []
        for t in transitions:
            subject = t.subject
            if (
                t.kind is TransitionKind.STEP_FAILED
                and subject is not None
                and subject.id.isdigit()
            ):
                groups = await self._reader.failed_hosts(
                    row.ref, step_instance_id=int(subject.id), user=user
                )
                if groups:
                    t = t.model_copy(
                        update={"subject": subject.model_copy(update={"groups": groups})}
                    )
            out.append(t)
        return out

    def _gone(
        self, row: WatchRow, old: Snapshot | None, now: datetime, cursors: dict[str, JsonValue]
    ) -> _Polled:
        """BlueKing no longer knows the run (deleted, archived, or never visible to the user)."""
        log.info("watched run is gone upstream", extra=_context(row))
        if old is None:
            return self._note_and_end(
                row,
                now,
                cursors,
                key="note:gone",
                text=f"{_SYSTEM[row.ref.kind]} has no {_run_name(row.ref)} any more "
                "(deleted, archived, or not visible to the reader); stopped following it.",
                reason=EndReason.NOT_FOUND,
            )
        records = [_record(gone(old))]
        outcome = PollOutcome(
            watch_id=row.id,
            next_poll_at=now,
            snapshot=dump_snapshot(mark_gone(old)),
            transitions=records,
            end=EndReason.NOT_FOUND,
        )
        return _Polled(outcome, transitions=records)

    def _failed(
        self, row: WatchRow, now: datetime, cursors: dict[str, JsonValue], exc: BaseException
    ) -> _Polled:
        """Retried later with backoff; the other watches go on. Gives up after many."""
        previous = cursors.get(_ERRORS)
        errors = (previous if isinstance(previous, int) else 0) + 1
        cursors[_ERRORS] = errors
        reason = str(exc) or type(exc).__name__
        log.warning(
            "poll failed; retrying later",
            extra={**_context(row), "errors": errors, "error": reason},
        )
        records: list[NewNotification] = []
        if isinstance(exc, BKPermissionDenied):
            # Said once in the thread: nothing changes until someone grants the permission.
            records.append(
                _note(
                    "note:denied",
                    f"Cannot read {_run_name(row.ref)} as {row.bk_username or row.started_by}: "
                    "BlueKing denied the permission. The card stays as it is until it is granted.",
                    detail=reason,
                )
            )
        if errors >= self.config.give_up_after:
            polled = self._note_and_end(
                row,
                now,
                cursors,
                key="note:gave-up",
                text=f"Stopped following {_run_name(row.ref)}: reading it failed {errors} times "
                f"in a row (last: {reason}). `watch` it again to retry.",
                reason=EndReason.GAVE_UP,
            )
            polled.error = True
            return polled
        outcome = PollOutcome(
            watch_id=row.id,
            next_poll_at=now + timedelta(seconds=error_delay(errors, self.config)),
            transitions=records,
            log_cursors=cursors,
        )
        return _Polled(outcome, error=True, transitions=records)

    def _note_and_end(
        self,
        row: WatchRow,
        now: datetime,
        cursors: dict[str, JsonValue],
        *,
        key: str,
        text: str,
        reason: EndReason,
    ) -> _Polled:
        records = [_note(key, text)]
        outcome = PollOutcome(
            watch_id=row.id, next_poll_at=now, transitions=records, log_cursors=cursors, end=reason
        )
        return _Polled(outcome, transitions=records)

    # ------------------------------------------------------------------------- delivery

    async def _finish(self, row: WatchRow, card: View, polled_for: datetime) -> bool:
        """Show a finished run's last card, then end its watch; False to try again later
        (the watch stays active: its next poll, here or on another replica, edits again)."""
        try:
            await self._notifier.edit_card(CardTarget(row.channel, row.card_ts), card)
        except (RetryLater, ChannelBusy) as exc:
            log.info(
                "final card not edited yet; retrying", extra={**_context(row), "error": exc.reason}
            )
            return False
        except Undeliverable as exc:
            # The card was deleted or the channel is closed: nothing left to correct.
            log.warning("final card undeliverable", extra={**_context(row), "error": exc.reason})
        except Exception:
            log.exception("final card edit failed unexpectedly; retrying", extra=_context(row))
            return False
        try:
            # Unless a command acted on the run meanwhile (a retry clicked on its last card).
            ended = await self._watches.end(
                row.id, EndReason.FINISHED, now=self._clock.now(), if_next_poll_at=polled_for
            )
        except Exception:
            log.exception("watch not ended; its next poll ends it", extra=_context(row))
            return False
        if not ended:
            return False
        self._reader.forget(row.ref)
        return True

    async def _deliver(
        self, rows: dict[int, WatchRow], report: TickReport, held: set[int], keep: set[int]
    ) -> None:
        """Post the outbox of the watches this tick holds: threads in parallel, each in order.

        Before posting (or waiting for the last cards of ``keep``), the watches in ``held``
        with nothing to post and not in ``keep`` are released and taken out of ``held``:
        posts keep Slack's pace, and the next polls of the rest of the batch must not wait.
        """
        pending = await self._watches.pending_notifications(
            self.owner, self._clock.now(), limit=max(1000, 10 * len(rows))
        )
        by_watch: dict[int, list[Notification]] = defaultdict(list)
        for n in pending:
            by_watch[n.watch_id].append(n)
        # Oldest waiting post first: under a run of 429s no thread keeps losing the race.
        order = sorted((w for w in by_watch if w in rows), key=lambda w: by_watch[w][0].id)
        quiet = sorted(held - keep - by_watch.keys())
        if quiet and (order or keep):
            await self._watches.release_many(quiet, self.owner)
            held.difference_update(quiet)
        results = await asyncio.gather(*(self._deliver_watch(rows[w], by_watch[w]) for w in order))
        for posted, deferred, dropped in results:
            report.posted += posted
            report.deferred += deferred
            report.dropped += dropped

    async def _deliver_watch(
        self, row: WatchRow, notes: list[Notification]
    ) -> tuple[int, int, int]:
        if row.card_ts is None:
            # The card may have been posted since the claim read the row.
            row = await self._watches.get(row.id) or row
        target = CardTarget(row.channel, row.card_ts)
        posted = deferred = dropped = 0
        lease = timedelta(seconds=self.config.lease_seconds)
        lease_until = row.lease_expires_at or self._clock.now() + lease
        for n in notes:
            # Posting may take long (1 post/s per channel, 429 pauses): past half the lease,
            # extend it, so no other replica claims this thread while it is being posted.
            now = self._clock.now()
            if now >= lease_until - lease / 2:
                if not await self._watches.renew(row.id, self.owner, now, lease.total_seconds()):
                    log.warning(
                        "lease lost while posting; its new owner posts the rest",
                        extra=_context(row, n),
                    )
                    return posted, deferred + 1, dropped
                lease_until = now + lease
            try:
                post = _thread_post(row, n)
            except (ValidationError, ValueError):
                log.exception("unreadable notification dropped", extra=_context(row, n))
                await self._watches.mark_failed(n.id, "unreadable payload", None)
                dropped += 1
                continue
            try:
                ts = await self._notifier.post(target, post)
            except ChannelBusy:
                # Still pending and not its fault: the thread goes on at the next claim.
                return posted, deferred + 1, dropped
            except RetryLater as exc:
                if n.attempts + 1 >= self.config.max_post_attempts:
                    log.error("post dropped after many attempts", extra=_context(row, n))
                    await self._watches.mark_failed(n.id, exc.reason, None)
                    dropped += 1
                    continue
                retry_at = self._clock.now() + timedelta(seconds=exc.retry_after)
                await self._watches.mark_failed(n.id, exc.reason, retry_at)
                # Later posts of this thread wait behind it: the thread keeps its order.
                return posted, deferred + 1, dropped
            except Undeliverable as exc:
                log.warning("post undeliverable", extra={**_context(row, n), "error": exc.reason})
                await self._watches.mark_failed(n.id, exc.reason, None)
                dropped += 1
                continue
            except Exception as exc:
                log.exception("post failed unexpectedly", extra=_context(row, n))
                retry_at = self._clock.now() + timedelta(seconds=self.config.interval)
                await self._watches.mark_failed(n.id, repr(exc), retry_at)
                return posted, deferred + 1, dropped
            await self._watches.mark_sent(n.id, ts)
            posted += 1
        return posted, deferred, dropped


# ------------------------------------------------------------------------------- helpers


def _stored(row: WatchRow) -> Snapshot | None:
    if row.last_snapshot is None:
        return None
    try:
        return load_snapshot(row.last_snapshot)
    except ValidationError:
        # A snapshot from an older release: start afresh rather than stop following.
        log.warning("stored snapshot unreadable; starting afresh", extra=_context(row))
        return None


def _record(t: Transition) -> NewNotification:
    return NewNotification(key=t.key, kind=t.kind.value, payload=t.model_dump(mode="json"))


def _note(key: str, text: str, *, detail: str | None = None) -> NewNotification:
    payload: dict[str, JsonValue] = {"text": text}
    if detail:
        payload["detail"] = detail
    return NewNotification(key=key, kind=NOTE, payload=payload)


def _attached(name: str) -> NewNotification:
    return NewNotification(key="note:attached", kind=ATTACHED_NOTE, payload={"name": name})


def _thread_post(row: WatchRow, n: Notification) -> ThreadPost:
    if n.kind == ATTACHED_NOTE:
        name = n.payload.get("name")
        return attached_post(
            row.ref.kind, row.ref.id, name if isinstance(name, str) else "", biz=row.ref.biz
        )
    if n.kind == NOTE:
        text, detail = n.payload.get("text"), n.payload.get("detail")
        if not isinstance(text, str):
            raise ValueError("a note needs a text")
        return ThreadPost(NoticeView(text=text, detail=detail if isinstance(detail, str) else None))
    return thread_post(Transition.model_validate(n.payload), biz=row.ref.biz)


def _digest(card: View) -> str:
    # pydantic's own serializer: every poll digests its card, and fields keep their order.
    data = card.model_dump_json(exclude=set(_VOLATILE))
    return hashlib.sha1(data.encode(), usedforsecurity=False).hexdigest()


def _changed_at(cursors: dict[str, JsonValue]) -> datetime | None:
    value = cursors.get(_CHANGED_AT)
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _run_name(ref: RunRef) -> str:
    return f"job {ref.id}" if ref.kind is RunKind.JOB else f"task {ref.id}"


def _context(row: WatchRow, n: Notification | None = None) -> dict[str, object]:
    context: dict[str, object] = {
        "watch": row.id,
        "run": f"{row.ref.kind}:{row.ref.id}",
        "biz": row.ref.biz,
        "channel": row.channel,
    }
    if n is not None:
        context.update(notification=n.id, key=n.key, attempts=n.attempts)
    return context
