"""The BotError tree: failures the bot explains to its users, with user-safe messages.

::

    BotError                 anything the bot turns into a message for the user
    ├── ConfigError          settings are missing or inconsistent (bkbot check / startup)
    ├── UserError            the input is wrong: bad syntax, unknown command, wrong type
    ├── AccessDenied         the bot's own policy, or BlueKing IAM, says no
    ├── NotFound             the plan, script, run, template … does not exist
    ├── Conflict             the action is not valid in the current state (already finished …)
    └── UpstreamError        BlueKing or Slack failed or is unreachable; try again later

Clients raise ``bot.clients.errors.BKError``; the service layer translates those into this tree
(``raise … from exc``) so adapters only ever render BotErrors. ``user_message`` never holds
secrets or stack traces; ``hint`` says what to do next.
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "BotError",
    "ConfigError",
    "Conflict",
    "NotFound",
    "UpstreamError",
    "UserError",
]


class BotError(Exception):
    """Base of all errors shown to users."""

    def __init__(self, user_message: str, *, hint: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.hint = hint


class ConfigError(BotError):
    """Settings are missing or inconsistent."""


class UserError(BotError):
    """The user's input is wrong; ``usage`` and ``suggestion`` help them fix it.

    ``field`` names the input at fault (a command field or a variable name) so a form can show
    the message next to that field.
    """

    def __init__(
        self,
        user_message: str,
        *,
        usage: str | None = None,
        suggestion: str | None = None,
        hint: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(user_message, hint=hint)
        self.usage = usage
        self.suggestion = suggestion
        self.field = field


class AccessDenied(BotError):
    """The bot's policy or BlueKing IAM refused; ``missing`` names what is lacking."""

    def __init__(
        self,
        user_message: str,
        *,
        missing: str | None = None,
        apply_url: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(user_message, hint=hint)
        self.missing = missing
        self.apply_url = apply_url


class NotFound(BotError):
    """The addressed entity does not exist."""


class Conflict(BotError):
    """The action is not valid in the entity's current state."""


class UpstreamError(BotError):
    """A dependency (BlueKing, Slack) failed; carries the request id for support."""

    def __init__(
        self, user_message: str, *, request_id: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(user_message, hint=hint)
        self.request_id = request_id
