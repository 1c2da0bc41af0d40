"""Alembic driven from code: no alembic.ini, the migrations ship inside the package."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from bot.store._records import MigrationState

__all__ = [
    "MIGRATIONS_DIR",
    "alembic_config",
    "downgrade",
    "head_revision",
    "is_known",
    "state",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic Config pointing at the packaged migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Without it alembic warns that it falls back to legacy path splitting.
    config.set_main_option("path_separator", "os")
    # env.py runs on this connection: one engine setup (pragmas, schema) for app and migrations.
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped with this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # the package always ships at least the initial revision
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head


def is_known(revision: str) -> bool:
    """Whether this code ships ``revision`` (a newer bot may have migrated past it)."""
    script = ScriptDirectory.from_config(alembic_config())
    return any(s.revision == revision for s in script.walk_revisions())


def state(connection: Connection) -> MigrationState:
    """The database's revision next to the code's head."""
    current = MigrationContext.configure(connection).get_current_revision()
    return MigrationState(current=current, head=head_revision())


def upgrade(connection: Connection, revision: str = "head") -> None:
    """``alembic upgrade`` on ``connection`` (inside the caller's transaction)."""
    command.upgrade(alembic_config(connection), revision)


def downgrade(connection: Connection, revision: str) -> None:
    """``alembic downgrade`` on ``connection`` (inside the caller's transaction)."""
    command.downgrade(alembic_config(connection), revision)
