"""Fixtures: each store test runs on a real SQLite file and, when configured, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.store import AuditStore, ChannelStore, Database, WatchStore

# PostgreSQL tests run when this names a database they may create schemas in.
PG_ENV = "BKBOT_TEST_DATABASE_URL"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime = T0) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> datetime:
        self.current += timedelta(seconds=seconds)
        return self.current


@dataclass(frozen=True)
class Target:
    """Where a test's database lives; ``open()`` gives a new, independent handle on it."""

    kind: str
    url: str
    schema: str | None = None

    async def open(self) -> Database:
        return await Database.open(self.url, schema=self.schema)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Target]:
    """A real SQLite file in tmp_path, or a fresh schema in the PostgreSQL database."""
    if request.param == "sqlite":
        yield Target("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'bkbot.db'}")
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"PostgreSQL store tests need {PG_ENV}=postgresql+asyncpg://USER@HOST/DB")
    # A schema per test: isolated, repeatable, and dropped whatever the test left behind.
    schema = f"bkbot_test_{uuid.uuid4().hex[:12]}"
    admin = await Database.open(url)
    try:
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield Target("postgresql", url, schema)
    finally:
        async with admin.engine.begin() as connection:
            await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.aclose()


@pytest.fixture
async def db(target: Target) -> AsyncIterator[Database]:
    """The target, migrated to head."""
    database = await target.open()
    try:
        await database.migrate()
        yield database
    finally:
        await database.aclose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def watches(db: Database, clock: FakeClock) -> WatchStore:
    return WatchStore(db, clock=clock)


@pytest.fixture
def channels(db: Database, clock: FakeClock) -> ChannelStore:
    return ChannelStore(db, clock=clock)


@pytest.fixture
def audit(db: Database, clock: FakeClock) -> AuditStore:
    return AuditStore(db, clock=clock)
