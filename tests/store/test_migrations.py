"""Migrations: empty → head, state reporting, schema equal to the models, engine setup."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.store import Database, DatabaseUnavailable, StoreError, UnsupportedDatabase
from bot.store._migrate import head_revision
from bot.store._models import Base
from tests.store.conftest import Target

TABLES = {"alembic_version", "audit", "channel_settings", "notifications", "watches"}


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _schema_diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_empty_database_is_behind_head_until_migrated(target: Target) -> None:
    db = await target.open()
    try:
        before = await db.migration_state()
        assert before.current is None
        assert before.head == head_revision()
        assert not before.up_to_date
        assert "empty" in before.describe()

        after = await db.migrate()
        assert after.up_to_date
        assert after == await db.migration_state()
        assert after.describe() == f"at {after.head} (head)"
        async with db.engine.connect() as connection:
            assert await connection.run_sync(_tables) == TABLES
    finally:
        await db.aclose()


async def test_migrating_an_up_to_date_database_changes_nothing(db: Database) -> None:
    again = await db.migrate()
    assert again.up_to_date


async def test_migrations_build_exactly_the_schema_the_models_describe(db: Database) -> None:
    async with db.engine.connect() as connection:
        assert await connection.run_sync(_schema_diff) == []


async def test_downgrade_to_base_drops_every_table_and_upgrade_restores_them(
    db: Database,
) -> None:
    state = await db.downgrade("base")
    assert state.current is None
    async with db.engine.connect() as connection:
        assert await connection.run_sync(_tables) <= {"alembic_version"}
    assert (await db.migrate()).up_to_date


async def test_a_database_migrated_by_a_newer_version_is_refused_not_damaged(
    db: Database,
) -> None:
    async with db.engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    state = await db.migration_state()
    assert (state.current, state.up_to_date) == ("9999", False)
    with pytest.raises(StoreError, match="9999"):
        await db.migrate()
    assert (await db.migration_state()).current == "9999"


async def test_replicas_starting_together_both_end_at_head(target: Target) -> None:
    first, second = await target.open(), await target.open()
    try:
        states = await asyncio.gather(first.migrate(), second.migrate())
        assert all(state.up_to_date for state in states)
    finally:
        await first.aclose()
        await second.aclose()


async def test_foreign_keys_are_enforced(db: Database) -> None:
    insert = text(
        "INSERT INTO notifications (watch_id, key, kind, payload, state, attempts, "
        "created_at, next_attempt_at) VALUES (424242, 'k', 'step', '{}', 'pending', 0, "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    with pytest.raises(IntegrityError):
        async with db.engine.begin() as connection:
            await connection.execute(insert)


@pytest.mark.parametrize("target", ["sqlite"], indirect=True)
async def test_sqlite_connections_use_wal_and_wait_for_the_writer(db: Database) -> None:
    async with db.engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 10_000
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1


@pytest.mark.postgres
@pytest.mark.parametrize("target", ["postgresql"], indirect=True)
async def test_postgresql_schema_option_keeps_tables_in_that_schema(
    db: Database, target: Target
) -> None:
    async with db.engine.connect() as connection:
        found = await connection.execute(
            text("SELECT table_name FROM information_schema.tables WHERE table_schema = :s"),
            {"s": target.schema},
        )
        assert set(found.scalars()) == TABLES


@pytest.mark.parametrize(
    "url",
    [
        "mysql+aiomysql://root@localhost/bkbot",
        "postgresql+psycopg2://postgres@localhost/bkbot",
        "sqlite+pysqlite:///bkbot.db",
        "not a url",
    ],
)
async def test_unsupported_database_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsupportedDatabase):
        await Database.open(url)


async def test_plain_sqlite_url_gets_the_async_driver_and_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "data" / "bkbot.db"
    async with await Database.open(f"sqlite:///{path}") as db:
        assert db.describe() == f"SQLite at {path}"
        assert path.exists()


async def test_unreachable_database_is_reported_without_its_password() -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        await Database.open("postgresql+asyncpg://bkbot:s3cret@127.0.0.1:1/bkbot")
    assert "PostgreSQL at 127.0.0.1:1/bkbot" in str(caught.value)
    assert "s3cret" not in str(caught.value)
