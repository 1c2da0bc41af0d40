"""When Slack or the bot fails: retries after 429, refusals explained, the process keeps going."""

from __future__ import annotations

import logging

import pytest

from tests.fakes import FakeChannel
from tests.slack.conftest import Driver, text_of, valid_blocks


async def test_a_rate_limited_post_is_retried_after_retry_after_and_arrives(
    probe: Driver,
) -> None:
    probe.fake.fail("chat.postMessage", "ratelimited", retry_after=1, times=1)
    await probe.command("probe show channel")
    message = (await probe.posted())[0]
    assert "shown as channel" in message.text
    calls = probe.fake.calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert calls[1].at - calls[0].at >= 1.0  # it waited for Retry-After (reference §3.3)
    metrics = (await probe.http.get(f"{probe.url}/metrics")).text
    assert 'bkbot_slack_ratelimited_total{method="chat.postMessage"} 1.0' in metrics


async def test_not_in_channel_is_explained_with_the_reply_attached(probe: Driver) -> None:
    probe.fake.add_channel(FakeChannel("C0SECRET", "secret", is_member=False))
    probe.channel = "C0SECRET"
    acked = await probe.command("probe show channel")
    body = await probe.response(acked)
    assert body["response_type"] == "ephemeral"
    text = text_of(valid_blocks(body["blocks"]))
    assert "not a member" in text
    assert "/invite @bkbot" in text
    assert "shown as channel" in text  # the user still sees what they asked for
    assert probe.fake.calls("chat.postMessage")[0].error == "not_in_channel"
    metrics = (await probe.http.get(f"{probe.url}/metrics")).text
    assert 'error="not_in_channel"' in metrics


async def test_a_card_that_cannot_be_posted_is_shown_privately(probe: Driver) -> None:
    probe.fake.fail("chat.postMessage", "channel_not_found")
    acked = await probe.command("probe show card")
    body = await probe.response(acked)
    text = text_of(body["blocks"])
    assert "can't see this channel" in text
    assert "run card for job 42" in text
    await probe.idle()
    assert probe.cards == []  # no ts, so nothing to keep current


async def test_an_expired_response_url_falls_back_to_an_ephemeral_message(probe: Driver) -> None:
    probe.fake.fail("response_url", "expired_url", status=404)
    await probe.command("whoami")
    ephemeral = (await probe.eventually(lambda: probe.fake.ephemerals() or None))[0]
    assert ephemeral.user == "U0ALICE"
    assert ephemeral.channel == probe.channel
    assert "admin" in ephemeral.text


async def test_a_failure_inside_the_bot_is_logged_and_told_without_a_stack_trace(
    probe: Driver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.slack")
    acked = await probe.command("probe show broken")  # its template does not exist
    assert acked.status == 200
    body = await probe.response(acked)
    text = text_of(body["blocks"])
    assert "Something went wrong" in text
    assert "Traceback" not in text
    assert "nowhere/missing" not in text
    record = next(r for r in caplog.records if r.getMessage() == "Slack request failed")
    assert record.__dict__["command"] == "/bk probe show broken"
    assert record.__dict__["user"] == "U0ALICE"
    assert record.__dict__["channel"] == probe.channel
    assert record.__dict__["incident"] in text
    assert record.exc_info is not None
    # The process keeps serving.
    again = await probe.response(await probe.command("whoami"))
    assert "admin" in text_of(again["blocks"])


async def test_a_refused_modal_is_explained(probe: Driver) -> None:
    probe.fake.fail("views.open", "invalid_arguments")
    body = await probe.response(await probe.command("probe show form"))
    assert "invalid_arguments" in text_of(body["blocks"])


async def test_a_long_log_is_uploaded_into_the_cards_thread(probe: Driver) -> None:
    await probe.command("probe show card")
    card = (await probe.posted())[0]
    upload = (await probe.uploads())[0]
    assert upload.filename == "job-42.log"
    assert upload.title == "Job 42 log"
    assert upload.channels == [probe.channel]
    assert upload.thread_ts == card.ts
    assert upload.content is not None
    assert upload.content.startswith(b"line 0:")


async def test_a_private_log_is_uploaded_to_the_users_dm_not_the_channel(probe: Driver) -> None:
    body = await probe.response(await probe.command("probe show log"))
    assert body["response_type"] == "ephemeral"
    upload = (await probe.uploads())[0]
    assert upload.channels == ["D0ALICE"]
    assert upload.filename == "private.log"
