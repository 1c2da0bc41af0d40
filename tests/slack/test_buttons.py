"""Buttons: a rendered button's value runs as a command for the clicker, replies go where asked."""

from __future__ import annotations

from typing import Any

from tests.fakes import Message
from tests.slack.conftest import USER, Driver, buttons_of, text_of, valid_blocks


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


def button(blocks: list[dict[str, Any]], label: str) -> dict[str, Any]:
    found = [b for b in buttons_of(blocks) if b["text"]["text"] == label]
    assert found, f"no button {label!r} in {[b['text']['text'] for b in buttons_of(blocks)]}"
    return found[0]


async def channel_message(probe: Driver) -> Message:
    await probe.command("probe show channel")
    return (await probe.posted())[0]


async def test_buttons_carry_their_command_and_unique_action_ids(probe: Driver) -> None:
    message = await channel_message(probe)
    buttons = buttons_of(valid_blocks(message.blocks or []))
    assert [b["value"] for b in buttons] == [
        "probe show thread",
        "probe show replace",
        "probe show channel",
        "probe show ephemeral",
    ]
    assert len({b["action_id"] for b in buttons}) == len(buttons)
    assert all(b["action_id"].startswith("bk.cmd.") for b in buttons)


async def test_a_destructive_button_asks_slack_to_confirm_first(probe: Driver) -> None:
    stop = button((await channel_message(probe)).blocks or [], "Stop")
    assert stop["style"] == "danger"
    assert stop["confirm"]["title"]["text"] == "Stop it?"
    assert stop["confirm"]["confirm"]["text"] == "Stop"
    assert stop["confirm"]["style"] == "danger"


async def test_a_click_is_acked_at_once_and_runs_as_the_clicker(probe: Driver) -> None:
    message = await channel_message(probe)
    acked = await probe.click(
        button(message.blocks or [], "Stop"), message=payload(message), user_id="U0BOB"
    )
    assert acked.status == 200
    assert acked.seconds < 1.0
    posts = await probe.posted(2)
    assert posts[1].thread_ts is None
    assert "shown as channel" in posts[1].text
    assert probe.fake.calls("users.info")[-1].params["user"] == "U0BOB"


async def test_a_thread_reply_goes_under_the_clicked_message(probe: Driver) -> None:
    message = await channel_message(probe)
    await probe.click(button(message.blocks or [], "Echo in thread"), message=payload(message))
    reply = (await probe.thread(message.ts))[0]
    assert "shown as thread" in reply.text
    valid_blocks(reply.blocks or [])


async def test_a_thread_reply_from_a_reply_stays_in_the_same_thread(probe: Driver) -> None:
    parent = await channel_message(probe)
    await probe.click(button(parent.blocks or [], "Echo in thread"), message=payload(parent))
    first = (await probe.thread(parent.ts))[0]
    # The reply carries buttons too; its thread_ts is the parent's, never its own ts (§3.6).
    await probe.click(button(first.blocks or [], "Echo in thread"), message=payload(first))
    replies = await probe.thread(parent.ts, 2)
    assert [r.thread_ts for r in replies] == [parent.ts, parent.ts]


async def test_replace_rewrites_the_clicked_message_through_its_response_url(probe: Driver) -> None:
    message = await channel_message(probe)
    acked = await probe.click(button(message.blocks or [], "Replace me"), message=payload(message))
    body = await probe.response(acked)
    assert body["replace_original"] is True
    assert "shown as replace" in body["text"]
    valid_blocks(body["blocks"])


async def test_a_private_reply_to_a_click_uses_the_response_url(probe: Driver) -> None:
    message = await channel_message(probe)
    acked = await probe.click(button(message.blocks or [], "Private"), message=payload(message))
    body = await probe.response(acked)
    assert body["response_type"] == "ephemeral"
    assert body["replace_original"] is False
    await probe.idle()
    assert len(probe.fake.messages(probe.channel)) == 1


async def test_a_thread_reply_from_an_ephemeral_message_goes_to_the_channel(probe: Driver) -> None:
    # Ephemeral messages have no thread of their own (reference §3.6).
    first = await probe.response(await probe.command("probe show ephemeral"))
    ephemeral = {"type": "message", "ts": "1700000099.000100", "blocks": first["blocks"]}
    await probe.click(button(first["blocks"], "Echo in thread"), message=ephemeral, ephemeral=True)
    posted = (await probe.posted())[0]
    assert posted.thread_ts is None
    assert "shown as thread" in posted.text


async def test_a_run_card_is_posted_in_the_channel_and_reported_with_its_ts(probe: Driver) -> None:
    acked = await probe.command("probe show card")
    assert acked.seconds < 1.0
    card = (await probe.posted())[0]
    await probe.eventually(lambda: probe.cards or None)
    reported = probe.cards[0]
    assert (reported.channel, reported.ts) == (probe.channel, card.ts)
    assert (reported.run.kind.value, reported.run.id) == ("job", 42)
    assert reported.actor.id == USER
    post = probe.fake.calls("chat.postMessage")[0].params
    assert post["unfurl_links"] in (False, "false", "0", 0)
    assert post["unfurl_media"] in (False, "false", "0", 0)
    assert post["text"]  # the notification fallback is always there


async def test_a_run_card_that_replaces_a_message_is_edited_in_place(probe: Driver) -> None:
    message = await channel_message(probe)
    await probe.click(
        {"action_id": "bk.cmd.9", "value": "probe show card-replace", "text": {"text": "Go"}},
        message=payload(message),
    )
    await probe.eventually(lambda: probe.cards or None)
    assert probe.cards[0].ts == message.ts
    edited = probe.fake.message(probe.channel, message.ts)
    assert edited.edits == 1
    assert "run card for job 42" in edited.text


async def test_a_run_card_from_an_ephemeral_prompt_replaces_it_with_a_channel_post(
    probe: Driver,
) -> None:
    acked = await probe.click(
        {"action_id": "bk.cmd.0", "value": "probe show card-replace", "text": {"text": "Go"}},
        message={"type": "message", "ts": "1700000099.000100", "blocks": []},
        ephemeral=True,
    )
    assert (await probe.response(acked)) == {"delete_original": True}
    card = (await probe.posted())[0]
    await probe.eventually(lambda: probe.cards or None)
    assert probe.cards[0].ts == card.ts


async def test_a_run_card_in_a_thread_is_reported_with_the_reply_ts(probe: Driver) -> None:
    message = await channel_message(probe)
    await probe.click(
        {"action_id": "bk.cmd.1", "value": "probe show card-thread", "text": {"text": "Go"}},
        message=payload(message),
    )
    reply = (await probe.thread(message.ts))[0]
    await probe.eventually(lambda: probe.cards or None)
    assert probe.cards[0].ts == reply.ts


async def test_button_errors_are_explained_privately(probe: Driver) -> None:
    message = await channel_message(probe)
    acked = await probe.click(
        {"action_id": "bk.cmd.3", "value": "probe show nonsense", "text": {"text": "?"}},
        message=payload(message),
    )
    body = await probe.response(acked)
    assert body["response_type"] == "ephemeral"
    assert "Nothing to show" in text_of(body["blocks"])
