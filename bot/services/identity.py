"""Who is asking: a chat user mapped to the BlueKing user every call is made as (§6)."""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass

from bot.services.policy import Policy
from bot.services.ports import UserDirectory

__all__ = ["Actor", "Identity", "MappedBy"]

log = logging.getLogger(__name__)


class MappedBy(enum.StrEnum):
    """How the BlueKing user was found."""

    POLICY = "policy file"
    EMAIL = "Slack profile e-mail"
    SANDBOX = "sandbox default"
    CONSOLE = "console login"
    UNMAPPED = "unmapped"


@dataclass(frozen=True)
class Actor:
    """The person behind a command or click."""

    # Slack user ID, or the login name at the console.
    id: str
    display_name: str | None
    bk_username: str | None
    mapped_by: MappedBy
    roles: tuple[str, ...] = ()

    @property
    def mention(self) -> str:
        """How to name the person in a message."""
        if self.id.startswith(("U", "W")) and self.id.isalnum():
            return f"<@{self.id}>"
        return self.display_name or self.id


class Identity:
    """Maps chat users to BlueKing users: policy table, then sandbox/e-mail/console rules."""

    def __init__(
        self, policy: Policy, *, sandbox: bool, directory: UserDirectory | None = None
    ) -> None:
        self._policy = policy
        self._sandbox = sandbox
        self._directory = directory

    @property
    def policy(self) -> Policy:
        """The loaded policy."""
        return self._policy

    async def slack_actor(self, user_id: str) -> Actor:
        """Resolve a Slack user: policy, else sandbox default, else the e-mail's local part."""
        roles = self._policy.roles_of(user_id)
        profile = None
        if self._directory is not None:
            try:
                profile = await self._directory.profile(user_id)
            except Exception:  # a directory outage must not block the user; log it
                log.exception("user lookup failed", extra={"slack_user": user_id})
        name = profile.display_name if profile else None
        mapped = self._policy.users.get(user_id)
        if mapped:
            return Actor(user_id, name, mapped, MappedBy.POLICY, roles)
        if self._sandbox:
            return Actor(user_id, name, self._policy.sandbox_user, MappedBy.SANDBOX, roles)
        email = profile.email if profile else None
        if email and "@" in email:
            return Actor(user_id, name, email.split("@", 1)[0], MappedBy.EMAIL, roles)
        return Actor(user_id, name, None, MappedBy.UNMAPPED, roles)

    def console_actor(self, login: str) -> Actor:
        """The person at the terminal: policy table, else sandbox default, else the login."""
        roles = self._policy.roles_of(login)
        mapped = self._policy.users.get(login)
        if mapped:
            return Actor(login, login, mapped, MappedBy.POLICY, roles)
        if self._sandbox:
            return Actor(login, login, self._policy.sandbox_user, MappedBy.SANDBOX, roles)
        return Actor(login, login, login, MappedBy.CONSOLE, roles)
