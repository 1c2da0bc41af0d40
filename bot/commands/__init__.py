"""Commands: text or button → typed command → handler → Reply, shared by Slack and console."""

from bot.commands import general, job, sops
from bot.commands._context import Context
from bot.commands._dispatch import Dispatcher, FieldErrors, Prepared, error_reply
from bot.commands.grammar import Tokens, tokenize
from bot.commands.registry import (
    CommandModel,
    CommandSpec,
    CommandTable,
    ReadCommand,
    Registry,
    Topic,
)

__all__ = [
    "CommandModel",
    "CommandSpec",
    "CommandTable",
    "Context",
    "Dispatcher",
    "FieldErrors",
    "Prepared",
    "ReadCommand",
    "Registry",
    "Tokens",
    "Topic",
    "build_registry",
    "error_reply",
    "tokenize",
]


def build_registry() -> Registry:
    """Every command of the bot."""
    registry = Registry()
    for module in (general, job, sops):
        module.register(registry)
    return registry
