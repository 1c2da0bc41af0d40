"""The `sops …` commands."""

from __future__ import annotations

from bot.commands.registry import CommandTable, Registry, Topic

__all__ = ["TABLE", "register"]

TABLE = CommandTable(Topic.SOPS)


def register(registry: Registry) -> None:
    """Add the sops commands."""
    TABLE.register(registry)
