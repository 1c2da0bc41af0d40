"""The fake Slack Web API, driven by the real slack-sdk clients over loopback HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes import FakeChannel, FakeUser, spawn_fake_slack
from tests.fakes.slack_api import FakeSlack

from .conftest import BOT_TOKEN

CHANNEL = "C0OPS"
INPUT = {
    "type": "input",
    "block_id": "version",
    "label": {"type": "plain_text", "text": "Version"},
    "element": {"type": "plain_text_input", "action_id": "value"},
}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str = "Approve", value: str = "run-1") -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "text": {"type": "plain_text", "text": text},
                "value": value,
            }
        ],
    }


def modal(title: str = "Run job", blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "job_params",
        "title": {"type": "plain_text", "text": title},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks if blocks is not None else [section("Loading…")],
    }


async def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# ---------------------------------------------------------------- messages


async def test_post_update_and_thread_reply_are_recorded_as_the_current_message_state(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel=CHANNEL, text="Run queued", blocks=[button()])
    assert parent["channel"] == CHANNEL
    assert parent["ts"] == "1700000000.000100"
    assert parent["message"]["blocks"][0]["type"] == "actions"

    updated = await client.chat_update(
        channel=CHANNEL, ts=parent["ts"], text="Run succeeded", blocks=[section("*done*")]
    )
    assert (updated["channel"], updated["ts"], updated["text"]) == (
        CHANNEL,
        parent["ts"],
        "Run succeeded",
    )
    reply = await client.chat_postMessage(
        channel=CHANNEL, thread_ts=parent["ts"], text="step 1 ok", reply_broadcast=True
    )
    second = await client.chat_postMessage(channel=CHANNEL, thread_ts=parent["ts"], text="step 2")

    assert reply["ts"] > parent["ts"]
    assert [m.ts for m in fake_slack.messages(CHANNEL)] == [parent["ts"], reply["ts"], second["ts"]]
    card = fake_slack.message(CHANNEL, parent["ts"])
    assert (card.text, card.blocks, card.edits) == ("Run succeeded", [section("*done*")], 1)
    assert [(m.text, m.reply_broadcast) for m in fake_slack.thread(CHANNEL, parent["ts"])] == [
        ("step 1 ok", True),
        ("step 2", False),
    ]
    assert [c.method for c in fake_slack.calls()] == [
        "chat.postMessage",
        "chat.update",
        "chat.postMessage",
        "chat.postMessage",
    ]
    assert fake_slack.calls("chat.update")[0].headers["authorization"] == f"Bearer {BOT_TOKEN}"


async def test_update_keeps_blocks_it_was_not_given_and_an_empty_list_removes_them(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="t", blocks=[section("a")])
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="t2")
    assert fake_slack.message(CHANNEL, posted["ts"]).blocks == [section("a")]
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="t3", blocks=[])
    assert fake_slack.message(CHANNEL, posted["ts"]).blocks is None


async def test_update_or_delete_of_an_unknown_message_is_message_not_found(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    error = await slack_error(client.chat_update(channel=CHANNEL, ts="1.000001", text="x"))
    assert error.response["error"] == "message_not_found"
    posted = await client.chat_postMessage(channel=CHANNEL, text="bye")
    deleted = await client.chat_delete(channel=CHANNEL, ts=posted["ts"])
    assert deleted["ts"] == posted["ts"]
    assert fake_slack.messages(CHANNEL) == []
    assert fake_slack.messages(CHANNEL, include_deleted=True)[0].deleted
    error = await slack_error(client.chat_update(channel=CHANNEL, ts=posted["ts"], text="x"))
    assert error.response["error"] == "message_not_found"


async def test_ephemeral_returns_message_ts_and_is_recorded_for_its_user(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    answer = await client.chat_postEphemeral(channel=CHANNEL, user="U0ALICE", text="only you")
    assert answer["message_ts"]
    assert [(e.user, e.text) for e in fake_slack.ephemerals("U0ALICE")] == [("U0ALICE", "only you")]
    assert fake_slack.ephemerals("U0BOB") == []
    assert fake_slack.messages() == []


async def test_posting_to_a_user_id_lands_in_the_dm_and_permalinks_point_at_it(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    opened = await client.conversations_open(users="U0ALICE")
    posted = await client.chat_postMessage(channel="U0ALICE", text="hello")
    assert posted["channel"] == opened["channel"]["id"] == "D0ALICE"
    link = await client.chat_getPermalink(channel="D0ALICE", message_ts=posted["ts"])
    assert link["permalink"].endswith("/archives/D0ALICE/p1700000000000100")


async def test_channel_state_errors_mirror_slack(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    fake_slack.add_channel(FakeChannel("C0OUTSIDE", "outside", is_member=False))
    fake_slack.add_channel(FakeChannel("C0OLD", "old", is_archived=True))
    for channel, expected in [
        ("C0OUTSIDE", "not_in_channel"),
        ("C0OLD", "is_archived"),
        ("general", "channel_not_found"),
        ("", "channel_not_found"),
    ]:
        error = await slack_error(client.chat_postMessage(channel=channel, text="x"))
        assert error.response["error"] == expected, channel
    info = await client.conversations_info(channel="C0OUTSIDE")
    assert info["channel"]["is_member"] is False
    by_name = await client.chat_postMessage(channel="#ops", text="by name")
    assert by_name["channel"] == CHANNEL


# ---------------------------------------------------------------- Block Kit validation


def too_many_blocks() -> list[dict[str, Any]]:
    return [section(f"line {i}") for i in range(51)]


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        (too_many_blocks(), "/blocks"),
        ([section("x" * 3001)], "/blocks/0/text/text"),
        ([section("")], "/blocks/0/text/text"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0"),
        ([button(text="b" * 76)], "/blocks/0/elements/0/text/text"),
        ([button(value="v" * 2001)], "/blocks/0/elements/0/value"),
        ([section("a") | {"block_id": "b1"}, section("b") | {"block_id": "b1"}], "/blocks/1"),
        ([{"type": "sectoin", "text": {"type": "mrkdwn", "text": "typo"}}], "/blocks/0/type"),
    ],
    ids=[
        "51-blocks",
        "section-3001",
        "empty-section",
        "header-151",
        "button-text-76",
        "button-value-2001",
        "duplicate-block-id",
        "unknown-type",
    ],
)
async def test_messages_breaking_block_kit_limits_are_invalid_blocks(
    fake_slack: FakeSlack, client: AsyncWebClient, blocks: list[dict[str, Any]], pointer: str
) -> None:
    error = await slack_error(client.chat_postMessage(channel=CHANNEL, text="t", blocks=blocks))
    assert error.response["error"] == "invalid_blocks"
    messages = error.response["response_metadata"]["messages"]
    assert any(f"[json-pointer:{pointer}" in m for m in messages), messages
    assert fake_slack.messages() == []


async def test_limits_apply_to_updates_and_fifty_blocks_are_fine(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="t", blocks=too_many_blocks()[:50])
    error = await slack_error(
        client.chat_update(channel=CHANNEL, ts=posted["ts"], text="t", blocks=too_many_blocks())
    )
    assert error.response["error"] == "invalid_blocks"
    assert len(fake_slack.message(CHANNEL, posted["ts"]).blocks or []) == 50


async def test_message_without_text_blocks_or_attachments_is_no_text(
    client: AsyncWebClient,
) -> None:
    with pytest.warns(UserWarning, match="top-level `text` argument is missing"):
        error = await slack_error(client.chat_postMessage(channel=CHANNEL))
    assert error.response["error"] == "no_text"


async def test_long_text_is_truncated_with_a_warning(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    answer = await client.chat_postMessage(channel=CHANNEL, text="x" * 40_001)
    assert answer["warning"] == "message_truncated"
    assert len(fake_slack.messages()[0].text) == 40_000


async def test_form_encoded_calls_have_their_json_fields_decoded(fake_slack: FakeSlack) -> None:
    async with httpx.AsyncClient(base_url=fake_slack.api_url) as http:
        answer = await http.post(
            "chat.postMessage",
            data={"token": BOT_TOKEN, "channel": CHANNEL, "blocks": json.dumps([section("f")])},
        )
    assert answer.json()["ok"] is True
    assert fake_slack.calls()[0].params == {"channel": CHANNEL, "blocks": [section("f")]}
    assert fake_slack.messages()[0].blocks == [section("f")]


# ---------------------------------------------------------------- views


async def test_views_open_then_update_by_id_checks_the_hash(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    opened = await client.views_open(trigger_id="111.222.abc", view=modal())
    view = opened["view"]
    assert view["hash"]
    assert view["root_view_id"] == view["id"]

    updated = await client.views_update(
        view_id=view["id"], hash=view["hash"], view=modal(blocks=[section("Ready")])
    )
    assert updated["view"]["id"] == view["id"]
    assert updated["view"]["hash"] != view["hash"]
    stale = await slack_error(
        client.views_update(view_id=view["id"], hash=view["hash"], view=modal())
    )
    assert stale.response["error"] == "hash_conflict"
    missing = await slack_error(client.views_update(view_id="V404", view=modal()))
    assert missing.response["error"] == "not_found"

    [stored] = fake_slack.views()
    assert (stored.callback_id, stored.title, stored.updates) == ("job_params", "Run job", 1)
    assert stored.blocks == [section("Ready")]


async def test_a_reused_or_expired_trigger_is_rejected(client: AsyncWebClient) -> None:
    await client.views_open(trigger_id="111.222.abc", view=modal())
    reused = await slack_error(client.views_open(trigger_id="111.222.abc", view=modal()))
    assert reused.response["error"] == "trigger_exchanged"
    expired = await slack_error(client.views_open(trigger_id="111.expired.abc", view=modal()))
    assert expired.response["error"] == "expired_trigger_id"
    pushed = await slack_error(client.views_push(trigger_id="111.222.abc", view=modal()))
    assert pushed.response["error"] == "trigger_exchanged"


@pytest.mark.parametrize(
    "view",
    [
        modal(title="t" * 25),
        modal(blocks=[section(str(i)) for i in range(101)]),
        modal() | {"submit": {"type": "plain_text", "text": "s" * 25}},
        modal(blocks=[INPUT]),
    ],
    ids=["title-25", "101-blocks", "submit-25", "input-without-submit"],
)
async def test_modals_breaking_view_limits_are_invalid_arguments(
    fake_slack: FakeSlack, client: AsyncWebClient, view: dict[str, Any]
) -> None:
    error = await slack_error(client.views_open(trigger_id="1.2.3", view=view))
    assert error.response["error"] == "invalid_arguments"
    assert fake_slack.views() == []


async def test_home_tab_is_published_per_user_and_republished_in_place(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    home = {"type": "home", "blocks": [section("Welcome")]}
    first = await client.views_publish(user_id="U0ALICE", view=home)
    again = await client.views_publish(user_id="U0ALICE", view=home)
    assert first["view"]["id"] == again["view"]["id"]
    [view] = fake_slack.views()
    assert (view.type, view.user_id, view.updates) == ("home", "U0ALICE", 1)


# ---------------------------------------------------------------- users, auth


async def test_users_come_from_the_configured_table(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    fake_slack.add_user(
        FakeUser("U0CAROL", "carol", real_name="Carol Li", email="carol@example.com", tz="UTC")
    )
    user = (await client.users_info(user="U0CAROL"))["user"]
    assert (user["real_name"], user["tz"], user["profile"]["email"]) == (
        "Carol Li",
        "UTC",
        "carol@example.com",
    )
    found = await client.users_lookupByEmail(email="carol@example.com")
    assert found["user"]["id"] == "U0CAROL"
    unknown = await slack_error(client.users_info(user="U0NOBODY"))
    assert unknown.response["error"] == "user_not_found"
    no_email = await slack_error(client.users_lookupByEmail(email="nobody@example.com"))
    assert no_email.response["error"] == "users_not_found"


@pytest.mark.parametrize("token", ["xoxp-user-token", "not-a-token", "xoxb"])
async def test_anything_but_a_bot_token_is_invalid_auth(fake_slack: FakeSlack, token: str) -> None:
    client = AsyncWebClient(token=token, base_url=fake_slack.api_url)
    error = await slack_error(client.chat_postMessage(channel=CHANNEL, text="x"))
    assert error.response["error"] == "invalid_auth"
    assert fake_slack.messages() == []
    assert fake_slack.calls()[0].error == "invalid_auth"


async def test_auth_test_and_socket_mode_connection_urls(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    me = await client.auth_test()
    assert (me["user_id"], me["bot_id"], me["team_id"]) == ("U0BOT", "B0BOT", "T0FAKE")
    app = AsyncWebClient(token="xapp-1-test", base_url=fake_slack.api_url)
    opened = await app.apps_connections_open(app_token="xapp-1-test")
    assert opened["url"].startswith(fake_slack.api_url.replace("http", "ws").removesuffix("api/"))
    wrong = await slack_error(client.apps_connections_open(app_token=BOT_TOKEN))
    assert wrong.response["error"] == "not_allowed_token_type"


# ---------------------------------------------------------------- files and response_url


async def test_files_upload_v2_lands_the_bytes_in_the_thread(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel=CHANNEL, text="Run finished")
    done = await client.files_upload_v2(
        content="line 1\nline 2\n",
        filename="run-42.log",
        channel=CHANNEL,
        thread_ts=parent["ts"],
        initial_comment="Full log",
    )
    [upload] = fake_slack.files()
    assert done["file"]["id"] == upload.id
    assert (upload.name, upload.content, upload.channel, upload.thread_ts) == (
        "run-42.log",
        b"line 1\nline 2\n",
        CHANNEL,
        parent["ts"],
    )
    [share] = fake_slack.thread(CHANNEL, parent["ts"])
    assert (share.text, share.files) == ("Full log", [upload.id])
    assert [c.method for c in fake_slack.calls()][1:] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


async def test_an_empty_upload_is_refused_like_slack(client: AsyncWebClient) -> None:
    error = await slack_error(
        client.files_upload_v2(content=b"", filename="e.log", channel=CHANNEL)
    )
    assert error.response["error"] == "missing_argument"


async def test_response_url_posts_are_recorded_and_bad_blocks_refused(
    fake_slack: FakeSlack,
) -> None:
    hook = AsyncWebhookClient(fake_slack.response_url("cmd-1"))
    ok = await hook.send(text="Working on it", response_type="ephemeral")
    assert (ok.status_code, ok.body) == (200, "ok")
    bad = await hook.send(text="t", blocks=too_many_blocks())
    assert (bad.status_code, bad.body) == (400, "invalid_blocks")
    replaced = await AsyncWebhookClient(fake_slack.response_url("cmd-2")).send(
        text="Approved", replace_original=True
    )
    assert replaced.status_code == 200

    assert [r.body["text"] for r in fake_slack.responses("cmd-1")] == ["Working on it"]
    assert fake_slack.responses("cmd-2")[0].body["replace_original"] is True
    assert len(fake_slack.responses()) == 2


# ---------------------------------------------------------------- faults and rate limits


async def test_a_429_is_retried_after_retry_after_and_then_succeeds(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.fail("chat.postMessage", "ratelimited", retry_after=1, times=1)
    client = AsyncWebClient(
        token=BOT_TOKEN,
        base_url=fake_slack.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=1)],
    )
    answer = await client.chat_postMessage(channel=CHANNEL, text="eventually")
    assert answer["ok"] is True
    first, second = fake_slack.calls("chat.postMessage")
    assert (first.status, first.error, second.status) == (429, "ratelimited", 200)
    assert second.at - first.at >= 1.0
    assert len(fake_slack.messages()) == 1


async def test_without_a_retry_handler_the_429_surfaces_with_its_retry_after(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    fake_slack.fail("chat.update", retry_after=7)
    posted = await client.chat_postMessage(channel=CHANNEL, text="x")
    error = await slack_error(client.chat_update(channel=CHANNEL, ts=posted["ts"], text="y"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"


async def test_injected_errors_fire_the_given_number_of_times_and_where_they_match(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    fake_slack.fail("chat.postMessage", "channel_not_found", where={"channel": "C0GONE"})
    fake_slack.fail("users.info", "internal_error", status=500, times=1)

    gone = await slack_error(client.chat_postMessage(channel="C0GONE", text="x"))
    assert (gone.response.status_code, gone.response["error"]) == (200, "channel_not_found")
    assert (await client.chat_postMessage(channel=CHANNEL, text="x"))["ok"]
    broken = await slack_error(client.users_info(user="U0ALICE"))
    assert (broken.response.status_code, broken.response["error"]) == (500, "internal_error")
    assert (await client.users_info(user="U0ALICE"))["ok"]

    fake_slack.reset()
    assert fake_slack.calls() == []
    assert (await client.chat_postMessage(channel="C0GONE", text="x"))["ok"]


async def test_latency_delays_the_answer(fake_slack: FakeSlack, client: AsyncWebClient) -> None:
    fake_slack.latency("auth.test", 0.3, times=1)
    started = time.monotonic()
    await client.auth_test()
    slow, started = time.monotonic() - started, time.monotonic()
    await client.auth_test()
    fast = time.monotonic() - started
    assert slow >= 0.3 > fast


async def test_delayed_counts_calls_a_latency_holds_while_they_are_held(
    fake_slack: FakeSlack, client: AsyncWebClient
) -> None:
    fake_slack.latency("chat.postMessage", 0.5, times=2)
    held = asyncio.create_task(client.chat_postMessage(channel=CHANNEL, text="slow"))
    for _ in range(100):
        if fake_slack.delayed("chat.postMessage"):
            break
        await asyncio.sleep(0.01)
    # Counted as soon as it is held, before the fake records or answers it.
    assert fake_slack.delayed("chat.postMessage") == 1
    assert fake_slack.messages(CHANNEL) == []
    await held
    await client.auth_test()
    assert (fake_slack.delayed("chat.postMessage"), fake_slack.delayed("auth.test")) == (1, 0)
    fake_slack.reset()
    assert fake_slack.delayed("chat.postMessage") == 0


async def test_posts_beyond_one_per_second_per_channel_get_429() -> None:
    clock = ManualClock()
    with FakeSlack(clock=clock).serve() as fake:
        fake.limit_posts_per_channel(per_second=1.0, burst=2)
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
        await client.chat_postMessage(channel=CHANNEL, text="1")
        await client.chat_postMessage(channel=CHANNEL, text="2")
        limited = await slack_error(client.chat_postMessage(channel=CHANNEL, text="3"))
        assert limited.response.status_code == 429
        assert limited.response.headers["Retry-After"] == "1"
        # Another channel has its own budget; thread replies share the parent's (§3.1).
        await client.chat_postMessage(channel="C0OTHER", text="elsewhere")
        clock.now += 1.0
        await client.chat_postMessage(channel=CHANNEL, text="3 again")
        assert [m.text for m in fake.messages(CHANNEL)] == ["1", "2", "3 again"]


async def test_a_method_budget_per_minute_turns_a_burst_into_a_429_storm() -> None:
    clock = ManualClock()
    with FakeSlack(clock=clock).serve() as fake:
        fake.limit_method("chat.update", per_minute=6, burst=2)
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
        posted = await client.chat_postMessage(channel=CHANNEL, text="card")
        answers: list[tuple[int, str | None]] = []
        for n in range(5):
            try:
                await client.chat_update(channel=CHANNEL, ts=posted["ts"], text=f"v{n}")
                answers.append((200, None))
            except SlackApiError as exc:
                answers.append((exc.response.status_code, exc.response.headers["Retry-After"]))
        # 6/min refills one call every 10 s, so every refused call is told to wait 10 s.
        assert answers == [(200, None), (200, None), (429, "10"), (429, "10"), (429, "10")]
        clock.now += 10
        await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="later")
        assert fake.message(CHANNEL, posted["ts"]).text == "later"


# ---------------------------------------------------------------- separate process


async def test_the_fake_runs_as_a_separate_process_with_a_control_api() -> None:
    with spawn_fake_slack() as remote:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=remote.api_url)
        posted = await client.chat_postMessage(channel=CHANNEL, text="from afar")
        remote.set_users([FakeUser("U0ZED", "zed", email="zed@example.com")])
        assert (await client.users_info(user="U0ZED"))["user"]["name"] == "zed"

        [message] = remote.messages(CHANNEL)
        assert (message.ts, message.text) == (posted["ts"], "from afar")
        assert [c.method for c in remote.calls()] == ["chat.postMessage", "users.info"]

        fault = remote.fail("chat.postMessage", "not_in_channel", times=1)
        assert (fault.status, fault.times) == (200, 1)
        refused = await slack_error(client.chat_postMessage(channel=CHANNEL, text="x"))
        assert refused.response["error"] == "not_in_channel"

        await client.files_upload_v2(content=b"\x00bytes", filename="b.bin", channel=CHANNEL)
        assert remote.files()[0].content == b"\x00bytes"
        hook = AsyncWebhookClient(remote.response_url("r1"))
        await hook.send(text="done")
        assert remote.responses("r1")[0].body == {"text": "done"}

        remote.latency("auth.test", 0.01, times=1)
        await client.auth_test()
        assert remote.delayed("auth.test") == 1

        remote.reset()
        assert remote.calls() == []
        assert remote.messages() == []
        assert remote.delayed("auth.test") == 0
