"""sops run / create / start: variables, the constants form, and the run card in the channel."""

from __future__ import annotations

import pytest

from bot.clients.bk_sops import FormField
from bot.commands import FieldErrors, Prepared
from bot.commands._sops_vars import resolve_values
from bot.commands.sops import default_task_name
from bot.errors import UserError
from bot.sandbox import ManualClock, Sandbox
from bot.services import Actor, MappedBy, Services
from bot.views import ErrorKind, ErrorView, FieldKind, Placement, RunKind, RunRef
from bot.views.sops import CardPhase, SopsRunCard, SopsTaskDetailView
from tests.commands.conftest import CHANNEL, Bot, Outcome


def _click(out: Outcome, label: str) -> str:
    for button, command in zip(out.buttons, out.commands, strict=True):
        if button["text"]["text"] == label:
            return command
    raise AssertionError(f"no button {label!r} in {out.commands}")


def _labels(out: Outcome) -> list[str]:
    return [str(b["text"]["text"]) for b in out.buttons]


def _error(out: Outcome) -> ErrorView:
    assert isinstance(out.reply.view, ErrorView), out.text
    return out.reply.view


def _card(out: Outcome) -> SopsRunCard:
    assert isinstance(out.reply.view, SopsRunCard), out.text
    return out.reply.view


async def test_run_starts_the_task_and_posts_its_card_in_the_channel(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    out = await bot("sops run 42")
    card = _card(out)
    assert out.reply.placement is Placement.CHANNEL
    assert out.reply.run == RunRef(kind=RunKind.SOPS, id=2001, biz=2)
    assert card.name == "Restart nginx (with approval) (chatops:admin)"
    assert card.phase is CardPhase.STARTING
    assert card.started_by == "tester"
    assert card.url == "https://bk-sops.sandbox.local/taskflow/execute/3/?instance_id=2001"
    assert [n.name for n in card.nodes] == ["Restart nginx", "Ops approval", "Warm-up wait"]
    # a queued start still reports CREATED (bk-sops §1.7): no second Start, but Revoke works
    assert _labels(out) == ["Revoke", "Details"]
    task = sandbox.world.sops.tasks[2001]
    assert task.executor == "admin"
    assert task.tree["constants"]["${wait_seconds}"]["value"] == "30"


async def test_run_takes_keys_with_or_without_the_reference_braces(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    out = await bot("sops run 42 ip_list=10.0.0.13 '${wait_seconds}=5' --name \"quick restart\"")
    assert _card(out).name == "quick restart"
    constants = sandbox.world.sops.tasks[2001].tree["constants"]
    assert constants["${ip_list}"]["value"] == "10.0.0.13"
    assert constants["${wait_seconds}"]["value"] == "5"


async def test_run_refuses_unknown_and_hidden_variables_naming_the_key(bot: Bot) -> None:
    unknown = _error(await bot("sops run 42 ip_lst=10.0.0.1"))
    assert unknown.kind is ErrorKind.USAGE
    assert "no variable `ip_lst`" in unknown.message
    assert unknown.hint is not None
    assert "ip_list" in unknown.hint
    hidden = _error(await bot("sops run 51 retention_days=3"))
    assert "hidden variable" in hidden.message
    assert _error(await bot("sops run 42 name=x")).hint is not None


async def test_run_opens_the_form_when_a_value_is_missing_and_never_prefills_passwords(
    bot: Bot,
) -> None:
    out = await bot("sops run 58")
    form = out.reply.form
    assert form is not None
    assert out.reply.view is None
    assert form.command == ("sops", "run", "58", "--biz", "2")
    assert len(form.title) <= 24
    assert form.intro is not None
    assert "DB password" in form.intro
    fields = {f.name: f for f in form.fields}
    assert list(fields) == ["task_name", "approvers", "db_name", "sql_text", "db_password"]
    assert fields["task_name"].default == "DB schema change (ITSM approval) (chatops:admin)"
    assert fields["sql_text"].kind is FieldKind.MULTILINE
    password = fields["db_password"]
    assert (password.kind, password.default, password.required) == (FieldKind.PASSWORD, None, True)


async def test_run_form_submission_starts_the_task_with_the_answers(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    form = (await bot("sops run 58 db_name=orders")).reply.form
    assert form is not None
    assert next(f for f in form.fields if f.name == "db_name").default == "orders"
    answers = {f.name: f.default or "" for f in form.fields}
    answers.update(db_password="hunter2", task_name="schema change from the form")
    prepared = bot.dispatcher.prepare_form(form, answers)
    assert isinstance(prepared, Prepared)
    reply = await bot.dispatcher.execute(prepared, actor=bot.actor, channel=CHANNEL)
    out = bot.render(reply)
    card = _card(out)
    assert reply.placement is Placement.CHANNEL
    assert card.name == "schema change from the form"
    assert "hunter2" not in out.text
    assert "hunter2" not in str(out.blocks)
    constants = sandbox.world.sops.tasks[card.task_id].tree["constants"]
    assert constants["${db_password}"]["value"] == "hunter2"
    assert constants["${db_name}"]["value"] == "orders"


async def test_run_form_reports_field_errors_before_anything_runs(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    form = (await bot("sops run 58")).reply.form
    assert form is not None
    defaults = {f.name: f.default or "" for f in form.fields}
    missing = bot.dispatcher.prepare_form(form, defaults)
    assert missing == FieldErrors({"db_password": "Required."})
    too_long = bot.dispatcher.prepare_form(
        form, {**defaults, "db_password": "x", "task_name": "n" * 101}
    )
    assert isinstance(too_long, FieldErrors)
    assert list(too_long.errors) == ["task_name"]
    assert "at most 100" in too_long.errors["task_name"]
    assert sandbox.world.sops.tasks.get(2001) is None


async def test_run_with_form_flag_always_asks_with_the_defaults_filled_in(bot: Bot) -> None:
    form = (await bot('sops run 42 --form --name "mine" wait_seconds=9')).reply.form
    assert form is not None
    fields = {f.name: f for f in form.fields}
    assert fields["task_name"].default == "mine"
    assert fields["wait_seconds"].default == "9"
    assert fields["ip_list"].default == "10.0.0.11,10.0.0.12"
    assert "--form" not in form.command


async def test_run_a_common_template(sandbox: Sandbox[ManualClock], bot: Bot) -> None:
    out = await bot("sops run 1001 --common ip_list=10.0.0.12")
    card = _card(out)
    assert card.name == "[Common] host health check (chatops:admin)"
    assert sandbox.world.sops.tasks[card.task_id].template_source == "common"
    assert _error(await bot("sops run 1001")).kind is ErrorKind.NOT_FOUND


async def test_run_bad_input_is_explained(bot: Bot) -> None:
    assert _error(await bot("sops run abc")).message == "ID must be a whole number (got `abc`)."
    assert _error(await bot("sops run 9999")).kind is ErrorKind.NOT_FOUND
    long_name = _error(await bot(f"sops run 42 --name {'n' * 101}"))
    assert long_name.kind is ErrorKind.USAGE
    assert "--name" in long_name.message


async def test_run_as_a_read_only_user_names_the_missing_permission(
    services: Services, bot: Bot
) -> None:
    carol = Bot(services, bot.renderer, Actor("U1", "Carol", "carol", MappedBy.POLICY))
    denied = _error(await carol("sops run 42"))
    assert denied.kind is ErrorKind.DENIED
    assert denied.missing_permission == "BK-SOPS: flow_create_task"
    assert _error(await carol("sops start 1085")).missing_permission == "BK-SOPS: task_operate"


async def test_create_posts_a_created_card_whose_start_button_starts_it(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    out = await bot("sops create 57")
    card = _card(out)
    assert out.reply.placement is Placement.CHANNEL
    assert card.phase is CardPhase.CREATED
    assert _labels(out) == ["Start", "Details"]
    assert "Created by" in out.text
    assert not sandbox.world.sops.tasks[card.task_id].is_started

    started = await bot(_click(out, "Start"))
    assert started.reply.placement is Placement.CHANNEL
    assert started.reply.run == RunRef(kind=RunKind.SOPS, id=card.task_id, biz=2)
    assert _card(started).phase is CardPhase.STARTING
    sandbox.clock.advance(30)
    assert _card(await bot(f"sops status {card.task_id}")).phase is CardPhase.FINISHED

    again = _error(await bot(_click(out, "Start")))
    assert again.kind is ErrorKind.CONFLICT
    assert "already started" in again.message


async def test_create_bad_input_is_explained(services: Services, bot: Bot) -> None:
    assert "no variable `ips`" in _error(await bot("sops create 42 ips=1")).message
    assert _error(await bot("sops create 42 --biz 0")).kind is ErrorKind.USAGE
    carol = Bot(services, bot.renderer, Actor("U1", "Carol", "carol", MappedBy.POLICY))
    assert _error(await carol("sops create 42")).kind is ErrorKind.DENIED


async def test_start_an_unknown_task_is_not_found(bot: Bot) -> None:
    assert _error(await bot("sops start 424242")).kind is ErrorKind.NOT_FOUND
    assert _error(await bot("sops start")).message == "Missing ID."


async def test_create_form_creates_without_starting(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    form = (await bot("sops create 58")).reply.form
    assert form is not None
    assert form.submit == "Create"
    answers = {f.name: f.default or "" for f in form.fields} | {"db_password": "pw"}
    prepared = bot.dispatcher.prepare_form(form, answers)
    assert isinstance(prepared, Prepared)
    out = bot.render(await bot.dispatcher.execute(prepared, actor=bot.actor, channel=CHANNEL))
    assert _card(out).phase is CardPhase.CREATED
    detail = await bot(_click(out, "Details"))
    assert isinstance(detail.reply.view, SopsTaskDetailView)
    password = next(c for c in detail.reply.view.constants if c.key == "db_password")
    assert password.value == "******"


def test_default_task_name_fits_in_100_characters() -> None:
    assert default_task_name("Restart", "alice") == "Restart (chatops:alice)"
    long = default_task_name("x" * 200, "alice")
    assert len(long) == 100
    assert long.endswith("… (chatops:alice)")


def _field(
    key: str, *, custom_type: str = "input", value: object = "", validation: str | None = None
) -> FormField:
    return FormField(
        key=key,
        name=key.strip("${}"),
        index=0,
        desc="",
        custom_type=custom_type,
        source_type="custom",
        value=value,  # type: ignore[arg-type]
        validation=validation,
        is_password=custom_type == "password",
    )


def test_values_are_typed_like_the_variables_and_checked_against_their_rules() -> None:
    fields = [
        _field("${count}", custom_type="int"),
        _field("${flag}", value=True),
        _field("${hosts}", value={"ip": []}),
        _field("${ver}", validation=r"^\d+\.\d+$"),
        _field("${secret}", custom_type="password"),
    ]
    values = resolve_values(
        fields, {"count": "3", "flag": "false", "hosts": '{"ip": ["1.1.1.1"]}', "ver": "1.2"}
    )
    assert values == {
        "${count}": 3,
        "${flag}": False,
        "${hosts}": {"ip": ["1.1.1.1"]},
        "${ver}": "1.2",
    }
    for given, field in (
        ({"count": "three"}, "count"),
        ({"flag": "maybe"}, "flag"),
        ({"hosts": "[1]"}, "hosts"),
        ({"ver": "latest"}, "ver"),
    ):
        with pytest.raises(UserError) as caught:
            resolve_values(fields, given)
        assert caught.value.field == field
    with pytest.raises(UserError, match="12ab"):
        resolve_values([_field("${pin}", custom_type="int")], {"pin": "12ab"})
    with pytest.raises(UserError) as secret:
        resolve_values([_field("${pin}", custom_type="password", value=1)], {"pin": "s3cret"})
    assert "s3cret" not in secret.value.user_message  # a password is never echoed back
