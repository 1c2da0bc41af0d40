"""Building blocks of the sops handlers: paging, node lookup, and the rows their views show."""

from __future__ import annotations

import html
import json
import re
import shlex
from collections.abc import Mapping, Sequence
from typing import TypeVar

from pydantic import JsonValue

from bot.clients.bk_sops import (
    MASK,
    Activity,
    ComponentCode,
    Constant,
    PeriodicTask,
    PipelineTree,
    TaskNodeDetail,
    form_constants,
    password_keys,
)
from bot.commands._lists import page_of, pager, who
from bot.commands._sops_cron import schedule_words
from bot.commands._sops_vars import constant_rows, is_empty
from bot.errors import UserError
from bot.services.sops_runs import flow_order, iter_activities
from bot.views import Action, ButtonStyle
from bot.views.sops import (
    SopsHistoryRow,
    SopsKeyValue,
    SopsPeriodicView,
    SopsTemplateNode,
    fmt_time,
    fmt_value,
)

__all__ = [
    "ResolvedNode",
    "error_text",
    "histories",
    "keyword_words",
    "node_inputs",
    "node_outputs",
    "page_of",
    "pager",
    "periodic_toggle",
    "periodic_view",
    "resolve_node",
    "template_nodes",
    "who",
]

T = TypeVar("T")

# Rows per page of a list: a Slack message stays readable and under its block limit.
# Engine bookkeeping that every node reports (bk-sops §3.9); noise in chat.
_ENGINE_KEYS = frozenset({"_loop", "_inner_loop"})
_REF = re.compile(r"\$\{[^}]+\}")
_TAG = re.compile(r"<[^>]+>")


def keyword_words(keyword: str | None) -> str:
    """The keyword as command words (quoted when it has spaces), with a leading space."""
    return f" {shlex.quote(keyword)}" if keyword else ""


# ------------------------------------------------------------------------------------- nodes


def template_nodes(tree: PipelineTree) -> tuple[SopsTemplateNode, ...]:
    """The activities of a tree in flow order, marking the ones that wait for a person."""
    rows: list[SopsTemplateNode] = []
    for index, node_id in enumerate(flow_order(tree), 1):
        activity = tree.activities[node_id]
        code = activity.code
        labels: dict[str, str] = {
            ComponentCode.BK_APPROVE: "approval",
            ComponentCode.PAUSE_NODE: "manual continue",
        }
        waits = labels.get(code or "")
        rows.append(
            SopsTemplateNode(
                index=index,
                name=activity.name or node_id,
                plugin=code or ("sub-process" if activity.is_subprocess else None),
                waits_for=waits,
                optional=bool(activity.optional),
            )
        )
    return tuple(rows)


class ResolvedNode:
    """A task node found from what the user typed: id, name or 1-based position."""

    def __init__(
        self, node_id: str, activity: Activity, index: int | None, stack: tuple[str, ...]
    ) -> None:
        self.node_id = node_id
        self.activity = activity
        self.index = index
        self.stack = stack

    @property
    def name(self) -> str:
        """The node's display name."""
        return self.activity.name or self.node_id


def _listing(tree: PipelineTree, order: Sequence[str]) -> str:
    names = [f"{i} {tree.activities[n].name or n}" for i, n in enumerate(order, 1)]
    return "Nodes: " + " · ".join(names) if names else "The task has no nodes."


def resolve_node(tree: PipelineTree, ref: str, task_id: int) -> ResolvedNode:
    """NODE as a task node id, a node name (case-insensitive) or a position in flow order."""
    order = flow_order(tree)
    ref = ref.strip()
    for node_id, activity, stack in iter_activities(tree):
        if node_id == ref:
            index = order.index(node_id) + 1 if node_id in order else None
            return ResolvedNode(node_id, activity, index, stack)
    if ref.isdigit():
        position = int(ref)
        if 1 <= position <= len(order):
            node_id = order[position - 1]
            return ResolvedNode(node_id, tree.activities[node_id], position, ())
        raise UserError(
            f"Task {task_id} has {len(order)} nodes; there is no node {position}.",
            hint=_listing(tree, order),
            field="node",
        )
    wanted = ref.lower()
    matches = [n for n in order if (tree.activities[n].name or "").lower() == wanted] or [
        n for n in order if wanted in (tree.activities[n].name or "").lower()
    ]
    if len(matches) == 1:
        node_id = matches[0]
        return ResolvedNode(node_id, tree.activities[node_id], order.index(node_id) + 1, ())
    if matches:
        raise UserError(
            f"`{ref}` matches {len(matches)} nodes of task {task_id}; use the node's number.",
            hint=_listing(tree, order),
            field="node",
        )
    raise UserError(
        f"Task {task_id} has no node `{ref}`.", hint=_listing(tree, order), field="node"
    )


def _secrets(constants: Mapping[str, Constant]) -> tuple[frozenset[str], list[str]]:
    keys = password_keys(constants)
    values = [
        c.value if isinstance(c.value, str) else json.dumps(c.value)
        for k, c in constants.items()
        if k in keys and not is_empty(c.value)
    ]
    return keys, values


def _reveals(value: JsonValue, secret_values: Sequence[str]) -> bool:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return any(secret in text for secret in secret_values)


def node_inputs(
    detail: TaskNodeDetail, activity: Activity, constants: Mapping[str, Constant]
) -> tuple[SopsKeyValue, ...]:
    """A node's rendered inputs; any input fed by a password variable is masked."""
    secret_keys, secret_values = _secrets(constants)
    data = activity.component.data if activity.component is not None else {}
    rows: list[SopsKeyValue] = []
    for key, value in detail.inputs.items():
        if key in _ENGINE_KEYS:
            continue
        source = data.get(key)
        refs = (
            set(_REF.findall(source.value))
            if source is not None and isinstance(source.value, str)
            else set()
        )
        masked = bool(refs & secret_keys) or _reveals(value, secret_values)
        rows.append(SopsKeyValue(key=key, value=MASK if masked else fmt_value(value)))
    return tuple(rows)


def node_outputs(
    detail: TaskNodeDetail, constants: Mapping[str, Constant]
) -> tuple[SopsKeyValue, ...]:
    """A node's outputs (engine bookkeeping left out), masking anything that holds a secret."""
    _, secret_values = _secrets(constants)
    return tuple(
        SopsKeyValue(
            key=o.key,
            name=o.name,
            value=MASK if _reveals(o.value, secret_values) else fmt_value(o.value),
        )
        for o in detail.outputs
        if o.key not in _ENGINE_KEYS
    )


def error_text(value: JsonValue, constants: Mapping[str, Constant]) -> str | None:
    """A node's ``ex_data`` as plain text (it may be HTML, §3.9), secrets replaced."""
    if is_empty(value):
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = html.unescape(_TAG.sub("", text)).strip()
    for secret in _secrets(constants)[1]:
        text = text.replace(secret, MASK)
    return text or None


def histories(
    detail: TaskNodeDetail, constants: Mapping[str, Constant]
) -> tuple[SopsHistoryRow, ...]:
    """Earlier attempts of a node, oldest first."""
    return tuple(
        SopsHistoryRow(
            state=str(h.state or "FAILED"),
            started=fmt_time(h.start_time),
            finished=fmt_time(h.finish_time),
            error=error_text(h.ex_data, constants),
        )
        for h in detail.histories
    )


# ---------------------------------------------------------------------------------- periodic


def periodic_toggle(task_id: int, enabled: bool, biz: int) -> Action:
    """Disable when enabled, Enable when disabled."""
    if enabled:
        return Action(label="Disable", command=f"sops periodic off {task_id} --biz {biz}")
    return Action(
        label="Enable",
        command=f"sops periodic on {task_id} --biz {biz}",
        style=ButtonStyle.PRIMARY,
    )


def periodic_view(
    task: PeriodicTask, biz: int, *, created_by: str | None = None
) -> SopsPeriodicView:
    """One periodic task: schedule in words, variables masked, and its buttons."""
    words, zone = schedule_words(task.schedule, task.cron)
    source = str(task.template_source) if task.template_source is not None else None
    actions = [periodic_toggle(task.id, task.enabled, biz)]
    if task.template_id is not None:
        common = " --common" if source == "common" else ""
        actions.append(
            Action(
                label="Template",
                command=f"sops template {task.template_id}{common} --biz {biz}",
            )
        )
    return SopsPeriodicView(
        id=task.id,
        biz=biz,
        name=task.name,
        enabled=task.enabled,
        schedule=words,
        cron=task.cron,
        timezone=zone,
        template_id=task.template_id,
        template_source=source,
        creator=task.creator,
        last_run=fmt_time(task.last_run_at),
        runs=task.total_run_count,
        constants=constant_rows(form_constants(task.form)),
        created_by=created_by,
        actions=tuple(actions),
    )
