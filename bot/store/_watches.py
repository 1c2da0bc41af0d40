"""Watched runs and their notification outbox (implements ``RunRegistry``; serves the poller)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Executable,
    Table,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased

from bot.services.ports import Clock, KnownRun
from bot.store._clock import SystemClock
from bot.store._database import Database, DatabaseKind
from bot.store._models import NotificationTable, WatchTable
from bot.store._records import (
    EndReason,
    NewNotification,
    Notification,
    NotificationState,
    WatchRow,
    WatchStatus,
)
from bot.store._types import JsonValue, aware
from bot.views import RunRef

__all__ = ["ATTACHED", "PollOutcome", "WatchStore"]

# The cursor key ``watch(attached=True)`` sets on a new watch.
ATTACHED = "attached"

# Enough of an error to diagnose it; Slack error bodies can be long.
_MAX_ERROR_CHARS = 2000


def _row(w: WatchTable) -> WatchRow:
    return WatchRow(
        id=w.id,
        ref=RunRef(kind=w.kind, id=w.run_id, biz=w.biz),
        bk_username=w.bk_username,
        started_by=w.started_by,
        channel=w.channel,
        card_ts=w.card_ts,
        thread_ts=w.thread_ts,
        status=w.status,
        last_snapshot=w.last_snapshot,
        log_cursors=w.log_cursors,
        next_poll_at=w.next_poll_at,
        lease_owner=w.lease_owner,
        lease_expires_at=w.lease_expires_at,
        card_posted_at=w.card_posted_at,
        created_at=w.created_at,
        updated_at=w.updated_at,
        ended_at=w.ended_at,
        end_reason=w.end_reason,
    )


def _notification(n: NotificationTable) -> Notification:
    return Notification(
        id=n.id,
        watch_id=n.watch_id,
        key=n.key,
        kind=n.kind,
        payload=n.payload,
        state=n.state,
        attempts=n.attempts,
        created_at=n.created_at,
        next_attempt_at=n.next_attempt_at,
        sent_at=n.sent_at,
        slack_ts=n.slack_ts,
        last_error=n.last_error,
    )


@dataclass(frozen=True)
class PollOutcome:
    """What one poll of a watch found, for ``save_polls``."""

    watch_id: int
    next_poll_at: datetime
    # None keeps the stored snapshot (nothing changed) or cursors.
    snapshot: Mapping[str, JsonValue] | None = None
    transitions: Sequence[NewNotification] = ()
    log_cursors: Mapping[str, JsonValue] | None = None
    # End the watch in the same commit (its run is over, or gone).
    end: EndReason | None = None


def _outbox_row(watch_id: int, t: NewNotification, now: datetime) -> dict[str, Any]:
    return {
        "watch_id": watch_id,
        "key": t.key,
        "kind": t.kind,
        "payload": dict(t.payload),
        "state": NotificationState.PENDING,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        "sent_at": None,
        "slack_ts": None,
        "last_error": None,
    }


def _is_ref(ref: RunRef) -> ColumnElement[bool]:
    return and_(WatchTable.kind == ref.kind, WatchTable.run_id == ref.id, WatchTable.biz == ref.biz)


def _deliverable(now: datetime) -> ColumnElement[bool]:
    """Pending, due, and not behind a pending one of the same watch that is not due yet.

    Transitions of a run must reach the thread in order: while the oldest unsent one waits
    for its retry time, the ones recorded after it wait too.
    """
    earlier = aliased(NotificationTable)
    held_back = (
        exists()
        .where(
            earlier.watch_id == NotificationTable.watch_id,
            earlier.state == NotificationState.PENDING,
            earlier.id < NotificationTable.id,
            earlier.next_attempt_at > now,
        )
        .correlate(NotificationTable)
    )
    return and_(
        NotificationTable.state == NotificationState.PENDING,
        NotificationTable.next_attempt_at <= now,
        ~held_back,
    )


def _claimable(now: datetime) -> ColumnElement[bool]:
    """Nobody holds a live lease, and there is work: a poll due or a notification to send."""
    free = or_(WatchTable.lease_owner.is_(None), WatchTable.lease_expires_at <= now)
    poll_due = and_(WatchTable.status == WatchStatus.ACTIVE, WatchTable.next_poll_at <= now)
    # Ended watches are claimed too while their outbox is not empty, so that the last
    # transitions of a run (its summary) are delivered even if the poller died after
    # recording them.
    outbox_due = (
        exists()
        .where(NotificationTable.watch_id == WatchTable.id, _deliverable(now))
        .correlate(WatchTable)
    )
    return and_(free, or_(poll_due, outbox_due))


def _poll_update(columns: Sequence[str], owner: str) -> Executable:
    """``UPDATE watches SET <columns> WHERE id = :w_id AND lease_owner = owner`` for
    executemany, each column bound as ``p_<column>`` with the column's type."""
    table = cast(Table, WatchTable.__table__)
    return (
        update(table)
        .where(
            table.c.id == bindparam("w_id", type_=table.c.id.type),
            table.c.lease_owner == owner,
        )
        .values({name: bindparam(f"p_{name}", type_=table.c[name].type) for name in columns})
    )


class WatchStore:
    """The runs the bot follows, with leases for pollers and an outbox for their posts.

    The poller's cycle, and why each step is its own commit, is in docs/store.md:
    ``claim_due`` → snapshot the run → ``save_snapshot`` (new snapshot and its transitions in
    one transaction) → for each of ``pending_notifications``: post, then ``mark_sent`` →
    ``end`` when the run is over → ``release``.
    """

    def __init__(self, db: Database, *, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    # -- the RunRegistry port -------------------------------------------------------------

    async def remember(self, run: KnownRun) -> None:
        """Record a posted card: a newer card for the same run replaces channel and ts."""
        await self.watch(
            run.ref,
            channel=run.channel,
            card_ts=run.ts,
            started_by=run.started_by,
            bk_username=run.bk_username,
            attached=run.attached,
        )

    async def recent(self, limit: int) -> list[KnownRun]:
        """Active watches, the most recently posted card first."""
        statement = (
            select(WatchTable)
            .where(WatchTable.status == WatchStatus.ACTIVE)
            .order_by(WatchTable.card_posted_at.desc(), WatchTable.id.desc())
            .limit(limit)
        )
        async with self._db.transaction() as session:
            rows = (await session.scalars(statement)).all()
            return [_row(w).known for w in rows]

    async def forget(self, ref: RunRef) -> None:
        """Stop following a run (reason ``unwatched``); its history stays."""
        now = self._clock.now()
        statement = (
            update(WatchTable)
            .where(_is_ref(ref), WatchTable.status == WatchStatus.ACTIVE)
            .values(
                status=WatchStatus.ENDED,
                ended_at=now,
                end_reason=EndReason.UNWATCHED,
                updated_at=now,
            )
        )
        async with self._db.transaction() as session:
            await session.execute(statement, execution_options={"synchronize_session": False})

    # -- watches --------------------------------------------------------------------------

    async def watch(
        self,
        ref: RunRef,
        *,
        channel: str | None,
        card_ts: str | None,
        thread_ts: str | None = None,
        started_by: str | None = None,
        bk_username: str | None = None,
        attached: bool = False,
    ) -> WatchRow:
        """Follow ``ref`` with its card at ``channel``/``card_ts``; due for a poll now.

        Watching a run already known moves it to the new card, keeps its snapshot and
        outbox (a transition already posted is not posted again in the new thread), makes
        it active again if it had ended, and keeps ``started_by``/``bk_username`` when the
        new values are None. ``thread_ts`` defaults to ``card_ts``: the card's own thread.
        ``attached`` (a run started elsewhere) is noted in a new watch's cursors, for the
        poller: its first poll does not replay the run's history.
        """
        now = self._clock.now()
        insert = self._db.insert(WatchTable).values(
            kind=ref.kind,
            run_id=ref.id,
            biz=ref.biz,
            bk_username=bk_username,
            started_by=started_by,
            channel=channel,
            card_ts=card_ts,
            thread_ts=thread_ts or card_ts,
            status=WatchStatus.ACTIVE,
            last_snapshot=None,
            log_cursors={ATTACHED: True} if attached else {},
            next_poll_at=now,
            lease_owner=None,
            lease_expires_at=None,
            card_posted_at=now,
            created_at=now,
            updated_at=now,
            ended_at=None,
            end_reason=None,
        )
        new = insert.excluded
        upsert = insert.on_conflict_do_update(
            index_elements=[WatchTable.kind, WatchTable.run_id, WatchTable.biz],
            set_={
                "channel": new.channel,
                "card_ts": new.card_ts,
                "thread_ts": new.thread_ts,
                "started_by": func.coalesce(new.started_by, WatchTable.started_by),
                "bk_username": func.coalesce(new.bk_username, WatchTable.bk_username),
                "status": new.status,
                "next_poll_at": new.next_poll_at,
                "card_posted_at": new.card_posted_at,
                "updated_at": new.updated_at,
                "ended_at": None,
                "end_reason": None,
            },
        )
        async with self._db.transaction() as session:
            row = (await session.scalars(upsert.returning(WatchTable))).one()
            return _row(row)

    async def get(self, watch_id: int) -> WatchRow | None:
        """The watch with this id."""
        async with self._db.transaction() as session:
            row = await session.get(WatchTable, watch_id)
            return None if row is None else _row(row)

    async def find(self, ref: RunRef) -> WatchRow | None:
        """The watch of this run, active or ended."""
        async with self._db.transaction() as session:
            row = (await session.scalars(select(WatchTable).where(_is_ref(ref)))).one_or_none()
            return None if row is None else _row(row)

    async def end(
        self,
        watch_id: int,
        reason: EndReason,
        *,
        now: datetime | None = None,
        if_next_poll_at: datetime | None = None,
    ) -> bool:
        """Stop polling an active watch; False when it had ended already.

        With ``if_next_poll_at``, only while the watch is still scheduled for that poll: a
        command that acted on the run meanwhile (``touch``) or a newer poll keeps it going.
        The lease is left alone: the poller that ends a run still drains its outbox and
        then releases it.
        """
        now = aware(now) if now else self._clock.now()
        where = [WatchTable.id == watch_id, WatchTable.status == WatchStatus.ACTIVE]
        if if_next_poll_at is not None:
            where.append(WatchTable.next_poll_at == aware(if_next_poll_at))
        statement = (
            update(WatchTable)
            .where(*where)
            .values(status=WatchStatus.ENDED, ended_at=now, end_reason=reason, updated_at=now)
            .returning(WatchTable.id)
        )
        return await self._changed(statement)

    async def touch(self, ref: RunRef) -> None:
        """Poll the run now; a watch that ended with its run (``finished``) is active again.

        A command changed the run (a retry of a failed step, a confirmation): its card must
        follow. Watches a person ended (``unwatched``) or whose run is gone stay ended.
        """
        now = self._clock.now()
        statement = (
            update(WatchTable)
            .where(
                _is_ref(ref),
                or_(
                    WatchTable.status == WatchStatus.ACTIVE,
                    WatchTable.end_reason == EndReason.FINISHED,
                ),
            )
            .values(
                status=WatchStatus.ACTIVE,
                next_poll_at=now,
                ended_at=None,
                end_reason=None,
                updated_at=now,
            )
        )
        async with self._db.transaction() as session:
            await session.execute(statement, execution_options={"synchronize_session": False})

    # -- leases ---------------------------------------------------------------------------

    async def claim_due(
        self, owner: str, now: datetime, limit: int, lease_seconds: float
    ) -> list[WatchRow]:
        """Lease up to ``limit`` watches with work due at ``now`` to ``owner``.

        A watch is due when it is active and its ``next_poll_at`` has come, or when its
        outbox holds a deliverable notification. A watch under someone's unexpired lease is
        never returned, not even to the same owner; once the lease expires, anyone can
        claim it. Oldest due first.
        """
        if limit <= 0:
            return []
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        now = aware(now)
        claimable = _claimable(now)
        due = (
            select(WatchTable.id)
            .where(claimable)
            .order_by(WatchTable.next_poll_at, WatchTable.id)
            .limit(limit)
        )
        claim = update(WatchTable).values(
            lease_owner=owner, lease_expires_at=now + timedelta(seconds=lease_seconds)
        )
        async with self._db.transaction() as session:
            if self._db.kind is DatabaseKind.POSTGRESQL:
                # Lock the chosen rows; rows another claimer holds locked are skipped rather
                # than waited for, so concurrent replicas split the due watches between them.
                locked = due.with_for_update(skip_locked=True, of=WatchTable)
                ids = (await session.scalars(locked)).all()
                if not ids:
                    return []
                claim = claim.where(WatchTable.id.in_(ids))
            else:
                # SQLite: the transaction began IMMEDIATE, so this process holds the only
                # write lock; one conditional UPDATE picks and leases the rows.
                claim = claim.where(WatchTable.id.in_(due.scalar_subquery()))
            # The condition again: the claim must hold on the row as it is when updated.
            statement = claim.where(claimable).returning(WatchTable)
            rows = (
                await session.scalars(statement, execution_options={"synchronize_session": False})
            ).all()
            claimed = [_row(w) for w in rows]
        return sorted(claimed, key=lambda w: (w.next_poll_at, w.id))

    async def release_many(self, watch_ids: Sequence[int], owner: str) -> int:
        """Give back ``owner``'s leases on these watches in one statement; how many it held."""
        if not watch_ids:
            return 0
        statement = (
            update(WatchTable)
            .where(WatchTable.id.in_(list(watch_ids)), WatchTable.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
            .returning(WatchTable.id)
        )
        async with self._db.transaction() as session:
            result = await session.execute(
                statement, execution_options={"synchronize_session": False}
            )
            return len(result.all())

    async def renew(self, watch_id: int, owner: str, now: datetime, lease_seconds: float) -> bool:
        """Extend ``owner``'s lease to ``now + lease_seconds``; False when it was lost."""
        statement = (
            update(WatchTable)
            .where(WatchTable.id == watch_id, WatchTable.lease_owner == owner)
            .values(lease_expires_at=aware(now) + timedelta(seconds=lease_seconds))
            .returning(WatchTable.id)
        )
        return await self._changed(statement)

    async def release(
        self, watch_id: int, owner: str, *, next_poll_at: datetime | None = None
    ) -> bool:
        """Give the lease back (and optionally move the next poll); False when not held."""
        values: dict[str, Any] = {"lease_owner": None, "lease_expires_at": None}
        if next_poll_at is not None:
            values["next_poll_at"] = aware(next_poll_at)
        statement = (
            update(WatchTable)
            .where(WatchTable.id == watch_id, WatchTable.lease_owner == owner)
            .values(values)
            .returning(WatchTable.id)
        )
        return await self._changed(statement)

    # -- snapshots and the outbox ---------------------------------------------------------

    async def save_snapshot(
        self,
        watch_id: int,
        owner: str,
        snapshot: Mapping[str, JsonValue],
        next_poll_at: datetime,
        transitions: Sequence[NewNotification] = (),
        *,
        log_cursors: Mapping[str, JsonValue] | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Store a new snapshot and record its transitions, in one transaction.

        Refused (False, nothing written) unless ``owner`` still holds the lease: a poller
        whose lease expired and was taken over must not overwrite the newer owner's work.
        A transition whose key the watch already has is ignored, so a poller repeating a
        diff after a crash records nothing twice. ``log_cursors`` None keeps the stored ones.
        """
        now = aware(now) if now else self._clock.now()
        values: dict[str, Any] = {
            "last_snapshot": dict(snapshot),
            "next_poll_at": aware(next_poll_at),
            "updated_at": now,
        }
        if log_cursors is not None:
            values["log_cursors"] = dict(log_cursors)
        store = (
            update(WatchTable)
            .where(WatchTable.id == watch_id, WatchTable.lease_owner == owner)
            .values(values)
            .returning(WatchTable.id)
        )
        unique: dict[str, NewNotification] = {}
        for transition in transitions:
            unique.setdefault(transition.key, transition)
        async with self._db.transaction() as session:
            if (await session.execute(store)).first() is None:
                return False
            if unique:
                # Listed in order, so ids (and the thread) follow the order of the diff.
                rows = [_outbox_row(watch_id, t, now) for t in unique.values()]
                record = (
                    self._db.insert(NotificationTable)
                    .values(rows)
                    .on_conflict_do_nothing(
                        index_elements=[NotificationTable.watch_id, NotificationTable.key]
                    )
                )
                await session.execute(record)
            return True

    async def save_polls(
        self, owner: str, outcomes: Sequence[PollOutcome], *, now: datetime | None = None
    ) -> set[int]:
        """Store a batch of polls in one transaction; the ids of the watches saved.

        Each outcome is written as ``save_snapshot`` would (refused unless ``owner`` still
        holds the lease; transitions recorded once per key) and, with ``end``, the watch ends
        in the same commit. One commit per batch keeps thousands of watches cheap to poll.
        """
        now = aware(now) if now else self._clock.now()
        if not outcomes:
            return set()
        # Per watch, what to set: several outcomes of one watch apply in order, as separate
        # UPDATEs would.
        values: dict[int, dict[str, Any]] = {}
        records: list[tuple[int, NewNotification]] = []
        for outcome in outcomes:
            row = values.setdefault(outcome.watch_id, {})
            row.update(next_poll_at=aware(outcome.next_poll_at), updated_at=now)
            if outcome.snapshot is not None:
                row["last_snapshot"] = dict(outcome.snapshot)
            if outcome.log_cursors is not None:
                row["log_cursors"] = dict(outcome.log_cursors)
            if outcome.end is not None:
                row.update(status=WatchStatus.ENDED, ended_at=now, end_reason=outcome.end)
            unique: dict[str, NewNotification] = {}
            for transition in outcome.transitions:
                unique.setdefault(transition.key, transition)
            records.extend((outcome.watch_id, t) for t in unique.values())
        held = (
            select(WatchTable.id)
            .where(WatchTable.id.in_(list(values)), WatchTable.lease_owner == owner)
            .order_by(WatchTable.id)
        )
        if self._db.kind is DatabaseKind.POSTGRESQL:
            # The rows stay locked until the commit: no other replica can take a lease over
            # between this check and the writes. (SQLite: BEGIN IMMEDIATE already holds the
            # only write lock.)
            held = held.with_for_update()
        async with self._db.transaction() as session:
            saved = set((await session.scalars(held)).all())
            # One executemany per set of columns written, instead of an UPDATE per watch.
            batches: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for watch_id, row in values.items():
                if watch_id in saved:
                    bound = {f"p_{name}": value for name, value in row.items()}
                    bound["w_id"] = watch_id
                    batches.setdefault(tuple(sorted(row)), []).append(bound)
            for columns, many in batches.items():
                await session.execute(_poll_update(columns, owner), many)
            rows = [_outbox_row(w, t, now) for w, t in records if w in saved]
            if rows:
                # Listed in order, so ids (and the thread) follow the order of the diffs.
                record = (
                    self._db.insert(NotificationTable)
                    .values(rows)
                    .on_conflict_do_nothing(
                        index_elements=[NotificationTable.watch_id, NotificationTable.key]
                    )
                )
                await session.execute(record)
        return saved

    async def pending_notifications(
        self, owner: str, now: datetime, limit: int = 100
    ) -> list[Notification]:
        """Notifications ``owner`` may post now: of watches it leases, oldest first per watch.

        Only the holder of a live lease gets a watch's notifications, so two replicas never
        post the same one. Post them in the order given; when one fails, ``mark_failed`` it
        and skip the rest of that watch until the next call.
        """
        now = aware(now)
        statement = (
            select(NotificationTable)
            .join(WatchTable, WatchTable.id == NotificationTable.watch_id)
            .where(
                WatchTable.lease_owner == owner,
                WatchTable.lease_expires_at > now,
                _deliverable(now),
            )
            .order_by(NotificationTable.watch_id, NotificationTable.id)
            .limit(limit)
        )
        async with self._db.transaction() as session:
            rows = (await session.scalars(statement)).all()
            return [_notification(n) for n in rows]

    async def notifications(self, watch_id: int) -> list[Notification]:
        """Every notification of a watch, in the order recorded."""
        statement = (
            select(NotificationTable)
            .where(NotificationTable.watch_id == watch_id)
            .order_by(NotificationTable.id)
        )
        async with self._db.transaction() as session:
            return [_notification(n) for n in (await session.scalars(statement)).all()]

    async def mark_sent(
        self, notification_id: int, slack_ts: str | None, *, now: datetime | None = None
    ) -> bool:
        """Record that Slack accepted the post; call right after, in its own commit.

        Not conditional on the lease: the post happened, and recording it is what keeps
        the next owner from posting it again. False when it was not pending.
        """
        now = aware(now) if now else self._clock.now()
        statement = (
            update(NotificationTable)
            .where(
                NotificationTable.id == notification_id,
                NotificationTable.state == NotificationState.PENDING,
            )
            .values(
                state=NotificationState.SENT,
                sent_at=now,
                slack_ts=slack_ts,
                attempts=NotificationTable.attempts + 1,
            )
            .returning(NotificationTable.id)
        )
        return await self._changed(statement)

    async def mark_failed(
        self, notification_id: int, error: str, retry_at: datetime | None
    ) -> bool:
        """Record a failed post: retry at ``retry_at``, or give up on it when None."""
        values: dict[str, Any] = {
            "attempts": NotificationTable.attempts + 1,
            "last_error": error[:_MAX_ERROR_CHARS],
        }
        if retry_at is None:
            values["state"] = NotificationState.FAILED
        else:
            values["next_attempt_at"] = aware(retry_at)
        statement = (
            update(NotificationTable)
            .where(
                NotificationTable.id == notification_id,
                NotificationTable.state == NotificationState.PENDING,
            )
            .values(values)
            .returning(NotificationTable.id)
        )
        return await self._changed(statement)

    async def _changed(self, statement: Executable) -> bool:
        # Statements here end in RETURNING id: a returned row means the UPDATE matched.
        async with self._db.transaction() as session:
            result = await session.execute(
                statement, execution_options={"synchronize_session": False}
            )
            return result.first() is not None
