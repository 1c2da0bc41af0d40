"""The `job …` commands."""

from __future__ import annotations

from bot.commands.registry import CommandTable, Registry, Topic

__all__ = ["TABLE", "register"]

TABLE = CommandTable(Topic.JOB)


def register(registry: Registry) -> None:
    """Add the job commands."""
    TABLE.register(registry)
