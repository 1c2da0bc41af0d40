"""job plans, job plan and job run: lists, details with masked passwords, the variables form."""

from __future__ import annotations

import json

import pytest

from bot.commands import FieldErrors, Prepared, _lists
from bot.commands import _job_build as build
from bot.rendering import Renderer
from bot.sandbox import ManualClock, Sandbox
from bot.services import Actor, MappedBy, Services
from bot.views import (
    ErrorKind,
    ErrorView,
    FieldKind,
    Form,
    Placement,
    Reply,
    RunKind,
    RunRef,
)
from bot.views.job import JobPlanListView, JobPlanView, JobRunCard
from tests.commands.conftest import CHANNEL, Bot, Outcome

SECRET = "S3cr3t-Sandbox!"  # the seeded default of plan 1000124's password variable


@pytest.fixture
def carol(services: Services, renderer: Renderer) -> Bot:
    return Bot(services, renderer, Actor("U1", "Carol", "carol", MappedBy.POLICY))


def _error(out: Outcome) -> ErrorView:
    assert isinstance(out.reply.view, ErrorView), out.text
    return out.reply.view


def _form(out: Outcome) -> Form:
    assert out.reply.form is not None, out.text
    return out.reply.form


async def _submit(bot: Bot, form: Form, answers: dict[str, str]) -> Outcome:
    prepared = bot.dispatcher.prepare_form(form, answers)
    assert isinstance(prepared, Prepared), prepared
    reply = await bot.dispatcher.execute(prepared, actor=bot.actor, channel=CHANNEL)
    return bot.render(reply)


# ------------------------------------------------------------------------------ job plans


async def test_plans_lists_every_plan_with_run_and_details_buttons(bot: Bot) -> None:
    out = await bot("job plans")
    view = out.reply.view
    assert isinstance(view, JobPlanListView)
    assert out.reply.placement is Placement.EPHEMERAL
    assert [r.id for r in view.rows] == [1000123, 1000124, 1000125, 1000126, 1000127]
    assert "deploy-web (prod)" in out.text
    assert out.commands[:2] == ["job run 1000123 --form --biz 2", "job plan 1000123 --biz 2"]
    assert view.actions == ()  # one page: no Prev/Next


async def test_plans_keyword_matches_a_substring_and_says_when_nothing_does(bot: Bot) -> None:
    out = await bot("job plans DEPLOY")
    assert isinstance(out.reply.view, JobPlanListView)
    assert [r.name for r in out.reply.view.rows] == ["deploy-web (prod)"]
    none = await bot("job plans no such plan")
    assert "no plans match" in none.text.lower()
    assert 'matching "no such plan"' in none.text


async def test_plans_are_paged_with_prev_and_next_buttons(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_lists, "PAGE_SIZE", 2)
    first = await bot("job plans")
    assert isinstance(first.reply.view, JobPlanListView)
    assert (first.reply.view.page, first.reply.view.pages) == (1, 3)
    assert first.commands[-1] == "job plans --page 2 --biz 2"
    second = await bot(first.commands[-1])
    assert isinstance(second.reply.view, JobPlanListView)
    assert [r.id for r in second.reply.view.rows] == [1000125, 1000126]
    assert second.commands[-2:] == ["job plans --page 1 --biz 2", "job plans --page 3 --biz 2"]


async def test_plans_page_past_the_end_or_not_a_number_is_a_usage_error(bot: Bot) -> None:
    past = _error(await bot("job plans --page 4"))
    assert past.kind is ErrorKind.USAGE
    assert "no page 4" in past.message
    typed = _error(await bot("job plans --page two"))
    assert typed.message == "--page must be a whole number (got `two`)."


# ------------------------------------------------------------------------------- job plan


async def test_details_button_shows_steps_by_kind_and_the_variables(bot: Bot) -> None:
    listing = await bot("job plans deploy")
    out = await bot(listing.commands[1])
    view = out.reply.view
    assert isinstance(view, JobPlanView)
    assert [(s.name, s.kind) for s in view.steps] == [
        ("stop service", "script"),
        ("push package", "file"),
        ("approve restart", "confirmation"),
    ]
    assert view.steps[0].account == "root"
    assert view.steps[0].targets == "0:10.0.0.11"
    assert view.steps[1].sources == ("/data/pkg/web-1.4.2.tar.gz from 0:10.0.0.10 as root",)
    assert view.steps[2].confirm_message == "Please confirm the restart of web"
    assert view.has_confirmation
    hosts = next(v for v in view.variables if v.name == "web_hosts")
    assert (hosts.type_label, hosts.value) == ("host list", "0:10.0.0.11")
    assert out.commands == ["job run 1000123 --form --biz 2"]


async def test_plan_masks_password_variables_everywhere(bot: Bot) -> None:
    out = await bot("job plan 1000124")
    assert isinstance(out.reply.view, JobPlanView)
    password = next(v for v in out.reply.view.variables if v.name == "db_password")
    assert password.secret
    assert password.value == "******"
    assert SECRET not in out.text
    assert SECRET not in json.dumps(out.blocks)
    assert SECRET not in out.reply.model_dump_json()


async def test_plan_unknown_id_or_word_is_explained(bot: Bot) -> None:
    missing = _error(await bot("job plan 999"))
    assert missing.kind is ErrorKind.NOT_FOUND
    typed = _error(await bot("job plan deploy"))
    assert typed.message == "ID must be a whole number (got `deploy`)."
    assert typed.usage == "job plan ID [--biz N] [--share]"


# -------------------------------------------------------------------------------- job run


async def test_run_starts_the_plan_and_posts_its_card_in_the_channel(bot: Bot) -> None:
    out = await bot("job run 1000124")
    card = out.reply.view
    assert isinstance(card, JobRunCard), out.text
    assert out.reply.placement is Placement.CHANNEL
    assert out.reply.run == RunRef(kind=RunKind.JOB, id=card.instance_id, biz=2)
    assert card.name == "db-migrate"
    assert card.kind == "plan 1000124"
    assert card.started_by == "tester"
    assert "job log" in out.commands[-1]


async def test_run_with_values_overrides_them(bot: Bot, sandbox: Sandbox[ManualClock]) -> None:
    out = await bot("job run 1000123 version=1.5.0 web_hosts=0:10.0.0.11,10.0.0.12")
    assert isinstance(out.reply.view, JobRunCard), out.text
    assert ("execute_job", "admin") in sandbox.calls


async def test_run_button_opens_the_variables_form_prefilled(bot: Bot) -> None:
    listing = await bot("job plans deploy")
    form = _form(await bot(listing.commands[0]))
    assert form.command == ("job", "run", "1000123", "--biz", "2")
    fields = {f.name: f for f in form.fields}
    assert fields["version"].default == "1.4.2"
    assert fields["web_hosts"].default == "0:10.0.0.11"
    assert fields["web_hosts"].hint is not None
    assert "cloud:ip" in fields["web_hosts"].hint
    assert len(form.title) <= 24


async def test_run_form_never_prefills_a_password(bot: Bot) -> None:
    form = _form(await bot("job run 1000124 --form"))
    password = next(f for f in form.fields if f.name == "db_password")
    assert password.kind is FieldKind.PASSWORD
    assert password.default is None
    assert not password.required
    assert password.hint is not None
    assert "leave empty to keep" in password.hint.lower()
    assert SECRET not in form.model_dump_json()


async def test_submitted_run_form_starts_the_plan(bot: Bot) -> None:
    form = _form(await bot("job run 1000124 --form"))
    out = await _submit(bot, form, {"migration_version": "2026.09.1", "db_name": "web_app"})
    assert isinstance(out.reply.view, JobRunCard), out.text
    assert out.reply.placement is Placement.CHANNEL


async def test_run_form_reports_empty_required_fields_and_bad_hosts(bot: Bot) -> None:
    form = _form(await bot("job run 1000123 --form"))
    errors = bot.dispatcher.prepare_form(form, {"version": "", "web_hosts": "0:10.0.0.11"})
    assert errors == FieldErrors({"version": "Required."})
    out = await _submit(bot, form, {"version": "2", "web_hosts": "web-01"})
    error = _error(out)
    assert "web_hosts" in error.message
    assert "not a host" in error.message


async def test_run_opens_the_form_when_a_variable_has_no_default(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    sandbox.world.job.plans[1000123].global_vars[0].value = ""
    form = _form(await bot("job run 1000123"))
    assert form.intro is not None
    assert "No default: version." in form.intro
    given = _form(await bot("job run 1000123 web_hosts=10.0.0.12"))
    assert next(f for f in given.fields if f.name == "web_hosts").default == "10.0.0.12"
    started = await bot("job run 1000123 version=9")
    assert isinstance(started.reply.view, JobRunCard)


async def test_run_unknown_variable_names_the_valid_ones(bot: Bot) -> None:
    error = _error(await bot("job run 1000123 versoin=1"))
    assert error.message == "Plan 1000123 has no variable `versoin`."
    assert error.hint == "Its variables: `version`, `web_hosts`."


async def test_run_of_a_plan_without_variables_still_asks_with_form(bot: Bot) -> None:
    form = _form(await bot("job run 1000125 --form"))
    assert form.fields == ()
    assert form.intro is not None
    assert "no variables" in form.intro
    out = await _submit(bot, form, {})
    assert isinstance(out.reply.view, JobRunCard)


async def test_run_is_denied_for_a_read_only_user(carol: Bot) -> None:
    error = _error(await carol("job run 1000124"))
    assert error.kind is ErrorKind.DENIED
    assert error.missing_permission is not None
    assert "launch_job_plan" in error.missing_permission


async def test_run_reply_is_a_view_or_a_form(bot: Bot) -> None:
    reply = await bot.dispatcher.run("job run 1000123 --form", actor=bot.actor, channel=CHANNEL)
    assert isinstance(reply, Reply)
    assert reply.view is None
    assert reply.run is None


async def test_every_plan_list_and_plan_button_runs(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_lists, "PAGE_SIZE", 2)
    listing = await bot("job plans --page 2")
    detail = await bot("job plan 1000124")
    for command in listing.commands + detail.commands:
        out = await bot(command)
        assert not isinstance(out.reply.view, ErrorView), (command, out.text)


async def test_run_id_must_be_a_number(bot: Bot) -> None:
    assert (
        _error(await bot("job run deploy")).message == "ID must be a whole number (got `deploy`)."
    )


def test_a_page_command_too_long_for_a_button_is_left_out() -> None:
    assert build.pager("job plans " + "e" * 1990, 1, 2, 2) == ()
    assert [a.label for a in build.pager("job plans e", 2, 3, 2)] == ["◀ Prev", "Next ▶"]
