"""The database handle: engine and sessions, SQLite/PostgreSQL setup, migrations."""

from __future__ import annotations

import enum
import logging
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from bot.store import _migrate
from bot.store._records import MigrationState

__all__ = [
    "Database",
    "DatabaseKind",
    "DatabaseUnavailable",
    "StoreError",
    "UnsupportedDatabase",
]

log = logging.getLogger(__name__)

# How long a SQLite writer waits for another one before failing with "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 10_000
# Key of the PostgreSQL advisory lock that lets one replica at a time run migrations
# ("bkbot" in ASCII; any constant works as long as nothing else in the database uses it).
MIGRATION_LOCK_KEY = 0x626B626F74

_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


class StoreError(Exception):
    """Base of the store's own errors (SQLAlchemy errors pass through unchanged)."""


class UnsupportedDatabase(StoreError, ValueError):
    """The database URL names a database or driver the store does not support."""


class DatabaseUnavailable(StoreError):
    """The database could not be reached or opened."""


class DatabaseKind(enum.StrEnum):
    """The two databases the store runs on."""

    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


def _parse(url: str) -> tuple[URL, DatabaseKind]:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UnsupportedDatabase(f"not a database URL: {exc}") from exc
    backend, _, driver = parsed.drivername.partition("+")
    if backend == "postgres":  # the libpq-style alias
        backend = "postgresql"
    if backend not in _DRIVERS:
        raise UnsupportedDatabase(
            f"unsupported database {backend!r}: use sqlite+aiosqlite:///PATH "
            "or postgresql+asyncpg://USER@HOST/DB"
        )
    wanted = _DRIVERS[backend]
    # A bare sqlite:// or postgresql:// gets the async driver; another driver is refused.
    if driver and f"{backend}+{driver}" != wanted:
        raise UnsupportedDatabase(f"unsupported driver {parsed.drivername!r}: use {wanted}://")
    return parsed.set(drivername=wanted), DatabaseKind(backend)


def _is_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or database.startswith("file::memory:")


def _make_parent_dir(url: URL) -> None:
    # SQLite creates the file but not its directory ("unable to open database file").
    database = url.database or ""
    if not _is_memory(url) and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        # Take transaction control away from the driver (it would BEGIN lazily, before the
        # first write); _on_begin below opens every transaction itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            # WAL: readers do not block the writer nor the writer the readers.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock up front (waiting up to busy_timeout). A deferred
        # transaction that reads, then writes, fails at once with SQLITE_BUSY when another
        # writer got in between; busy_timeout cannot help it. SQLite has one writer anyway.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """One database: an async engine, its session factory, and the schema's migrations.

    Open with ``await Database.open(url)``; apply migrations with ``await db.migrate()``;
    close with ``await db.aclose()`` (or use ``async with``).
    """

    def __init__(self, engine: AsyncEngine, kind: DatabaseKind, url: URL) -> None:
        self.engine = engine
        self.kind = kind
        self._url = url
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    async def open(cls, url: str, *, schema: str | None = None, echo: bool = False) -> Database:
        """Connect to ``url`` (``sqlite+aiosqlite:///PATH`` or ``postgresql+asyncpg://…``).

        ``schema`` (PostgreSQL only) puts every table, including alembic's version table,
        in that existing schema instead of the server's default search path.
        """
        parsed, kind = _parse(url)
        connect_args: dict[str, Any] = {}
        if kind is DatabaseKind.SQLITE:
            if schema is not None:
                raise UnsupportedDatabase("a schema can only be chosen on PostgreSQL")
            _make_parent_dir(parsed)
            engine = create_async_engine(parsed, echo=echo)
            _configure_sqlite(engine)
        else:
            if schema is not None:
                connect_args["server_settings"] = {"search_path": schema}
            # pre_ping: replicas outlive database restarts and failovers.
            engine = create_async_engine(
                parsed, echo=echo, pool_pre_ping=True, connect_args=connect_args
            )
        db = cls(engine, kind, parsed)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except (OSError, SQLAlchemyError) as exc:
            await engine.dispose()
            raise DatabaseUnavailable(f"cannot open {db.describe()}: {exc}") from exc
        return db

    def describe(self) -> str:
        """Which database this is, without credentials (for the startup line and logs)."""
        if self.kind is DatabaseKind.SQLITE:
            if _is_memory(self._url):
                return "SQLite in memory"
            return f"SQLite at {self._url.database}"
        port = f":{self._url.port}" if self._url.port else ""
        return f"PostgreSQL at {self._url.host or 'localhost'}{port}/{self._url.database or ''}"

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]:
        """A session in a transaction, committed on success and rolled back on error."""
        return self.sessions.begin()

    def insert(self, model: type[DeclarativeBase]) -> PgInsert | SqliteInsert:
        """An INSERT that can say ON CONFLICT, in this database's dialect."""
        if self.kind is DatabaseKind.POSTGRESQL:
            return pg_insert(model)
        return sqlite_insert(model)

    async def migrate(self) -> MigrationState:
        """Apply every pending migration (``alembic upgrade head``); safe on many replicas."""
        async with self.engine.begin() as connection:
            if self.kind is DatabaseKind.POSTGRESQL:
                # Replicas starting together queue here; DDL is transactional, so the next one
                # sees the finished schema and has nothing left to do.
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            before = await connection.run_sync(_migrate.state)
            if before.current is not None and not _migrate.is_known(before.current):
                raise StoreError(
                    f"{self.describe()} is at schema revision {before.current}, which this "
                    f"version does not know (head {before.head}): was it migrated by a newer "
                    "bkbot? Run that version, or downgrade the database with it first"
                )
            if not before.up_to_date:
                log.info("migrating %s from %s to %s", self.describe(), before.current, before.head)
                await connection.run_sync(_migrate.upgrade)
            return await connection.run_sync(_migrate.state)

    async def downgrade(self, revision: str) -> MigrationState:
        """Revert migrations down to ``revision`` (``base`` empties the schema)."""
        async with self.engine.begin() as connection:
            await connection.run_sync(_migrate.downgrade, revision)
            return await connection.run_sync(_migrate.state)

    async def migration_state(self) -> MigrationState:
        """The database's revision, the code's head, and whether they match."""
        async with self.engine.connect() as connection:
            return await connection.run_sync(_migrate.state)

    async def aclose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
