"""Thread messages of a run card: a Transition → its view, gate buttons and log file."""

from __future__ import annotations

from collections.abc import Callable

from bot.clients.bk_job import StepInstance, StepType, valid_step_operations
from bot.clients.bk_sops import ComponentCode
from bot.services.job_runs import StepOp, host_label, step_kind_label, step_op_action
from bot.services.ports import ThreadPost
from bot.services.sops_runs import callback_actions
from bot.services.transitions import (
    RUN_KINDS,
    Gate,
    GateAnswer,
    GateKind,
    HostGroup,
    Subject,
    System,
    Transition,
    TransitionKind,
)
from bot.views import (
    Action,
    FileAttachment,
    PostTone,
    RunKind,
    ThreadFailure,
    ThreadHostGroup,
    ThreadPostView,
)
from bot.views.job import fmt_duration as job_duration
from bot.views.sops import fmt_duration as sops_duration

__all__ = [
    "INLINE_LOG_CHARS",
    "INLINE_LOG_LINES",
    "MAX_GROUPS",
    "attached_post",
    "thread_post",
]

K = TransitionKind

# Failure output shown inline while it stays readable on a phone; past either limit the
# whole of it goes into a file and the message keeps each group's last lines (product §4).
INLINE_LOG_CHARS = 1500
INLINE_LOG_LINES = 25
# Groups of hosts one message shows; more go only into the file.
MAX_GROUPS = 10
# What a message keeps of each group when the full output is attached.
TAIL_LINES = 6
TAIL_CHARS = 300
# Failed steps or nodes a summary lists, and failed hosts it names per step.
MAX_FAILURES = 10
MAX_HOSTS_NAMED = 5
# Names are BlueKing text of any length: a headline keeps them to a readable size.
MAX_NAME = 120

_SYSTEMS: dict[System, str] = {System.JOB: "BK-Job", System.SOPS: "BK-SOPS"}
_NOUNS: dict[System, str] = {System.JOB: "Job", System.SOPS: "Task"}
# The step type labels of the snapshot (bk-job §6.3) back to their codes.
_STEP_TYPES: dict[str, StepType] = {step_kind_label(t): t for t in StepType}


def _cut(text: str, limit: int = MAX_NAME) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _duration(t: Transition, seconds: float | None) -> str | None:
    # BK-Job steps are often seconds long, so their times keep tenths.
    return job_duration(seconds) if t.system is System.JOB else sops_duration(seconds)


def _took(t: Transition, seconds: float | None, word: str) -> str:
    text = _duration(t, seconds)
    return f" {word} {text}" if text else ""


def _run_title(t: Transition) -> str:
    """``Job 123 “nightly”``; the name is left out when it only repeats the id."""
    noun = _NOUNS[t.system]
    ref = f"{noun} {t.run_id}" if t.run_id is not None else noun
    name = t.run_name.strip()
    if not name or name.lower() == ref.lower():
        return ref
    return f"{ref} “{_cut(name)}”"


def _run_ref(t: Transition) -> str | None:
    return f"{_NOUNS[t.system].lower()} {t.run_id}" if t.run_id is not None else None


def _title(t: Transition, s: Subject) -> str:
    """``Step 3 “deploy”`` (BK-Job) or ``Node “Check disk”`` (BK-SOPS)."""
    name = _cut(s.name.strip())
    if t.system is System.JOB:
        return f"Step {s.index} “{name}”" if name else f"Step {s.index}"
    return f"Node “{name}”" if name else f"Node {s.id}"


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


# ------------------------------------------------------------------------------ details


def _attempt(t: Transition, s: Subject) -> list[str]:
    found: list[str] = []
    if s.attempt:
        # BK-Job execute_count counts runs from 0; BK-SOPS retry counts retries.
        found.append(f"run {s.attempt + 1}" if t.system is System.JOB else f"retry {s.attempt}")
    if s.loop is not None and s.loop > 1:
        found.append(f"loop {s.loop}")
    return found


def _what(t: Transition, s: Subject) -> str:
    """``script · 5 hosts · run 2`` or ``job_execute_task · retry 1``."""
    parts = [s.type] if s.type else []
    if s.hosts is not None and s.hosts.total:
        parts.append(f"{s.hosts.total} host{'s' if s.hosts.total != 1 else ''}")
    return " · ".join(parts + _attempt(t, s))


def _failed_hosts(s: Subject) -> str | None:
    """``2 of 5 hosts failed: 10.0.0.1 (script failed), 10.0.0.2 (timed out)``."""
    if s.hosts is None or not s.hosts.failed:
        return None
    text = f"{s.hosts.failed} of {s.hosts.total} hosts failed"
    named = [
        host_label(h.ip, h.cloud) + (f" ({h.label})" if h.label else "")
        for h in s.failed_hosts[:MAX_HOSTS_NAMED]
    ]
    if not named:
        return text
    more = s.hosts.failed - len(named)
    return f"{text}: {', '.join(named)}" + (f" and {more} more" if more > 0 else "")


def _failure(t: Transition, s: Subject) -> ThreadFailure:
    return ThreadFailure(
        title=_title(t, s),
        label=s.label or "Failed",
        detail=_failed_hosts(s),
        error=s.error or None,
    )


# ---------------------------------------------------------------------------------- logs


def _lines(text: str) -> int:
    return len(text.rstrip("\n").splitlines())


def _tail(text: str) -> str:
    tail = "\n".join(text.rstrip("\n").splitlines()[-TAIL_LINES:])
    return tail[-TAIL_CHARS:]


def _fits_inline(groups: tuple[HostGroup, ...]) -> bool:
    chars = sum(len(g.output) for g in groups)
    lines = sum(_lines(g.output) for g in groups)
    return chars <= INLINE_LOG_CHARS and lines <= INLINE_LOG_LINES and len(groups) <= MAX_GROUPS


def _group_heading(g: HostGroup) -> str:
    parts = [", ".join(g.hosts) or "?"]
    if g.status:
        parts.append(g.status)
    if g.exit_code is not None:
        parts.append(f"exit {g.exit_code}")
    return " · ".join(parts)


def _log_file(t: Transition, s: Subject) -> FileAttachment:
    """Every group whole, as a text file: hosts, status and exit code, then the output."""
    out = [f"{_SYSTEMS[t.system]} {_run_title(t)}"]
    hosts = _failed_hosts(s)
    out.append(f"{_title(t, s)}: {hosts or s.label}; hosts grouped by identical output")
    for g in s.groups:
        out += ["", f"== {_group_heading(g)} ==", g.output.rstrip("\n") or "(no output)"]
        if g.truncated:
            out.append("(only the end of this output was kept)")
    run = t.run_id if t.run_id is not None else "run"
    return FileAttachment(
        filename=f"job-{run}-step-{s.index}-failed-hosts.log",
        title=f"Failed hosts of {_title(t, s)}, {_run_title(t)}",
        content="\n".join(out) + "\n",
    )


def _shown(g: HostGroup, *, whole: bool) -> ThreadHostGroup:
    output = g.output if whole else _tail(g.output)
    return ThreadHostGroup(
        hosts=g.hosts,
        status=g.status,
        exit_code=g.exit_code,
        output=output,
        tail=g.truncated or output.rstrip("\n") != g.output.rstrip("\n"),
    )


def _logs(
    t: Transition, s: Subject
) -> tuple[tuple[ThreadHostGroup, ...], int, FileAttachment | None]:
    """The groups to show, how many are left out, and the file when they do not all fit."""
    if not s.groups:
        return (), 0, None
    if _fits_inline(s.groups):
        return tuple(_shown(g, whole=True) for g in s.groups), 0, None
    tails = tuple(_shown(g, whole=False) for g in s.groups[:MAX_GROUPS])
    return tails, len(s.groups) - len(tails), _log_file(t, s)


# ------------------------------------------------------------------------------- buttons


def _job_logs(t: Transition, biz: int, s: Subject | None = None) -> Action:
    step = f" --step {s.index}" if s is not None else ""
    return Action(label="Logs", command=f"job log {t.run_id}{step} --biz {biz}")


def _step(s: Subject, step_instance_id: int) -> StepInstance:
    # step_op_action names the step by its instance id and quotes its name in the dialog.
    return StepInstance(step_instance_id=step_instance_id, name=s.name)


def _gate_actions(t: Transition, s: Subject, gate: Gate, biz: int) -> tuple[Action, ...]:
    """Confirm / Reject, Approve / Reject or Continue: only while the gate waits."""
    if gate.answer is not None or t.run_id is None:
        return ()
    if gate.kind is GateKind.CONFIRMATION:
        step_id = gate.step_instance_id or (int(s.id) if s.id.isdigit() else None)
        if step_id is None:
            return ()
        step = _step(s, step_id)
        return tuple(
            step_op_action(op, instance_id=t.run_id, biz=biz, step=step, index=s.index)
            for op in (StepOp.CONFIRM, StepOp.REJECT)
        )
    code = ComponentCode.BK_APPROVE if gate.kind is GateKind.APPROVAL else ComponentCode.PAUSE_NODE
    return callback_actions(
        task_id=t.run_id,
        biz=biz,
        node_id=gate.node_id or s.id,
        name=s.name,
        code=code,
        version=gate.version,
    )


def _step_ops(s: Subject) -> list[StepOp]:
    status = s.status if isinstance(s.status, int) else None
    codes = valid_step_operations(_STEP_TYPES.get(s.type), status)
    return [op for op in (StepOp.of(c) for c in codes) if op is not None]


def _retry_actions(t: Transition, biz: int) -> list[Action]:
    """The operations the failed step accepts (bk-job §5.13), as the card offers them."""
    if t.run_id is None:
        return []
    candidates = ([t.subject] if t.subject is not None else []) + list(t.failures)
    for s in candidates:
        ops = _step_ops(s)
        if ops and s.id.isdigit():
            step = _step(s, int(s.id))
            return [
                step_op_action(op, instance_id=t.run_id, biz=biz, step=step, index=s.index)
                for op in ops
            ]
    return []


# ------------------------------------------------------------------------ one per kind


def _started(t: Transition, s: Subject, biz: int) -> ThreadPostView:
    what = _what(t, s)
    return ThreadPostView(
        tone=PostTone.STARTED,
        headline=f"{_title(t, s)} started",
        run=_run_ref(t),
        details=(what,) if what else (),
    )


def _succeeded(t: Transition, s: Subject, biz: int) -> ThreadPostView:
    ignored = s.label.lower().startswith("failed")  # BK-SOPS "Failed, error ignored"
    if ignored:
        return _ignored(t, s, biz)
    verb = "succeeded" if t.system is System.JOB else "finished"
    details = []
    if s.hosts is not None and s.hosts.total:
        details.append(f"{s.hosts.succeeded} of {s.hosts.total} hosts succeeded")
    return ThreadPostView(
        tone=PostTone.SUCCEEDED,
        headline=f"{_title(t, s)} {verb}{_took(t, t.duration or s.duration, 'in')}",
        run=_run_ref(t),
        details=tuple(details + _attempt(t, s)),
    )


def _ignored(t: Transition, s: Subject, biz: int) -> ThreadPostView:
    hosts = _failed_hosts(s)
    return ThreadPostView(
        tone=PostTone.IGNORED,
        headline=f"{_title(t, s)} failed, error ignored",
        run=_run_ref(t),
        details=(hosts,) if hosts else (),
        error=s.error or None,
    )


def _skipped(t: Transition, s: Subject, biz: int) -> ThreadPostView:
    return ThreadPostView(
        tone=PostTone.SKIPPED, headline=f"{_title(t, s)} skipped", run=_run_ref(t)
    )


def _stopped(t: Transition, s: Subject, biz: int) -> ThreadPostView:
    label = _lower(s.label) if s.label else "stopped"
    return ThreadPostView(
        tone=PostTone.STOPPED, headline=f"{_title(t, s)} {label}", run=_run_ref(t)
    )


def _step_failed(t: Transition, s: Subject, biz: int) -> ThreadPostView | ThreadPost:
    hosts = s.hosts
    where = f" on {hosts.failed} of {hosts.total} hosts" if hosts and hosts.failed else ""
    details = [s.label] if s.label and s.label != "Failed" else []
    groups, hidden, attachment = _logs(t, s)
    if not groups:
        # The logs could not be read: name the hosts at least.
        named = _failed_hosts(s)
        details += [named] if named else []
    details += _attempt(t, s)
    view = ThreadPostView(
        tone=PostTone.FAILED,
        headline=f"{_title(t, s)} failed{where}{_took(t, t.duration or s.duration, 'after')}",
        run=_run_ref(t),
        details=tuple(details),
        groups=groups,
        hidden_groups=hidden,
        attached=attachment.filename if attachment else None,
        actions=(_job_logs(t, biz, s),) if t.run_id is not None else (),
    )
    return ThreadPost(view=view, attachment=attachment, broadcast=t.broadcast)


def _node_failed(t: Transition, s: Subject, biz: int) -> ThreadPostView:
    actions: tuple[Action, ...] = ()
    if t.run_id is not None:
        command = f"sops node {t.run_id} {s.id} --biz {biz}"
        actions = (Action(label="Node details", command=command),)
    return ThreadPostView(
        tone=PostTone.FAILED,
        headline=f"{_title(t, s)} failed{_took(t, t.duration or s.duration, 'after')}",
        run=_run_ref(t),
        details=tuple(_attempt(t, s)),
        error=s.error or None,
        actions=actions,
    )


_WAITING: dict[GateKind, str] = {
    GateKind.CONFIRMATION: "Waiting for confirmation at",
    GateKind.APPROVAL: "Waiting for approval at",
    GateKind.CONTINUE: "Waiting for someone to continue at",
}

_ANSWERS: dict[GateAnswer, tuple[PostTone, str]] = {
    GateAnswer.CONFIRMED: (PostTone.SUCCEEDED, "confirmed"),
    GateAnswer.APPROVED: (PostTone.SUCCEEDED, "approved"),
    GateAnswer.CONTINUED: (PostTone.RESUMED, "continued"),
    GateAnswer.REJECTED: (PostTone.REJECTED, "rejected"),
    GateAnswer.CANCELLED: (PostTone.CANCELLED, "closed without an answer"),
}


def _gate_opened(t: Transition, s: Subject, gate: Gate, biz: int) -> ThreadPostView:
    return ThreadPostView(
        tone=PostTone.WAITING,
        headline=f"{_WAITING[gate.kind]} {_lower(_title(t, s))}",
        run=_run_ref(t),
        quote=gate.prompt or None,
        actions=_gate_actions(t, s, gate, biz),
    )


def _gate_closed(t: Transition, s: Subject, gate: Gate, biz: int) -> ThreadPostView:
    answer = gate.answer or GateAnswer.CANCELLED
    tone, verb = _ANSWERS[answer]
    details: list[str] = []
    if answer is GateAnswer.REJECTED:
        details.append(
            "The job stops here."
            if gate.kind is GateKind.CONFIRMATION
            else "The node fails and the task stops there."
        )
    elif answer is GateAnswer.CANCELLED:
        details.append("The run ended or moved on before anyone answered.")
    took = "" if answer is GateAnswer.CANCELLED else _took(t, t.duration or s.duration, "after")
    return ThreadPostView(
        tone=tone,
        headline=f"{_title(t, s)} {verb}{took}",
        run=_run_ref(t),
        details=tuple(details),
    )


# ------------------------------------------------------------------------------ the run


def _failures(t: Transition) -> tuple[tuple[ThreadFailure, ...], int]:
    shown = tuple(_failure(t, s) for s in t.failures[:MAX_FAILURES])
    return shown, len(t.failures) - len(shown)


def _run_failed(t: Transition, biz: int) -> ThreadPostView:
    failures, hidden = _failures(t)
    details = [t.label] if t.label and t.label != "Failed" else []
    actions: list[Action] = []
    if t.system is System.JOB:
        if t.run_id is not None:
            actions = [*_retry_actions(t, biz), _job_logs(t, biz)]
    else:
        # bk-sops §4.3: a failed task waits; the bot offers no node retry or skip.
        details.append("Retry or skip the failed node in BK-SOPS, or revoke the task.")
        if t.run_id is not None:
            actions = [Action(label="Details", command=f"sops detail {t.run_id} --biz {biz}")]
    return ThreadPostView(
        tone=PostTone.FAILED,
        headline=f"{_run_title(t)} failed{_took(t, t.duration, 'after')}",
        details=tuple(details),
        failures=failures,
        hidden_failures=hidden,
        actions=tuple(actions),
    )


def _run_stopped(t: Transition, biz: int) -> ThreadPostView:
    failures, hidden = _failures(t)
    reason = f": {_lower(t.label)}" if t.label and t.label != "Stopped" else ""
    logs = (_job_logs(t, biz),) if t.system is System.JOB and t.run_id is not None else ()
    return ThreadPostView(
        tone=PostTone.STOPPED,
        headline=f"{_run_title(t)} stopped{reason}{_took(t, t.duration, 'after')}",
        failures=failures,
        hidden_failures=hidden,
        actions=logs,
    )


def _run_finished(t: Transition) -> ThreadPostView:
    verb = "succeeded" if t.system is System.JOB else "finished"
    plain = ("Succeeded", "Finished", "")
    return ThreadPostView(
        tone=PostTone.SUCCEEDED,
        headline=f"{_run_title(t)} {verb}{_took(t, t.duration, 'in')}",
        # bk-job §6.1: a job whose last step was skipped or ignored still ends well.
        details=(t.label,) if t.label not in plain else (),
    )


def _run_view(t: Transition, biz: int) -> ThreadPostView:
    title = _run_title(t)
    system = _SYSTEMS[t.system]
    if t.kind is K.RUN_FINISHED:
        return _run_finished(t)
    if t.kind is K.RUN_FAILED:
        return _run_failed(t, biz)
    if t.kind is K.RUN_STOPPED:
        return _run_stopped(t, biz)
    if t.kind is K.RUN_PAUSED:
        paused = (t.label,) if t.label and t.label != "Paused" else ()
        return ThreadPostView(tone=PostTone.PAUSED, headline=f"{title} paused", details=paused)
    if t.kind is K.RUN_RESUMED:
        return ThreadPostView(tone=PostTone.RESUMED, headline=f"{title} resumed")
    if t.kind is K.RUN_REVOKED:
        return ThreadPostView(
            tone=PostTone.REVOKED,
            headline=f"{title} revoked{_took(t, t.duration, 'after')}",
            details=("It stopped for good and cannot be resumed.",),
        )
    if t.kind is K.RUN_EXPIRED:
        return ThreadPostView(
            tone=PostTone.EXPIRED,
            headline=f"{title} expired",
            details=(f"{system} no longer keeps this run's data.",),
        )
    return ThreadPostView(
        tone=PostTone.GONE,
        headline=f"{title} is gone",
        details=(f"Deleted or archived in {system}: this thread reports nothing more.",),
    )


_GATE_KINDS: dict[System, GateKind] = {
    System.JOB: GateKind.CONFIRMATION,
    System.SOPS: GateKind.CONTINUE,
}


def _bare(t: Transition) -> ThreadPostView:
    # A step or node change without its step or node: say what the run's status is now.
    label = _lower(t.label) if t.label else t.kind.value.replace("_", " ")
    return ThreadPostView(tone=PostTone.INFO, headline=f"{_run_title(t)}: {label}")


_SUBJECT_VIEWS: dict[TransitionKind, Callable[[Transition, Subject, int], ThreadPostView]] = {
    K.STEP_STARTED: _started,
    K.NODE_STARTED: _started,
    K.STEP_SUCCEEDED: _succeeded,
    K.NODE_FINISHED: _succeeded,
    K.STEP_SKIPPED: _skipped,
    K.NODE_SKIPPED: _skipped,
    K.STEP_IGNORED: _ignored,
    K.STEP_STOPPED: _stopped,
    K.NODE_FAILED: _node_failed,
}


def _subject_view(t: Transition, s: Subject, biz: int) -> ThreadPostView | ThreadPost:
    if t.kind is K.STEP_FAILED:
        return _step_failed(t, s, biz)
    if t.kind in (K.GATE_OPENED, K.GATE_CLOSED):
        # The snapshots always carry the gate; without one, no buttons can answer it.
        gate = t.gate or Gate(kind=_GATE_KINDS[t.system], answer=GateAnswer.CANCELLED)
        if t.kind is K.GATE_OPENED:
            return _gate_opened(t, s, gate, biz)
        return _gate_closed(t, s, gate, biz)
    return _SUBJECT_VIEWS[t.kind](t, s, biz)


def thread_post(transition: Transition, *, biz: int) -> ThreadPost:
    """The thread message for one transition; a run that did not succeed is broadcast.

    Failed hosts' output is shown inline while it is short (``INLINE_LOG_CHARS`` characters
    and ``INLINE_LOG_LINES`` lines in all); past that the whole of it is attached as a
    ``.log`` file and the message keeps each group's last lines.
    """
    t = transition
    built: ThreadPostView | ThreadPost
    if t.kind in RUN_KINDS:
        built = _run_view(t, biz)
    elif t.subject is None:
        built = _bare(t)
    else:
        built = _subject_view(t, t.subject, biz)
    if isinstance(built, ThreadPost):
        return built
    return ThreadPost(view=built, broadcast=t.broadcast)


def attached_post(run_kind: RunKind, run_id: int, run_name: str, *, biz: int) -> ThreadPost:
    """The one note posted when a run started elsewhere is attached with ``watch``."""
    # ``watch`` and ``unwatch`` name the systems "job" and "task".
    noun, parts = ("job", "steps") if run_kind is RunKind.JOB else ("task", "nodes")
    name = _cut(run_name.strip())
    named = f" “{name}”" if name and name.lower() != f"{noun} {run_id}" else ""
    view = ThreadPostView(
        tone=PostTone.INFO,
        headline=f"Following {noun} {run_id}{named}: this thread will report its {parts}.",
        details=(
            "What ran before it was attached is not repeated; the card shows where it stands.",
        ),
        actions=(Action(label="Stop following", command=f"unwatch {noun} {run_id} --biz {biz}"),),
    )
    return ThreadPost(view=view)
