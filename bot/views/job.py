"""Views of the `job …` commands: plan, script, account and cron lists, run cards and logs."""

from __future__ import annotations

import enum
from datetime import datetime

from bot.views._base import Action, View
from bot.views._format import Row as _Row
from bot.views._format import format_duration

__all__ = [
    "JobAccountListView",
    "JobAccountRow",
    "JobCronListView",
    "JobCronRow",
    "JobCronView",
    "JobLogGroup",
    "JobLogStep",
    "JobLogView",
    "JobPlanListView",
    "JobPlanRow",
    "JobPlanStep",
    "JobPlanView",
    "JobRunCard",
    "JobScriptListView",
    "JobScriptRow",
    "JobScriptView",
    "JobStepRow",
    "JobVariableRow",
    "LogOutcome",
    "fmt_duration",
    "fmt_time",
]


def fmt_time(value: datetime | None, *, utc: bool = False) -> str | None:
    """``2025-01-08 17:40`` as BK-Job sent it; ``UTC`` appended where the API uses UTC.

    bk-job §4.4: times carry no zone; script and account times are UTC, the rest are in the
    server's (or the user's) zone, so they are shown as sent rather than converted.
    """
    if value is None:
        return None
    text = value.strftime("%Y-%m-%d %H:%M")
    if value.tzinfo is not None:
        return f"{text} {value.strftime('%z')}"
    return f"{text} UTC" if utc else text


def fmt_duration(seconds: float | None) -> str | None:
    """``3.2s`` (tenths: steps are often that short), ``45s``, ``2m 05s``, ``1h 02m``."""
    return format_duration(seconds, tenths=True)


# ------------------------------------------------------------------------------------ plans


class JobPlanRow(_Row):
    """One execution plan in a list, with its Run and Details buttons."""

    id: int
    name: str
    creator: str | None = None
    modified: str | None = None
    modified_by: str | None = None
    actions: tuple[Action, ...] = ()


class JobPlanListView(View):
    """``job plans``: one page of execution plans."""

    template = "job/plan_list"

    biz: int
    keyword: str | None = None
    page: int = 1
    pages: int = 1
    total: int = 0
    rows: tuple[JobPlanRow, ...] = ()
    # Prev / Next
    actions: tuple[Action, ...] = ()


class JobPlanStep(_Row):
    """A step of a plan as a person reads it (kind told apart by fields, bk-job §5.2)."""

    index: int
    name: str
    # "script", "file" or "confirmation"
    kind: str
    account: str | None = None
    targets: str | None = None
    timeout: str | None = None
    # "inline script", "business script version 6862", "public script version 36"
    script: str | None = None
    params: str | None = None
    sources: tuple[str, ...] = ()
    target_path: str | None = None
    confirm_message: str | None = None


class JobVariableRow(_Row):
    """A plan variable: its type and default, passwords already masked."""

    name: str
    type_label: str
    # Display-ready default: masked for passwords, ``0:10.0.0.11,…`` for host lists.
    value: str | None = None
    description: str | None = None
    secret: bool = False


class JobPlanView(View):
    """``job plan ID``: the plan's steps and global variables, with a Run button."""

    template = "job/plan"

    id: int
    biz: int
    name: str
    creator: str | None = None
    modified: str | None = None
    modified_by: str | None = None
    steps: tuple[JobPlanStep, ...] = ()
    variables: tuple[JobVariableRow, ...] = ()
    # True when a run stops at a manual confirmation step for a person.
    has_confirmation: bool = False
    actions: tuple[Action, ...] = ()


# ---------------------------------------------------------------------------------- scripts


class JobScriptRow(_Row):
    """One script (its online version) in a list, with Exec and Details buttons."""

    id: int
    name: str
    language: str
    version: str | None = None
    updated: str | None = None
    updated_by: str | None = None
    actions: tuple[Action, ...] = ()


class JobScriptListView(View):
    """``job scripts`` / ``job public-scripts``: one page of online script versions."""

    template = "job/script_list"

    biz: int
    public: bool = False
    keyword: str | None = None
    page: int = 1
    pages: int = 1
    total: int = 0
    rows: tuple[JobScriptRow, ...] = ()
    actions: tuple[Action, ...] = ()


class JobScriptView(View):
    """``job script ID``: one script version and (the start of) its content."""

    template = "job/script"

    id: int
    biz: int
    name: str
    language: str
    version: str | None = None
    public: bool = False
    creator: str | None = None
    created: str | None = None
    updated: str | None = None
    updated_by: str | None = None
    # None when BK-Job did not return the text; cut to fit a message when ``truncated``.
    content: str | None = None
    lines: int = 0
    truncated: bool = False
    # Set when the whole text is attached as a file.
    attached: str | None = None
    actions: tuple[Action, ...] = ()


# --------------------------------------------------------------------------------- accounts


class JobAccountRow(_Row):
    """An OS or DB account; ``alias`` (OS) or ``id`` (DB) is what execution takes."""

    id: int | None = None
    alias: str
    account: str | None = None
    os: str | None = None
    creator: str | None = None
    created: str | None = None


class JobAccountListView(View):
    """``job accounts`` / ``job db-accounts``."""

    template = "job/accounts"

    biz: int
    db: bool = False
    page: int = 1
    pages: int = 1
    total: int = 0
    rows: tuple[JobAccountRow, ...] = ()
    actions: tuple[Action, ...] = ()


# --------------------------------------------------------------------------------- run card


class JobStepRow(_Row):
    """One step in the run card's window: state and host counts."""

    index: int
    step_instance_id: int
    name: str
    # "script", "file", "confirmation", "SQL"
    kind: str
    state_label: str
    emoji: str
    succeeded: int = 0
    failed: int = 0
    running: int = 0
    hosts: int = 0
    elapsed: str | None = None
    # How many times the step has been re-run (0 = first run).
    retries: int = 0
    current: bool = False


class JobRunCard(View):
    """The live status card of one BK-Job instance (product §4)."""

    template = "job/run_card"

    instance_id: int
    biz: int
    name: str
    # bk-job §6.1 code of the job; None when the server did not say
    status: int | None = None
    state_label: str
    emoji: str
    # "plan 1000123", "fast script", "file push", "SQL"
    kind: str
    plan_id: int | None = None
    started_by: str | None = None
    started: str | None = None
    elapsed: str | None = None
    url: str | None = None
    # The server's is_finished (bk-job §5.14): final status, though failed can be retried.
    finished: bool = False
    # True while a step operation (retry, ignore, next …) can still restart or resume it.
    resumable: bool = False
    steps: tuple[JobStepRow, ...] = ()
    total_steps: int = 0
    hidden_before: int = 0
    hidden_after: int = 0
    # The manual-confirmation step waiting for a person, and what it asks.
    waiting_step: str | None = None
    confirm_message: str | None = None
    note: str | None = None
    actions: tuple[Action, ...] = ()


# ------------------------------------------------------------------------------------- logs


class LogOutcome(enum.StrEnum):
    """Where a group of hosts stands (decides the icon)."""

    SUCCEEDED = "succeeded"
    RUNNING = "running"
    FAILED = "failed"


class JobLogGroup(_Row):
    """Hosts of a step that share status, exit code and output (product §4)."""

    outcome: LogOutcome
    status_label: str
    exit_code: int | None = None
    hosts: tuple[str, ...] = ()
    # The log as the script printed it (server escaping undone); the end when ``truncated``.
    output: str = ""
    lines: int = 0
    truncated: bool = False


class JobLogStep(_Row):
    """One step's hosts, grouped."""

    index: int
    step_instance_id: int
    name: str
    state_label: str
    emoji: str
    groups: tuple[JobLogGroup, ...] = ()


class JobLogView(View):
    """``job log ID``: output per step, hosts with identical output grouped."""

    template = "job/log"

    instance_id: int
    biz: int
    step_filter: str | None = None
    host_filter: str | None = None
    steps: tuple[JobLogStep, ...] = ()
    # The file name of the attached full log when the output was too long to show.
    attached: str | None = None
    actions: tuple[Action, ...] = ()


# ------------------------------------------------------------------------------------ crons


class JobCronRow(_Row):
    """One cron with its On/Off and Edit buttons."""

    id: int
    name: str
    enabled: bool | None = None
    expression: str | None = None
    plan_id: int | None = None
    plan_name: str | None = None
    modified: str | None = None
    modified_by: str | None = None
    actions: tuple[Action, ...] = ()


class JobCronListView(View):
    """``job crons``: one page of the business's crons."""

    template = "job/cron_list"

    biz: int
    keyword: str | None = None
    page: int = 1
    pages: int = 1
    total: int = 0
    rows: tuple[JobCronRow, ...] = ()
    actions: tuple[Action, ...] = ()


class JobCronView(View):
    """The answer to ``job cron save``: the cron as saved, and whether it is enabled."""

    template = "job/cron"

    id: int
    biz: int
    name: str
    enabled: bool | None = None
    expression: str | None = None
    plan_id: int | None = None
    plan_name: str | None = None
    created: bool = False
    saved_by: str | None = None
    note: str | None = None
    actions: tuple[Action, ...] = ()
