"""BK-SOPS run-card snapshots: status tree + task tree → the card view, its window and buttons."""

from __future__ import annotations

import json
import re
import shlex
from collections import deque
from collections.abc import Iterator, Mapping

from bot.clients.bk_sops import (
    MASK,
    Activity,
    ComponentCode,
    Constant,
    FailedNode,
    PipelineTree,
    SopsClient,
    TaskState,
    TaskStatus,
    WaitingNode,
    approval_callback_data,
    failed_nodes,
    password_keys,
    waiting_nodes,
)
from bot.clients.bk_sops import is_terminal as state_is_terminal
from bot.views import Action, ButtonStyle, Confirm
from bot.views.sops import (
    CardPhase,
    SopsFailedRow,
    SopsNodeRow,
    SopsRunCard,
    SopsWaitingRow,
    fmt_duration,
    fmt_time,
)

__all__ = [
    "CARD_WINDOW",
    "PENDING",
    "callback_actions",
    "flow_order",
    "is_terminal",
    "iter_activities",
    "node_state_label",
    "render_text",
    "sops_card_from_status",
    "sops_run_card",
]

# At most this many node rows on a card: enough context around the current node, short enough
# to read on a phone.
CARD_WINDOW = 7
# How many waiting nodes get their own row and buttons (parallel branches can wait at once).
MAX_WAITING_ROWS = 5
# The state shown for a node the run has not reached (absent from the status tree, §2.4).
PENDING = "PENDING"

_PHASE_LABELS: dict[CardPhase, str] = {
    CardPhase.CREATED: "Created, not started",
    CardPhase.STARTING: "Starting",
    CardPhase.RUNNING: "Running",
    CardPhase.AWAITING_APPROVAL: "Awaiting approval",
    CardPhase.WAITING_TO_CONTINUE: "Waiting to continue",
    CardPhase.PAUSED: "Paused",
    CardPhase.NODE_PAUSED: "A node is paused",
    # bk-sops §4.3: FAILED is not terminal; a node can be retried or skipped in BK-SOPS.
    CardPhase.FAILED: "Failed: retry or skip the node in BK-SOPS, or revoke",
    CardPhase.FINISHED: "Finished",
    CardPhase.REVOKED: "Revoked",
    CardPhase.EXPIRED: "Expired: BK-SOPS no longer keeps this run's data",
}

_NODE_LABELS: dict[str, str] = {
    PENDING: "not reached",
    TaskState.READY: "not reached",
    TaskState.CREATED: "not reached",
    TaskState.RUNNING: "running",
    TaskState.SUSPENDED: "paused",
    TaskState.NODE_SUSPENDED: "paused",
    TaskState.FINISHED: "done",
    TaskState.FAILED: "failed",
    TaskState.REVOKED: "revoked",
    TaskState.EXPIRED: "expired",
}

_REF = re.compile(r"\$\{[^}]+\}")


# --------------------------------------------------------------------------------- the tree


def iter_activities(
    tree: PipelineTree, stack: tuple[str, ...] = ()
) -> Iterator[tuple[str, Activity, tuple[str, ...]]]:
    """Every activity with its enclosing sub-process ids (outermost first), nested ones too."""
    for node_id, activity in tree.activities.items():
        yield node_id, activity, stack
        if activity.pipeline is not None:
            yield from iter_activities(activity.pipeline, (*stack, node_id))


def flow_order(tree: PipelineTree) -> list[str]:
    """Activity ids of ``tree`` in the order the flows reach them (parallel branches in turn).

    A topological walk from the start event over ``flows`` (bk-sops §2.1); activities the walk
    cannot place (a loop back through a gateway, a broken tree) follow in the tree's own order.
    """
    successors: dict[str, list[str]] = {}
    waiting_inputs: dict[str, int] = {}
    for flow in tree.flows.values():
        successors.setdefault(flow.source, []).append(flow.target)
        waiting_inputs[flow.target] = waiting_inputs.get(flow.target, 0) + 1
    order: list[str] = []
    seen: set[str] = set()
    queue: deque[str] = deque()
    if tree.start_event is not None:
        queue.append(tree.start_event.id)
    while queue:
        node = queue.popleft()
        if node in seen:
            continue
        seen.add(node)
        if node in tree.activities:
            order.append(node)
        for target in successors.get(node, []):
            waiting_inputs[target] -= 1
            if waiting_inputs[target] <= 0:
                queue.append(target)
    order.extend(node for node in tree.activities if node not in seen)
    return order


def render_text(text: str, constants: Mapping[str, Constant]) -> str:
    """Fill ``${key}`` references with the variables' values; passwords become ``******``."""
    secret = password_keys(constants)

    def value(match: re.Match[str]) -> str:
        key = match.group(0)
        constant = constants.get(key)
        if constant is None or constant.value in (None, ""):
            return key
        if key in secret:
            return MASK
        raw = constant.value
        return raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False)

    return _REF.sub(value, text)


# ------------------------------------------------------------------------------- the buttons


def callback_actions(
    *, task_id: int, biz: int, node_id: str, name: str, code: str, version: str | None
) -> tuple[Action, ...]:
    """Approve / Reject (``bk_approve``) or Continue (``pause_node``) for one waiting node.

    The commands quote the node's current execution ``version`` so a click on a card that is
    out of date fails instead of answering a later execution (bk-sops §3.6, §4.2).
    """
    base = f"sops callback {task_id} {node_id}"
    version_flag = f" --version {version}" if version else ""
    if code == ComponentCode.BK_APPROVE:
        approve = shlex.quote(json.dumps(approval_callback_data(True)))
        reject = shlex.quote(json.dumps(approval_callback_data(False)))
        return (
            Action(
                label="Approve",
                command=f"{base} {approve}{version_flag} --biz {biz}",
                style=ButtonStyle.PRIMARY,
            ),
            Action(
                label="Reject",
                command=f"{base} {reject}{version_flag} --yes --biz {biz}",
                style=ButtonStyle.DANGER,
                confirm=Confirm(
                    title="Reject the approval?",
                    text=f"Reject “{name}” on task {task_id}? The node fails and the task "
                    "stops there.",
                    confirm="Reject",
                ),
            ),
        )
    if code == ComponentCode.PAUSE_NODE:
        return (
            Action(
                label="Continue",
                command=f"{base}{version_flag} --biz {biz}",
                style=ButtonStyle.PRIMARY,
            ),
        )
    return ()


def _card_actions(
    task_id: int, biz: int, state: str, phase: CardPhase, name: str
) -> tuple[Action, ...]:
    found: list[Action] = []
    if phase is CardPhase.CREATED:
        found.append(
            Action(
                label="Start",
                command=f"sops start {task_id} --biz {biz}",
                style=ButtonStyle.PRIMARY,
            )
        )
    if phase in (
        CardPhase.RUNNING,
        CardPhase.AWAITING_APPROVAL,
        CardPhase.WAITING_TO_CONTINUE,
        CardPhase.NODE_PAUSED,
    ):
        found.append(Action(label="Pause", command=f"sops pause {task_id} --biz {biz}"))
    if phase is CardPhase.PAUSED:
        found.append(
            Action(
                label="Resume",
                command=f"sops resume {task_id} --biz {biz}",
                style=ButtonStyle.PRIMARY,
            )
        )
    # bk-sops §3.5: revoke fails on a task that was never started ("task not started").
    if not state_is_terminal(state) and phase not in (CardPhase.CREATED, CardPhase.UNKNOWN):
        found.append(
            Action(
                label="Revoke",
                command=f"sops revoke {task_id} --yes --biz {biz}",
                style=ButtonStyle.DANGER,
                confirm=Confirm(
                    title="Revoke the task?",
                    text=f"Revoke task {task_id} “{name}”? It stops for good and cannot be "
                    "resumed.",
                    confirm="Revoke",
                ),
            )
        )
    found.append(Action(label="Details", command=f"sops detail {task_id} --biz {biz}"))
    return tuple(found)


# --------------------------------------------------------------------------------- the card


def _phase(state: str, waiting: list[WaitingNode], starting: bool) -> CardPhase:
    if state == TaskState.CREATED:
        return CardPhase.STARTING if starting else CardPhase.CREATED
    if state in (TaskState.RUNNING, TaskState.BLOCKED, TaskState.READY):
        # bk-sops §4.2: RUNNING with a waiting node reads "awaiting approval".
        if any(w.is_approval for w in waiting):
            return CardPhase.AWAITING_APPROVAL
        if waiting:
            return CardPhase.WAITING_TO_CONTINUE
        return CardPhase.RUNNING
    phases: dict[str, CardPhase] = {
        TaskState.SUSPENDED: CardPhase.PAUSED,
        TaskState.NODE_SUSPENDED: CardPhase.NODE_PAUSED,
        TaskState.FAILED: CardPhase.FAILED,
        TaskState.FINISHED: CardPhase.FINISHED,
        TaskState.REVOKED: CardPhase.REVOKED,
        TaskState.EXPIRED: CardPhase.EXPIRED,
    }
    return phases.get(state, CardPhase.UNKNOWN)


def node_state_label(
    state: str, *, waiting: WaitingNode | None = None, skipped: bool = False
) -> str:
    """How a node's state reads on a card or in a node view."""
    if skipped:
        return "skipped"
    if waiting is not None:
        return "waiting for approval" if waiting.is_approval else "waiting to continue"
    return _NODE_LABELS.get(state, state.lower().replace("_", " "))


def _window(count: int, current: list[int], phase: CardPhase) -> tuple[int, int]:
    """[start, end) of the rows to show: around the first current node, else the latest."""
    if count <= CARD_WINDOW:
        return 0, count
    if current:
        start = current[0] - 2
    elif phase in (CardPhase.CREATED, CardPhase.STARTING):
        start = 0
    else:
        start = count - CARD_WINDOW
    start = max(0, min(start, count - CARD_WINDOW))
    return start, start + CARD_WINDOW


def _prompt(tree: PipelineTree, node: WaitingNode) -> str | None:
    # The pause node's description, or the approval ticket's title, with variables filled in.
    text = node.prompt
    if text is None and node.is_approval:
        activity = tree.activities.get(node.node_id)
        data = activity.component.data if activity and activity.component else {}
        title = data.get("bk_approve_title")
        if title is not None and isinstance(title.value, str):
            text = title.value or None
    return render_text(text, tree.constants) if text else None


def sops_card_from_status(
    status: TaskStatus,
    tree: PipelineTree,
    *,
    biz: int,
    task_id: int,
    name: str | None = None,
    project: str | None = None,
    started_by: str | None = None,
    task_url: str | None = None,
    starting: bool = False,
) -> SopsRunCard:
    """The run card for one ``get_task_status`` answer and the task's tree (pure; the poller's).

    ``starting`` says a start was just queued: BK-SOPS keeps reporting CREATED for a moment
    after ``start_task`` (bk-sops §1.7), which must not offer Start again.
    """
    state = str(status.state)
    waiting = waiting_nodes(status, tree)
    failed: list[FailedNode] = (
        failed_nodes(status, tree) if state not in (TaskState.REVOKED, TaskState.FINISHED) else []
    )
    phase = _phase(state, waiting, starting)
    title = status.name or name or f"Task {task_id}"
    by_id = {w.node_id: w for w in waiting}

    order = flow_order(tree)
    rows: list[SopsNodeRow] = []
    current: list[int] = []
    for position, node_id in enumerate(order):
        activity = tree.activities[node_id]
        child = status.children.get(node_id)
        node_state = str(child.state) if child is not None else PENDING
        if state == TaskState.REVOKED and node_state == TaskState.RUNNING:
            node_state = TaskState.REVOKED  # the engine stops it with the task (§4.5)
        label = node_state_label(
            node_state, waiting=by_id.get(node_id), skipped=bool(child and child.skip)
        )
        if node_state == PENDING and state_is_terminal(state):
            label = "not run"  # a branch not taken, or a run that ended before it
        is_current = node_state in (TaskState.RUNNING, TaskState.FAILED, TaskState.SUSPENDED)
        if is_current:
            current.append(position)
        rows.append(
            SopsNodeRow(
                index=position + 1,
                node_id=node_id,
                name=(child.name if child and child.name else None) or activity.name or node_id,
                plugin=activity.code,
                state=node_state,
                state_label=label,
                elapsed=fmt_duration(child.elapsed_time) if child is not None else None,
                current=is_current,
            )
        )
    start, end = _window(len(rows), current, phase)

    waiting_rows = tuple(
        SopsWaitingRow(
            node_id=w.node_id,
            name=w.name,
            kind="approval" if w.is_approval else "continue",
            prompt=_prompt(tree, w),
            since=fmt_time(w.started_at),
            actions=callback_actions(
                task_id=task_id,
                biz=biz,
                node_id=w.node_id,
                name=w.name,
                code=w.code,
                version=w.version,
            ),
        )
        for w in waiting[:MAX_WAITING_ROWS]
    )
    failed_rows = tuple(
        SopsFailedRow(node_id=f.node_id, name=f.name, error=f.error) for f in failed
    )
    elapsed = None if phase in (CardPhase.CREATED, CardPhase.STARTING) else status.elapsed_time
    return SopsRunCard(
        task_id=task_id,
        biz=biz,
        name=title,
        state=state,
        phase=phase,
        state_label=_PHASE_LABELS.get(phase, state),
        project=project,
        started_by=started_by,
        elapsed=fmt_duration(elapsed),
        url=task_url,
        nodes=tuple(rows[start:end]),
        total_nodes=len(rows),
        hidden_before=start,
        hidden_after=len(rows) - end,
        waiting=waiting_rows,
        failed=failed_rows,
        actions=_card_actions(task_id, biz, state, phase, title),
    )


async def sops_run_card(
    sops: SopsClient,
    *,
    biz: int,
    task_id: int,
    user: str,
    started_by: str | None = None,
    tree: PipelineTree | None = None,
    task_url: str | None = None,
    project: str | None = None,
    starting: bool = False,
) -> SopsRunCard:
    """Read the task (as ``user``) and build its card.

    Pass ``tree`` (e.g. from ``create_task``) to save the ``get_task_detail`` call; without it
    the detail also supplies the link, the project and who started the task.
    """
    if tree is None:
        detail = await sops.get_task_detail(task_id=task_id, bk_biz_id=biz, bk_username=user)
        tree = detail.pipeline_tree or PipelineTree()
        task_url = task_url or detail.task_url
        project = project or detail.project_name
        started_by = started_by or detail.executor or detail.creator
    status = await sops.get_task_status(
        task_id=task_id, bk_biz_id=biz, bk_username=user, with_ex_data=True
    )
    return sops_card_from_status(
        status,
        tree,
        biz=biz,
        task_id=task_id,
        project=project,
        started_by=started_by,
        task_url=task_url,
        starting=starting,
    )


def is_terminal(card: SopsRunCard) -> bool:
    """Whether the card's task will never change again (FAILED is not terminal, §4.3)."""
    return state_is_terminal(card.state)
