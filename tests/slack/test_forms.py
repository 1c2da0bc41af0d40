"""Forms as modals: opened with the command's trigger, field errors inside the ack, then run."""

from __future__ import annotations

import json
from typing import Any

from bot.commands.ids import FORM_CALLBACK_ID, FORM_VALUE_ACTION_ID
from bot.slack.modals import PASSWORD_HINT
from tests.fakes import View, view_submission_body
from tests.slack.conftest import Driver, text_of

ANSWERS = {"script": "echo hi", "version": "1.4.2", "password": "s3cret"}


async def open_form(probe: Driver) -> View:
    await probe.command("probe show form", trigger_id="1111.2222.form")
    return (await probe.opened_views())[0]


def inputs(view: View) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b for b in view.blocks if b["type"] == "input"}


async def test_a_form_opens_as_a_modal_with_the_commands_trigger(probe: Driver) -> None:
    view = await open_form(probe)
    assert view.trigger_id == "1111.2222.form"
    assert view.callback_id == FORM_CALLBACK_ID
    assert view.title == "Probe deploy"
    assert view.definition["submit"]["text"] == "Deploy"
    assert len(view.private_metadata) <= 3000
    assert json.loads(view.private_metadata)["c"] == probe.channel
    # The intro is escaped once for mrkdwn like any foreign text.
    assert "every field kind &amp; its &lt;widget&gt;" in text_of(view.blocks)


async def test_each_field_kind_gets_its_widget(probe: Driver) -> None:
    blocks = inputs(await open_form(probe))
    assert list(blocks) == ["target", "count", "mode", "password", "script", "version"]
    assert all(b["element"]["action_id"] == FORM_VALUE_ACTION_ID for b in blocks.values())
    target = blocks["target"]["element"]
    assert (target["type"], target["initial_value"]) == ("plain_text_input", "web")
    count = blocks["count"]["element"]
    assert (count["type"], count["initial_value"], count["is_decimal_allowed"]) == (
        "number_input",
        "2",
        False,
    )
    mode = blocks["mode"]["element"]
    assert mode["type"] == "static_select"
    assert [o["value"] for o in mode["options"]] == ["fast", "safe"]
    assert mode["initial_option"]["value"] == "safe"
    password = blocks["password"]
    assert "initial_value" not in password["element"]  # never prefill a secret
    assert password["optional"] is True
    assert PASSWORD_HINT in password["hint"]["text"]
    assert blocks["script"]["element"]["multiline"] is True
    assert blocks["version"]["element"]["placeholder"]["text"] == "1.4.2"
    assert blocks["version"]["hint"]["text"] == "e.g. 1.4.2"
    assert blocks["version"]["optional"] is False


async def test_a_valid_submission_closes_the_modal_and_runs_in_the_origin_channel(
    probe: Driver,
) -> None:
    view = await open_form(probe)
    acked = await probe.submit(view, ANSWERS)
    assert acked.status == 200
    assert acked.response.content == b""  # an empty ack closes the modal
    posted = (await probe.posted())[0]
    assert posted.text.startswith("deployed")
    detail = text_of(posted.blocks or [])
    assert "target=web count=2 mode=safe password=set" in detail
    assert "code='echo hi'" in detail
    assert "'version': '1.4.2'" in detail


async def test_missing_required_fields_come_back_as_errors_in_the_ack(probe: Driver) -> None:
    view = await open_form(probe)
    acked = await probe.submit(view, {"script": "", "version": ""})
    assert acked.status == 200
    assert acked.json() == {
        "response_action": "errors",
        "errors": {"script": "Required.", "version": "Required."},
    }
    assert acked.seconds < 1.0
    await probe.idle()
    assert probe.fake.messages(probe.channel) == []


async def test_a_value_the_parser_rejects_is_shown_next_to_its_field(probe: Driver) -> None:
    view = await open_form(probe)
    acked = await probe.submit(view, {**ANSWERS, "count": "many"})
    answer = acked.json()
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == ["count"]


async def test_an_error_found_while_running_is_told_privately(probe: Driver) -> None:
    view = await open_form(probe)
    acked = await probe.submit(view, {**ANSWERS, "target": "refuse"})
    assert acked.response.content == b""
    # The form's private_metadata kept the command's response_url (§4.3).
    replies = await probe.eventually(lambda: probe.fake.responses() or None)
    assert "refuses deployments" in text_of(replies[-1].body["blocks"])


async def test_a_modal_from_another_bot_version_is_closed_and_explained(probe: Driver) -> None:
    body = view_submission_body(
        FORM_CALLBACK_ID,
        {"x": {FORM_VALUE_ACTION_ID: {"type": "plain_text_input", "value": "1"}}},
        private_metadata="{not json",
    )
    response = await probe.send(body)
    assert response.status_code == 200
    assert response.content == b""
    dm = (await probe.posted(channel="D0ALICE"))[0]
    assert "out of date" in dm.text


async def test_an_expired_trigger_offers_a_button_that_opens_the_form(probe: Driver) -> None:
    # A handler slower than 3 s leaves a dead trigger (reference §3.4).
    acked = await probe.command("probe show form", trigger_id="1111.2222.expired")
    offer = await probe.response(acked)
    assert offer["response_type"] == "ephemeral"
    opener = next(e for b in offer["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert opener["action_id"] == "bk.form.open"
    await probe.click(opener, message={"type": "message", "ts": "1.2", "blocks": []})
    view = (await probe.opened_views())[0]
    assert view.title == "Probe deploy"
    assert json.loads(view.private_metadata)["c"] == probe.channel
    await probe.submit(view, ANSWERS)
    assert (await probe.posted())[0].text.startswith("deployed")
