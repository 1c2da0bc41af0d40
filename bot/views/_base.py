"""What handlers return: a View (data for one template), buttons, forms, and where to show it."""

from __future__ import annotations

import enum
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "Action",
    "ButtonStyle",
    "Confirm",
    "FieldKind",
    "FileAttachment",
    "Form",
    "FormField",
    "FormOption",
    "Placement",
    "Reply",
    "RunKind",
    "RunRef",
    "TokenStyle",
    "View",
]


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ButtonStyle(enum.StrEnum):
    """Slack's button styles; DEFAULT renders without a style."""

    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


class Confirm(_Data):
    """An "are you sure?" step before a button's command runs."""

    title: str
    text: str
    confirm: str = "Yes"
    deny: str = "Cancel"


class Action(_Data):
    """A button. Clicking it runs ``command`` — the same text a user would type after /bk."""

    label: str
    command: str
    style: ButtonStyle = ButtonStyle.DEFAULT
    confirm: Confirm | None = None


class View(_Data):
    """Data for one template pair ``templates/<template>.blocks.json.j2`` / ``.text.j2``."""

    template: ClassVar[str]


class Placement(enum.StrEnum):
    """Where an adapter shows a reply."""

    # Only the person who asked sees it (Slack ephemeral / console).
    EPHEMERAL = "ephemeral"
    # A new message in the channel, for everyone.
    CHANNEL = "channel"
    # A reply in the thread of the message whose button was clicked (channel when none).
    THREAD = "thread"
    # Replace the message whose button was clicked (e.g. a confirmation prompt).
    REPLACE = "replace"


class RunKind(enum.StrEnum):
    """Which system a run lives in."""

    JOB = "job"
    SOPS = "sops"


class RunRef(_Data):
    """A BK-Job instance or BK-SOPS task that a reply is the status card of."""

    kind: RunKind
    id: int
    biz: int


class FileAttachment(_Data):
    """Content too long for a message: adapters upload it as a file."""

    filename: str
    content: str
    title: str | None = None


class FieldKind(enum.StrEnum):
    """Input kinds a form field can have; adapters pick the widget."""

    TEXT = "text"
    MULTILINE = "multiline"
    NUMBER = "number"
    SELECT = "select"
    # Masked where the surface allows it; never echoed back.
    PASSWORD = "password"


class TokenStyle(enum.StrEnum):
    """How a submitted field value becomes command tokens."""

    # ``name=value`` (plan variables, SOPS constants)
    ASSIGN = "assign"
    # ``--flag value``
    FLAG = "flag"
    # a fenced code block (inline scripts and SQL)
    CODE = "code"
    # a bare positional token
    POSITIONAL = "positional"


class FormOption(_Data):
    """One choice of a SELECT field."""

    label: str
    value: str


class FormField(_Data):
    """One input of a form (a modal in Slack, a prompt in the console)."""

    name: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = True
    default: str | None = None
    hint: str | None = None
    placeholder: str | None = None
    options: tuple[FormOption, ...] = ()
    token: TokenStyle = TokenStyle.ASSIGN
    # for TokenStyle.FLAG: the flag without dashes, e.g. "hosts" for --hosts
    flag: str | None = None


class Form(_Data):
    """Input to collect before a command can run: its answers are appended to ``command``.

    Submitting turns each answered field into tokens (see TokenStyle) after the base
    ``command`` tokens, and the result goes through the ordinary parser and handler.
    """

    title: str = Field(max_length=24)
    submit: str = Field(default="Run", max_length=24)
    command: tuple[str, ...]
    fields: tuple[FormField, ...]
    intro: str | None = None


class Reply(_Data):
    """A handler's answer: the view to render and how to deliver it."""

    view: View | None = None
    placement: Placement = Placement.EPHEMERAL
    # The run this reply is the status card of (adapters post it and keep it current).
    run: RunRef | None = None
    # ``run`` was started elsewhere (``watch``): its thread reports from now on, no history.
    attached: bool = False
    # Instead of a message: collect these fields, then run the completed command.
    form: Form | None = None
    # Long content (logs) to upload next to the message.
    attachment: FileAttachment | None = None
    # A run this command changed (stopped, retried, confirmed…): its card is polled at once,
    # and a watch that had ended with the run follows it again.
    touched: RunRef | None = None

    @model_validator(mode="after")
    def _something_to_show(self) -> Reply:
        if self.view is None and self.form is None:
            raise ValueError("a reply needs a view or a form")
        return self
