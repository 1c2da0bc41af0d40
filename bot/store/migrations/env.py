"""Alembic environment: runs migrations on the connection that bot.store hands over."""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.types import TypeDecorator

from bot.store._models import Base

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    # There is no alembic.ini: the URL and engine setup (SQLite pragmas, PostgreSQL schema)
    # live in bot.store.Database, so migrations only run through it.
    raise RuntimeError(
        "run migrations through bot.store: Database.migrate() or `python -m bot.store upgrade`"
    )


def _render_item(kind: str, item: object, autogen: AutogenContext) -> str | Literal[False]:
    # A migration is frozen history: write the plain SQL type a TypeDecorator stores as,
    # never the application class, which may change or disappear later. (The revision
    # template imports sqlalchemy as sa.)
    if kind == "type" and isinstance(item, TypeDecorator):
        return f"sa.{item.impl_instance!r}"
    return False


context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    render_item=_render_item,
)
with context.begin_transaction():
    context.run_migrations()
