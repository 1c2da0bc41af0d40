"""job crons, job cron on|off and job cron save (v2 saves leave a cron paused)."""

from __future__ import annotations

import pytest

from bot.commands import FieldErrors, Prepared
from bot.rendering import Renderer
from bot.services import Actor, MappedBy, Services
from bot.views import ErrorKind, ErrorView, Form, NoticeView, Placement
from bot.views.job import JobCronListView, JobCronView
from tests.commands.conftest import CHANNEL, Bot, Outcome

NIGHTLY = 1000066  # enabled, plan 1000123, "30 2 * * *"
WEEKLY = 1000067  # paused


@pytest.fixture
def carol(services: Services, renderer: Renderer) -> Bot:
    return Bot(services, renderer, Actor("U1", "Carol", "carol", MappedBy.POLICY))


def _error(out: Outcome) -> ErrorView:
    assert isinstance(out.reply.view, ErrorView), out.text
    return out.reply.view


def _form(out: Outcome) -> Form:
    assert out.reply.form is not None, out.text
    return out.reply.form


def _saved(out: Outcome) -> JobCronView:
    assert isinstance(out.reply.view, JobCronView), out.text
    assert out.reply.placement is Placement.THREAD
    return out.reply.view


async def _submit(bot: Bot, form: Form, answers: dict[str, str]) -> Outcome:
    prepared = bot.dispatcher.prepare_form(form, answers)
    assert isinstance(prepared, Prepared), prepared
    return bot.render(await bot.dispatcher.execute(prepared, actor=bot.actor, channel=CHANNEL))


async def test_crons_list_with_the_switch_that_applies_and_edit(bot: Bot) -> None:
    out = await bot("job crons")
    view = out.reply.view
    assert isinstance(view, JobCronListView)
    nightly, weekly = view.rows
    assert (nightly.id, nightly.enabled, nightly.expression) == (NIGHTLY, True, "30 2 * * *")
    assert nightly.plan_name == "deploy-web (prod)"
    assert [a.command for a in nightly.actions] == [
        f"job cron off {NIGHTLY} --biz 2",
        f"job cron save {NIGHTLY} --biz 2",
    ]
    assert weekly.actions[0].label == "On"
    assert out.commands[-1] == "job cron save --biz 2"  # New cron


async def test_crons_keyword_and_bad_page(bot: Bot) -> None:
    out = await bot("job crons weekly")
    assert isinstance(out.reply.view, JobCronListView)
    assert [r.id for r in out.reply.view.rows] == [WEEKLY]
    assert "no crons match" in (await bot("job crons nothing")).text
    assert _error(await bot("job crons --page 2")).kind is ErrorKind.USAGE


async def test_off_button_pauses_and_the_notice_offers_on(bot: Bot) -> None:
    listing = await bot("job crons")
    out = await bot(listing.commands[0])
    assert isinstance(out.reply.view, NoticeView)
    assert out.reply.placement is Placement.THREAD
    assert out.text.startswith(f"tester paused cron {NIGHTLY} “nightly cleanup”")
    assert out.commands == [f"job cron on {NIGHTLY} --biz 2"]
    again = await bot("job crons nightly")
    assert isinstance(again.reply.view, JobCronListView)
    assert again.reply.view.rows[0].enabled is False
    on = await bot(out.commands[0])
    assert "enabled cron" in on.text


async def test_cron_switch_bad_word_or_unknown_id(bot: Bot) -> None:
    assert _error(await bot("job cron pause 1000066")).kind is ErrorKind.USAGE
    missing = _error(await bot("job cron on 4242"))
    assert missing.kind is ErrorKind.NOT_FOUND
    assert "no cron 4242" in missing.message


async def test_cron_switch_is_denied_for_a_read_only_user(carol: Bot) -> None:
    error = _error(await carol(f"job cron off {NIGHTLY}"))
    assert error.kind is ErrorKind.DENIED
    assert error.missing_permission


async def test_save_creates_a_paused_cron_and_offers_enable(bot: Bot) -> None:
    out = await bot('job cron save --plan 1000125 --name "hourly check" --expression "0 * * * *"')
    view = _saved(out)
    assert view.created
    assert view.enabled is False
    assert view.note is not None
    assert "paused" in view.note
    assert view.plan_name == "health-check (flaky)"
    assert out.commands[0] == f"job cron on {view.id} --biz 2"
    enabled = await bot(out.commands[0])
    assert "enabled cron" in enabled.text


async def test_save_with_enable_turns_it_on_right_away(bot: Bot) -> None:
    out = await bot('job cron save --plan 1000125 --name "x" --expression "5 4 * * *" --enable')
    view = _saved(out)
    assert view.enabled is True
    assert out.commands[0] == f"job cron off {view.id} --biz 2"


async def test_save_without_all_details_opens_the_form(bot: Bot) -> None:
    form = _form(await bot("job cron save --plan 1000123"))
    assert form.command == ("job", "cron", "save", "--biz", "2")
    fields = {f.name: f for f in form.fields}
    assert fields["plan"].default == "1000123"
    assert "1000125" in [o.value for o in fields["plan"].options]
    bad = bot.dispatcher.prepare_form(
        form, {"plan": "1000123", "name": "n", "expression": "0 0 * * ? *"}
    )
    assert isinstance(bad, FieldErrors)
    assert "5 fields" in bad.errors["expression"]
    typed = bot.dispatcher.prepare_form(
        form, {"plan": "one", "name": "n", "expression": "* * * * *"}
    )
    assert typed == FieldErrors({"plan": "--plan must be a whole number (got `one`)."})
    view = _saved(
        await _submit(bot, form, {"plan": "1000123", "name": "n", "expression": "0 1 * * *"})
    )
    assert view.expression == "0 1 * * *"


async def test_editing_prefills_the_form_and_pauses_the_cron(bot: Bot) -> None:
    form = _form(await bot(f"job cron save {NIGHTLY}"))
    defaults = {f.name: f.default for f in form.fields}
    assert defaults == {"plan": "1000123", "name": "nightly cleanup", "expression": "30 2 * * *"}
    out = await bot(f'job cron save {NIGHTLY} --expression "0 3 * * *"')
    view = _saved(out)
    assert not view.created
    assert (view.name, view.expression, view.enabled) == ("nightly cleanup", "0 3 * * *", False)
    assert "Enable" in [b["text"]["text"] for b in out.buttons]  # type: ignore[index]


async def test_save_unknown_cron_or_plan_is_explained(bot: Bot) -> None:
    assert _error(await bot("job cron save 4242 --name x")).kind is ErrorKind.NOT_FOUND
    plan = _error(await bot('job cron save --plan 999 --name x --expression "* * * * *"'))
    assert plan.kind is ErrorKind.NOT_FOUND


async def test_save_is_denied_for_a_read_only_user(carol: Bot) -> None:
    error = _error(await carol('job cron save --plan 1000123 --name x --expression "* * * * *"'))
    assert error.kind is ErrorKind.DENIED


async def test_every_cron_button_runs(bot: Bot) -> None:
    listing = await bot("job crons")
    saved = await bot('job cron save --plan 1000123 --name "b" --expression "1 1 * * *"')
    for command in listing.commands + saved.commands:
        out = await bot(command)
        assert not isinstance(out.reply.view, ErrorView), (command, out.text)
