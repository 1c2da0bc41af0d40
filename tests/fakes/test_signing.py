"""Slack-style signing and inbound bodies, checked by slack-sdk's verifier and a real Bolt app."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.signing import (
    block_actions_body,
    sign,
    signed_headers,
    slash_command_body,
    view_submission_body,
)
from tests.fakes.slack_api import FakeSlack

from .conftest import BOT_TOKEN

SECRET = "test-signing-secret"


def payload_of(body: str) -> dict[str, Any]:
    [raw] = parse_qs(body)["payload"]
    decoded: dict[str, Any] = json.loads(raw)
    return decoded


@pytest.mark.parametrize("body", ["", "command=%2Fbk&text=job+list", "payload=%7B%7D", "é"])
def test_signatures_are_accepted_by_slack_sdks_verifier(body: str) -> None:
    headers = sign(SECRET, body)
    verifier = SignatureVerifier(SECRET)
    ts, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert verifier.is_valid(body, ts, signature)
    assert verifier.is_valid(body.encode(), ts, signature)
    assert not verifier.is_valid(body + " ", ts, signature)
    assert not SignatureVerifier("other-secret").is_valid(body, ts, signature)


def test_a_given_timestamp_is_signed_and_an_old_one_fails_verification() -> None:
    stale = int(time.time()) - 301
    headers = sign(SECRET, "a=1", timestamp=stale)
    assert headers["X-Slack-Request-Timestamp"] == str(stale)
    assert headers["X-Slack-Signature"] == SignatureVerifier(SECRET).generate_signature(
        timestamp=str(stale), body="a=1"
    )
    assert not SignatureVerifier(SECRET).is_valid("a=1", str(stale), headers["X-Slack-Signature"])


def test_slash_command_body_carries_every_field_slack_sends() -> None:
    body = slash_command_body("/bk", "job run 42", response_url="http://x/response/1")
    fields = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
    assert set(fields) == {
        "token",
        "team_id",
        "team_domain",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "is_enterprise_install",
        "response_url",
        "trigger_id",
    }
    assert (fields["command"], fields["text"]) == ("/bk", "job run 42")
    assert slash_command_body()  # every argument has a default
    assert (
        parse_qs(slash_command_body())["trigger_id"] != parse_qs(slash_command_body())["trigger_id"]
    )


def test_block_actions_body_has_the_message_and_view_shapes() -> None:
    from_message = payload_of(
        block_actions_body("approve", "run-7", user_id="U0BOB", message_ts="1700000000.000100")
    )
    assert from_message["type"] == "block_actions"
    assert from_message["container"] == {
        "type": "message",
        "message_ts": "1700000000.000100",
        "channel_id": "C0OPS",
        "is_ephemeral": False,
    }
    assert from_message["message"]["blocks"][0]["elements"][0]["action_id"] == "approve"
    assert from_message["actions"][0]["value"] == "run-7"
    assert from_message["state"] == {"values": {}}
    assert from_message["response_url"]

    view = {"id": "V1", "hash": "h", "state": {"values": {"b": {"a": {"value": "x"}}}}}
    from_view = payload_of(block_actions_body("refresh", view=view))
    assert from_view["container"] == {"type": "view", "view_id": "V1"}
    assert from_view["state"]["values"] == {"b": {"a": {"value": "x"}}}
    assert not {"channel", "message", "response_url"} & from_view.keys()


def test_view_submission_body_carries_state_values_and_metadata() -> None:
    values = {"ver_b": {"ver_a": {"type": "plain_text_input", "value": "1.4.2"}}}
    payload = payload_of(
        view_submission_body("deploy", values, private_metadata='{"run": 1}', view_id="V9")
    )
    view = payload["view"]
    assert (payload["type"], view["callback_id"], view["id"]) == ("view_submission", "deploy", "V9")
    assert view["state"]["values"] == values
    assert view["private_metadata"] == '{"run": 1}'
    assert view["blocks"][0]["block_id"] == "ver_b"


async def test_a_bolt_app_routes_the_signed_bodies_and_answers_through_the_fake() -> None:
    with FakeSlack().serve() as fake:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
        app = AsyncApp(client=client, signing_secret=SECRET, process_before_response=True)

        @app.command("/bk")
        async def command(ack: AsyncAck, respond: AsyncRespond, body: dict[str, Any]) -> None:
            await ack()
            await respond(f"running {body['text']}")

        @app.action("approve")
        async def approve(ack: AsyncAck, client: AsyncWebClient, body: dict[str, Any]) -> None:
            await ack()
            container = body["container"]
            await client.chat_update(
                channel=container["channel_id"], ts=container["message_ts"], text="Approved"
            )

        @app.view("deploy")
        async def deploy(ack: AsyncAck, view: dict[str, Any]) -> None:
            version = view["state"]["values"]["ver_b"]["ver_a"]["value"]
            await ack(response_action="errors", errors={"ver_b": f"bad version {version}"})

        async def dispatch(body: str, headers: dict[str, str] | None = None) -> Any:
            sent: dict[str, str | Sequence[str]] = dict(headers or signed_headers(SECRET, body))
            return await app.async_dispatch(AsyncBoltRequest(body=body, headers=sent))

        command_body = slash_command_body(text="job 42", response_url=fake.response_url("c1"))
        assert (await dispatch(command_body)).status == 200
        assert fake.responses("c1")[0].body["text"] == "running job 42"

        card = await client.chat_postMessage(channel="C0OPS", text="Approve?")
        clicked = await dispatch(block_actions_body("approve", "run-1", message_ts=card["ts"]))
        assert clicked.status == 200
        assert fake.message("C0OPS", card["ts"]).text == "Approved"

        values = {"ver_b": {"ver_a": {"type": "plain_text_input", "value": "x.y"}}}
        submitted = await dispatch(view_submission_body("deploy", values))
        assert json.loads(submitted.body) == {
            "response_action": "errors",
            "errors": {"ver_b": "bad version x.y"},
        }

        forged = signed_headers("wrong-secret", command_body)
        assert (await dispatch(command_body, forged)).status == 401
        assert [c.method for c in fake.calls()] == ["auth.test", "chat.postMessage", "chat.update"]
