"""Slash commands over signed HTTP: every registered command, happy and bad, acked at once."""

from __future__ import annotations

import enum
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from bot.commands import build_registry
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import (
    Driver,
    buttons_of,
    new_sandbox,
    served_bot,
    text_of,
    valid_blocks,
)

# One bot serves this whole module (starting and stopping uvicorn costs ~0.2 s a test); each
# test types in a channel of its own so per-channel state (the business) does not leak.
pytestmark = pytest.mark.asyncio(loop_scope="module")
_channels = itertools.count(1)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def shared(served_fake_slack: FakeSlack) -> AsyncIterator[Driver]:
    async with served_bot(served_fake_slack, new_sandbox()) as driver:
        yield driver


@pytest_asyncio.fixture(loop_scope="module")
async def slack(shared: Driver, fake_slack: FakeSlack) -> AsyncIterator[Driver]:
    shared.channel = f"C0T{next(_channels):04d}"
    shared.cards.clear()
    yield shared
    await shared.idle()


class Lands(enum.Enum):
    """Where a command's reply shows up in Slack."""

    EPHEMERAL = "ephemeral"  # the command's response_url, private
    CHANNEL = "channel"  # chat.postMessage in the channel
    MODAL = "modal"  # views.open with the command's trigger
    CARD = "card"  # a run card: chat.postMessage, reported to the card hook


@dataclass(frozen=True)
class Case:
    """A happy path (where it lands, a phrase it says) and a bad input (a phrase it says).

    ``setup`` runs first, in a channel of its own, so the happy path does not depend on the
    order tests run in; when it posts a run card, ``{run}`` in ``happy`` is that run's id
    (e.g. a job that is still running, to stop) five sandbox seconds later.
    """

    happy: str
    lands: Lands
    says: str
    bad: str
    bad_says: str
    setup: str | None = None


# One row per registered command. A new command fails
# test_every_registered_command_has_a_case until it gets a row here.
CASES: dict[str, Case] = {
    "help": Case("help general", Lands.EPHEMERAL, "whoami", "help no-such-topic", "No help topic"),
    "biz": Case("biz 3", Lands.CHANNEL, "business 3", "biz two", "biz"),
    "whoami": Case("whoami", Lands.EPHEMERAL, "admin", "whoami extra", "Unexpected"),
    "watch": Case("watch task 1087", Lands.CARD, "nginx restart", "watch build 5", "KIND"),
    "unwatch": Case(
        "unwatch task 1087", Lands.CHANNEL, "Stopped watching", "unwatch task x", "whole"
    ),
    "pending": Case(
        "pending",
        Lands.EPHEMERAL,
        "Nothing is waiting",
        "pending now",
        "Unexpected",
        setup="job run 1000124",
    ),
    # BK-Job (ids from the sandbox's seeded world, docs/sandbox.md)
    "job plans": Case("job plans", Lands.EPHEMERAL, "deploy-web", "job plans --page x", "whole"),
    "job plan": Case("job plan 1000123", Lands.EPHEMERAL, "deploy-web", "job plan 1", "not exist"),
    "job run": Case("job run 1000124", Lands.CARD, "db-migrate", "job run x", "whole"),
    "job exec": Case(
        "job exec --hosts 0:10.0.0.11 --account root --script-id 6862",
        Lands.CARD,
        "exec",
        "job exec --hosts 0:10.0.0.11 --account root --timeout soon",
        "whole",
    ),
    "job push": Case(
        "job push --hosts 0:10.0.0.11 --account root --source-hosts 0:10.0.0.10 "
        "--source-account root --files /tmp/a --target-path /tmp",
        Lands.CARD,
        "Job",
        "job push --files",
        "needs a value",
    ),
    "job sql": Case(
        "job sql --hosts 0:10.0.1.21 --db-account 1000 --script-id 7040",
        Lands.CARD,
        "sql",
        "job sql --db-account x",
        "whole",
    ),
    "job scripts": Case("job scripts", Lands.EPHEMERAL, "check_disk", "job scripts --page 0", "1"),
    "job public-scripts": Case(
        "job public-scripts",
        Lands.EPHEMERAL,
        "net_ping_check",
        "job public-scripts --page x",
        "whole",
    ),
    "job script": Case("job script 6862", Lands.EPHEMERAL, "check_disk", "job script x", "whole"),
    "job accounts": Case("job accounts", Lands.EPHEMERAL, "root", "job accounts --page x", "whole"),
    "job db-accounts": Case(
        "job db-accounts", Lands.EPHEMERAL, "mysql-readonly", "job db-accounts --page x", "whole"
    ),
    "job status": Case(
        "job status 20000123456", Lands.EPHEMERAL, "20000123456", "job status x", "whole"
    ),
    "job log": Case("job log 20000123456", Lands.EPHEMERAL, "Log of job", "job log x", "whole"),
    "job stop": Case(
        "job stop {run}",
        Lands.EPHEMERAL,
        "Stop job",
        "job stop 20000123456",
        "only a running or waiting job",
        setup="job run 1000126",
    ),
    "job step": Case(
        "job step 20000123500 20000234600 retry-failed",
        Lands.CHANNEL,
        "retried",
        "job step 1 2 bogus",
        "retry-failed",
    ),
    "job crons": Case(
        "job crons", Lands.EPHEMERAL, "nightly cleanup", "job crons --page x", "whole"
    ),
    "job cron": Case("job cron on 1000067", Lands.CHANNEL, "enabled", "job cron maybe 1", "STATE"),
    "job cron save": Case(
        "job cron save", Lands.MODAL, "Execution plan", "job cron save x", "whole"
    ),
    # BK-SOPS (ids from the sandbox's seeded world, docs/sandbox.md)
    "sops templates": Case(
        "sops templates", Lands.EPHEMERAL, "Restart nginx", "sops templates --page x", "whole"
    ),
    "sops template": Case(
        "sops template 42", Lands.EPHEMERAL, "Restart nginx", "sops template 999", "not exist"
    ),
    "sops run": Case("sops run 57", Lands.CARD, "nginx config reload", "sops run abc", "whole"),
    "sops create": Case(
        "sops create 57", Lands.CARD, "nginx config reload", "sops create x", "whole"
    ),
    "sops start": Case("sops start 1085", Lands.CARD, "1085", "sops start x", "whole"),
    "sops pause": Case("sops pause 1087", Lands.CHANNEL, "paused", "sops pause x", "whole"),
    "sops resume": Case(
        "sops resume 1087",
        Lands.CHANNEL,
        "resumed",
        "sops resume x",
        "whole",
        setup="sops pause 1087",
    ),
    "sops revoke": Case(
        "sops revoke 1087", Lands.EPHEMERAL, "Revoke task 1087", "sops revoke x", "whole"
    ),
    "sops status": Case("sops status 1087", Lands.EPHEMERAL, "1087", "sops status x", "whole"),
    "sops detail": Case("sops detail 1087", Lands.EPHEMERAL, "42", "sops detail x", "whole"),
    "sops node": Case(
        "sops node 1087 1", Lands.EPHEMERAL, "Restart nginx", "sops node 1087", "Missing NODE"
    ),
    "sops callback": Case(
        "sops callback 1087 nbc131c04c41b4806baaca3f97fb465d",
        Lands.CHANNEL,
        "Ops approval",
        "sops callback 1087 zz",
        "no node",
    ),
    "sops stats": Case(
        "sops stats", Lands.EPHEMERAL, "by status", "sops stats --group-by nope", "group-by"
    ),
    "sops periodic": Case(
        "sops periodic", Lands.EPHEMERAL, "nightly nginx restart", "sops periodic --page 0", "page"
    ),
    "sops periodic show": Case(
        "sops periodic show 7",
        Lands.EPHEMERAL,
        "nightly nginx restart",
        "sops periodic show x",
        "whole",
    ),
    "sops periodic create": Case(
        "sops periodic create 42",
        Lands.MODAL,
        "Schedule (crontab)",
        "sops periodic create x",
        "whole",
    ),
    "sops periodic on": Case(
        "sops periodic on 5", Lands.CHANNEL, "enabled", "sops periodic on x", "whole"
    ),
    "sops periodic off": Case(
        "sops periodic off 7", Lands.CHANNEL, "disabled", "sops periodic off x", "whole"
    ),
    "sops periodic cron": Case(
        'sops periodic cron 7 "0 3 * * *"',
        Lands.CHANNEL,
        "03:00",
        "sops periodic cron 7 bad",
        "five fields",
    ),
    "sops periodic set": Case(
        "sops periodic set 7 wait_seconds=90",
        Lands.CHANNEL,
        "= 90",
        "sops periodic set 7 a=b",
        "no variable",
    ),
}

REGISTERED = [spec.name for spec in build_registry().specs]


async def landed(slack: Driver, acked: Any, lands: Lands) -> tuple[list[dict[str, Any]], str]:
    """The blocks and all text of the reply, wherever ``lands`` says it goes."""
    if lands is Lands.EPHEMERAL:
        body = await slack.response(acked)
        assert body.get("response_type") == "ephemeral"
        return body["blocks"], body["text"] + "\n" + text_of(body["blocks"])
    if lands is Lands.MODAL:
        view = (await slack.opened_views())[0]
        return view.blocks, text_of(view.blocks)
    message = (await slack.posted())[0]
    if lands is Lands.CARD:
        await slack.eventually(lambda: slack.cards or None)
        assert slack.cards[0].ts == message.ts
    assert message.blocks is not None
    return message.blocks, message.text + "\n" + text_of(message.blocks)


async def test_every_registered_command_has_a_case() -> None:
    missing = [name for name in REGISTERED if name not in CASES]
    assert missing == [], f"add rows for {missing} to CASES in {__file__}"


def case_of(name: str) -> Case:
    if name not in CASES:
        pytest.fail(f"no row for `{name}` in CASES ({__file__})")
    return CASES[name]


@pytest.mark.parametrize("name", REGISTERED)
async def test_command_is_acked_at_once_and_its_reply_arrives(slack: Driver, name: str) -> None:
    case = case_of(name)
    happy = case.happy
    if case.setup is not None:
        await slack.command(case.setup, channel_id=slack.channel + "S")
        await slack.idle()
        if slack.cards:
            happy = happy.format(run=slack.cards[-1].run.id)
        slack.cards.clear()
        slack.sandbox.clock.advance(5)  # a run it started leaves "not started"
    acked = await slack.command(happy)
    assert acked.status == 200
    assert acked.response.content == b""  # an empty ack: the reply comes separately
    assert acked.seconds < 1.0
    blocks, text = await landed(slack, acked, case.lands)
    valid_blocks(blocks)
    assert case.says in text


@pytest.mark.parametrize("name", REGISTERED)
async def test_bad_input_is_explained_privately(slack: Driver, name: str) -> None:
    case = case_of(name)
    acked = await slack.command(case.bad)
    assert acked.status == 200
    body = await slack.response(acked)
    assert body["response_type"] == "ephemeral"
    valid_blocks(body["blocks"])
    assert case.bad_says in text_of(body["blocks"])
    await slack.idle()
    assert slack.fake.messages() == []  # nothing went to the channel


async def test_bare_command_shows_the_help(slack: Driver) -> None:
    body = await slack.response(await slack.command(""))
    assert "whoami" in text_of(body["blocks"])


async def test_unknown_command_suggests_the_closest(slack: Driver) -> None:
    body = await slack.response(await slack.command("whoamii"))
    assert "Did you mean" in text_of(body["blocks"])


async def test_slack_escaping_in_command_text_is_undone_once(probe: Driver) -> None:
    # Slack sends & < > as &amp; &lt; &gt; (reference §3.6); the bot must see the typed text.
    body = await probe.response(await probe.command("probe echo a&amp;b &lt;x&gt;"))
    assert body["text"] == "echo: a&b <x>"
    assert "echo: a&amp;b &lt;x&gt;" in text_of(body["blocks"])  # escaped once for mrkdwn


@dataclass(frozen=True)
class FormCase:
    """A command that opens a form: answers to submit, where the result lands, what it says."""

    text: str
    answers: dict[str, str]
    lands: Lands
    says: str


# Every form the commands produce; submitted once as answered here, once with blanks.
FORMS: list[FormCase] = [
    FormCase("job run 1000123 --form", {}, Lands.CARD, "deploy-web"),
    FormCase(
        "job exec",
        {"hosts": "0:10.0.0.11", "account": "root", "script_id": "6862"},
        Lands.CARD,
        "exec",
    ),
    FormCase(
        "job push",
        {
            "source_hosts": "0:10.0.0.10",
            "source_account": "root",
            "files": "/tmp/a",
            "hosts": "0:10.0.0.11",
            "account": "root",
            "target_path": "/tmp",
        },
        Lands.CARD,
        "Job",
    ),
    FormCase(
        "job sql",
        {"hosts": "0:10.0.1.21", "db_account": "1000", "script_id": "7040"},
        Lands.CARD,
        "sql",
    ),
    FormCase(
        "job cron save",
        {"plan": "1000124", "name": "nightly migrate", "expression": "0 3 * * *"},
        Lands.CHANNEL,
        "nightly migrate",
    ),
    FormCase("sops run 42 --form", {}, Lands.CARD, "Restart nginx"),
    FormCase("sops create 42 --form", {}, Lands.CARD, "Restart nginx"),
    FormCase("sops periodic create 42", {"cron": "0 3 * * *"}, Lands.CHANNEL, "03:00"),
]


async def open_modal(slack: Driver, text: str) -> Any:
    acked = await slack.command(text)
    assert acked.seconds < 1.0
    view = (await slack.opened_views())[0]
    valid_blocks(view.blocks)
    return view


@pytest.mark.parametrize("case", FORMS, ids=[f.text for f in FORMS])
async def test_command_form_submits_and_runs_in_the_channel(slack: Driver, case: FormCase) -> None:
    view = await open_modal(slack, case.text)
    acked = await slack.submit(view, case.answers)
    assert (acked.status, acked.response.content) == (200, b"")
    blocks, text = await landed(slack, acked, case.lands)
    valid_blocks(blocks)
    assert case.says in text


@pytest.mark.parametrize("case", FORMS, ids=[f.text for f in FORMS])
async def test_command_form_with_blank_required_fields_stays_open_with_errors(
    slack: Driver, case: FormCase
) -> None:
    view = await open_modal(slack, case.text)
    inputs = [b for b in view.blocks if b["type"] == "input"]
    required = {b["block_id"] for b in inputs if not b.get("optional")}
    acked = await slack.submit(view, {b["block_id"]: "" for b in inputs})
    answer = acked.json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == required
    await slack.idle()
    assert slack.fake.messages(slack.channel) == []


def deliveries(slack: Driver) -> int:
    """How many things the bot has shown so far (posts, edits, ephemerals, views, files)."""
    shown = {
        "chat.postMessage",
        "chat.update",
        "chat.postEphemeral",
        "views.open",
        "files.completeUploadExternal",
    }
    return len(slack.fake.responses()) + len([c for c in slack.fake.calls() if c.method in shown])


# Replies whose buttons get clicked: reads and run cards, whose buttons depend on live state.
BUTTON_SOURCES = [
    "job plans",
    "job plan 1000123",
    "job run 1000125",
    "job scripts",
    "job script 6862",
    "job status 20000123500",
    "job crons",
    "sops templates",
    "sops template 42",
    "sops run 57",
    "sops create 57",
    "sops status 1087",
    "sops detail 1087",
    "sops revoke 1087",
    "sops periodic",
    "sops periodic show 7",
]


async def reply_of(slack: Driver, acked: Any) -> tuple[list[dict[str, Any]], dict[str, Any], bool]:
    """Blocks of the reply wherever it went, the message to click on, and if it was ephemeral."""
    assert acked.response_id is not None

    def arrived() -> tuple[list[dict[str, Any]], dict[str, Any], bool] | None:
        for post in slack.fake.responses(acked.response_id):
            blocks = post.body["blocks"]
            return blocks, {"type": "message", "ts": "1700000000.000900", "blocks": blocks}, True
        for message in slack.fake.messages(slack.channel):
            data = {"type": "message", "ts": message.ts, "blocks": message.blocks}
            return message.blocks or [], data, False
        return None

    return await slack.eventually(arrived)


@pytest.mark.parametrize("text", BUTTON_SOURCES)
async def test_every_button_of_a_reply_runs_when_clicked(slack: Driver, text: str) -> None:
    blocks, message, ephemeral = await reply_of(slack, await slack.command(text))
    buttons = buttons_of(blocks)
    assert buttons, f"`{text}` shows no buttons"
    seen: set[str] = set()
    for element in buttons:
        if element["value"] in seen:
            continue
        seen.add(element["value"])
        await slack.idle()
        before = deliveries(slack)
        clicked = await slack.click(element, message=message, ephemeral=ephemeral)
        assert clicked.status == 200
        assert clicked.seconds < 1.0
        await slack.eventually(lambda count=before: deliveries(slack) > count or None)
        await slack.idle()
    for post in slack.fake.responses():
        assert "went wrong on the bot's side" not in text_of(post.body.get("blocks", []))
