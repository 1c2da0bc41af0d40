"""job exec, job push and job sql: typed in full, or completed through their forms."""

from __future__ import annotations

import pytest

from bot.commands import FieldErrors, Prepared
from bot.rendering import Renderer
from bot.sandbox import ManualClock, Sandbox
from bot.services import Actor, MappedBy, Services
from bot.views import ErrorKind, ErrorView, FieldKind, Form, Placement, RunKind, TokenStyle
from bot.views.job import JobLogView, JobRunCard
from tests.commands.conftest import CHANNEL, Bot, Outcome


@pytest.fixture
def carol(services: Services, renderer: Renderer) -> Bot:
    return Bot(services, renderer, Actor("U1", "Carol", "carol", MappedBy.POLICY))


def _error(out: Outcome) -> ErrorView:
    assert isinstance(out.reply.view, ErrorView), out.text
    return out.reply.view


def _form(out: Outcome) -> Form:
    assert out.reply.form is not None, out.text
    return out.reply.form


def _card(out: Outcome) -> JobRunCard:
    assert isinstance(out.reply.view, JobRunCard), out.text
    assert out.reply.placement is Placement.CHANNEL
    assert out.reply.run is not None
    assert out.reply.run.kind is RunKind.JOB
    assert out.reply.run.id == out.reply.view.instance_id
    return out.reply.view


async def _submit(bot: Bot, form: Form, answers: dict[str, str]) -> Outcome:
    prepared = bot.dispatcher.prepare_form(form, answers)
    assert isinstance(prepared, Prepared), prepared
    return bot.render(await bot.dispatcher.execute(prepared, actor=bot.actor, channel=CHANNEL))


# ------------------------------------------------------------------------------- job exec


async def test_exec_inline_code_runs_on_the_hosts_and_posts_a_card(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    out = await bot("job exec --hosts 0:10.0.0.11,10.0.0.12 --account root ```echo a <&> b```")
    card = _card(out)
    assert card.kind == "fast script"
    assert card.name == "chatops:admin:exec"
    sandbox.clock.advance(20)
    log = await bot(f"job log {card.instance_id}")
    assert isinstance(log.reply.view, JobLogView)
    group = log.reply.view.steps[0].groups[0]
    assert group.hosts == ("10.0.0.11", "10.0.0.12")  # identical output: one group
    assert "a <&> b" in group.output  # the server's escaping undone for reading …
    assert "a &lt;&amp;&gt; b" in str(log.blocks)  # … and redone for Slack


async def test_exec_saved_script_with_name_params_and_timeout(bot: Bot) -> None:
    out = await bot(
        'job exec --hosts 10.0.0.11 --account root --script-id 6862 --params "80" '
        '--timeout 60 --name "disk check" --sensitive'
    )
    assert _card(out).name == "disk check"


async def test_exec_without_enough_input_opens_a_form_with_what_was_given(bot: Bot) -> None:
    form = _form(await bot("job exec --account deploy-user --type python"))
    fields = {f.name: f for f in form.fields}
    assert fields["account"].kind is FieldKind.SELECT
    assert [o.value for o in fields["account"].options] == ["root", "Administrator", "deploy-user"]
    assert fields["account"].default == "deploy-user"
    assert fields["type"].default == "python"
    assert fields["code"].token is TokenStyle.CODE
    assert form.intro is not None
    assert "hosts" in form.intro
    out = await _submit(
        bot, form, {"hosts": "10.0.0.11", "account": "root", "code": "echo hi", "type": "shell"}
    )
    _card(out)


async def test_exec_form_reports_bad_hosts_and_numbers_per_field(bot: Bot) -> None:
    form = _form(await bot("job exec --form"))
    bad_hosts = bot.dispatcher.prepare_form(
        form, {"hosts": "web01", "account": "root", "code": "uptime"}
    )
    assert isinstance(bad_hosts, FieldErrors)
    assert "not a host" in bad_hosts.errors["hosts"]
    bad_timeout = bot.dispatcher.prepare_form(
        form, {"hosts": "10.0.0.11", "account": "root", "timeout": "soon"}
    )
    assert bad_timeout == FieldErrors({"timeout": "--timeout must be a whole number (got `soon`)."})
    missing = bot.dispatcher.prepare_form(form, {"hosts": "10.0.0.11"})
    assert missing == FieldErrors({"account": "Required."})


async def test_exec_submitted_without_a_script_asks_again(bot: Bot) -> None:
    form = _form(await bot("job exec"))
    again = _form(await _submit(bot, form, {"hosts": "10.0.0.11", "account": "root"}))
    assert again.intro is not None
    assert "a script id or code" in again.intro
    assert next(f for f in again.fields if f.name == "hosts").default == "0:10.0.0.11"


async def test_exec_refuses_both_a_script_id_and_code(bot: Bot) -> None:
    error = _error(await bot("job exec --hosts 10.0.0.11 --account root --script-id 1 ```ls```"))
    assert "not both" in error.message


async def test_exec_bad_language_and_bad_hosts_are_usage_errors(bot: Bot) -> None:
    language = _error(await bot("job exec --type ruby"))
    assert language.kind is ErrorKind.USAGE
    assert "shell" in language.message
    hosts = _error(await bot("job exec --hosts 10.0.0.300 --account root ```ls```"))
    assert "`10.0.0.300` is not a host" in hosts.message


async def test_exec_unknown_account_is_reported_by_bk_job(bot: Bot) -> None:
    error = _error(await bot("job exec --hosts 10.0.0.11 --account nobody ```ls```"))
    assert error.kind is ErrorKind.NOT_FOUND
    assert "nobody" in error.message


async def test_exec_is_denied_for_a_read_only_user(carol: Bot) -> None:
    error = _error(await carol("job exec --hosts 10.0.0.11 --account root ```ls```"))
    assert error.kind is ErrorKind.DENIED
    assert error.missing_permission


# ------------------------------------------------------------------------------- job push


async def test_push_copies_files_and_posts_a_card(bot: Bot) -> None:
    out = await bot(
        "job push --hosts 10.0.0.11 --account root --source-hosts 10.0.0.10 "
        '--source-account root --files "/data/a.tgz,/data/b.tgz" --target-path /tmp/in'
    )
    assert _card(out).kind == "file push"


async def test_push_form_collects_sources_and_targets(bot: Bot) -> None:
    form = _form(await bot("job push --target-path /data/release/"))
    assert next(f for f in form.fields if f.name == "target_path").default == "/data/release/"
    relative = bot.dispatcher.prepare_form(
        form,
        {
            "source_hosts": "10.0.0.10",
            "source_account": "root",
            "files": "data/app.tgz",
            "hosts": "10.0.0.11",
            "account": "root",
            "target_path": "/data/release/",
        },
    )
    assert isinstance(relative, FieldErrors)
    assert "absolute" in relative.errors["files"]
    out = await _submit(
        bot,
        form,
        {
            "source_hosts": "10.0.0.10",
            "source_account": "root",
            "files": "/data/app.tgz\n/data/app.sha256",
            "hosts": "10.0.0.11,10.0.0.12",
            "account": "root",
            "target_path": "/data/release/",
        },
    )
    _card(out)


async def test_push_relative_target_path_is_a_usage_error(bot: Bot) -> None:
    error = _error(await bot("job push --target-path tmp"))
    assert error.message.startswith("--target-path needs absolute paths")


async def test_push_is_denied_for_a_read_only_user(carol: Bot) -> None:
    error = _error(
        await carol(
            "job push --hosts 10.0.0.11 --account root --source-hosts 10.0.0.10 "
            "--source-account root --files /data/a --target-path /tmp"
        )
    )
    assert error.kind is ErrorKind.DENIED


# -------------------------------------------------------------------------------- job sql


async def test_sql_runs_inline_sql_or_a_saved_version(bot: Bot) -> None:
    inline = await bot("job sql --hosts 10.0.1.21 --db-account 1000 ```show tables;```")
    assert _card(inline).kind == "SQL"
    saved = await bot("job sql --hosts 10.0.1.21 --db-account 1000 --script-id 7040")
    _card(saved)


async def test_sql_form_offers_the_users_db_accounts(bot: Bot) -> None:
    form = _form(await bot("job sql --script-id 7040"))
    account = next(f for f in form.fields if f.name == "db_account")
    assert [o.value for o in account.options] == ["1000", "1001"]
    bad = bot.dispatcher.prepare_form(form, {"hosts": "10.0.1.21", "db_account": "admin"})
    assert bad == FieldErrors({"db_account": "--db-account must be a whole number (got `admin`)."})
    answers = {"hosts": "10.0.1.21", "db_account": "1001", "script_id": "7040"}
    _card(await _submit(bot, form, answers))


async def test_sql_with_an_account_not_granted_is_denied(carol: Bot) -> None:
    error = _error(await carol("job sql --hosts 10.0.1.21 --db-account 1001 ```select 1;```"))
    assert error.kind is ErrorKind.DENIED
    assert _error(await carol("job sql --db-account x")).kind is ErrorKind.USAGE
