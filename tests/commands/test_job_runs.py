"""Run cards, job status / log / stop / step, over the sandbox's job lifecycles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

from bot.clients.bk_job import JobInstanceStatus
from bot.rendering import Renderer
from bot.sandbox import ManualClock, Sandbox
from bot.services import Actor, MappedBy, Services
from bot.services.job_runs import CARD_WINDOW, is_terminal, job_card_from_status, job_run_card
from bot.views import ErrorKind, ErrorView, NoticeView, Placement, PromptView
from bot.views.job import JobLogView, JobRunCard
from tests.commands.conftest import Bot, Outcome

CONFIRM_PLAN = 1000123  # script → file → confirmation "approve restart"
FLAKY_PLAN = 1000125  # fails on 10.0.0.12 the first time
SLOW_PLAN = 1000126  # about five minutes
FAILED_RUN = 20000123500  # seeded run of the flaky plan, step 20000234600 failed
FAILED_FAST = 20000123456  # seeded fast script: .11 succeeded, .12 exited 1


@pytest.fixture
def carol(services: Services, renderer: Renderer) -> Bot:
    return Bot(services, renderer, Actor("U1", "Carol", "carol", MappedBy.POLICY))


def _error(out: Outcome) -> ErrorView:
    assert isinstance(out.reply.view, ErrorView), out.text
    return out.reply.view


def _card(out: Outcome) -> JobRunCard:
    assert isinstance(out.reply.view, JobRunCard), out.text
    return out.reply.view


def _button(out: Outcome, label: str) -> str:
    found = [b for b in out.buttons if b["text"]["text"] == label]  # type: ignore[index]
    assert found, f"no {label!r} button in {[b['text'] for b in out.buttons]}"
    return str(found[0]["value"])


def _labels(out: Outcome) -> list[str]:
    return [str(b["text"]["text"]) for b in out.buttons]  # type: ignore[index]


async def _start(bot: Bot, plan: int) -> int:
    return _card(await bot(f"job run {plan}")).instance_id


async def _settle(
    bot: Bot,
    sandbox: Sandbox[ManualClock],
    instance: int,
    done: Callable[[JobRunCard], bool],
    limit: int = 120,
) -> Outcome:
    """Advance the clock a second at a time until the card satisfies ``done``."""
    for _ in range(limit):
        out = await bot(f"job status {instance}")
        if done(_card(out)):
            return out
        sandbox.clock.advance(1)
    raise AssertionError(f"job {instance} did not settle: {out.text}")


# ------------------------------------------------------------------------------- the card


async def test_card_waits_at_confirmation_with_confirm_and_reject_but_no_stop(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    instance = await _start(bot, CONFIRM_PLAN)
    out = await _settle(bot, sandbox, instance, lambda c: c.waiting_step is not None)
    card = _card(out)
    assert out.reply.placement is Placement.EPHEMERAL
    assert out.reply.run is None  # a status read never watches the run
    assert card.state_label == "Waiting for confirmation"
    assert card.confirm_message == "Please confirm the restart of web"
    assert _labels(out) == ["Confirm", "Reject", "Logs"]  # bk-job §10: no Stop here
    assert [s.state_label for s in card.steps] == [
        "Succeeded",
        "Succeeded",
        "Waiting for confirmation",
    ]
    assert card.steps[2].current
    assert not is_terminal(card)

    confirmed = await bot(_button(out, "Confirm"))
    assert isinstance(confirmed.reply.view, NoticeView)
    assert confirmed.reply.placement is Placement.THREAD
    assert confirmed.text.startswith("tester confirmed step 3 “approve restart”")
    done = _card(await _settle(bot, sandbox, instance, lambda c: c.finished))
    assert done.state_label == "Succeeded"
    assert done.elapsed is not None
    assert is_terminal(done)
    assert _labels(await bot(f"job status {instance}")) == ["Logs"]


async def test_reject_button_asks_then_ends_the_job(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    instance = await _start(bot, CONFIRM_PLAN)
    out = await _settle(bot, sandbox, instance, lambda c: c.waiting_step is not None)
    reject = next(b for b in out.buttons if b["text"]["text"] == "Reject")  # type: ignore[index]
    assert reject["style"] == "danger"
    assert "confirm" in reject  # Slack asks before running it
    assert str(reject["value"]).endswith("reject --yes --biz 2")
    await bot(str(reject["value"]))
    card = _card(await bot(f"job status {instance}"))
    assert card.state_label == "Confirmation rejected"
    assert is_terminal(card)


async def test_failed_step_offers_retries_and_retry_failed_fixes_it(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    instance = await _start(bot, FLAKY_PLAN)
    out = await _settle(bot, sandbox, instance, lambda c: c.finished)
    card = _card(out)
    assert card.state_label == "Failed"
    assert (card.steps[0].succeeded, card.steps[0].failed) == (1, 1)
    assert _labels(out) == ["Retry failed", "Retry all", "Ignore error", "Logs"]
    assert not is_terminal(card)  # a retry can still restart it (bk-job §6.1)

    retried = await bot(_button(out, "Retry failed"))
    assert retried.reply.placement is Placement.THREAD
    assert "retried the failed hosts of step 1" in retried.text
    done = _card(await _settle(bot, sandbox, instance, lambda c: c.finished))
    assert done.state_label == "Succeeded"
    assert done.steps[0].retries == 1


async def test_retry_all_typed_without_yes_asks_first(bot: Bot) -> None:
    prompt = await bot(f"job step {FAILED_RUN} 1 retry-all")
    assert isinstance(prompt.reply.view, PromptView)
    assert "every host" in prompt.text
    assert prompt.commands[0] == f"job step {FAILED_RUN} 20000234600 retry-all --yes --biz 2"
    notice = await bot(prompt.commands[0])
    assert "re-ran step 1" in notice.text


async def test_ignore_error_moves_the_job_on(bot: Bot, sandbox: Sandbox[ManualClock]) -> None:
    prompt = await bot(f"job step {FAILED_RUN} 20000234600 ignore-error")
    assert isinstance(prompt.reply.view, PromptView)
    notice = await bot(prompt.commands[0])
    assert isinstance(notice.reply.view, NoticeView)
    assert "ignored the failure" in notice.text
    card = _card(await _settle(bot, sandbox, FAILED_RUN, lambda c: c.finished))
    assert [s.state_label for s in card.steps] == ["Error ignored", "Succeeded"]


async def test_step_operation_not_valid_now_names_the_valid_ones(bot: Bot) -> None:
    error = _error(await bot(f"job step {FAILED_RUN} 1 confirm"))
    assert error.kind is ErrorKind.CONFLICT
    assert "its state is Failed" in error.message
    assert error.hint == "Valid now: `retry-failed`, `retry-all`, `ignore-error`."
    none = _error(await bot(f"job step {FAILED_RUN} 2 retry-failed"))
    assert none.hint == "No step operation is possible on it now."


async def test_step_unknown_step_word_or_job_is_explained(bot: Bot) -> None:
    assert _error(await bot(f"job step {FAILED_RUN} 7 skip")).kind is ErrorKind.NOT_FOUND
    word = _error(await bot(f"job step {FAILED_RUN} 1 redo"))
    assert word.kind is ErrorKind.USAGE
    assert "retry-failed" in word.message
    assert _error(await bot("job step 123 1 skip")).kind is ErrorKind.NOT_FOUND


async def test_step_operation_is_denied_for_a_read_only_user(carol: Bot) -> None:
    error = _error(await carol(f"job step {FAILED_RUN} 1 retry-failed"))
    assert error.kind is ErrorKind.DENIED
    assert error.missing_permission


# ------------------------------------------------------------------------------- job stop


async def test_stop_asks_then_stops_and_skip_is_offered_while_stopping(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    instance = await _start(bot, SLOW_PLAN)
    running = await _settle(bot, sandbox, instance, lambda c: c.state_label == "Running")
    assert _labels(running)[0] == "Stop"
    stop = next(b for b in running.buttons if b["text"]["text"] == "Stop")  # type: ignore[index]
    assert stop["value"] == f"job stop {instance} --yes --biz 2"
    assert "confirm" in stop

    prompt = await bot(f"job stop {instance}")
    assert isinstance(prompt.reply.view, PromptView)
    assert prompt.commands == [f"job stop {instance} --yes --biz 2"]
    notice = await bot(prompt.commands[0])
    assert notice.reply.placement is Placement.THREAD
    assert notice.text.startswith(f"tester stopped job {instance} “batch reindex”")

    stopping = await bot(f"job status {instance}")
    assert _card(stopping).state_label == "Stopping"
    assert _labels(stopping) == ["Skip", "Logs"]  # forced skip (12) at status 10
    skipped = await bot(_button(stopping, "Skip"))
    assert "skipped step 1" in skipped.text
    card = _card(await _settle(bot, sandbox, instance, lambda c: c.finished))
    assert [s.state_label for s in card.steps] == ["Skipped", "Succeeded"]


async def test_stop_at_a_confirmation_step_suggests_reject(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    instance = await _start(bot, CONFIRM_PLAN)
    await _settle(bot, sandbox, instance, lambda c: c.waiting_step is not None)
    prompt = await bot(f"job stop {instance}")
    assert "reject the step instead" in prompt.text
    assert _labels(prompt) == ["Reject", "Stop anyway"]
    notice = await bot(f"job stop {instance} --yes")
    assert isinstance(notice.reply.view, NoticeView)
    assert "does not finish a job" in notice.text
    assert _labels(notice)[0] == "Reject"
    card = _card(await bot(f"job status {instance}"))
    assert card.state_label == "Stopping"
    assert card.note is not None
    assert "reject the step" in card.note
    await bot(notice.commands[0])
    assert _card(await bot(f"job status {instance}")).state_label == "Confirmation rejected"


async def test_stop_of_a_finished_job_is_a_conflict(bot: Bot) -> None:
    error = _error(await bot(f"job stop {FAILED_FAST} --yes"))
    assert error.kind is ErrorKind.CONFLICT
    assert "is failed" in error.message
    assert _error(await bot("job stop soon")).kind is ErrorKind.USAGE


async def test_stop_is_denied_for_a_read_only_user(
    bot: Bot, carol: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    instance = await _start(bot, SLOW_PLAN)
    await _settle(bot, sandbox, instance, lambda c: c.state_label == "Running")
    assert _error(await carol(f"job stop {instance} --yes")).kind is ErrorKind.DENIED


# ----------------------------------------------------------------------------- job status


async def test_status_of_unknown_or_malformed_id_is_explained(bot: Bot) -> None:
    assert _error(await bot("job status 123")).kind is ErrorKind.NOT_FOUND
    assert _error(await bot("job status abc")).message == "ID must be a whole number (got `abc`)."


async def test_status_can_be_shared_in_the_channel(bot: Bot) -> None:
    out = await bot(f"job status {FAILED_FAST} --share")
    assert out.reply.placement is Placement.CHANNEL
    assert out.reply.run is None
    assert _card(out).kind == "fast script"


# -------------------------------------------------------------------------------- job log


async def test_log_groups_hosts_and_shows_failures_first(bot: Bot) -> None:
    out = await bot(f"job log {FAILED_FAST}")
    view = out.reply.view
    assert isinstance(view, JobLogView)
    groups = view.steps[0].groups
    assert [(g.hosts, g.exit_code) for g in groups] == [(("10.0.0.12",), 1), (("10.0.0.11",), 0)]
    assert groups[0].output == "check failed: disk usage of / > 90%\n"
    assert "disk usage of / &gt; 90%" in str(out.blocks)  # escaped again for Slack
    assert out.reply.attachment is None
    assert out.commands == [
        f"job log {FAILED_FAST} --biz 2",
        f"job status {FAILED_FAST} --biz 2",
    ]


async def test_log_of_one_step_and_one_host(bot: Bot) -> None:
    by_index = await bot(f"job log {FAILED_RUN} --step 2")
    assert isinstance(by_index.reply.view, JobLogView)
    assert [s.name for s in by_index.reply.view.steps] == ["summarize"]
    by_id = await bot(f"job log {FAILED_RUN} --step 20000234600 --host 10.0.0.12")
    view = by_id.reply.view
    assert isinstance(view, JobLogView)
    assert [g.hosts for g in view.steps[0].groups] == [("10.0.0.12",)]
    assert "503" in view.steps[0].groups[0].output
    assert "--host 10.0.0.12" in by_id.commands[0]


async def test_log_unknown_step_or_host_is_not_found(bot: Bot) -> None:
    assert _error(await bot(f"job log {FAILED_RUN} --step 3")).kind is ErrorKind.NOT_FOUND
    assert _error(await bot(f"job log {FAILED_RUN} --host 10.9.9.9")).kind is ErrorKind.NOT_FOUND
    assert _error(await bot(f"job log {FAILED_RUN} --step first")).kind is ErrorKind.USAGE


async def test_long_log_comes_as_a_file_with_a_summary(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    script = "\n".join(f"echo 'line {n}: {'x' * 40}'" for n in range(200))
    started = await bot(f"job exec --hosts 10.0.0.11 --account root ```{script}```")
    instance = _card(started).instance_id
    await _settle(bot, sandbox, instance, lambda c: c.finished)
    out = await bot(f"job log {instance}")
    view = out.reply.view
    assert isinstance(view, JobLogView)
    attachment = out.reply.attachment
    assert attachment is not None
    assert attachment.filename == f"job-{instance}-log.txt"
    assert "line 0:" in attachment.content
    assert "line 199:" in attachment.content
    group = view.steps[0].groups[0]
    assert group.truncated
    assert "line 199:" in group.output
    assert "line 0:" not in group.output
    assert view.attached == attachment.filename
    assert "attached" in out.text


# --------------------------------------------------------------------------- pure snapshot


def _status(steps: int, current: int) -> JobInstanceStatus:
    return JobInstanceStatus.model_validate(
        {
            "is_finished": False,
            "job_instance": {
                "job_instance_id": 42,
                "bk_job_id": 7,
                "name": "long plan",
                "operator": "alice",
                "status": 2,
                "start_time": "2026-08-20 10:00:00",
                "current_step_instance_id": 100 + current,
            },
            "blocks": [
                {
                    "step_instances": [
                        {
                            "step_instance_id": 100 + n,
                            "name": f"step {n}",
                            "type": 1,
                            "status": 3 if n < current else (2 if n == current else 1),
                            "step_ip_status": [{"ip": "10.0.0.11", "bk_cloud_id": 0, "status": 9}],
                        }
                    ]
                }
                for n in range(steps)
            ],
        }
    )


def test_card_shows_a_window_of_steps_around_the_current_one() -> None:
    card = job_card_from_status(_status(20, current=10), biz=2)
    assert len(card.steps) == CARD_WINDOW
    assert card.steps[0].index == 9  # two steps before the current one
    assert (card.hidden_before, card.hidden_after) == (8, 5)
    assert [s.current for s in card.steps].index(True) == 2
    assert card.started_by == "alice"
    assert [a.label for a in card.actions] == ["Stop", "Logs"]


def test_card_age_is_shown_only_with_a_comparable_clock() -> None:
    status = _status(3, current=1)
    assert job_card_from_status(status, biz=2).elapsed is None
    now = datetime(2026, 8, 20, 10, 1, 5)
    assert job_card_from_status(status, biz=2, now=now).elapsed == "1m 05s"


async def test_job_run_card_reads_the_status_as_the_user(
    services: Services, sandbox: Sandbox[ManualClock]
) -> None:
    card = await job_run_card(
        services.job, biz=2, instance_id=FAILED_FAST, user="bob", started_by="Bob", link="https://x"
    )
    assert (card.started_by, card.url) == ("Bob", "https://x")
    assert ("get_job_instance_status", "bob") in sandbox.calls


async def test_next_step_continues_after_a_stopped_step(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    instance = await _start(bot, SLOW_PLAN)
    await _settle(bot, sandbox, instance, lambda c: c.state_label == "Running")
    await bot(f"job stop {instance} --yes")
    stopped = await _settle(bot, sandbox, instance, lambda c: c.finished)
    assert _card(stopped).state_label == "Stopped"
    assert _labels(stopped) == ["Retry failed", "Retry all", "Next step", "Logs"]
    moved = await bot(_button(stopped, "Next step"))
    assert "moved job" in moved.text
    card = _card(await _settle(bot, sandbox, instance, lambda c: c.finished))
    assert card.steps[1].state_label == "Succeeded"


async def test_every_card_log_and_notice_button_runs(bot: Bot) -> None:
    card = await bot(f"job status {FAILED_RUN}")
    log = await bot(f"job log {FAILED_RUN}")
    notice = await bot(f"job step {FAILED_RUN} 1 retry-failed")
    for command in card.commands + log.commands + notice.commands:
        out = await bot(command)
        view = out.reply.view
        # Retry-failed already restarted the step, so the others may now be refused.
        if isinstance(view, ErrorView):
            assert view.kind is ErrorKind.CONFLICT, (command, out.text)
