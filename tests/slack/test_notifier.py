"""The Slack notifier against the fake Web API: thread posts, pacing, 429s, refusals, card edits."""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.rendering import Renderer
from bot.services.ports import CardTarget, ChannelBusy, RetryLater, ThreadPost, Undeliverable
from bot.slack.metrics import Metrics
from bot.slack.notifier import EDIT_ATTEMPTS, SlackNotifier
from bot.views import FileAttachment, NoticeView
from tests.conftest import free_port
from tests.fakes import FakeChannel
from tests.fakes.slack_api import FakeSlack

BOT_TOKEN = "xoxb-test"
OPS, OTHER = "C0OPS", "C0OTHER"
# Small intervals keep the file fast; the assertions are about order and recorded spacing.
POST_INTERVAL = 0.2
UPDATE_INTERVAL = 0.1

MakeNotifier = Callable[..., Awaitable[SlackNotifier]]


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(fake_slack: FakeSlack, session: aiohttp.ClientSession) -> AsyncWebClient:
    # No retry handlers, as in production: the notifier must see each 429 itself.
    return AsyncWebClient(
        token=BOT_TOKEN, base_url=fake_slack.api_url, session=session, retry_handlers=[]
    )


@pytest.fixture
async def make(client: AsyncWebClient, renderer: Renderer) -> AsyncIterator[MakeNotifier]:
    """Builds started notifiers (small intervals by default) and closes them afterwards."""
    made: list[SlackNotifier] = []

    async def build(web: AsyncWebClient | None = None, **options: Any) -> SlackNotifier:
        options.setdefault("post_interval", POST_INTERVAL)
        options.setdefault("update_interval", UPDATE_INTERVAL)
        options.setdefault("metrics", Metrics())
        notifier = SlackNotifier(web or client, renderer, **options)
        await notifier.start()
        made.append(notifier)
        return notifier

    yield build
    for notifier in made:
        await notifier.aclose(grace=1.0)


@pytest.fixture
async def notifier(make: MakeNotifier) -> SlackNotifier:
    return await make()


async def card(client: AsyncWebClient, channel: str = OPS, text: str = "card v0") -> CardTarget:
    """A run card, posted the way Delivery posts it."""
    response = await client.chat_postMessage(channel=channel, text=text)
    return CardTarget(channel, str(response["ts"]))


def note(text: str, **options: Any) -> ThreadPost:
    return ThreadPost(NoticeView(text=text), **options)


def metric(notifier: SlackNotifier, line: str) -> bool:
    return line in notifier.metrics.exposition().decode()


async def eventually(probe: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not probe():
        assert time.monotonic() < deadline, "did not happen in time"
        await asyncio.sleep(0.02)


# ---- thread posts ---------------------------------------------------------------------------


async def test_a_post_lands_in_the_cards_thread_with_unfurls_off(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    target = await card(client)
    ts = await notifier.post(target, note("Step 1 started"))
    [reply] = fake_slack.thread(OPS, str(target.ts))
    assert reply.ts == ts
    assert reply.text == "Step 1 started"
    assert reply.blocks
    assert not reply.reply_broadcast
    params = fake_slack.calls("chat.postMessage")[-1].params
    assert params["unfurl_links"] is False
    assert params["unfurl_media"] is False
    assert metric(notifier, 'bkbot_notifier_posts_total{outcome="sent"} 1.0')


async def test_a_broadcast_post_is_also_shown_in_the_channel(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    target = await card(client)
    await notifier.post(target, note("The run failed", broadcast=True))
    [reply] = fake_slack.thread(OPS, str(target.ts))
    assert reply.reply_broadcast


async def test_an_attachment_is_uploaded_into_the_same_thread_after_the_message(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    target = await card(client)
    log = FileAttachment(filename="job-42.log", content="line\n" * 500, title="Step 2 logs")
    ts = await notifier.post(target, note("Logs are attached", attachment=log))
    [upload] = fake_slack.files()
    assert upload.completed
    assert upload.channel == OPS
    assert upload.thread_ts == target.ts
    assert upload.title == "Step 2 logs"
    assert upload.content == log.content.encode()
    message, share = fake_slack.thread(OPS, str(target.ts))
    assert message.ts == ts
    assert share.files == [upload.id]


async def test_a_failed_upload_keeps_the_message_and_is_logged_not_reposted(
    notifier: SlackNotifier,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = await card(client)
    fake_slack.fail("files.getUploadURLExternal", "internal_error", status=500)
    log = FileAttachment(filename="job-42.log", content="boom\n")
    with caplog.at_level(logging.WARNING, logger="bot.slack.notifier"):
        ts = await notifier.post(target, note("Logs are attached", attachment=log))
    assert ts is not None
    assert [m.ts for m in fake_slack.thread(OPS, str(target.ts))] == [ts]
    assert len(fake_slack.calls("chat.postMessage")) == 2  # the card and the one post
    assert "log file not uploaded" in caplog.text
    assert metric(notifier, 'bkbot_notifier_uploads_total{outcome="failed"} 1.0')


async def test_a_target_without_a_card_ts_is_retried_later_without_calling_slack(
    notifier: SlackNotifier, fake_slack: FakeSlack
) -> None:
    for target in (CardTarget(OPS, None), CardTarget(None, None)):
        with pytest.raises(RetryLater) as raised:
            await notifier.post(target, note("too early"))
        assert raised.value.retry_after == pytest.approx(2.0)
    assert fake_slack.calls() == []


# ---- pacing ---------------------------------------------------------------------------------


async def test_posts_to_one_channel_are_paced_and_other_channels_are_not_held_up(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    ops, other = await card(client, OPS), await card(client, OTHER)
    fake_slack.reset()
    await asyncio.gather(
        notifier.post(ops, note("first")),
        notifier.post(ops, note("second")),
        notifier.post(other, note("elsewhere")),
    )
    calls = fake_slack.calls("chat.postMessage")
    first, second = (c for c in calls if c.params["channel"] == OPS)
    [elsewhere] = (c for c in calls if c.params["channel"] == OTHER)
    assert second.at - first.at >= POST_INTERVAL - 0.001
    assert elsewhere.at < second.at  # not queued behind OPS's pace
    assert [c.params["text"] for c in (first, second)] == ["first", "second"]


async def test_a_post_that_cannot_get_its_channels_turn_in_time_is_left_queued(
    make: MakeNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    notifier = await make(queue_wait=0.1)
    target = await card(client)
    fake_slack.latency("chat.postMessage", 0.5, times=1)
    slow = asyncio.create_task(notifier.post(target, note("slow")))
    await asyncio.sleep(0.05)  # the slow post holds the channel's turn
    with pytest.raises(ChannelBusy):
        await notifier.post(target, note("queued"))
    assert await slow
    assert [m.text for m in fake_slack.thread(OPS, str(target.ts))] == ["slow"]
    assert metric(notifier, 'bkbot_notifier_posts_total{outcome="busy"} 1.0')
    # Once the turn is free, the same post goes through.
    await notifier.post(target, note("queued"))
    assert [m.text for m in fake_slack.thread(OPS, str(target.ts))] == ["slow", "queued"]


# ---- 429 and refusals -----------------------------------------------------------------------


async def test_a_429_raises_retry_later_with_retry_after_and_pauses_the_channel(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    ops, other = await card(client, OPS), await card(client, OTHER)
    fake_slack.fail("chat.postMessage", "ratelimited", retry_after=1, times=1)
    with pytest.raises(RetryLater) as raised:
        await notifier.post(ops, note("one"))
    assert raised.value.retry_after == pytest.approx(1.0)
    assert raised.value.reason == "ratelimited"
    limited = fake_slack.calls("chat.postMessage")[-1]
    assert limited.status == 429

    # The paused channel is not called again; the wait is handed back to the poller.
    with pytest.raises(RetryLater) as paused:
        await notifier.post(ops, note("two"))
    assert 0 < paused.value.retry_after <= 1.0
    assert fake_slack.calls("chat.postMessage")[-1] == limited
    # Other channels carry on, and card edits in the paused channel wait for the pause.
    await notifier.post(other, note("elsewhere"))
    notifier.update_card(ops, NoticeView(text="card v1"))
    await eventually(lambda: fake_slack.message(OPS, str(ops.ts)).text == "card v1")
    assert fake_slack.calls("chat.update")[0].at - limited.at >= 1.0
    assert await notifier.post(ops, note("after the pause"))
    assert metric(notifier, 'bkbot_slack_ratelimited_total{method="chat.postMessage"} 1.0')


async def test_a_ratelimited_answer_without_retry_after_is_retried_after_a_second(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    target = await card(client)
    fake_slack.fail("chat.postMessage", "ratelimited", status=200, times=1)
    with pytest.raises(RetryLater) as raised:
        await notifier.post(target, note("one"))
    assert raised.value.retry_after == pytest.approx(1.0)


@pytest.mark.parametrize(
    "error",
    [
        "not_in_channel",
        "channel_not_found",
        "is_archived",
        "thread_not_found",
        "message_not_found",
        "account_inactive",
        "invalid_auth",
        "token_revoked",
        "some_error_slack_adds_later",
    ],
)
async def test_refusals_that_cannot_change_are_undeliverable(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack, error: str
) -> None:
    target = await card(client)
    fake_slack.fail("chat.postMessage", error, times=1)
    with pytest.raises(Undeliverable) as raised:
        await notifier.post(target, note("lost"))
    assert raised.value.reason == error
    assert metric(notifier, 'bkbot_notifier_posts_total{outcome="undeliverable"} 1.0')


async def test_a_channel_the_bot_left_or_that_was_archived_is_undeliverable(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    left, archived = await card(client, "C0LEFT"), await card(client, "C0OLD")
    fake_slack.add_channel(FakeChannel("C0LEFT", "left", is_member=False))
    fake_slack.add_channel(FakeChannel("C0OLD", "old", is_archived=True))
    for target, error in ((left, "not_in_channel"), (archived, "is_archived")):
        with pytest.raises(Undeliverable) as raised:
            await notifier.post(target, note("lost"))
        assert raised.value.reason == error


@pytest.mark.parametrize(
    ("error", "status"),
    [
        ("internal_error", 500),
        ("service_unavailable", 503),
        ("fatal_error", 200),
        ("internal_error", 200),
        ("request_timeout", 200),
    ],
)
async def test_slack_trouble_is_retried_after_five_seconds(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack, error: str, status: int
) -> None:
    target = await card(client)
    fake_slack.fail("chat.postMessage", error, status=status, times=1)
    with pytest.raises(RetryLater) as raised:
        await notifier.post(target, note("later"))
    assert raised.value.reason == error
    assert raised.value.retry_after == pytest.approx(5.0)


async def test_an_unreachable_slack_is_retried_after_five_seconds(
    make: MakeNotifier, session: aiohttp.ClientSession
) -> None:
    nowhere = AsyncWebClient(
        token=BOT_TOKEN,
        base_url=f"http://127.0.0.1:{free_port()}/api/",
        session=session,
        retry_handlers=[],
    )
    notifier = await make(nowhere)
    with pytest.raises(RetryLater) as raised:
        await notifier.post(CardTarget(OPS, "1700000000.000100"), note("later"))
    assert raised.value.reason.startswith("network: ")
    assert raised.value.retry_after == pytest.approx(5.0)


async def test_a_timeout_is_retried_after_five_seconds(
    make: MakeNotifier, fake_slack: FakeSlack
) -> None:
    notifier = await make(timeout=0.2)
    fake_slack.latency("chat.postMessage", 0.6, times=1)
    with pytest.raises(RetryLater) as raised:
        await notifier.post(CardTarget(OPS, "1700000000.000100"), note("later"))
    assert raised.value.reason == "timeout"
    assert raised.value.retry_after == pytest.approx(5.0)
    # The slow request still lands; let it, so it cannot meet the next test's faults.
    await eventually(lambda: bool(fake_slack.calls("chat.postMessage")))


async def test_a_post_refused_for_its_blocks_is_sent_once_more_as_text(
    notifier: SlackNotifier,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = await card(client)
    fake_slack.fail("chat.postMessage", "invalid_blocks", times=1)
    with caplog.at_level(logging.WARNING, logger="bot.slack.notifier"):
        ts = await notifier.post(target, note("Step 3 failed on 2 hosts"))
    [reply] = fake_slack.thread(OPS, str(target.ts))
    assert reply.ts == ts
    assert reply.text == "Step 3 failed on 2 hosts"
    assert reply.blocks is None
    assert "posting it as text" in caplog.text


async def test_a_post_refused_as_too_long_even_as_text_is_undeliverable(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    target = await card(client)
    fake_slack.fail("chat.postMessage", "msg_too_long", times=2)
    with pytest.raises(Undeliverable) as raised:
        await notifier.post(target, note("huge"))
    assert raised.value.reason == "msg_too_long"
    assert len(fake_slack.calls("chat.postMessage")) == 3  # the card, the post, the text twin


# ---- card edits -----------------------------------------------------------------------------


async def test_card_edits_are_coalesced_and_the_last_state_wins(
    make: MakeNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    notifier = await make(update_interval=0.3)
    target = await card(client)
    for version in range(1, 6):
        notifier.update_card(target, NoticeView(text=f"card v{version}"))
        await asyncio.sleep(0.03)
    await eventually(lambda: fake_slack.message(OPS, str(target.ts)).text == "card v5")
    await asyncio.sleep(0.4)  # nothing else is on its way
    updates = fake_slack.calls("chat.update")
    assert 1 <= len(updates) < 5
    assert updates[-1].params["text"] == "card v5"
    assert fake_slack.message(OPS, str(target.ts)).edits == len(updates)
    assert metric(notifier, 'bkbot_notifier_card_edits_total{outcome="coalesced"}')


async def test_card_edits_are_paced_overall_and_per_channel(
    make: MakeNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    notifier = await make(update_interval=0.1, post_interval=0.3)
    a, b, c = await card(client, OPS), await card(client, OPS), await card(client, OTHER)
    for target in (a, b, c):
        notifier.update_card(target, NoticeView(text="card v1"))
    await eventually(lambda: len(fake_slack.calls("chat.update")) == 3)
    first, second, third = fake_slack.calls("chat.update")
    # OTHER's card goes while OPS waits for its channel's pace; nothing is closer than 0.1 s.
    assert [call.params["channel"] for call in (first, second, third)] == [OPS, OTHER, OPS]
    assert second.at - first.at >= 0.1 - 0.001
    assert third.at - first.at >= 0.3 - 0.001


async def test_a_rate_limited_card_edit_is_retried_with_the_newest_state(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    target = await card(client)
    fake_slack.fail("chat.update", "ratelimited", retry_after=1, times=1)
    notifier.update_card(target, NoticeView(text="card v1"))
    await eventually(lambda: bool(fake_slack.calls("chat.update")))
    notifier.update_card(target, NoticeView(text="card v2"))
    await eventually(lambda: fake_slack.message(OPS, str(target.ts)).text == "card v2")
    limited, sent = fake_slack.calls("chat.update")
    assert (limited.status, sent.status) == (429, 200)
    assert sent.at - limited.at >= 1.0
    assert metric(notifier, 'bkbot_slack_ratelimited_total{method="chat.update"} 1.0')


async def test_edit_card_returns_once_slack_has_the_edit(
    notifier: SlackNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    target = await card(client)
    notifier.update_card(target, NoticeView(text="card v1"))
    # Waiting for the final state also covers the older queued one it replaces.
    await notifier.edit_card(target, NoticeView(text="card final"))
    assert fake_slack.message(OPS, str(target.ts)).text == "card final"
    assert [c.params["text"] for c in fake_slack.calls("chat.update")] == ["card final"]


async def test_a_final_card_edit_goes_before_the_queued_refreshes(
    make: MakeNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    # A restarted bot re-sends every card it takes over: a long queue at chat.update's pace.
    # A run's final state (someone waits for it) must not wait behind all of them.
    notifier = await make(update_interval=0.1, post_interval=0.01)
    queued = [await card(client, text=f"queued {i}") for i in range(8)]
    final = await card(client, text="final v0")
    for target in queued:
        notifier.update_card(target, NoticeView(text="refreshed"))
    await notifier.edit_card(final, NoticeView(text="final"))
    texts = [c.params["text"] for c in fake_slack.calls("chat.update")]
    # Only the edit already on its way when the final one was queued may go first.
    assert texts.index("final") <= 1
    await eventually(lambda: len(fake_slack.calls("chat.update")) == 9)
    assert all(fake_slack.message(OPS, str(t.ts)).text == "refreshed" for t in queued)


async def test_edit_card_of_a_deleted_card_is_undeliverable(
    notifier: SlackNotifier, fake_slack: FakeSlack
) -> None:
    with pytest.raises(Undeliverable) as raised:
        await notifier.edit_card(CardTarget(OPS, "1700000000.999999"), NoticeView(text="x"))
    assert raised.value.reason == "message_not_found"


async def test_edit_card_waiting_out_a_429_is_busy_but_still_sent(
    make: MakeNotifier, client: AsyncWebClient, fake_slack: FakeSlack
) -> None:
    notifier = await make(queue_wait=0.3)
    target = await card(client)
    fake_slack.fail("chat.update", "ratelimited", retry_after=1, times=1)
    with pytest.raises(ChannelBusy):
        await notifier.edit_card(target, NoticeView(text="card final"))
    # Nobody waits any more, yet the edit lands after the pause.
    await eventually(lambda: fake_slack.message(OPS, str(target.ts)).text == "card final")
    # Asked again (the poller's next turn), it answers as soon as Slack has it.
    await notifier.edit_card(target, NoticeView(text="card final"))


async def test_edit_card_after_shutdown_is_retried_later(make: MakeNotifier) -> None:
    notifier = await make()
    await notifier.aclose()
    with pytest.raises(RetryLater):
        await notifier.edit_card(CardTarget(OPS, "1.0"), NoticeView(text="x"))


async def test_an_edit_of_a_deleted_card_is_dropped_and_others_carry_on(
    notifier: SlackNotifier,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    target = await card(client)
    await client.chat_delete(channel=OPS, ts=str(target.ts))
    live = await card(client, text="live v0")
    with caplog.at_level(logging.INFO, logger="bot.slack.notifier"):
        notifier.update_card(target, NoticeView(text="card v1"))
        notifier.update_card(live, NoticeView(text="live v1"))
        await eventually(lambda: fake_slack.message(OPS, str(live.ts)).text == "live v1")
        await asyncio.sleep(0.3)
    assert [c.error for c in fake_slack.calls("chat.update")] == ["message_not_found", None]
    assert "card edit dropped" in caplog.text


async def test_a_failing_card_edit_is_retried_with_backoff_then_dropped(
    notifier: SlackNotifier,
    client: AsyncWebClient,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken, healing = await card(client, OPS), await card(client, OTHER)
    fake_slack.fail("chat.update", "internal_error", status=500, where={"channel": OPS})
    fake_slack.fail("chat.update", "internal_error", status=500, times=2)
    with caplog.at_level(logging.WARNING, logger="bot.slack.notifier"):
        notifier.update_card(broken, NoticeView(text="card v1"))
        notifier.update_card(healing, NoticeView(text="card v1"))
        await eventually(lambda: fake_slack.message(OTHER, str(healing.ts)).text == "card v1")
        await eventually(lambda: "after repeated failures" in caplog.text)
    failed = [c for c in fake_slack.calls("chat.update") if c.params["channel"] == OPS]
    assert len(failed) == EDIT_ATTEMPTS
    gaps = [b.at - a.at for a, b in itertools.pairwise(failed)]
    assert gaps == sorted(gaps)  # backing off
    assert gaps[0] >= UPDATE_INTERVAL
    assert fake_slack.message(OPS, str(broken.ts)).text == "card v0"


async def test_update_card_never_raises_and_ignores_cards_not_posted_yet(
    notifier: SlackNotifier, fake_slack: FakeSlack
) -> None:
    notifier.update_card(CardTarget(OPS, None), NoticeView(text="card v1"))
    notifier.update_card(CardTarget(None, None), NoticeView(text="card v1"))
    await asyncio.sleep(0.2)
    assert fake_slack.calls() == []


async def test_aclose_sends_the_queued_edits_first(
    client: AsyncWebClient, renderer: Renderer, fake_slack: FakeSlack
) -> None:
    notifier = SlackNotifier(client, renderer, metrics=Metrics(), update_interval=0.1)
    await notifier.start()
    targets = [await card(client, channel) for channel in (OPS, OTHER, "C0THIRD")]
    for target in targets:
        notifier.update_card(target, NoticeView(text="final"))
    await notifier.aclose(grace=5.0)
    assert [fake_slack.message(str(t.channel), str(t.ts)).text for t in targets] == ["final"] * 3
    notifier.update_card(targets[0], NoticeView(text="too late"))  # ignored, never raises
    assert len(fake_slack.calls("chat.update")) == 3


async def test_aclose_gives_up_after_grace_when_slack_keeps_refusing(
    client: AsyncWebClient,
    renderer: Renderer,
    fake_slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
) -> None:
    notifier = SlackNotifier(client, renderer, metrics=Metrics(), update_interval=0.1)
    await notifier.start()
    target = await card(client)
    fake_slack.fail("chat.update", "ratelimited", retry_after=30)
    notifier.update_card(target, NoticeView(text="never"))
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="bot.slack.notifier"):
        await notifier.aclose(grace=0.3)
    assert time.monotonic() - started < 2.0
    assert "not sent at shutdown" in caplog.text
