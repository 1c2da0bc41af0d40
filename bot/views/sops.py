"""Views of the `sops …` commands: template lists, run cards, task and periodic-task details."""

from __future__ import annotations

import enum
import json
from datetime import datetime

from pydantic import JsonValue

from bot.views._base import Action, View
from bot.views._format import Row as _Row
from bot.views._format import format_duration

__all__ = [
    "CardPhase",
    "SopsConstantRow",
    "SopsCountRow",
    "SopsFailedRow",
    "SopsHistoryRow",
    "SopsKeyValue",
    "SopsNodeRow",
    "SopsNodeView",
    "SopsPeriodicListView",
    "SopsPeriodicRow",
    "SopsPeriodicView",
    "SopsRunCard",
    "SopsStatsView",
    "SopsTaskDetailView",
    "SopsTemplateListView",
    "SopsTemplateNode",
    "SopsTemplateRow",
    "SopsTemplateView",
    "SopsWaitingRow",
    "fmt_duration",
    "fmt_time",
    "fmt_value",
]

# Values longer than this are cut in views: a chat message is not the place for a whole script.
MAX_VALUE_CHARS = 300


def fmt_time(value: datetime | None) -> str | None:
    """``2026-08-20 10:00 +0800`` in the time zone BK-SOPS answered in; None when unset."""
    if value is None:
        return None
    return value.strftime("%Y-%m-%d %H:%M %z").strip()


def fmt_duration(seconds: int | float | None) -> str | None:
    """``45s``, ``2m 05s``, ``1h 02m``, ``2d 03h``; None when unknown."""
    return format_duration(seconds)


def fmt_value(value: JsonValue, limit: int = MAX_VALUE_CHARS) -> str:
    """A variable or output value as one display string (JSON for non-strings), cut to fit."""
    if value is None:
        text = ""
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------------- templates


class SopsTemplateRow(_Row):
    """One template in a list, with its Run and Details buttons."""

    id: int
    name: str
    category: str | None = None
    edited: str | None = None
    editor: str | None = None
    actions: tuple[Action, ...] = ()


class SopsTemplateListView(View):
    """``sops templates``: one page of templates."""

    template = "sops/template_list"

    biz: int
    keyword: str | None = None
    common: bool = False
    page: int = 1
    pages: int = 1
    total: int = 0
    rows: tuple[SopsTemplateRow, ...] = ()
    # Prev / Next
    actions: tuple[Action, ...] = ()


class SopsTemplateNode(_Row):
    """A node of a template or task in flow order."""

    index: int
    name: str
    plugin: str | None = None
    # "approval" (bk_approve) or "manual continue" (pause_node): the run waits for a person here
    waits_for: str | None = None
    optional: bool = False


class SopsConstantRow(_Row):
    """A variable as chat may show it: passwords are already masked."""

    key: str
    name: str
    value: str
    desc: str | None = None
    secret: bool = False
    hidden: bool = False


class SopsTemplateView(View):
    """``sops template ID``: nodes in flow order, the task form and a Run button."""

    template = "sops/template"

    id: int
    biz: int
    name: str
    common: bool = False
    category: str | None = None
    description: str | None = None
    creator: str | None = None
    editor: str | None = None
    edited: str | None = None
    nodes: tuple[SopsTemplateNode, ...] = ()
    constants: tuple[SopsConstantRow, ...] = ()
    actions: tuple[Action, ...] = ()


# ----------------------------------------------------------------------------------- run card


class CardPhase(enum.StrEnum):
    """The overall state of a run card, as a person reads it (bk-sops §4.2, §5.1)."""

    CREATED = "created"
    STARTING = "starting"
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    WAITING_TO_CONTINUE = "waiting_to_continue"
    PAUSED = "paused"
    NODE_PAUSED = "node_paused"
    FAILED = "failed"
    FINISHED = "finished"
    REVOKED = "revoked"
    EXPIRED = "expired"
    UNKNOWN = "unknown"


class SopsNodeRow(_Row):
    """One node in the run card's window: its place in the flow and its state."""

    index: int
    node_id: str
    name: str
    plugin: str | None = None
    # raw BK-SOPS state, or "PENDING" for a node the run has not reached
    state: str
    state_label: str
    elapsed: str | None = None
    current: bool = False


class SopsWaitingRow(_Row):
    """A node waiting for a person, with the buttons that answer it."""

    node_id: str
    name: str
    # "approval" or "continue"
    kind: str
    prompt: str | None = None
    since: str | None = None
    actions: tuple[Action, ...] = ()


class SopsFailedRow(_Row):
    """A failed node and what BK-SOPS said about it."""

    node_id: str
    name: str
    error: str | None = None


class SopsRunCard(View):
    """The live status card of one BK-SOPS task (product §4)."""

    template = "sops/run_card"

    task_id: int
    biz: int
    name: str
    # raw task state from get_task_status (e.g. RUNNING)
    state: str
    phase: CardPhase
    state_label: str
    project: str | None = None
    started_by: str | None = None
    elapsed: str | None = None
    url: str | None = None
    nodes: tuple[SopsNodeRow, ...] = ()
    total_nodes: int = 0
    hidden_before: int = 0
    hidden_after: int = 0
    waiting: tuple[SopsWaitingRow, ...] = ()
    failed: tuple[SopsFailedRow, ...] = ()
    actions: tuple[Action, ...] = ()


# ------------------------------------------------------------------------------ task details


class SopsKeyValue(_Row):
    """A named value (an output, a node input)."""

    key: str
    name: str | None = None
    value: str


class SopsTaskDetailView(View):
    """``sops detail ID``: metadata, variables (masked), outputs and the link."""

    template = "sops/task_detail"

    task_id: int
    biz: int
    name: str
    template_id: int | None = None
    project: str | None = None
    creator: str | None = None
    executor: str | None = None
    create_method: str | None = None
    created: str | None = None
    started: str | None = None
    finished: str | None = None
    elapsed: str | None = None
    url: str | None = None
    nodes: tuple[SopsTemplateNode, ...] = ()
    constants: tuple[SopsConstantRow, ...] = ()
    outputs: tuple[SopsKeyValue, ...] = ()
    actions: tuple[Action, ...] = ()


class SopsHistoryRow(_Row):
    """An earlier (failed) attempt of a node."""

    state: str
    started: str | None = None
    finished: str | None = None
    error: str | None = None


class SopsNodeView(View):
    """``sops node ID NODE``: one node's inputs, outputs, error and earlier attempts."""

    template = "sops/node"

    task_id: int
    biz: int
    node_id: str
    index: int | None = None
    name: str
    plugin: str | None = None
    state: str
    state_label: str
    started: str | None = None
    finished: str | None = None
    elapsed: str | None = None
    retry: int | None = None
    inputs: tuple[SopsKeyValue, ...] = ()
    outputs: tuple[SopsKeyValue, ...] = ()
    error: str | None = None
    histories: tuple[SopsHistoryRow, ...] = ()
    actions: tuple[Action, ...] = ()


# ------------------------------------------------------------------------------------ counts


class SopsCountRow(_Row):
    """One group of ``query_task_count``."""

    code: str
    label: str
    count: int
    percent: int


class SopsStatsView(View):
    """``sops stats``: task counts grouped by one dimension."""

    template = "sops/stats"

    biz: int
    group_by: str
    group_label: str
    total: int
    rows: tuple[SopsCountRow, ...] = ()
    notes: tuple[str, ...] = ()
    actions: tuple[Action, ...] = ()


# ---------------------------------------------------------------------------- periodic tasks


class SopsPeriodicRow(_Row):
    """One periodic task in a list, with On/Off and Details buttons."""

    id: int
    name: str
    enabled: bool
    schedule: str
    timezone: str | None = None
    template_id: int | None = None
    last_run: str | None = None
    runs: int | None = None
    actions: tuple[Action, ...] = ()


class SopsPeriodicListView(View):
    """``sops periodic``: one page of periodic tasks."""

    template = "sops/periodic_list"

    biz: int
    keyword: str | None = None
    page: int = 1
    pages: int = 1
    total: int = 0
    rows: tuple[SopsPeriodicRow, ...] = ()
    actions: tuple[Action, ...] = ()


class SopsPeriodicView(View):
    """``sops periodic show ID`` (and the answer to ``periodic create``)."""

    template = "sops/periodic"

    id: int
    biz: int
    name: str
    enabled: bool
    schedule: str
    cron: str
    timezone: str | None = None
    template_id: int | None = None
    template_source: str | None = None
    creator: str | None = None
    last_run: str | None = None
    runs: int | None = None
    constants: tuple[SopsConstantRow, ...] = ()
    # set on the answer to `periodic create`: who created it (it starts disabled, §3.13)
    created_by: str | None = None
    actions: tuple[Action, ...] = ()
