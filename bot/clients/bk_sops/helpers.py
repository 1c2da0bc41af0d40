"""Pure helpers over BK-SOPS trees: waiting and failed nodes, task forms, callback payloads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pydantic import JsonValue

from bot.clients.bk_sops.enums import ComponentCode, ShowType, TaskState
from bot.clients.bk_sops.models import Constant, PipelineTree, TaskStatus, TaskStatusNode

__all__ = [
    "CALLBACK_CODES",
    "MASK",
    "TERMINAL_STATES",
    "FailedNode",
    "FormField",
    "WaitingNode",
    "approval_callback_data",
    "callback_data_for",
    "failed_nodes",
    "form_constants",
    "is_terminal",
    "mask_value",
    "masked_constants",
    "password_keys",
    "pause_callback_data",
    "waiting_nodes",
]

# bk-sops §4.1: the only plugins the bot may answer with node_callback
CALLBACK_CODES: frozenset[str] = frozenset({ComponentCode.PAUSE_NODE, ComponentCode.BK_APPROVE})
# bk-sops §4.3: FAILED is not terminal — the node can be retried or skipped
TERMINAL_STATES: frozenset[str] = frozenset(
    {TaskState.FINISHED, TaskState.REVOKED, TaskState.EXPIRED}
)
MASK = "******"
_PASSWORD = "password"


def is_terminal(state: TaskState | str) -> bool:
    """Whether a task in ``state`` will never change again (FINISHED, REVOKED, EXPIRED)."""
    return state in TERMINAL_STATES


@dataclass(frozen=True, slots=True)
class WaitingNode:
    """A node that is RUNNING and waits for the bot's ``node_callback`` (bk-sops §4.2)."""

    node_id: str
    name: str
    code: str
    # the execution version node_callback must quote
    version: str | None
    # the pause node's configured ``description`` (unrendered: may contain ``${var}``)
    prompt: str | None
    # enclosing sub-process node ids, outermost first (get_task_node_detail.subprocess_stack)
    subprocess_stack: tuple[str, ...]
    template_node_id: str | None
    started_at: datetime | None

    @property
    def is_approval(self) -> bool:
        """True for a ``bk_approve`` node (approve or reject), False for a pause node."""
        return self.code == ComponentCode.BK_APPROVE


def waiting_nodes(status: TaskStatusNode, tree: PipelineTree) -> list[WaitingNode]:
    """The nodes of a task waiting for a callback, sub-processes included (bk-sops §4.2).

    ``status`` is the ``get_task_status`` root, ``tree`` the task's ``pipeline_tree`` (from
    ``create_task`` or ``get_task_detail``). A finished, revoked or expired task has none.
    """
    if is_terminal(status.state):
        return []
    found: list[WaitingNode] = []
    _collect_waiting(status, tree, (), found)
    return found


def _collect_waiting(
    status: TaskStatusNode, tree: PipelineTree, stack: tuple[str, ...], found: list[WaitingNode]
) -> None:
    for node_id, child in status.children.items():
        activity = tree.activities.get(node_id)
        if activity is None:
            continue  # events and gateways never wait for a callback
        if activity.pipeline is not None:
            # bk-sops §4.2: look up nested nodes in activities[<id>].pipeline
            _collect_waiting(child, activity.pipeline, (*stack, node_id), found)
            continue
        code = activity.code
        if child.state != TaskState.RUNNING or code not in CALLBACK_CODES:
            continue
        prompt: str | None = None
        if code == ComponentCode.PAUSE_NODE and activity.component is not None:
            description = activity.component.data.get("description")
            if description is not None and isinstance(description.value, str):
                prompt = description.value or None
        found.append(
            WaitingNode(
                node_id=node_id,
                name=child.name or activity.name or node_id,
                code=code,
                version=child.version,
                prompt=prompt,
                subprocess_stack=stack,
                template_node_id=activity.template_node_id,
                started_at=child.start_time,
            )
        )


@dataclass(frozen=True, slots=True)
class FailedNode:
    """A failed node without failed descendants: where a retry or skip would happen."""

    node_id: str
    name: str
    # plugin code, when the tree was given and the node is a plugin
    code: str | None
    version: str | None
    # from the root's ex_data (only when get_task_status was called with with_ex_data)
    error: str | None
    subprocess_stack: tuple[str, ...]
    retryable: bool | None
    skippable: bool | None
    finished_at: datetime | None


def failed_nodes(status: TaskStatusNode, tree: PipelineTree | None = None) -> list[FailedNode]:
    """The failed leaf nodes of a status tree; ``tree`` adds plugin codes and retry/skip flags."""
    errors = status.ex_data if isinstance(status, TaskStatus) and status.ex_data else {}
    found: list[FailedNode] = []
    _collect_failed(status, tree, (), errors, found)
    return found


def _collect_failed(
    status: TaskStatusNode,
    tree: PipelineTree | None,
    stack: tuple[str, ...],
    errors: Mapping[str, str],
    found: list[FailedNode],
) -> None:
    for node_id, child in status.children.items():
        activity = tree.activities.get(node_id) if tree is not None else None
        before = len(found)
        if child.children:
            nested = activity.pipeline if activity is not None else None
            _collect_failed(child, nested, (*stack, node_id), errors, found)
        if child.state != TaskState.FAILED or len(found) > before:
            continue
        found.append(
            FailedNode(
                node_id=node_id,
                name=child.name or (activity.name if activity else None) or node_id,
                code=activity.code if activity is not None else None,
                version=child.version,
                error=errors.get(node_id),
                subprocess_stack=stack,
                retryable=activity.retryable if activity is not None else None,
                skippable=activity.skippable if activity is not None else None,
                finished_at=child.finish_time,
            )
        )


@dataclass(frozen=True, slots=True)
class FormField:
    """A variable the user fills in when creating a task (``show_type = show``)."""

    key: str
    name: str
    index: int | None
    desc: str
    custom_type: str
    source_type: str | None
    value: JsonValue
    validation: str | None
    is_password: bool

    def display_value(self) -> JsonValue:
        """The value as it may be shown in chat: masked for password variables."""
        return mask_value(self.value) if self.is_password else self.value


def _constants(source: PipelineTree | Mapping[str, Constant]) -> Mapping[str, Constant]:
    return source.constants if isinstance(source, PipelineTree) else source


def _is_password(constant: Constant) -> bool:
    return constant.custom_type == _PASSWORD


def form_constants(source: PipelineTree | Mapping[str, Constant]) -> list[FormField]:
    """The task form: visible variables in display order (bk-sops §3.2).

    ``source`` is a pipeline tree or a constants map (e.g. a periodic task's ``form``).
    """
    shown = [c for c in _constants(source).values() if c.show_type == ShowType.SHOW]
    shown.sort(key=lambda c: (c.index is None, c.index or 0, c.key))
    return [
        FormField(
            key=c.key,
            name=c.name or c.key,
            index=c.index,
            desc=c.desc or "",
            custom_type=c.custom_type or "",
            source_type=c.source_type,
            value=c.value,
            validation=c.validation or None,
            is_password=_is_password(c),
        )
        for c in shown
    ]


def password_keys(source: PipelineTree | Mapping[str, Constant]) -> frozenset[str]:
    """Keys of every password variable, visible or hidden."""
    return frozenset(key for key, c in _constants(source).items() if _is_password(c))


def mask_value(value: JsonValue) -> JsonValue:
    """Hide a secret value; an empty value stays empty so "not set" remains visible."""
    return value if value in (None, "") else MASK


def masked_constants(
    values: Mapping[str, JsonValue],
    source: PipelineTree | Mapping[str, Constant] | Iterable[FormField],
) -> dict[str, JsonValue]:
    """``values`` (``"${key}"`` → value) with password variables masked, for display and audit."""
    if isinstance(source, PipelineTree | Mapping):
        secret = password_keys(source)
    else:
        secret = frozenset(f.key for f in source if f.is_password)
    return {key: mask_value(v) if key in secret else v for key, v in values.items()}


def approval_callback_data(approved: bool) -> dict[str, JsonValue]:
    """``callback_data`` answering a ``bk_approve`` node (bk-sops §4.1)."""
    return {"approve_result": approved}


def pause_callback_data(extra: Mapping[str, JsonValue] | None = None) -> dict[str, JsonValue]:
    """``callback_data`` continuing a ``pause_node``: any object; it becomes the node output."""
    return dict(extra or {})


def callback_data_for(
    code: str, *, approve: bool, extra: Mapping[str, JsonValue] | None = None
) -> dict[str, JsonValue]:
    """The ``callback_data`` for answering a waiting node of plugin ``code``.

    A pause node can only be continued: to refuse it, revoke the task (``operate_task``). Any
    other plugin must not be answered by the bot (bk-sops §4.1). Both raise ValueError.
    """
    if code == ComponentCode.BK_APPROVE:
        return approval_callback_data(approve)
    if code == ComponentCode.PAUSE_NODE:
        if not approve:
            raise ValueError("a pause_node cannot be rejected by callback; revoke the task")
        return pause_callback_data(extra)
    raise ValueError(f"the bot does not answer {code!r} nodes")
