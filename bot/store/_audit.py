"""The audit trail of actions that start or change work (product.md §6)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select

from bot.services.ports import Clock
from bot.store._clock import SystemClock
from bot.store._database import Database
from bot.store._models import AuditTable
from bot.store._records import AuditEntry, AuditResult
from bot.store._types import JsonValue, aware

__all__ = ["AuditStore", "hash_params"]


def hash_params(params: Mapping[str, JsonValue]) -> str:
    """sha256 (hex) of the canonical JSON of ``params``: key order and spacing do not count."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _entry(row: AuditTable) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        at=row.at,
        slack_user=row.slack_user,
        bk_username=row.bk_username,
        action=row.action,
        biz=row.biz,
        params_hash=row.params_hash,
        params=row.params,
        result=row.result,
        bk_request_id=row.bk_request_id,
        detail=row.detail,
    )


class AuditStore:
    """Appends audit entries; never updates or deletes them."""

    def __init__(self, db: Database, *, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()

    async def record(
        self,
        *,
        slack_user: str,
        bk_username: str | None,
        action: str,
        params: Mapping[str, JsonValue],
        result: AuditResult,
        biz: int | None = None,
        bk_request_id: str | None = None,
        detail: str | None = None,
        params_hash: str | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Append one entry. ``params`` must already have secrets masked (the caller knows
        which are secret); ``params_hash`` defaults to ``hash_params(params)`` — pass the hash an
        approval was bound to when it was computed over the unmasked parameters."""
        row = AuditTable(
            at=aware(at) if at else self._clock.now(),
            slack_user=slack_user,
            bk_username=bk_username,
            action=action,
            biz=biz,
            params_hash=params_hash or hash_params(params),
            params=dict(params),
            result=result,
            bk_request_id=bk_request_id,
            detail=detail,
        )
        async with self._db.transaction() as session:
            session.add(row)
            await session.flush()
            return _entry(row)

    async def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The newest entries first."""
        statement = (
            select(AuditTable).order_by(AuditTable.at.desc(), AuditTable.id.desc()).limit(limit)
        )
        async with self._db.transaction() as session:
            return [_entry(row) for row in (await session.scalars(statement)).all()]
