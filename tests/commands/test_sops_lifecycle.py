"""Run cards over sandbox lifecycles: pause nodes, approvals, failures; every button clicked."""

from __future__ import annotations

from bot.sandbox import ManualClock, Sandbox
from bot.services import Actor, MappedBy, Services
from bot.services.sops_runs import is_terminal
from bot.views import ButtonStyle, ErrorKind, ErrorView, NoticeView, Placement, PromptView
from bot.views.sops import CardPhase, SopsNodeView, SopsRunCard, SopsTaskDetailView
from tests.commands.conftest import Bot, Outcome

# get_task_status answers are cached for 10 s of clock time (bk-sops §1.7).
CACHE = 11


def _buttons(out: Outcome) -> dict[str, dict[str, object]]:
    return {str(b["text"]["text"]): b for b in out.buttons}


def _click(out: Outcome, label: str) -> str:
    for button, command in zip(out.buttons, out.commands, strict=True):
        if button["text"]["text"] == label:
            return command
    raise AssertionError(f"no button {label!r} in {out.commands}")


def _card(out: Outcome) -> SopsRunCard:
    assert isinstance(out.reply.view, SopsRunCard), out.text
    return out.reply.view


def _error(out: Outcome) -> ErrorView:
    assert isinstance(out.reply.view, ErrorView), out.text
    return out.reply.view


def _notice(out: Outcome) -> NoticeView:
    assert isinstance(out.reply.view, NoticeView), out.text
    assert out.reply.placement is Placement.THREAD
    return out.reply.view


async def _run_until_waiting(sandbox: Sandbox[ManualClock], bot: Bot, text: str) -> int:
    task_id = _card(await bot(text)).task_id
    sandbox.clock.advance(30)
    return task_id


async def test_pause_node_waits_and_its_continue_button_lets_the_task_finish(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    task_id = await _run_until_waiting(sandbox, bot, "sops run 42 wait_seconds=20")
    waiting = await bot(f"sops status {task_id}")
    card = _card(waiting)
    assert waiting.reply.placement is Placement.EPHEMERAL
    assert waiting.reply.run is None
    assert card.phase is CardPhase.WAITING_TO_CONTINUE
    assert card.state_label == "Waiting to continue"
    assert [w.name for w in card.waiting] == ["Ops approval"]
    assert card.waiting[0].prompt == "Approve restart of nginx on 10.0.0.11,10.0.0.12"
    assert [n.state_label for n in card.nodes] == ["done", "waiting to continue", "not reached"]
    assert list(_buttons(waiting)) == ["Continue", "Pause", "Revoke", "Details"]
    node = sandbox.world.sops.tasks[task_id].nodes[card.waiting[0].node_id]
    assert f"--version {node.version}" in _click(waiting, "Continue")

    done = _notice(await bot(_click(waiting, "Continue")))
    assert done.text.startswith("tester continued “Ops approval” on task 2001")
    assert node.outputs["callback_data"] == {"continued_by": "admin"}

    sandbox.clock.advance(CACHE)
    running = _card(await bot(f"sops status {task_id}"))
    assert running.phase is CardPhase.RUNNING
    assert running.nodes[2].current
    sandbox.clock.advance(20)
    finished = await bot(f"sops status {task_id}")
    assert _card(finished).phase is CardPhase.FINISHED
    assert is_terminal(_card(finished))
    assert list(_buttons(finished)) == ["Details"]


async def test_a_second_continue_click_is_a_clear_conflict(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    card = await bot("sops status 1087")
    continue_command = _click(card, "Continue")
    _notice(await bot(continue_command))
    # within the status cache the card still looks waiting: the server's refusal is explained
    stale = _error(await bot(continue_command))
    assert stale.kind is ErrorKind.CONFLICT
    assert "no longer waiting" in stale.message
    sandbox.clock.advance(CACHE)
    later = _error(await bot(continue_command))
    assert later.kind is ErrorKind.CONFLICT
    assert "is not waiting for an answer (it is finished)" in later.message


async def test_an_answer_for_another_execution_version_is_refused(bot: Bot) -> None:
    stale = _error(await bot("sops callback 1087 2 --version v0123456789abcdef"))
    assert stale.kind is ErrorKind.CONFLICT
    assert "earlier run" in stale.message


async def test_callback_finds_the_node_by_name_or_number_and_takes_json(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    out = await bot('sops callback 1087 "ops APPROVAL" \'{"ticket": "CHG-1"}\'')
    assert "continued “Ops approval”" in _notice(out).text
    node = sandbox.world.sops.tasks[1087].nodes["nbc131c04c41b4806baaca3f97fb465d"]
    assert node.outputs["callback_data"] == {"ticket": "CHG-1", "continued_by": "admin"}

    task_id = _card(await bot("sops run 42")).task_id
    early = _error(await bot(f"sops callback {task_id} 2"))
    assert early.kind is ErrorKind.CONFLICT
    assert "is not waiting for an answer (it has not started)" in early.message
    sandbox.clock.advance(30)
    block = await bot(f'sops callback {task_id} 2 ```\n{{"ticket": "CHG-2"}}\n```')
    assert _notice(block).actions[0].command == f"sops status {task_id} --biz 2"


async def test_callback_bad_input_is_explained(bot: Bot) -> None:
    bad_json = _error(await bot("sops callback 1087 2 '{not json'"))
    assert bad_json.kind is ErrorKind.USAGE
    assert "not valid JSON" in bad_json.message
    not_object = _error(await bot("sops callback 1087 2 '[1, 2]'"))
    assert "must be a JSON object" in not_object.message
    twice = _error(await bot("sops callback 1087 2 '{}' ```{}```"))
    assert "once" in twice.message
    script = _error(await bot("sops callback 1087 1"))
    assert "does not wait for an answer" in script.message
    unknown = _error(await bot("sops callback 1087 nowhere"))
    assert unknown.message == "Task 1087 has no node `nowhere`."
    assert unknown.hint == "Nodes: 1 Restart nginx · 2 Ops approval · 3 Warm-up wait"
    out_of_range = _error(await bot("sops callback 1087 7"))
    assert "there is no node 7" in out_of_range.message
    timer = _error(await bot("sops callback 1087 3"))
    assert "(sleep_timer) does not wait" in timer.message
    assert _error(await bot("sops callback 1087")).message == "Missing NODE."
    assert _error(await bot("sops callback 55555 2")).kind is ErrorKind.NOT_FOUND


async def test_approval_node_offers_approve_and_reject_and_approve_finishes_it(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    task_id = await _run_until_waiting(sandbox, bot, "sops run 58 db_password=pw")
    out = await bot(f"sops status {task_id}")
    card = _card(out)
    assert card.phase is CardPhase.AWAITING_APPROVAL
    assert card.state_label == "Awaiting approval"
    assert card.waiting[0].kind == "approval"
    assert card.waiting[0].prompt == "Schema change on web_app"
    buttons = _buttons(out)
    assert list(buttons) == ["Approve", "Reject", "Pause", "Revoke", "Details"]
    assert buttons["Approve"]["style"] == ButtonStyle.PRIMARY.value
    assert buttons["Reject"]["style"] == ButtonStyle.DANGER.value
    assert "confirm" in buttons["Reject"]
    assert "confirm" in buttons["Revoke"]

    approved = _notice(await bot(_click(out, "Approve")))
    assert approved.text.startswith(f"tester approved “DBA approval” on task {task_id}")
    sandbox.clock.advance(30)
    assert _card(await bot(f"sops status {task_id}")).phase is CardPhase.FINISHED


async def test_reject_button_fails_the_task_and_the_failed_card_offers_revoke(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    task_id = await _run_until_waiting(sandbox, bot, "sops run 58 db_password=pw")
    out = await bot(f"sops status {task_id}")
    rejected = _notice(await bot(_click(out, "Reject")))
    assert "rejected “DBA approval”" in rejected.text

    sandbox.clock.advance(CACHE)
    failed = await bot(f"sops status {task_id}")
    card = _card(failed)
    assert card.phase is CardPhase.FAILED
    assert not is_terminal(card)  # bk-sops §4.3: a failed node can still be retried or skipped
    assert card.failed[0].name == "DBA approval"
    assert card.failed[0].error is not None
    assert "rejected by admin" in card.failed[0].error
    assert list(_buttons(failed)) == ["Revoke", "Details"]

    revoked = _notice(await bot(_click(failed, "Revoke")))
    assert revoked.text == f"Task {task_id} revoked by tester."
    sandbox.clock.advance(CACHE)
    final = await bot(f"sops status {task_id}")
    assert _card(final).phase is CardPhase.REVOKED
    assert list(_buttons(final)) == ["Details"]


async def test_typed_reject_asks_first_and_its_button_rejects(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    task_id = await _run_until_waiting(sandbox, bot, "sops run 58 db_password=pw")
    ask = await bot(f"sops callback {task_id} 'DBA approval' '{{\"approve_result\": false}}'")
    prompt = ask.reply.view
    assert isinstance(prompt, PromptView)
    assert ask.reply.placement is Placement.EPHEMERAL
    assert prompt.question == f"Reject “DBA approval” on task {task_id}?"
    reject = prompt.actions[0]
    assert (reject.style, reject.confirm is not None) == (ButtonStyle.DANGER, True)
    assert reject.command.endswith("--yes --biz 2")
    assert sandbox.world.sops.tasks[task_id].state == "RUNNING"
    status = await bot(_click(ask, "Status"))
    assert _card(status).phase is CardPhase.AWAITING_APPROVAL
    rejected = await bot(_click(ask, "Reject"))
    assert "rejected" in _notice(rejected).text
    assert _card(await bot(_click(rejected, "Status"))).task_id == task_id

    no_answer = _error(await bot(f"sops callback {task_id} 2"))
    assert "say whether you approve" in no_answer.message


async def test_failing_template_shows_a_failed_card_with_the_error_and_revoke(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    task_id = _card(await bot("sops run 59")).task_id
    sandbox.clock.advance(30)
    out = await bot(f"sops status {task_id}")
    card = _card(out)
    assert card.phase is CardPhase.FAILED
    assert card.state == "FAILED"
    assert card.failed[0].error == "JOB execution failed: 2 host(s) returned non-zero exit code"
    assert "Failed:     Check disk usage — JOB execution failed" in out.text
    assert list(_buttons(out)) == ["Revoke", "Details"]
    detail = await bot(_click(out, "Details"))
    assert isinstance(detail.reply.view, SopsTaskDetailView)
    node = await bot(f"sops node {task_id} 1")
    assert isinstance(node.reply.view, SopsNodeView)
    assert node.reply.view.error == card.failed[0].error


async def test_pause_and_resume_through_the_card_buttons(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    card = await bot("sops status 1087")
    paused = _notice(await bot(_click(card, "Pause")))
    assert paused.text == "Task 1087 paused by tester."
    assert [a.label for a in paused.actions] == ["Resume"]
    sandbox.clock.advance(CACHE)
    suspended = await bot("sops status 1087")
    assert _card(suspended).phase is CardPhase.PAUSED
    assert list(_buttons(suspended)) == ["Continue", "Resume", "Revoke", "Details"]

    resumed_out = await bot(_click(suspended, "Resume"))
    resumed = _notice(resumed_out)
    assert resumed.text == "Task 1087 resumed by tester."
    assert _notice(await bot(_click(resumed_out, "Pause"))).text == "Task 1087 paused by tester."
    _notice(await bot("sops resume 1087"))
    sandbox.clock.advance(CACHE)
    assert _card(await bot("sops status 1087")).phase is CardPhase.WAITING_TO_CONTINUE

    again = _error(await bot("sops resume 1087"))
    assert again.kind is ErrorKind.CONFLICT
    assert again.message == "Task 1087 cannot be resumed now (it is running)."
    assert _notice(await bot(_click(await bot("sops pause 1087"), "Resume"))).text.endswith(
        "resumed by tester."
    )


async def test_revoke_asks_first_then_revokes_for_good(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    ask = await bot("sops revoke 1087")
    prompt = ask.reply.view
    assert isinstance(prompt, PromptView)
    assert prompt.question == "Revoke task 1087 “nginx restart 2026-08-20 (slack:alice)”?"
    assert sandbox.world.sops.tasks[1087].state == "RUNNING"
    status = await bot(_click(ask, "Status"))
    assert _card(status).task_id == 1087

    revoked = _notice(await bot(_click(ask, "Revoke")))
    assert revoked.text == "Task 1087 revoked by tester."
    assert sandbox.world.sops.tasks[1087].state == "REVOKED"
    twice = _error(await bot(_click(ask, "Revoke")))
    assert twice.message == "Task 1087 cannot be revoked now (it is revoked)."
    sandbox.clock.advance(CACHE)
    assert "already revoked" in _error(await bot("sops revoke 1087")).message
    assert "already finished" in _error(await bot("sops revoke 1050")).message


async def test_operations_on_unknown_or_unstarted_tasks_are_explained(bot: Bot) -> None:
    assert _error(await bot("sops pause 99999")).kind is ErrorKind.NOT_FOUND
    not_started = _error(await bot("sops pause 1085"))
    assert not_started.kind is ErrorKind.CONFLICT
    assert "not started" in not_started.message
    assert _error(await bot("sops resume x")).kind is ErrorKind.USAGE
    assert _error(await bot("sops revoke 99999")).kind is ErrorKind.NOT_FOUND


async def test_a_read_only_user_sees_cards_but_cannot_act_on_them(
    services: Services, bot: Bot
) -> None:
    carol = Bot(services, bot.renderer, Actor("U1", "Carol", "carol", MappedBy.POLICY))
    card = await carol("sops status 1087")
    assert _card(card).phase is CardPhase.WAITING_TO_CONTINUE
    for label in ("Continue", "Pause"):
        denied = _error(await carol(_click(card, label)))
        assert denied.kind is ErrorKind.DENIED
        assert denied.missing_permission == "BK-SOPS: task_operate"
    assert _error(await carol("sops revoke 1087 --yes")).kind is ErrorKind.DENIED
