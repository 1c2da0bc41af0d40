"""What changed in a run between two polls: one Transition per thread message, with a stable key."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

__all__ = [
    "RUN_KINDS",
    "FailedHost",
    "Gate",
    "GateAnswer",
    "GateKind",
    "HostGroup",
    "HostTally",
    "Subject",
    "System",
    "Transition",
    "TransitionKind",
]


class _Frozen(BaseModel):
    # Frozen and closed: a transition is a value, and its JSON twin goes to the outbox.
    model_config = ConfigDict(frozen=True, extra="forbid")


class System(StrEnum):
    """Which BlueKing platform a run belongs to."""

    JOB = "job"
    SOPS = "sops"


class TransitionKind(StrEnum):
    """Every change the thread of a run card reports (product §4)."""

    # BK-Job steps (bk-job §6.1).
    STEP_STARTED = "step_started"
    STEP_SUCCEEDED = "step_succeeded"
    STEP_FAILED = "step_failed"
    STEP_SKIPPED = "step_skipped"
    STEP_IGNORED = "step_ignored"
    STEP_STOPPED = "step_stopped"
    # BK-SOPS nodes (bk-sops §2.4, §5.1).
    NODE_STARTED = "node_started"
    NODE_FINISHED = "node_finished"
    NODE_SKIPPED = "node_skipped"
    NODE_FAILED = "node_failed"
    # Human gates: a BK-Job confirmation step, a BK-SOPS bk_approve or pause_node.
    GATE_OPENED = "gate_opened"
    GATE_CLOSED = "gate_closed"
    # The run as a whole.
    RUN_PAUSED = "run_paused"
    RUN_RESUMED = "run_resumed"
    RUN_FINISHED = "run_finished"
    RUN_FAILED = "run_failed"
    RUN_STOPPED = "run_stopped"
    RUN_REVOKED = "run_revoked"
    RUN_EXPIRED = "run_expired"
    RUN_GONE = "run_gone"

    @property
    def is_summary(self) -> bool:
        """True for the run's final word (also BK-Job failed, which a retry can reopen)."""
        return self in _SUMMARIES


_SUMMARIES = frozenset(
    {
        TransitionKind.RUN_FINISHED,
        TransitionKind.RUN_FAILED,
        TransitionKind.RUN_STOPPED,
        TransitionKind.RUN_REVOKED,
        TransitionKind.RUN_EXPIRED,
        TransitionKind.RUN_GONE,
    }
)

# Transitions about the run rather than one of its steps or nodes.
RUN_KINDS: frozenset[TransitionKind] = frozenset(
    {TransitionKind.RUN_PAUSED, TransitionKind.RUN_RESUMED, *_SUMMARIES}
)


class GateKind(StrEnum):
    """What a person is asked: confirm a BK-Job step, approve, or let a paused flow go on."""

    CONFIRMATION = "confirmation"
    APPROVAL = "approval"
    CONTINUE = "continue"


class GateAnswer(StrEnum):
    """How a gate closed, as far as the status tells (bk-job §5.13, bk-sops §4.1)."""

    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    APPROVED = "approved"
    CONTINUED = "continued"
    # Closed without an answer: the run was revoked, stopped, or the node ended otherwise.
    CANCELLED = "cancelled"


class HostTally(_Frozen):
    """Hosts of a BK-Job step by outcome (bk-job §6.2)."""

    succeeded: int = 0
    failed: int = 0
    running: int = 0
    total: int = 0


class FailedHost(_Frozen):
    """One host of a step that did not succeed."""

    ip: str
    cloud: int = 0
    # The per-host status code (bk-job §6.2) and how it reads.
    status: int | None = None
    label: str = ""


class HostGroup(_Frozen):
    """Failed hosts of one BK-Job step that printed the same output and ended the same way.

    The poller reads the step's logs once when the step fails and groups the hosts, so the
    thread shows each distinct failure once with the hosts that share it (product §4).
    """

    # Host labels as the card shows them (``host_label``: "10.0.0.1", "2:10.0.0.1"), in the
    # order BK-Job listed them.
    hosts: tuple[str, ...]
    # The per-host status label (bk-job §6.2), e.g. "Script failed", and the exit code if known.
    status: str = ""
    exit_code: int | None = None
    # The shared log output (the tail when it was long); empty when the host printed nothing.
    output: str = ""
    # True when ``output`` was cut to its tail before storing.
    truncated: bool = False


class Subject(_Frozen):
    """The step (BK-Job) or node (BK-SOPS) a transition is about."""

    # The step instance id (as text) or the task node id.
    id: str
    # 1-based position among the run's steps, or among the template's nodes in flow order.
    index: int
    name: str
    # ``script``/``file``/``confirmation``/``SQL``, or the plugin code of a node.
    type: str
    # The step status code (bk-job §6.1) or the node state (bk-sops §5.1), and a label.
    status: int | str | None
    label: str
    # BK-Job ``execute_count`` (0 on the first run) or BK-SOPS ``retry``.
    attempt: int = 0
    # BK-SOPS execution version and loop round (bk-sops §2.4).
    version: str | None = None
    loop: int | None = None
    # Enclosing sub-process node ids, outermost first.
    stack: tuple[str, ...] = ()
    hosts: HostTally | None = None
    failed_hosts: tuple[FailedHost, ...] = ()
    # The node's error text (``ex_data``, bk-sops §2.4), when the status carried it.
    error: str | None = None
    duration: float | None = None
    # BK-Job step failures: failed hosts grouped by identical output and exit status.
    groups: tuple[HostGroup, ...] = ()


class Gate(_Frozen):
    """A human gate and what answers it: the poster builds the buttons from this."""

    kind: GateKind
    # The confirmation message, the pause node's description or the approval title.
    prompt: str | None = None
    # BK-Job: ``operate_step_instance`` on this step (6 confirm, 9 reject; bk-job §5.13).
    step_instance_id: int | None = None
    # BK-SOPS: ``node_callback`` on this node and execution version (bk-sops §3.6).
    node_id: str | None = None
    version: str | None = None
    # None while the gate is open.
    answer: GateAnswer | None = None


class Transition(_Frozen):
    """One change to post in a run's thread; ``model_dump(mode="json")`` is its outbox payload.

    ``key`` names the occurrence, not the moment it was seen: every replica and every retried
    poll derives the same key for the same event, and a new occurrence (a retried step, a
    re-executed node, a re-issued confirmation, a second pause) gets a new one. The outbox
    keeps ``unique(watch_id, key)``, so a transition is posted once.
    """

    key: str
    kind: TransitionKind
    system: System
    # The job instance id or the task id, and the run's name.
    run_id: int | None = None
    run_name: str = ""
    # The run's status after the change: a BK-Job code (§6.1) or a BK-SOPS state (§5.1).
    status: int | str | None = None
    label: str = ""
    subject: Subject | None = None
    gate: Gate | None = None
    # On a failed or stopped run: the steps or nodes that failed, with their hosts or errors.
    failures: tuple[Subject, ...] = ()
    # Seconds: the subject's run time for step/node ends, the run's for summaries.
    duration: float | None = None

    @property
    def succeeded(self) -> bool:
        """True for the summary of a run that ended well."""
        return self.kind is TransitionKind.RUN_FINISHED

    @property
    def broadcast(self) -> bool:
        """True for a final summary of a run that did not succeed (product §4)."""
        return self.kind.is_summary and not self.succeeded
