"""What a handler knows about the request: who, where, which business, and the services."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.clients.bk_job import JobClient
from bot.clients.bk_sops import SopsClient
from bot.errors import AccessDenied, UserError
from bot.services import Actor, Services

if TYPE_CHECKING:
    from bot.commands.registry import Registry

__all__ = ["Context"]


@dataclass(frozen=True)
class Context:
    """One request's context, built by the dispatcher."""

    actor: Actor
    # Slack channel ID; None in the console and in DMs without a channel.
    channel: str | None
    services: Services
    # The business this command acts on (--biz, else the channel's, else the default).
    biz_id: int | None
    # Every command (help describes them; forms resolve through them).
    registry: Registry

    @property
    def user(self) -> str:
        """The BlueKing user every call is made as."""
        if self.actor.bk_username is None:
            raise AccessDenied(
                "I don't know your BlueKing user, so I can't act for you.",
                hint="Ask an administrator to add you to the policy file, or set the e-mail "
                "on your Slack profile to your BlueKing account's.",
            )
        return self.actor.bk_username

    @property
    def biz(self) -> int:
        """The business; a clear error when none is set."""
        if self.biz_id is None:
            raise UserError(
                "No business is set for this channel.",
                hint=f"Set one with `{self.services.command} biz ID`, or add --biz ID.",
            )
        return self.biz_id

    @property
    def job(self) -> JobClient:
        """The BK-Job client."""
        return self.services.job

    @property
    def sops(self) -> SopsClient:
        """The BK-SOPS client."""
        return self.services.sops

    @property
    def command(self) -> str:
        """The slash command name, e.g. ``/bk``."""
        return self.services.command
