"""Views shared by every command: notices, errors, help, confirmation prompts."""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict

from bot.views._base import Action, View

__all__ = [
    "ErrorKind",
    "ErrorView",
    "HelpEntry",
    "HelpView",
    "NoticeView",
    "PendingGate",
    "PendingView",
    "PromptView",
    "WhoamiView",
]


class NoticeView(View):
    """A short message, optionally with buttons (e.g. "Cron 7 enabled")."""

    template = "common/notice"

    text: str
    detail: str | None = None
    actions: tuple[Action, ...] = ()


class ErrorKind(enum.StrEnum):
    """What went wrong, which decides the icon and wording."""

    USAGE = "usage"
    DENIED = "denied"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    UPSTREAM = "upstream"
    INTERNAL = "internal"


class ErrorView(View):
    """An explanation of a failure: what, and what to do next. Never a stack trace."""

    template = "common/error"

    kind: ErrorKind
    message: str
    usage: str | None = None
    suggestion: str | None = None
    hint: str | None = None
    missing_permission: str | None = None
    apply_url: str | None = None
    request_id: str | None = None
    # The input at fault (a form field or variable name), so a form can show it in place.
    field: str | None = None


class HelpEntry(BaseModel):
    """One command line in the help."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    usage: str
    summary: str


class HelpView(View):
    """Usage generated from the command registry, for everything or one topic."""

    template = "common/help"

    command: str
    topic: str | None
    topics: tuple[str, ...]
    entries: tuple[HelpEntry, ...]
    notes: tuple[str, ...] = ()


class PromptView(View):
    """A question with buttons, e.g. "Stop job 123?" with Stop / Cancel."""

    template = "common/prompt"

    question: str
    detail: str | None = None
    actions: tuple[Action, ...]


class WhoamiView(View):
    """Slack user → BlueKing user, how it was mapped, and roles."""

    template = "common/whoami"

    chat_user: str
    display_name: str | None
    bk_username: str | None
    mapped_by: str
    roles: tuple[str, ...]
    business: int | None
    sandbox: bool


class PendingGate(BaseModel):
    """One human gate: a run waiting for a person, and the buttons that answer it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # "BK-Job confirmation", "BK-SOPS approval", "BK-SOPS pause node"
    kind: str
    run: str
    where: str
    prompt: str | None = None
    started_by: str | None = None
    actions: tuple[Action, ...] = ()


class PendingView(View):
    """Every human gate in the runs the bot knows that the user can see."""

    template = "common/pending"

    gates: tuple[PendingGate, ...]
    checked: int
    unreadable: int = 0
