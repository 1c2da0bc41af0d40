"""The view of one message in a run card's thread: a step, node, gate or run transition."""

from __future__ import annotations

import enum

from bot.views._base import Action, View
from bot.views._format import Row as _Row

__all__ = ["PostTone", "ThreadFailure", "ThreadHostGroup", "ThreadPostView"]


class PostTone(enum.StrEnum):
    """What kind of news a thread message carries; the templates pick its icon."""

    STARTED = "started"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    # Failed, but the failure was ignored and the run went on.
    IGNORED = "ignored"
    STOPPED = "stopped"
    WAITING = "waiting"
    REJECTED = "rejected"
    # A gate closed without an answer (the run ended around it).
    CANCELLED = "cancelled"
    PAUSED = "paused"
    RESUMED = "resumed"
    REVOKED = "revoked"
    EXPIRED = "expired"
    GONE = "gone"
    # A note of the bot's own (a run attached with ``watch``).
    INFO = "info"


class ThreadHostGroup(_Row):
    """Failed hosts of a step that printed the same output and ended the same way."""

    hosts: tuple[str, ...]
    status: str = ""
    exit_code: int | None = None
    # As the script printed it; only its end when ``tail`` is set.
    output: str = ""
    tail: bool = False


class ThreadFailure(_Row):
    """A step or node named in a run's summary: what it is, how it ended, its error."""

    # "Step 3 “deploy”" or "Node “Check disk”"
    title: str
    label: str
    # "2 of 5 hosts failed: 10.0.0.1 (script failed), …"
    detail: str | None = None
    # The node's error text (BK-SOPS ``ex_data``), shown as code.
    error: str | None = None


class ThreadPostView(View):
    """One thread message under a run card (product §4): headline, details, logs, buttons."""

    template = "common/thread_post"

    tone: PostTone
    # "Step 2 “deploy” started", "Job 123 “nightly” failed after 1m 02s": plain text.
    headline: str
    # "job 123" for a message about a step or node: the text twin names the run, since a
    # console thread line has no card beside it. None when the headline names the run.
    run: str | None = None
    # A gate's question (confirmation message, approval title, pause description).
    quote: str | None = None
    details: tuple[str, ...] = ()
    # A node's error text (BK-SOPS ``ex_data``), shown as code.
    error: str | None = None
    groups: tuple[ThreadHostGroup, ...] = ()
    # Groups left out of the message (they are in the attached file).
    hidden_groups: int = 0
    failures: tuple[ThreadFailure, ...] = ()
    hidden_failures: int = 0
    # The file name of the attached full log, when the output was too long to show.
    attached: str | None = None
    actions: tuple[Action, ...] = ()
