"""Live run cards end to end: the served bot with its store, poller and notifier, on Slack.

Each test types or clicks like a person in Slack, then moves the sandbox's manual clock and
reads what reached the fake Slack: the card edited in place, and its thread telling the run's
story (step starts and ends, gates with their buttons, failures with their hosts' output, one
summary), each post exactly once and in order, also through a storm of 429s (product §4).

The poller runs on the wall clock, as in production; the sandbox's runs move only when a test
advances its clock. ``advance_until`` moves it in lockstep with the poller: one sandbox second
at a time, each seen by a status read before the next, so no state goes unobserved.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot.sandbox import ManualClock, Sandbox
from bot.store import EndReason, WatchRow, WatchStatus
from bot.views import RunKind, RunRef
from tests.fakes import Message, RecordedCall
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import (
    Card,
    Driver,
    buttons_of,
    served_bot,
    text_of,
    valid_blocks,
)

T = TypeVar("T")

BIZ = 2
SUCCEEDS = 1000124  # db-migrate: a script step and an SQL step, both succeed (~8 s)
CONFIRMS = 1000123  # deploy-web (prod): script, file push, then a confirmation step
FLAKY = 1000125  # health-check: step 1 fails on 10.0.0.12 (exit 1) until its hosts are retried
FLAKY_HOST = "10.0.0.12"
FAILED_INSTANCE = 20000123500  # seeded: plan 1000125 whose step 1 failed; "retry failed" works

# The story of a db-migrate run, as the thread tells it.
SUCCEEDS_STORY = [
    "Step 1 started",
    "Step 1 succeeded",
    "Step 2 started",
    "Step 2 succeeded",
    "Job succeeded",
]
_STATUS_READS = frozenset({"get_job_instance_status", "get_task_status"})
# A thread post of the run's story: "▶ Step 1 “name” started  [job …]", "✓ Job 2000… “name”
# succeeded in 8.2s", "? Waiting for confirmation at step 3 “name”"; click replies
# ("alice confirmed step 3 …") do not match.
_BEAT = re.compile(
    r"^\S+ (?P<who>Step \d+|Job \d+|Waiting for \w+ at step \d+)(?: “[^”]*”)?(?: (?P<what>[a-z]+))?"
)


# ------------------------------------------------------------------------------ helpers


@pytest.fixture
async def live(fake_slack: FakeSlack, sandbox: Sandbox[ManualClock]) -> AsyncIterator[Driver]:
    """The served bot with a store: every run card it posts is watched and kept live."""
    async with served_bot(fake_slack, sandbox, live=True) as driver:
        yield driver


def _status_reads(sandbox: Sandbox[ManualClock]) -> int:
    return sum(1 for call in sandbox.calls if call.operation in _STATUS_READS)


async def advance_until(
    driver: Driver, probe: Callable[[], T | None], *, step: float = 1.0, within: float = 20.0
) -> T:
    """Move the sandbox clock ``step`` s at a time until ``probe`` finds something.

    After each step the clock waits for a status read made at the new time (the sandbox
    reads its clock after recording the call), so the poller sees every state in turn.
    """
    deadline = time.monotonic() + within
    while True:
        found = probe()
        if found is not None and found != []:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not there within {within} s; thread posts: {_all_texts(driver)}")
        before = _status_reads(driver.sandbox)
        driver.sandbox.clock.advance(step)
        # No read within a second: the run waits for a person and is polled less often.
        with contextlib.suppress(AssertionError):
            await driver.eventually(_read_since(driver.sandbox, before), within=1.0)


def _read_since(sandbox: Sandbox[ManualClock], before: int) -> Callable[[], bool | None]:
    return lambda: True if _status_reads(sandbox) > before else None


def _all_texts(driver: Driver) -> list[str]:
    return [m.text.splitlines()[0] for m in driver.fake.messages(driver.channel)]


def beat(message: Message) -> str | None:
    """A story post as "Step 1 started" / "Job failed" / "Waiting for confirmation at step 3"."""
    match = _BEAT.match(message.text)
    if match is None:
        return None
    who = re.sub(r"^Job \d+$", "Job", match["who"])
    return f"{who} {match['what']}" if match["what"] else who


def story(driver: Driver, card: Card) -> list[Message]:
    """The poller's posts in the card's thread, in posting order (click replies left out)."""
    return [m for m in driver.fake.thread(card.channel, card.ts) if beat(m) is not None]


def beats(driver: Driver, card: Card) -> list[str]:
    return [b for m in story(driver, card) if (b := beat(m)) is not None]


def told(driver: Driver, card: Card, wanted: str) -> list[Message] | None:
    """The story so far once ``wanted`` (a beat) is in it."""
    posts = story(driver, card)
    return posts if wanted in [beat(m) for m in posts] else None


async def new_card(driver: Driver, count: int = 1) -> Card:
    """The ``count``-th run card the bot posted (and started watching)."""
    await driver.eventually(lambda: driver.cards if len(driver.cards) >= count else None)
    return driver.cards[count - 1]


def card_message(driver: Driver, card: Card) -> Message:
    return driver.fake.message(card.channel, card.ts)


def labels(blocks: list[dict[str, Any]] | None) -> list[str]:
    return [str(b["text"]["text"]) for b in buttons_of(blocks or [])]


def edits(driver: Driver, card: Card) -> list[RecordedCall]:
    """The card's chat.update calls Slack accepted, in order."""
    return [
        c
        for c in driver.fake.calls("chat.update")
        if c.ok and c.params.get("channel") == card.channel and c.params.get("ts") == card.ts
    ]


def button(blocks: list[dict[str, Any]] | None, label: str) -> dict[str, Any]:
    found = [b for b in buttons_of(blocks or []) if b["text"]["text"] == label]
    assert found, f"no button {label!r} in {labels(blocks)}"
    return found[0]


def payload(message: Message) -> dict[str, Any]:
    """The ``message`` of a block_actions payload for a message the bot posted."""
    data: dict[str, Any] = {
        "type": "message",
        "user": "U0BOT",
        "bot_id": "B0BOT",
        "ts": message.ts,
        "text": message.text,
        "blocks": message.blocks,
    }
    if message.thread_ts:
        data["thread_ts"] = message.thread_ts
    return data


async def settled_card(driver: Driver, card: Card, state: str) -> Message:
    """The card once an edit has brought it to ``state`` (its headline, e.g. "Succeeded")."""

    def shown() -> Message | None:
        message = card_message(driver, card)
        return message if f"*{state}*" in text_of(message.blocks or []) else None

    return await driver.eventually(shown)


async def watch_row(driver: Driver, ref: RunRef) -> WatchRow:
    assert driver.stores is not None
    row = await driver.stores.watches.find(ref)
    assert row is not None, f"{ref} is not watched"
    return row


async def quiet_for(driver: Driver, seconds: int = 3) -> None:
    """Let the run's clock move on a little: nothing more may be told after the summary."""
    for _ in range(seconds):
        driver.sandbox.clock.advance(1)
        await asyncio.sleep(0.15)


def assert_once_each(posts: list[Message]) -> None:
    texts = [m.text for m in posts]
    assert len(texts) == len(set(texts)), f"a post was repeated: {texts}"


# -------------------------------------------------------------------------------- tests


async def test_a_run_started_by_command_tells_its_story_in_the_card_thread(live: Driver) -> None:
    acked = await live.command(f"job run {SUCCEEDS}")
    assert acked.status == 200
    card = await new_card(live)
    assert (card.run.kind, card.run.biz, card.channel) == (RunKind.JOB, BIZ, live.channel)
    posted = card_message(live, card)
    assert posted.thread_ts is None, "the card is a channel message"
    assert "db-migrate" in posted.text

    posts = await advance_until(live, lambda: told(live, card, "Job succeeded"))
    await quiet_for(live)
    thread = live.fake.thread(card.channel, card.ts)
    # Only the story: each step's start and end, then exactly one summary, last.
    assert beats(live, card) == SUCCEEDS_STORY
    assert thread == story(live, card)
    assert_once_each(thread)
    assert [m.thread_ts for m in thread] == [card.ts] * len(SUCCEEDS_STORY)
    assert "Step 1 “backup schema” started" in thread[0].text
    assert "script · 1 host" in thread[0].text
    assert "Step 2 “apply migration” started" in thread[2].text
    assert "SQL · 1 host" in thread[2].text
    summary = posts[-1]
    assert f"Job {card.run.id} “db-migrate” succeeded" in summary.text
    for message in thread:
        valid_blocks(message.blocks or [])
    # A run that succeeded is not broadcast to the channel.
    assert not any(m.reply_broadcast for m in thread)

    # The card was edited in place: running (with Stop) on the way, finished (no Stop) at the end.
    final = await settled_card(live, card, "Succeeded")
    updates = edits(live, card)
    assert any(
        "*Running*" in text_of(c.params["blocks"]) and "Stop" in labels(c.params["blocks"])
        for c in updates
    )
    last = updates[-1].params["blocks"]
    assert "*Succeeded*" in text_of(last)
    assert "Stop" not in labels(last)
    assert labels(last) == ["Logs"]
    assert final.blocks == last
    assert re.search(r"\*Took\*\n\d", text_of(last))  # the run's duration
    # Nothing else was posted in the channel: the card is the one top-level message.
    assert [m.ts for m in live.fake.messages(live.channel) if not m.is_reply] == [card.ts]
    # The watch ended with the run.
    row = await watch_row(live, card.run)
    assert row.status is WatchStatus.ENDED
    assert row.end_reason is EndReason.FINISHED


async def test_a_failure_is_told_with_its_host_and_retried_from_the_card(live: Driver) -> None:
    await live.command(f"job run {FLAKY}")
    card = await new_card(live)
    await advance_until(live, lambda: told(live, card, "Job failed"))
    assert beats(live, card) == ["Step 1 started", "Step 1 failed", "Job failed"]
    _started, failed, summary = story(live, card)
    # The failure names the host with its exit code and output.
    assert "Step 1 “check services” failed on 1 of 2 hosts" in failed.text
    assert FLAKY_HOST in failed.text
    assert "exit 1" in failed.text
    assert "still warming up" in failed.text  # the host's output, inline
    assert "10.0.0.11" not in failed.text  # the host that succeeded is not among the failures
    assert not failed.reply_broadcast
    # The summary is broadcast: a run that did not succeed is told to the channel too.
    assert summary.reply_broadcast
    assert f"Job {card.run.id} “health-check (flaky)” failed" in summary.text
    assert FLAKY_HOST in summary.text

    # The card's latest edit offers the failed step's operations; Stop is gone.
    message = await settled_card(live, card, "Failed")
    latest = edits(live, card)[-1].params["blocks"]
    assert latest == message.blocks
    assert {"Retry failed", "Retry all", "Ignore error", "Logs"} <= set(labels(latest))
    assert "Stop" not in labels(latest)
    acked = await live.click(button(latest, "Retry failed"), message=payload(message))
    assert acked.status == 200

    await advance_until(live, lambda: told(live, card, "Job succeeded"))
    await quiet_for(live)
    assert beats(live, card) == [
        "Step 1 started",
        "Step 1 failed",
        "Job failed",
        # The retried step is a new occurrence: started again, as its second run.
        "Step 1 started",
        "Step 1 succeeded",
        "Step 2 started",
        "Step 2 succeeded",
        "Job succeeded",
    ]
    after = story(live, card)[3:]
    assert "script · 2 hosts · run 2" in after[0].text
    assert "2 of 2 hosts succeeded" in after[1].text
    assert not after[-1].reply_broadcast
    assert_once_each(story(live, card))
    # The click's own reply landed in the same thread, between the failure and the retry.
    thread = live.fake.thread(card.channel, card.ts)
    click_replies = [m for m in thread if beat(m) is None]
    assert len(click_replies) == 1
    assert "alice retried the failed hosts of step 1" in click_replies[0].text
    assert thread.index(click_replies[0]) > thread.index(summary)
    final = await settled_card(live, card, "Succeeded")
    assert labels(final.blocks) == ["Logs"]
    assert "run 2" in text_of(final.blocks or [])


async def test_a_confirmation_gate_is_answered_from_the_thread(live: Driver) -> None:
    await live.command(f"job run {CONFIRMS}")
    card = await new_card(live)
    waiting = "Waiting for confirmation at step 3"
    await advance_until(live, lambda: told(live, card, waiting))
    assert beats(live, card) == [
        "Step 1 started",
        "Step 1 succeeded",
        "Step 2 started",
        "Step 2 succeeded",
        waiting,
    ]
    gate = story(live, card)[-1]
    assert "approve restart" in gate.text
    assert "Please confirm the restart of web" in gate.text  # the plan's confirmation message
    assert labels(gate.blocks) == ["Confirm", "Reject"]
    # The card offers the same answers while the step waits, and no longer Stop.
    message = await settled_card(live, card, "Waiting for confirmation")
    assert {"Confirm", "Reject"} <= set(labels(message.blocks))
    # Time passing changes nothing while nobody answers.
    await quiet_for(live, 2)
    assert beats(live, card)[-1] == waiting

    acked = await live.click(button(gate.blocks, "Confirm"), message=payload(gate), user_id="U0BOB")
    assert acked.status == 200
    await advance_until(live, lambda: told(live, card, "Job succeeded"))
    await quiet_for(live)
    assert beats(live, card)[-3:] == [waiting, "Step 3 confirmed", "Job succeeded"]
    assert_once_each(story(live, card))
    thread = live.fake.thread(card.channel, card.ts)
    replies = [m for m in thread if beat(m) is None]
    assert [m.text.split(";")[0] for m in replies] == ["bob confirmed step 3 “approve restart”"]
    final = await settled_card(live, card, "Succeeded")
    assert labels(final.blocks) == ["Logs"]


async def test_a_storm_of_429s_delays_posts_but_loses_and_repeats_none(
    fake_slack: FakeSlack, sandbox: Sandbox[ManualClock]
) -> None:
    # Slack allows 4 posts per second per channel (2 at once) and a card edit every 2 s; the
    # notifier paces itself at 10 per second, so Slack answers 429 + Retry-After again and
    # again while three runs in one channel move at the same time.
    async with served_bot(fake_slack, sandbox, live=True) as driver:
        for _ in range(3):
            await driver.command(f"job run {SUCCEEDS}")
        cards = [await new_card(driver, n) for n in (1, 2, 3)]
        fake_slack.limit_posts_per_channel(per_second=4, burst=2)
        fake_slack.limit_method("chat.update", per_minute=30, burst=1)
        # And an outright refusal of the first run's next posts, with a longer Retry-After.
        fake_slack.fail(
            "chat.postMessage", retry_after=2, times=2, where={"thread_ts": cards[0].ts}
        )

        def all_told() -> bool | None:
            return all(told(driver, c, "Job succeeded") for c in cards) or None

        await advance_until(driver, all_told, step=2.0, within=40.0)
        await quiet_for(driver)
        for card in cards:
            assert beats(driver, card) == SUCCEEDS_STORY, card
            assert_once_each(story(driver, card))
            assert all(m.thread_ts == card.ts for m in story(driver, card))
        # Each thread's posts are its own run's.
        for card in cards:
            assert all(f"[job {card.run.id}]" in m.text for m in story(driver, card)[:-1])
        posts = fake_slack.calls("chat.postMessage")
        limited = [c for c in posts if c.status == 429 and c.params.get("thread_ts")]
        assert len(limited) >= 3, "the storm did not happen"
        # Every 429's Retry-After was honoured: the channel's next thread post came that much
        # later (the injected refusals, the first two posts in the first thread, ask for 2 s;
        # the posts limit for 1 s).
        replies = [c for c in posts if c.params.get("thread_ts")]
        refused = [c for c in replies if c.params["thread_ts"] == cards[0].ts][:2]
        assert [c.status for c in refused] == [429, 429]
        for i, call in enumerate(replies[:-1]):
            if call.status == 429:
                wait = 2.0 if call in refused else 1.0
                assert replies[i + 1].at - call.at >= wait - 0.05, (call, replies[i + 1])
        # Accepted thread posts: exactly the stories, nothing twice.
        accepted = [c for c in replies if c.ok]
        assert len(accepted) == 3 * len(SUCCEEDS_STORY)
        # Every card ends in its final state despite the throttled edits.
        updates = fake_slack.calls("chat.update")
        assert any(c.status == 429 for c in updates), "no card edit was refused"
        for card in cards:
            final = await settled_card(driver, card, "Succeeded")
            assert labels(final.blocks) == ["Logs"]


async def test_watch_attaches_a_card_to_a_run_started_elsewhere(live: Driver) -> None:
    job = live.bot.runtime.blueking.job
    started = await job.execute_job(bk_biz_id=BIZ, bk_job_id=CONFIRMS, bk_username="bob")
    instance = started.job_instance_id
    assert instance
    # Step 1 done, step 2 running when the card is attached.
    live.sandbox.clock.advance(5)
    status = await job.get_job_instance_status(
        bk_biz_id=BIZ, job_instance_id=instance, bk_username="bob"
    )
    assert [s.status for s in status.steps] == [3, 2, 1]

    await live.command(f"watch job {instance}")
    card = await new_card(live)
    assert card.run == RunRef(kind=RunKind.JOB, id=instance, biz=BIZ)
    attached = card_message(live, card)
    assert attached.thread_ts is None
    assert "*Running*" in text_of(attached.blocks or [])
    assert "bob" in text_of(attached.blocks or [])  # who started it, not who attached it
    # The first poll of the attached run, before the clock moves: nothing to tell yet.
    await _first_poll(live, card.run)

    waiting = "Waiting for confirmation at step 3"
    await advance_until(live, lambda: told(live, card, waiting))
    # What ran before the card was attached is not replayed; what happened since is told,
    # after a first post saying so.
    assert beats(live, card) == ["Step 2 succeeded", waiting]
    first = live.fake.thread(card.channel, card.ts)[0]
    assert f"Following job {instance} “deploy-web (prod)”" in first.text
    # The card's buttons answer the gate like the thread's.
    message = await settled_card(live, card, "Waiting for confirmation")
    await live.click(button(message.blocks, "Confirm"), message=payload(message))
    await advance_until(live, lambda: told(live, card, "Job succeeded"))
    await quiet_for(live)
    assert beats(live, card) == ["Step 2 succeeded", waiting, "Step 3 confirmed", "Job succeeded"]
    assert_once_each(story(live, card))
    await settled_card(live, card, "Succeeded")


async def test_watch_of_a_failed_run_tells_its_summary_and_follows_its_retry(live: Driver) -> None:
    await live.command(f"watch job {FAILED_INSTANCE}")
    card = await new_card(live)
    message = card_message(live, card)
    assert "*Failed*" in text_of(message.blocks or [])
    posts = await advance_until(live, lambda: told(live, card, "Job failed"))
    # Only where it stands: the failed summary, broadcast; not the steps that ran before.
    assert beats(live, card) == ["Job failed"]
    assert posts[0].reply_broadcast
    assert FLAKY_HOST in posts[0].text
    await live.click(button(message.blocks, "Retry failed"), message=payload(message))
    await advance_until(live, lambda: told(live, card, "Job succeeded"))
    await quiet_for(live)
    assert beats(live, card) == [
        "Job failed",
        "Step 1 started",
        "Step 1 succeeded",
        "Step 2 started",
        "Step 2 succeeded",
        "Job succeeded",
    ]
    assert_once_each(story(live, card))
    final = await settled_card(live, card, "Succeeded")
    assert labels(final.blocks) == ["Logs"]


async def test_a_restart_mid_run_neither_repeats_nor_loses_a_post(
    fake_slack: FakeSlack, sandbox: Sandbox[ManualClock], tmp_path: Path
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'bkbot.db'}"
    async with served_bot(fake_slack, sandbox, live=True, BKBOT_DATABASE_URL=database) as first:
        await first.command(f"job run {SUCCEEDS}")
        card = await new_card(first)
        await advance_until(first, lambda: told(first, card, "Step 1 succeeded"))
    assert "Job succeeded" not in beats(first, card)
    # The run goes on while no bot is up; a new process takes over from the same store.
    sandbox.clock.advance(2)
    async with served_bot(fake_slack, sandbox, live=True, BKBOT_DATABASE_URL=database) as second:
        await advance_until(second, lambda: told(second, card, "Job succeeded"))
        await quiet_for(second)
        assert beats(second, card) == SUCCEEDS_STORY
        assert_once_each(story(second, card))
        final = await settled_card(second, card, "Succeeded")
        assert labels(final.blocks) == ["Logs"]
        assert not second.cards, "the second process posted no card of its own"


async def _first_poll(driver: Driver, ref: RunRef) -> None:
    """Wait until the poller has read the run once and stored what it saw."""
    deadline = time.monotonic() + 5
    while (await watch_row(driver, ref)).last_snapshot is None:
        assert time.monotonic() < deadline, "the watch was never polled"
        await asyncio.sleep(0.02)
