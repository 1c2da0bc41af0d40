"""BK-SOPS snapshots: what the poller stores of a task, and the transitions between two."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.clients.bk_sops import (
    CALLBACK_CODES,
    TERMINAL_STATES,
    Activity,
    ComponentCode,
    PipelineTree,
    TaskState,
    TaskStatus,
    TaskStatusNode,
    waiting_nodes,
)
from bot.services.sops_runs import flow_order, iter_activities, render_text
from bot.services.transitions import (
    Gate,
    GateAnswer,
    GateKind,
    Subject,
    System,
    Transition,
    TransitionKind,
)

__all__ = [
    "PAUSED_STATES",
    "SopsGate",
    "SopsNode",
    "SopsSnapshot",
    "diff_sops",
    "gone_sops",
    "sops_snapshot",
]

# bk-sops §5.1: the whole task paused (operate_task pause), or one node paused inside it.
PAUSED_STATES: frozenset[str] = frozenset({TaskState.SUSPENDED, TaskState.NODE_SUSPENDED})

_RUN_LABELS: dict[str, str] = {
    TaskState.CREATED: "Created",
    TaskState.READY: "Ready",
    TaskState.RUNNING: "Running",
    TaskState.SUSPENDED: "Paused",
    TaskState.NODE_SUSPENDED: "A node is paused",
    TaskState.BLOCKED: "Running",
    # bk-sops §4.3: not terminal; the node can be retried or skipped in BK-SOPS.
    TaskState.FAILED: "Failed",
    TaskState.FINISHED: "Finished",
    TaskState.REVOKED: "Revoked",
    TaskState.EXPIRED: "Expired",
}

_NODE_LABELS: dict[str, str] = {
    TaskState.RUNNING: "Running",
    TaskState.SUSPENDED: "Paused",
    TaskState.FINISHED: "Finished",
    TaskState.FAILED: "Failed",
    TaskState.REVOKED: "Revoked",
}

_ANSWER_LABELS: dict[GateAnswer, str] = {
    GateAnswer.APPROVED: "Approved",
    GateAnswer.REJECTED: "Rejected",
    GateAnswer.CONTINUED: "Continued",
    GateAnswer.CANCELLED: "Cancelled",
}

_RUN_ENDS: dict[str, TransitionKind] = {
    TaskState.FINISHED: TransitionKind.RUN_FINISHED,
    TaskState.REVOKED: TransitionKind.RUN_REVOKED,
    TaskState.EXPIRED: TransitionKind.RUN_EXPIRED,
}


class _Frozen(BaseModel):
    # Stored in a JSON column between polls: frozen values, nothing unknown.
    model_config = ConfigDict(frozen=True, extra="forbid")


class SopsNode(_Frozen):
    """A started plugin node (bk-sops §2.4); nodes inside sub-processes carry their stack."""

    node_id: str
    # 1-based position among the task's plugin nodes in flow order (sub-processes unfolded).
    index: int
    name: str
    # The plugin code (bk-sops §2.1 ``component.code``); None when the tree lacks the node.
    code: str | None = None
    state: str
    # bk-sops §2.4, §4.5: every (re)execution gets a new version; loop and retry count rounds.
    version: str | None = None
    loop: int | None = None
    retry: int = 0
    skip: bool = False
    error_ignored: bool = False
    # Enclosing sub-process node ids, outermost first.
    stack: tuple[str, ...] = ()
    started_at: datetime | None = None
    finished_at: datetime | None = None
    elapsed: int | None = None
    # The node's ``ex_data`` (status read ``with_ex_data``).
    error: str | None = None

    @property
    def occurrence(self) -> str:
        """Which execution of the node this is; part of every key about it."""
        return f"{self.version or '-'}:{self.loop or 1}:{self.retry}"

    @property
    def is_gate(self) -> bool:
        """A pause_node or bk_approve node: it waits for node_callback (bk-sops §4.1)."""
        return self.code in CALLBACK_CODES


class SopsGate(_Frozen):
    """A node waiting for ``node_callback`` (bk-sops §4.2) and what the poster needs to answer."""

    node_id: str
    name: str
    # node_callback must quote it (bk-sops §3.6).
    version: str | None = None
    kind: GateKind
    # The pause node's description or the approval title, variables filled, passwords masked.
    prompt: str | None = None
    stack: tuple[str, ...] = ()


class SopsSnapshot(_Frozen):
    """What the poller stores of a BK-SOPS task (bk-sops §2.4, §4.2) and diffs next time."""

    system: Literal["sops"] = "sops"
    task_id: int | None = None
    name: str
    state: str
    # Times the task was seen entering a paused state: scopes the pause/resume keys, since
    # the status tree carries no counter for them (bk-sops §3.5).
    pauses: int = 0
    elapsed: int | None = None
    # Started plugin nodes in flow order.
    nodes: tuple[SopsNode, ...] = ()
    waiting: tuple[SopsGate, ...] = ()
    # The task no longer exists upstream (3540400): see ``gone_sops``.
    gone: bool = False

    def node(self, node_id: str) -> SopsNode | None:
        """The started node with this id, if any."""
        return next((n for n in self.nodes if n.node_id == node_id), None)


# ----------------------------------------------------------------------------- the builder


def _flatten(tree: PipelineTree, order: dict[str, int], stack: tuple[str, ...] = ()) -> None:
    for node_id in flow_order(tree):
        activity = tree.activities[node_id]
        if activity.pipeline is not None:
            _flatten(activity.pipeline, order, (*stack, node_id))
        else:
            order.setdefault(node_id, len(order) + 1)


@dataclass
class _Walk:
    """What the builder collects while it walks the status tree."""

    order: dict[str, int]
    errors: dict[str, str]
    found: list[SopsNode]


def _collect(
    status: TaskStatusNode, tree: PipelineTree | None, stack: tuple[str, ...], walk: _Walk
) -> None:
    for node_id, child in status.children.items():
        activity = tree.activities.get(node_id) if tree is not None else None
        if (activity is not None and activity.is_subprocess) or (
            activity is None and child.children
        ):
            # bk-sops §4.2: a sub-process's nodes are under its own children and pipeline
            # (a tree without the nested pipeline still yields them, without plugin codes).
            nested = activity.pipeline if activity is not None else None
            _collect(child, nested, (*stack, node_id), walk)
            continue
        if activity is None and not child.name:
            continue  # events and gateways report "" as their name (bk-sops §2.4)
        index = walk.order.setdefault(node_id, len(walk.order) + 1)
        walk.found.append(
            SopsNode(
                node_id=node_id,
                index=index,
                name=child.name or (activity.name if activity else None) or node_id,
                code=activity.code if activity is not None else None,
                state=str(child.state),
                version=child.version,
                loop=child.loop,
                retry=child.retry or 0,
                skip=bool(child.skip),
                error_ignored=bool(child.error_ignored),
                stack=stack,
                started_at=child.start_time,
                finished_at=child.finish_time,
                elapsed=child.elapsed_time,
                error=walk.errors.get(node_id),
            )
        )


def _gate_prompt(activity: Activity | None, tree: PipelineTree, prompt: str | None) -> str | None:
    # The pause node's description (bk-sops §4.2), else the approval ticket's title.
    text = prompt
    if text is None and activity is not None and activity.component is not None:
        title = activity.component.data.get("bk_approve_title")
        if activity.code == ComponentCode.BK_APPROVE and title is not None:
            text = title.value if isinstance(title.value, str) and title.value else None
    return render_text(text, tree.constants) if text else None


def sops_snapshot(
    status: TaskStatus,
    tree: PipelineTree,
    *,
    task_id: int | None = None,
    previous: SopsSnapshot | None = None,
) -> SopsSnapshot:
    """The snapshot of one ``get_task_status`` answer and the task's ``pipeline_tree``.

    ``tree`` comes from ``create_task`` or ``get_task_detail`` (bk-sops §4.2); read the status
    ``with_ex_data`` to keep the failed nodes' error texts. Pass the stored snapshot as
    ``previous``: it carries the pause counter that gives a second pause a new key.
    """
    if previous is not None and task_id is not None and previous.task_id not in (None, task_id):
        previous = None  # another task's counters mean nothing here
    state = str(status.state)
    order: dict[str, int] = {}
    _flatten(tree, order)
    activities = {node_id: a for node_id, a, _ in iter_activities(tree)}
    walk = _Walk(order, dict(status.ex_data or {}), [])
    _collect(status, tree, (), walk)
    waiting = tuple(
        SopsGate(
            node_id=w.node_id,
            name=w.name,
            version=w.version,
            kind=GateKind.APPROVAL if w.is_approval else GateKind.CONTINUE,
            prompt=_gate_prompt(activities.get(w.node_id), tree, w.prompt),
            stack=w.subprocess_stack,
        )
        for w in waiting_nodes(status, tree)
    )
    paused = state in PAUSED_STATES
    if previous is None:
        pauses = 1 if paused else 0
    else:
        pauses = previous.pauses + (1 if paused and previous.state not in PAUSED_STATES else 0)
    return SopsSnapshot(
        task_id=task_id if task_id is not None else (previous.task_id if previous else None),
        name=status.name or (previous.name if previous else None) or f"Task {task_id}",
        state=state,
        pauses=pauses,
        elapsed=status.elapsed_time,
        nodes=tuple(sorted(walk.found, key=lambda n: n.index)),
        waiting=waiting,
    )


# ------------------------------------------------------------------------------- the diff


def _run_label(run: SopsSnapshot) -> str:
    if run.gone:
        return "Deleted in BK-SOPS"
    if run.waiting and run.state == TaskState.RUNNING:
        kinds = {g.kind for g in run.waiting}
        return "Awaiting approval" if GateKind.APPROVAL in kinds else "Waiting to continue"
    return _RUN_LABELS.get(run.state, run.state.replace("_", " ").capitalize())


def _transition(
    run: SopsSnapshot,
    kind: TransitionKind,
    key: str,
    *,
    subject: Subject | None = None,
    gate: Gate | None = None,
    failures: tuple[Subject, ...] = (),
    duration: float | None = None,
) -> Transition:
    return Transition(
        key=key,
        kind=kind,
        system=System.SOPS,
        run_id=run.task_id,
        run_name=run.name,
        status=run.state,
        label=_run_label(run),
        subject=subject,
        gate=gate,
        failures=failures,
        duration=duration,
    )


def _node_label(node: SopsNode) -> str:
    if node.state == TaskState.FINISHED and node.skip:
        return "Skipped"
    if node.state == TaskState.FINISHED and node.error_ignored:
        return "Failed, error ignored"
    return _NODE_LABELS.get(node.state, node.state.replace("_", " ").capitalize())


def _subject(node: SopsNode, label: str | None = None) -> Subject:
    return Subject(
        id=node.node_id,
        index=node.index,
        name=node.name,
        type=node.code or "node",
        status=node.state,
        label=label or _node_label(node),
        attempt=node.retry,
        version=node.version,
        loop=node.loop,
        stack=node.stack,
        error=node.error,
        duration=float(node.elapsed) if node.elapsed is not None else None,
    )


def _answer(node: SopsNode) -> GateAnswer:
    # bk-sops §4.1: pause_node finishes on any callback; bk_approve finishes when approved and
    # fails when rejected (rejected_block). Anything else (revoked, expired) had no answer.
    if node.state == TaskState.FINISHED:
        return (
            GateAnswer.APPROVED if node.code == ComponentCode.BK_APPROVE else GateAnswer.CONTINUED
        )
    if node.state == TaskState.FAILED and node.code == ComponentCode.BK_APPROVE:
        return GateAnswer.REJECTED
    return GateAnswer.CANCELLED


def _moment(at: datetime | None) -> float:
    if at is None:
        return math.inf  # unknown times go after the known ones, in flow order
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).timestamp()


# Within one moment: a node's start, then its gate, then its end.
_START, _GATE, _END = 0, 1, 2
_Event = tuple[float, int, int, Transition]


def _gate_events(
    old: SopsSnapshot | None, new: SopsSnapshot, node: SopsNode, seen: SopsNode | None
) -> list[_Event]:
    was_open = old is not None and any(
        g.node_id == node.node_id and g.version == node.version for g in old.waiting
    )
    now = next(
        (g for g in new.waiting if g.node_id == node.node_id and g.version == node.version), None
    )
    before = next((g for g in (old.waiting if old else ()) if g.node_id == node.node_id), None)
    kind = GateKind.APPROVAL if node.code == ComponentCode.BK_APPROVE else GateKind.CONTINUE
    prompt = now.prompt if now is not None else (before.prompt if before is not None else None)
    gate = Gate(kind=kind, prompt=prompt, node_id=node.node_id, version=node.version)
    key = f"gate:{node.node_id}:{node.occurrence}"
    if now is not None and not was_open:
        label = "Waiting for approval" if kind is GateKind.APPROVAL else "Waiting to continue"
        opened = _transition(
            new,
            TransitionKind.GATE_OPENED,
            f"{key}:opened",
            subject=_subject(node, label),
            gate=gate,
        )
        return [(_moment(node.started_at), node.index, _GATE, opened)]
    # Closed: it was open and is no more (answered, or the task ended around it), or it
    # started and ended between two polls.
    ended = node.state in (TaskState.FINISHED, TaskState.FAILED)
    if now is None and (was_open or (seen is None and ended)):
        answer = _answer(node)
        closed = _transition(
            new,
            TransitionKind.GATE_CLOSED,
            f"{key}:closed",
            subject=_subject(node, _ANSWER_LABELS[answer]),
            gate=gate.model_copy(update={"answer": answer}),
            duration=float(node.elapsed) if node.elapsed is not None else None,
        )
        return [(_moment(node.finished_at), node.index, _END, closed)]
    return []


def _vanished_gates(old: SopsSnapshot | None, new: SopsSnapshot) -> list[_Event]:
    """Gates open in ``old`` whose execution is gone from ``new``: closed without an answer.

    An expired task has no nodes left (bk-sops §3.7), and a node re-executed between two polls
    runs with a new version (§4.5): the buttons of the old execution must go.
    """
    if old is None:
        return []
    current = {(n.node_id, n.version) for n in new.nodes}
    found: list[_Event] = []
    for gate in old.waiting:
        node = old.node(gate.node_id)
        if node is None or (gate.node_id, gate.version) in current:
            continue
        closed = _transition(
            new,
            TransitionKind.GATE_CLOSED,
            f"gate:{node.node_id}:{node.occurrence}:closed",
            subject=_subject(node, _ANSWER_LABELS[GateAnswer.CANCELLED]),
            gate=Gate(
                kind=gate.kind,
                prompt=gate.prompt,
                node_id=gate.node_id,
                version=gate.version,
                answer=GateAnswer.CANCELLED,
            ),
        )
        # Before anything in this diff: a re-executed gate closes before its new run opens.
        found.append((-math.inf, node.index, _END, closed))
    return found


def _node_events(new: SopsSnapshot, node: SopsNode, seen: SopsNode | None) -> list[_Event]:
    before = seen.state if seen is not None else None
    if node.state == before:
        return []
    key = f"node:{node.node_id}:{node.occurrence}"
    found: list[_Event] = []
    skipped = node.state == TaskState.FINISHED and node.skip
    if before is None and not skipped and node.state != TaskState.REVOKED:
        started = _transition(
            new, TransitionKind.NODE_STARTED, f"{key}:started", subject=_subject(node)
        )
        found.append((_moment(node.started_at), node.index, _START, started))
    end: TransitionKind | None = None
    if node.state == TaskState.FINISHED:
        end = TransitionKind.NODE_SKIPPED if skipped else TransitionKind.NODE_FINISHED
    elif node.state == TaskState.FAILED:
        end = TransitionKind.NODE_FAILED
    if end is not None:
        word = {
            TransitionKind.NODE_FINISHED: "finished",
            TransitionKind.NODE_SKIPPED: "skipped",
            TransitionKind.NODE_FAILED: "failed",
        }[end]
        ended = _transition(
            new,
            end,
            f"{key}:{word}",
            subject=_subject(node),
            duration=float(node.elapsed) if node.elapsed is not None else None,
        )
        found.append((_moment(node.finished_at), node.index, _END, ended))
    return found


def _failed(run: SopsSnapshot) -> tuple[SopsNode, ...]:
    return tuple(n for n in run.nodes if n.state == TaskState.FAILED)


def _failure_key(run: SopsSnapshot) -> str:
    # bk-sops §4.3: FAILED is not terminal; after a retry or skip in the web UI another
    # failure is a new occurrence, told apart by the failed nodes and their versions.
    tokens = "|".join(sorted(f"{n.node_id}:{n.occurrence}" for n in _failed(run)))
    return "run:failed:" + hashlib.sha256(tokens.encode()).hexdigest()[:16]


def _run_end(old: SopsSnapshot | None, new: SopsSnapshot) -> Transition | None:
    duration = float(new.elapsed) if new.elapsed is not None else None
    if new.state == TaskState.FAILED:
        key = _failure_key(new)
        if old is not None and old.state == TaskState.FAILED and _failure_key(old) == key:
            return None
        failed = _failed(new)
        return _transition(
            new,
            TransitionKind.RUN_FAILED,
            key,
            subject=_subject(failed[0]) if failed else None,
            failures=tuple(_subject(n) for n in failed),
            duration=duration,
        )
    kind = _RUN_ENDS.get(new.state)
    if kind is None or (old is not None and old.state == new.state):
        return None
    return _transition(new, kind, f"run:{new.state.lower()}", duration=duration)


def gone_sops(old: SopsSnapshot) -> Transition:
    """The task disappeared upstream (``3540400``, bk-sops §3.7): the thread's last word."""
    marked = old.model_copy(update={"gone": True})
    elapsed = float(old.elapsed) if old.elapsed is not None else None
    return _transition(marked, TransitionKind.RUN_GONE, "run:gone", duration=elapsed)


def diff_sops(old: SopsSnapshot | None, new: SopsSnapshot) -> list[Transition]:
    """Every transition from ``old`` to ``new``; ``old`` None is the task before it started.

    Order: a resume first (what follows happened after it), then node starts, gates and ends
    by the time they happened (a node's start before its end, an end before a later start,
    parallel branches interleaved), then a pause and the run's summary.
    """
    if new.gone:
        return [] if old is not None and old.gone else [gone_sops(old or new)]
    found: list[Transition] = []
    was_paused = old is not None and old.state in PAUSED_STATES
    paused = new.state in PAUSED_STATES
    if was_paused and not paused and old is not None and new.state not in TERMINAL_STATES:
        found.append(_transition(new, TransitionKind.RUN_RESUMED, f"run:resumed:{old.pauses}"))
    prior = {n.node_id: n for n in old.nodes} if old is not None else {}
    events: list[_Event] = []
    for node in new.nodes:
        seen = prior.get(node.node_id)
        if seen is not None and seen.occurrence != node.occurrence:
            seen = None  # a re-execution starts over; the earlier one keeps its keys
        if node.is_gate:
            events.extend(_gate_events(old, new, node, seen))
        else:
            events.extend(_node_events(new, node, seen))
    events.extend(_vanished_gates(old, new))
    events.sort(key=lambda e: e[:3])
    found.extend(e[3] for e in events)
    if paused and (not was_paused or (old is not None and old.pauses != new.pauses)):
        found.append(_transition(new, TransitionKind.RUN_PAUSED, f"run:paused:{new.pauses}"))
    end = _run_end(old, new)
    if end is not None:
        found.append(end)
    return found
