"""Thread posts: every transition reads well, buttons only where they work, long logs attached."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from bot.clients.bk_job import JobClient, JobStatus, StepInstance, StepOperation
from bot.clients.bk_sops import ComponentCode, PipelineTree, SopsClient, TaskState
from bot.rendering import Renderer
from bot.sandbox import ManualClock, Sandbox
from bot.services.job_runs import StepOp, step_op_action
from bot.services.ports import ThreadPost
from bot.services.snapshots import (
    JobSnapshot,
    Snapshot,
    SopsSnapshot,
    diff,
    is_final,
    job_snapshot,
    sops_snapshot,
)
from bot.services.sops_runs import callback_actions
from bot.services.thread_posts import (
    INLINE_LOG_CHARS,
    INLINE_LOG_LINES,
    MAX_GROUPS,
    attached_post,
    thread_post,
)
from bot.services.transitions import (
    FailedHost,
    Gate,
    GateAnswer,
    GateKind,
    HostGroup,
    HostTally,
    Subject,
    System,
    Transition,
    TransitionKind,
)
from bot.views import PostTone, RunKind, ThreadPostView

K = TransitionKind
BIZ = 2
HOSTILE = "<!channel> & *x*"


def _view(post: ThreadPost) -> ThreadPostView:
    assert isinstance(post.view, ThreadPostView)
    return post.view


def _labels(post: ThreadPost) -> list[str]:
    return [a.label for a in _view(post).actions]


# ---------------------------------------------------------------------- hand-made examples


def _step(
    *,
    status: int = JobStatus.RUNNING,
    label: str = "Running",
    name: str = "deploy",
    type_: str = "script",
    groups: tuple[HostGroup, ...] = (),
    failed: int = 0,
) -> Subject:
    return Subject(
        id="601",
        index=2,
        name=name,
        type=type_,
        status=status,
        label=label,
        hosts=HostTally(succeeded=5 - failed, failed=failed, total=5),
        failed_hosts=tuple(
            FailedHost(ip=f"10.0.0.{i}", status=104, label="script failed") for i in range(failed)
        ),
        duration=3.2,
        groups=groups,
    )


def _confirm_step(status: int = JobStatus.WAITING_USER, label: str = "Waiting") -> Subject:
    return Subject(
        id="602", index=3, name="Approve release", type="confirmation", status=status, label=label
    )


def _node(
    *,
    state: str = TaskState.RUNNING,
    label: str = "Running",
    name: str = "Check disk",
    code: str = "job_execute_task",
    error: str | None = None,
) -> Subject:
    return Subject(
        id="node1",
        index=1,
        name=name,
        type=code,
        status=state,
        label=label,
        version="v1",
        error=error,
        duration=3.0,
    )


def _job(kind: TransitionKind, **fields: object) -> Transition:
    base: dict[str, object] = {
        "key": f"k:{kind}",
        "kind": kind,
        "system": System.JOB,
        "run_id": 123,
        "run_name": "nightly",
        "status": JobStatus.RUNNING,
        "label": "Running",
    }
    return Transition.model_validate(base | fields)


def _sops(kind: TransitionKind, **fields: object) -> Transition:
    base: dict[str, object] = {
        "key": f"k:{kind}",
        "kind": kind,
        "system": System.SOPS,
        "run_id": 77,
        "run_name": "release",
        "status": TaskState.RUNNING,
        "label": "Running",
    }
    return Transition.model_validate(base | fields)


def _examples() -> dict[TransitionKind, Transition]:
    failed = _step(status=JobStatus.FAILED, label="Failed", failed=2)
    node_failed = _node(state=TaskState.FAILED, label="Failed", error="disk full on 10.0.0.3")
    return {
        K.STEP_STARTED: _job(K.STEP_STARTED, subject=_step()),
        K.STEP_SUCCEEDED: _job(
            K.STEP_SUCCEEDED,
            subject=_step(status=JobStatus.SUCCEEDED, label="Succeeded"),
            duration=3.2,
        ),
        K.STEP_FAILED: _job(K.STEP_FAILED, subject=failed, duration=12.0),
        K.STEP_SKIPPED: _job(
            K.STEP_SKIPPED, subject=_step(status=JobStatus.SKIPPED, label="Skipped")
        ),
        K.STEP_IGNORED: _job(
            K.STEP_IGNORED,
            subject=_step(status=JobStatus.ERROR_IGNORED, label="Error ignored", failed=1),
        ),
        K.STEP_STOPPED: _job(
            K.STEP_STOPPED, subject=_step(status=JobStatus.TERMINATED, label="Stopped")
        ),
        K.NODE_STARTED: _sops(K.NODE_STARTED, subject=_node()),
        K.NODE_FINISHED: _sops(
            K.NODE_FINISHED,
            subject=_node(state=TaskState.FINISHED, label="Finished"),
            duration=3.0,
        ),
        K.NODE_SKIPPED: _sops(
            K.NODE_SKIPPED, subject=_node(state=TaskState.FINISHED, label="Skipped")
        ),
        K.NODE_FAILED: _sops(K.NODE_FAILED, subject=node_failed, duration=4.0),
        K.GATE_OPENED: _job(
            K.GATE_OPENED,
            status=JobStatus.WAITING_USER,
            label="Waiting for confirmation",
            subject=_confirm_step(),
            gate=Gate(
                kind=GateKind.CONFIRMATION,
                prompt="Please confirm the restart of web",
                step_instance_id=602,
            ),
        ),
        K.GATE_CLOSED: _job(
            K.GATE_CLOSED,
            subject=_confirm_step(JobStatus.SUCCEEDED, "Succeeded"),
            gate=Gate(
                kind=GateKind.CONFIRMATION, step_instance_id=602, answer=GateAnswer.CONFIRMED
            ),
        ),
        K.RUN_PAUSED: _sops(K.RUN_PAUSED, status=TaskState.SUSPENDED, label="Paused"),
        K.RUN_RESUMED: _sops(K.RUN_RESUMED),
        K.RUN_FINISHED: _job(
            K.RUN_FINISHED, status=JobStatus.SUCCEEDED, label="Succeeded", duration=62.0
        ),
        K.RUN_FAILED: _job(
            K.RUN_FAILED,
            status=JobStatus.FAILED,
            label="Failed",
            subject=failed,
            failures=(failed,),
            duration=62.0,
        ),
        K.RUN_STOPPED: _job(
            K.RUN_STOPPED,
            status=JobStatus.CONFIRM_TERMINATED,
            label="Confirmation rejected",
            failures=(_confirm_step(JobStatus.CONFIRM_TERMINATED, "Confirmation rejected"),),
        ),
        K.RUN_REVOKED: _sops(K.RUN_REVOKED, status=TaskState.REVOKED, label="Revoked"),
        K.RUN_EXPIRED: _sops(K.RUN_EXPIRED, status=TaskState.EXPIRED, label="Expired"),
        K.RUN_GONE: _job(K.RUN_GONE, label="Deleted in BK-Job"),
    }


EXAMPLES = _examples()

# (tone, headline) each example must produce.
EXPECTED: dict[TransitionKind, tuple[PostTone, str]] = {
    K.STEP_STARTED: (PostTone.STARTED, "Step 2 “deploy” started"),
    K.STEP_SUCCEEDED: (PostTone.SUCCEEDED, "Step 2 “deploy” succeeded in 3.2s"),
    K.STEP_FAILED: (PostTone.FAILED, "Step 2 “deploy” failed on 2 of 5 hosts after 12s"),
    K.STEP_SKIPPED: (PostTone.SKIPPED, "Step 2 “deploy” skipped"),
    K.STEP_IGNORED: (PostTone.IGNORED, "Step 2 “deploy” failed, error ignored"),
    K.STEP_STOPPED: (PostTone.STOPPED, "Step 2 “deploy” stopped"),
    K.NODE_STARTED: (PostTone.STARTED, "Node “Check disk” started"),
    K.NODE_FINISHED: (PostTone.SUCCEEDED, "Node “Check disk” finished in 3s"),
    K.NODE_SKIPPED: (PostTone.SKIPPED, "Node “Check disk” skipped"),
    K.NODE_FAILED: (PostTone.FAILED, "Node “Check disk” failed after 4s"),
    K.GATE_OPENED: (PostTone.WAITING, "Waiting for confirmation at step 3 “Approve release”"),
    K.GATE_CLOSED: (PostTone.SUCCEEDED, "Step 3 “Approve release” confirmed"),
    K.RUN_PAUSED: (PostTone.PAUSED, "Task 77 “release” paused"),
    K.RUN_RESUMED: (PostTone.RESUMED, "Task 77 “release” resumed"),
    K.RUN_FINISHED: (PostTone.SUCCEEDED, "Job 123 “nightly” succeeded in 1m 02s"),
    K.RUN_FAILED: (PostTone.FAILED, "Job 123 “nightly” failed after 1m 02s"),
    K.RUN_STOPPED: (PostTone.STOPPED, "Job 123 “nightly” stopped: confirmation rejected"),
    K.RUN_REVOKED: (PostTone.REVOKED, "Task 77 “release” revoked"),
    K.RUN_EXPIRED: (PostTone.EXPIRED, "Task 77 “release” expired"),
    K.RUN_GONE: (PostTone.GONE, "Job 123 “nightly” is gone"),
}

# Kinds whose message carries buttons, and which.
BUTTONS: dict[TransitionKind, list[str]] = {
    K.STEP_FAILED: ["Logs"],
    K.NODE_FAILED: ["Node details"],
    K.GATE_OPENED: ["Confirm", "Reject"],
    K.RUN_FAILED: ["Retry failed", "Retry all", "Ignore error", "Logs"],
    K.RUN_STOPPED: ["Logs"],
}


def test_every_kind_has_an_example() -> None:
    assert set(EXAMPLES) == set(TransitionKind)
    assert set(EXPECTED) == set(TransitionKind)


@pytest.mark.parametrize("kind", list(TransitionKind), ids=str)
def test_every_kind_reads_as_a_headline_with_the_right_tone(kind: TransitionKind) -> None:
    post = thread_post(EXAMPLES[kind], biz=BIZ)
    view = _view(post)
    assert (view.tone, view.headline) == EXPECTED[kind]
    # A step or node message names its run for the console; a run message's headline does.
    assert (view.run is None) == (kind in {k for k in K if k.value.startswith("run_")})


@pytest.mark.parametrize("kind", list(TransitionKind), ids=str)
def test_buttons_only_where_they_work(kind: TransitionKind) -> None:
    post = thread_post(EXAMPLES[kind], biz=BIZ)
    assert _labels(post) == BUTTONS.get(kind, [])
    for action in _view(post).actions:
        assert action.command.endswith(f"--biz {BIZ}")


@pytest.mark.parametrize("kind", list(TransitionKind), ids=str)
def test_only_summaries_of_runs_that_did_not_succeed_are_broadcast(kind: TransitionKind) -> None:
    post = thread_post(EXAMPLES[kind], biz=BIZ)
    expected = kind in {K.RUN_FAILED, K.RUN_STOPPED, K.RUN_REVOKED, K.RUN_EXPIRED, K.RUN_GONE}
    assert post.broadcast is expected
    assert post.broadcast is EXAMPLES[kind].broadcast


def test_step_details_say_what_runs_where_and_which_attempt() -> None:
    subject = _step().model_copy(update={"attempt": 1})
    view = _view(thread_post(_job(K.STEP_STARTED, subject=subject), biz=BIZ))
    assert view.details == ("script · 5 hosts · run 2",)
    assert view.run == "job 123"
    node = _node().model_copy(update={"attempt": 2, "loop": 3})
    view = _view(thread_post(_sops(K.NODE_STARTED, subject=node), biz=BIZ))
    assert view.details == ("job_execute_task · retry 2 · loop 3",)


def test_failed_step_without_logs_names_its_hosts() -> None:
    view = _view(thread_post(EXAMPLES[K.STEP_FAILED], biz=BIZ))
    assert view.groups == ()
    assert view.details == (
        "2 of 5 hosts failed: 10.0.0.0 (script failed), 10.0.0.1 (script failed)",
    )
    assert view.actions[0].command == "job log 123 --step 2 --biz 2"


def test_sops_node_finished_with_its_error_ignored_is_a_warning() -> None:
    node = _node(state=TaskState.FINISHED, label="Failed, error ignored", error="exit 1")
    view = _view(thread_post(_sops(K.NODE_FINISHED, subject=node), biz=BIZ))
    assert view.tone is PostTone.IGNORED
    assert view.headline == "Node “Check disk” failed, error ignored"
    assert view.error == "exit 1"


# --------------------------------------------------------------------------------- gates


def test_job_confirmation_buttons_are_the_cards_step_operations() -> None:
    view = _view(thread_post(EXAMPLES[K.GATE_OPENED], biz=BIZ))
    assert view.quote == "Please confirm the restart of web"
    step = StepInstance(step_instance_id=602, name="Approve release")
    assert view.actions == tuple(
        step_op_action(op, instance_id=123, biz=BIZ, step=step, index=3)
        for op in (StepOp.CONFIRM, StepOp.REJECT)
    )
    confirm, reject = view.actions
    assert confirm.command == "job step 123 602 confirm --biz 2"
    assert reject.command == "job step 123 602 reject --yes --biz 2"
    assert reject.confirm is not None


@pytest.mark.parametrize(
    ("kind", "code", "labels", "headline"),
    [
        (
            GateKind.APPROVAL,
            ComponentCode.BK_APPROVE,
            ["Approve", "Reject"],
            "Waiting for approval at node “Sign off”",
        ),
        (
            GateKind.CONTINUE,
            ComponentCode.PAUSE_NODE,
            ["Continue"],
            "Waiting for someone to continue at node “Sign off”",
        ),
    ],
)
def test_sops_gate_buttons_quote_the_node_version(
    kind: GateKind, code: ComponentCode, labels: list[str], headline: str
) -> None:
    gate = Gate(kind=kind, prompt="Schema change on web_app", node_id="n9", version="v7")
    subject = _node(name="Sign off", code=code.value, label="Waiting")
    post = thread_post(_sops(K.GATE_OPENED, subject=subject, gate=gate), biz=BIZ)
    view = _view(post)
    assert view.headline == headline
    assert _labels(post) == labels
    assert view.actions == callback_actions(
        task_id=77, biz=BIZ, node_id="n9", name="Sign off", code=code, version="v7"
    )
    assert all("--version v7" in a.command for a in view.actions)


@pytest.mark.parametrize(
    ("gate_kind", "answer", "tone", "headline"),
    [
        (GateKind.APPROVAL, GateAnswer.REJECTED, PostTone.REJECTED, "Node “Check disk” rejected"),
        (GateKind.APPROVAL, GateAnswer.APPROVED, PostTone.SUCCEEDED, "Node “Check disk” approved"),
        (GateKind.CONTINUE, GateAnswer.CONTINUED, PostTone.RESUMED, "Node “Check disk” continued"),
        (
            GateKind.APPROVAL,
            GateAnswer.CANCELLED,
            PostTone.CANCELLED,
            "Node “Check disk” closed without an answer",
        ),
    ],
)
def test_closed_gates_say_how_and_offer_no_buttons(
    gate_kind: GateKind, answer: GateAnswer, tone: PostTone, headline: str
) -> None:
    gate = Gate(kind=gate_kind, node_id="node1", version="v1", answer=answer)
    subject = _node(state=TaskState.FINISHED).model_copy(update={"duration": None})
    view = _view(thread_post(_sops(K.GATE_CLOSED, subject=subject, gate=gate), biz=BIZ))
    assert (view.tone, view.headline) == (tone, headline)
    assert view.actions == ()


def test_rejected_confirmation_says_the_job_stops() -> None:
    gate = Gate(kind=GateKind.CONFIRMATION, step_instance_id=602, answer=GateAnswer.REJECTED)
    subject = _confirm_step(JobStatus.CONFIRM_TERMINATED, "Confirmation rejected")
    view = _view(thread_post(_job(K.GATE_CLOSED, subject=subject, gate=gate), biz=BIZ))
    assert (view.tone, view.headline) == (PostTone.REJECTED, "Step 3 “Approve release” rejected")
    assert view.details == ("The job stops here.",)
    assert view.actions == ()


def test_an_answered_gate_seen_as_opened_offers_no_buttons() -> None:
    t = EXAMPLES[K.GATE_OPENED]
    assert t.gate is not None
    answered = t.model_copy(update={"gate": t.gate.model_copy(update={"answer": "confirmed"})})
    assert _view(thread_post(answered, biz=BIZ)).actions == ()


# ------------------------------------------------------------------------------ summaries


def test_failed_job_summary_lists_failed_steps_with_their_hosts() -> None:
    view = _view(thread_post(EXAMPLES[K.RUN_FAILED], biz=BIZ))
    (failure,) = view.failures
    assert failure.title == "Step 2 “deploy”"
    assert failure.label == "Failed"
    assert failure.detail == (
        "2 of 5 hosts failed: 10.0.0.0 (script failed), 10.0.0.1 (script failed)"
    )
    retry_failed, retry_all, ignore, logs = view.actions
    assert retry_failed.command == "job step 123 601 retry-failed --biz 2"
    assert retry_all.command == "job step 123 601 retry-all --yes --biz 2"
    assert ignore.command == "job step 123 601 ignore-error --yes --biz 2"
    assert logs.command == "job log 123 --biz 2"


def test_abnormal_job_summary_offers_only_retries() -> None:
    step = _step(status=JobStatus.ABNORMAL, label="Abnormal", failed=1)
    t = _job(
        K.RUN_FAILED, status=JobStatus.ABNORMAL, label="Abnormal", subject=step, failures=(step,)
    )
    view = _view(thread_post(t, biz=BIZ))
    assert [a.label for a in view.actions] == ["Retry failed", "Retry all", "Logs"]
    assert view.details == ("Abnormal",)


def test_failed_sops_summary_shows_node_errors_and_details_button() -> None:
    node = _node(state=TaskState.FAILED, label="Failed", error="disk full")
    t = _sops(K.RUN_FAILED, status=TaskState.FAILED, label="Failed", subject=node, failures=(node,))
    post = thread_post(t, biz=BIZ)
    view = _view(post)
    assert post.broadcast
    assert view.headline == "Task 77 “release” failed"
    assert view.failures[0].error == "disk full"
    assert [a.command for a in view.actions] == ["sops detail 77 --biz 2"]
    assert any("BK-SOPS" in d for d in view.details)


def test_summary_lists_at_most_ten_failures_and_counts_the_rest() -> None:
    steps = tuple(
        _step(status=JobStatus.FAILED, label="Failed", failed=1).model_copy(
            update={"id": str(700 + i), "index": i + 1}
        )
        for i in range(13)
    )
    t = _job(K.RUN_FAILED, status=JobStatus.FAILED, label="Failed", failures=steps)
    view = _view(thread_post(t, biz=BIZ))
    assert len(view.failures) == 10
    assert view.hidden_failures == 3


def test_run_name_repeating_the_id_is_not_quoted() -> None:
    t = _job(K.RUN_FINISHED, run_name="Job 123", status=JobStatus.SUCCEEDED, label="Succeeded")
    assert _view(thread_post(t, biz=BIZ)).headline == "Job 123 succeeded"


def test_finished_job_with_an_ignored_error_says_so() -> None:
    t = _job(K.RUN_FINISHED, status=JobStatus.ERROR_IGNORED, label="Error ignored")
    assert _view(thread_post(t, biz=BIZ)).details == ("Error ignored",)


# ------------------------------------------------------------------------- inline or file


def _failed_with(groups: tuple[HostGroup, ...]) -> Transition:
    subject = _step(status=JobStatus.FAILED, label="Failed", failed=2, groups=groups)
    return _job(K.STEP_FAILED, subject=subject)


def _group(output: str, *hosts: str, exit_code: int | None = 1) -> HostGroup:
    return HostGroup(
        hosts=hosts or ("10.0.0.1",), status="script failed", exit_code=exit_code, output=output
    )


def test_short_output_goes_inline_whole() -> None:
    output = "x" * (INLINE_LOG_CHARS - 100)
    groups = (_group(output, "10.0.0.1", "10.0.0.2"), _group("y" * 100, "10.0.0.3", exit_code=2))
    post = thread_post(_failed_with(groups), biz=BIZ)
    view = _view(post)
    assert post.attachment is None
    assert view.attached is None
    assert [g.output for g in view.groups] == [output, "y" * 100]
    assert view.groups[0].hosts == ("10.0.0.1", "10.0.0.2")
    assert not any(g.tail for g in view.groups)
    assert view.details == ()  # the groups name the hosts


def test_output_over_the_character_limit_is_attached_with_tails_inline() -> None:
    output = "\n".join(f"line {i} " + "z" * 60 for i in range(22)) + "\n"
    assert len(output) > INLINE_LOG_CHARS
    assert len(output.splitlines()) <= INLINE_LOG_LINES
    post = thread_post(_failed_with((_group(output, "10.0.0.1", "10.0.0.2"),)), biz=BIZ)
    view = _view(post)
    assert post.attachment is not None
    assert post.attachment.filename.endswith(".log")
    assert view.attached == post.attachment.filename
    (shown,) = view.groups
    assert shown.tail
    assert shown.output.endswith("line 21 " + "z" * 60)
    assert len(shown.output) < len(output)
    content = post.attachment.content
    assert "10.0.0.1, 10.0.0.2 · script failed · exit 1" in content
    assert output.rstrip("\n") in content


def test_output_over_the_line_limit_is_attached() -> None:
    inline = "\n".join(["ok"] * INLINE_LOG_LINES)
    assert thread_post(_failed_with((_group(inline),)), biz=BIZ).attachment is None
    longer = "\n".join(["ok"] * (INLINE_LOG_LINES + 1))
    assert thread_post(_failed_with((_group(longer),)), biz=BIZ).attachment is not None


def test_character_limit_counts_every_group_together() -> None:
    half = "a" * (INLINE_LOG_CHARS // 2)
    fits = (_group(half, "10.0.0.1"), _group(half, "10.0.0.2"))
    assert thread_post(_failed_with(fits), biz=BIZ).attachment is None
    over = (*fits, _group("b", "10.0.0.3"))
    assert thread_post(_failed_with(over), biz=BIZ).attachment is not None


def test_many_groups_go_to_the_file_and_the_rest_are_counted() -> None:
    groups = tuple(_group(f"error {i}", f"10.0.1.{i}") for i in range(MAX_GROUPS + 3))
    post = thread_post(_failed_with(groups), biz=BIZ)
    view = _view(post)
    assert post.attachment is not None
    assert len(view.groups) == MAX_GROUPS
    assert view.hidden_groups == 3
    assert "10.0.1.12" in post.attachment.content


def test_output_the_poller_already_cut_is_marked_as_a_tail() -> None:
    cut = _group("last words").model_copy(update={"truncated": True})
    post = thread_post(_failed_with((cut,)), biz=BIZ)
    assert post.attachment is None
    assert _view(post).groups[0].tail


# ------------------------------------------------------------------------------ escaping


def _mrkdwn(value: object) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for item in value.values():
            found.extend(_mrkdwn(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_mrkdwn(item))
    return found


def _hostile(t: Transition) -> Transition:
    update: dict[str, object] = {"run_name": HOSTILE}
    if t.subject is not None:
        groups = (_group(f"{HOSTILE} printed", HOSTILE),) if t.kind is K.STEP_FAILED else ()
        update["subject"] = t.subject.model_copy(
            update={"name": HOSTILE, "error": HOSTILE, "groups": groups}
        )
    if t.gate is not None:
        update["gate"] = t.gate.model_copy(update={"prompt": HOSTILE})
    update["failures"] = tuple(
        f.model_copy(update={"name": HOSTILE, "error": HOSTILE}) for f in t.failures
    )
    return t.model_copy(update=update)


@pytest.mark.parametrize("kind", list(TransitionKind), ids=str)
def test_hostile_names_are_escaped_in_mrkdwn_and_kept_in_the_text(kind: TransitionKind) -> None:
    renderer = Renderer()
    post = thread_post(_hostile(EXAMPLES[kind]), biz=BIZ)
    blocks = renderer.blocks(post.view)
    texts = "\n".join(_mrkdwn(blocks))
    assert "<!channel>" not in texts
    assert "&lt;!channel&gt; &amp; *x*" in texts  # still shown, escaped
    text = renderer.text(post.view)
    assert HOSTILE in text  # the text twin is plain text, not mrkdwn
    assert "&lt;" not in text


def test_hostile_names_survive_in_buttons_and_files_as_plain_text() -> None:
    post = thread_post(_hostile(EXAMPLES[K.RUN_FAILED]), biz=BIZ)
    dialogs = [a.confirm.text for a in _view(post).actions if a.confirm is not None]
    assert dialogs
    assert all(HOSTILE in d for d in dialogs)  # the block builder escapes confirm texts
    blocks = Renderer().blocks(post.view)
    assert "<!channel>" not in "\n".join(_mrkdwn(blocks))


# ------------------------------------------------------------------------------- attached


@pytest.mark.parametrize(
    ("kind", "headline", "command"),
    [
        (
            RunKind.JOB,
            "Following job 123 “nightly”: this thread will report its steps.",
            "unwatch job 123 --biz 2",
        ),
        (
            RunKind.SOPS,
            "Following task 77 “nightly”: this thread will report its nodes.",
            "unwatch task 77 --biz 2",
        ),
    ],
)
def test_attached_note_says_what_the_thread_will_report(
    kind: RunKind, headline: str, command: str
) -> None:
    run_id = 123 if kind is RunKind.JOB else 77
    post = attached_post(kind, run_id, "nightly", biz=BIZ)
    view = _view(post)
    assert view.headline == headline
    assert view.tone is PostTone.INFO
    assert [a.command for a in view.actions] == [command]
    assert not post.broadcast
    assert post.attachment is None


# ------------------------------------------------------------------ real runs (sandbox)


async def _follow(
    sandbox: Sandbox,
    build: Callable[[Snapshot | None], Awaitable[Snapshot]],
    done: Callable[[Snapshot], bool],
    *,
    every: float,
    act: Callable[[Snapshot], Awaitable[bool]] | None = None,
) -> list[Transition]:
    """Poll like the poller until ``done``; ``act`` may answer a gate (True once it did)."""
    old: Snapshot | None = None
    found: list[Transition] = []
    acted = False
    clock = sandbox.clock
    assert isinstance(clock, ManualClock)
    for _ in range(400):
        new = await build(old)
        found.extend(diff(old, new, replay=True))
        old = new
        if done(new):
            return found
        if act is not None and not acted:
            acted = await act(new)
        clock.advance(every)
    raise AssertionError(f"not done: {old!r}")


async def test_real_flaky_plan_posts_logs_button_and_retry_buttons(
    sandbox: Sandbox, job: JobClient
) -> None:
    started = await job.execute_job(bk_biz_id=BIZ, bk_job_id=1000125, bk_username="alice")
    instance = started.job_instance_id

    async def build(old: Snapshot | None) -> Snapshot:
        status = await job.get_job_instance_status(
            bk_biz_id=BIZ, job_instance_id=instance, bk_username="alice"
        )
        return job_snapshot(status, previous=old if isinstance(old, JobSnapshot) else None)

    transitions = await _follow(sandbox, build, is_final, every=3.0)
    posts = {t.kind: thread_post(t, biz=BIZ) for t in transitions}
    assert list(posts) == [K.STEP_STARTED, K.STEP_FAILED, K.RUN_FAILED]
    assert "failed on 1 of" in _view(posts[K.STEP_FAILED]).headline
    summary = posts[K.RUN_FAILED]
    assert summary.broadcast
    assert _labels(summary) == ["Retry failed", "Retry all", "Ignore error", "Logs"]
    step_id = transitions[-1].failures[0].id
    assert (
        _view(summary).actions[0].command == f"job step {instance} {step_id} retry-failed --biz 2"
    )
    renderer = Renderer()
    for post in posts.values():
        assert renderer.blocks(post.view)


async def test_real_confirmation_plan_opens_its_gate_with_buttons(
    sandbox: Sandbox, job: JobClient
) -> None:
    started = await job.execute_job(bk_biz_id=BIZ, bk_job_id=1000123, bk_username="alice")
    instance = started.job_instance_id
    detail = await job.get_job_detail(bk_biz_id=BIZ, bk_job_id=1000123, bk_username="alice")
    messages = {s.step_id: s.confirm_message for s in detail.steps}

    async def build(old: Snapshot | None) -> Snapshot:
        status = await job.get_job_instance_status(
            bk_biz_id=BIZ, job_instance_id=instance, bk_username="alice"
        )
        waiting = status.step_waiting_for_confirmation
        message = messages.get(waiting.step_id) if waiting is not None else None
        previous = old if isinstance(old, JobSnapshot) else None
        return job_snapshot(status, previous=previous, confirm_message=message)

    async def confirm(snapshot: Snapshot) -> bool:
        assert isinstance(snapshot, JobSnapshot)
        step = snapshot.waiting_step_instance_id
        if step is None:
            return False
        await job.operate_step_instance(
            bk_biz_id=BIZ,
            job_instance_id=instance,
            step_instance_id=step,
            operation_code=StepOperation.CONFIRM,
            bk_username="bob",
        )
        return True

    transitions = await _follow(sandbox, build, is_final, every=3.0, act=confirm)
    opened = thread_post(next(t for t in transitions if t.kind is K.GATE_OPENED), biz=BIZ)
    closed = thread_post(next(t for t in transitions if t.kind is K.GATE_CLOSED), biz=BIZ)
    assert _view(opened).quote == "Please confirm the restart of web"
    assert _labels(opened) == ["Confirm", "Reject"]
    assert _view(opened).actions[0].command.startswith(f"job step {instance} ")
    assert _view(closed).tone is PostTone.SUCCEEDED
    assert _view(closed).actions == ()
    final = thread_post(transitions[-1], biz=BIZ)
    assert _view(final).tone is PostTone.SUCCEEDED
    assert not final.broadcast


@pytest.mark.parametrize(("template", "labels"), [(58, ["Approve", "Reject"]), (42, ["Continue"])])
async def test_real_sops_gates_post_their_buttons(
    sandbox: Sandbox, sops: SopsClient, template: int, labels: list[str]
) -> None:
    constants = {"${wait_seconds}": "5"} if template == 42 else {}
    created = await sops.create_task(
        bk_biz_id=BIZ,
        template_id=template,
        name=f"thread {template}",
        constants=constants,
        bk_username="alice",
    )
    task_id = created.task_id
    tree = created.pipeline_tree or PipelineTree()
    await sops.start_task(bk_biz_id=BIZ, task_id=task_id, bk_username="alice")

    async def build(old: Snapshot | None) -> Snapshot:
        status = await sops.get_task_status(
            bk_biz_id=BIZ, task_id=task_id, bk_username="alice", with_ex_data=True
        )
        previous = old if isinstance(old, SopsSnapshot) else None
        return sops_snapshot(status, tree, task_id=task_id, previous=previous)

    def waiting(snapshot: Snapshot) -> bool:
        return isinstance(snapshot, SopsSnapshot) and bool(snapshot.waiting)

    transitions = await _follow(sandbox, build, waiting, every=5.0)
    gate = next(t for t in transitions if t.kind is K.GATE_OPENED)
    post = thread_post(gate, biz=BIZ)
    assert _labels(post) == labels
    assert gate.gate is not None
    assert all(
        f"sops callback {task_id} {gate.gate.node_id}" in a.command for a in _view(post).actions
    )
    assert all(f"--version {gate.gate.version}" in a.command for a in _view(post).actions)
    assert _view(post).quote


async def test_real_failing_template_summary_carries_the_node_error(
    sandbox: Sandbox, sops: SopsClient
) -> None:
    created = await sops.create_task(
        bk_biz_id=BIZ, template_id=59, name="thread 59", constants={}, bk_username="alice"
    )
    task_id = created.task_id
    tree = created.pipeline_tree or PipelineTree()
    await sops.start_task(bk_biz_id=BIZ, task_id=task_id, bk_username="alice")

    async def build(old: Snapshot | None) -> Snapshot:
        status = await sops.get_task_status(
            bk_biz_id=BIZ, task_id=task_id, bk_username="alice", with_ex_data=True
        )
        previous = old if isinstance(old, SopsSnapshot) else None
        return sops_snapshot(status, tree, task_id=task_id, previous=previous)

    def failed(snapshot: Snapshot) -> bool:
        return isinstance(snapshot, SopsSnapshot) and snapshot.state == TaskState.FAILED

    transitions = await _follow(sandbox, build, failed, every=5.0)
    summary = thread_post(transitions[-1], biz=BIZ)
    view = _view(summary)
    assert summary.broadcast
    assert view.failures[0].title == "Node “Check disk usage”"
    assert view.failures[0].error
    node_failed = thread_post(next(t for t in transitions if t.kind is K.NODE_FAILED), biz=BIZ)
    assert _view(node_failed).error
    assert _labels(node_failed) == ["Node details"]
