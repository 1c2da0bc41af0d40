"""job scripts, public-scripts, script, accounts and db-accounts."""

from __future__ import annotations

import pytest

from bot.commands import _lists
from bot.rendering import Renderer
from bot.sandbox import ManualClock, Sandbox
from bot.services import Actor, MappedBy, Services
from bot.views import ErrorKind, ErrorView, Placement
from bot.views.job import JobAccountListView, JobScriptListView, JobScriptView
from tests.commands.conftest import Bot, Outcome


@pytest.fixture
def carol(services: Services, renderer: Renderer) -> Bot:
    return Bot(services, renderer, Actor("U1", "Carol", "carol", MappedBy.POLICY))


def _error(out: Outcome) -> ErrorView:
    assert isinstance(out.reply.view, ErrorView), out.text
    return out.reply.view


async def test_scripts_list_online_versions_with_exec_and_details(bot: Bot) -> None:
    out = await bot("job scripts")
    view = out.reply.view
    assert isinstance(view, JobScriptListView)
    ids = [r.id for r in view.rows]
    assert ids == [6862, 7010, 7020, 7030, 7040]  # 7011 is disabled: not online
    first = view.rows[0]
    assert (first.name, first.language, first.version) == ("check_disk.sh", "shell", "v1.2")
    assert first.updated == "2024-07-01 02:11 UTC"  # bk-job §4.4: script times are UTC
    assert out.commands[:2] == ["job exec --script-id 6862 --biz 2", "job script 6862 --biz 2"]
    sql = view.rows[-1]
    assert sql.language == "SQL"
    assert sql.actions[0].command == "job sql --script-id 7040 --biz 2"


async def test_exec_button_opens_the_exec_form_with_the_script_id(bot: Bot) -> None:
    listing = await bot("job scripts disk")
    assert isinstance(listing.reply.view, JobScriptListView)
    assert [r.name for r in listing.reply.view.rows] == ["check_disk.sh", "disk_cleanup.sh"]
    form = (await bot(listing.commands[0])).reply.form
    assert form is not None
    assert next(f for f in form.fields if f.name == "script_id").default == "6862"


async def test_scripts_page_past_the_end_is_refused(bot: Bot) -> None:
    error = _error(await bot("job scripts --page 3"))
    assert "no page 3" in error.message
    assert "no online scripts" in (await bot("job scripts nothing-like-it")).text


async def test_public_scripts_are_listed_platform_wide(bot: Bot) -> None:
    out = await bot("job public-scripts --share")
    view = out.reply.view
    assert isinstance(view, JobScriptListView)
    assert view.public
    assert [r.id for r in view.rows] == [36, 37]
    assert out.reply.placement is Placement.CHANNEL
    assert _error(await bot("job public-scripts --page 0")).kind is ErrorKind.USAGE


async def test_script_shows_its_content_read_from_the_list(bot: Bot) -> None:
    out = await bot("job script 6862")
    view = out.reply.view
    assert isinstance(view, JobScriptView)
    assert view.content is not None
    assert "check_disk.sh - show filesystem usage" in view.content
    assert not view.truncated
    assert out.reply.attachment is None
    assert out.commands == ["job exec --script-id 6862 --biz 2"]
    public = await bot("job script 36")
    assert isinstance(public.reply.view, JobScriptView)
    assert public.reply.view.public
    assert public.reply.view.content is not None
    assert "ping" in public.reply.view.content


async def test_long_script_is_cut_and_attached_whole(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    body = "".join(f"echo line {n} <&>\n" for n in range(600))
    sandbox.world.job.scripts[6862].content = body
    out = await bot("job script 6862")
    view = out.reply.view
    assert isinstance(view, JobScriptView)
    assert view.truncated
    assert view.content is not None
    assert view.content.endswith("…")
    attachment = out.reply.attachment
    assert attachment is not None
    assert (attachment.filename, attachment.content) == ("check_disk.sh", body)
    assert view.lines == 600
    assert "attached" in out.text


async def test_script_unknown_or_foreign_id_is_not_found(bot: Bot) -> None:
    assert _error(await bot("job script 99999")).kind is ErrorKind.NOT_FOUND
    assert _error(await bot("job script 7100")).kind is ErrorKind.NOT_FOUND  # business 3's
    assert _error(await bot("job script x")).message == "ID must be a whole number (got `x`)."


async def test_accounts_list_aliases_to_use(bot: Bot) -> None:
    out = await bot("job accounts")
    view = out.reply.view
    assert isinstance(view, JobAccountListView)
    assert not view.db
    assert [r.alias for r in view.rows] == ["root", "Administrator", "deploy-user"]
    assert "deploy-user" in out.text
    assert _error(await bot("job accounts extra")).message.startswith("Unexpected `extra`")


async def test_db_accounts_are_the_ones_the_user_may_use(bot: Bot, carol: Bot) -> None:
    mine = (await bot("job db-accounts")).reply.view
    assert isinstance(mine, JobAccountListView)
    assert [r.id for r in mine.rows] == [1000, 1001]
    theirs = (await carol("job db-accounts")).reply.view
    assert isinstance(theirs, JobAccountListView)
    assert [r.alias for r in theirs.rows] == ["mysql-readonly"]  # 1001 is granted to admin
    assert _error(await bot("job db-accounts --page 2")).kind is ErrorKind.USAGE


async def test_every_script_button_runs(bot: Bot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_lists, "PAGE_SIZE", 2)
    listing = await bot("job scripts --page 2")
    view = listing.reply.view
    assert isinstance(view, JobScriptListView)
    assert (view.page, view.pages, [r.id for r in view.rows]) == (2, 3, [7020, 7030])
    detail = await bot("job script 7040")
    assert detail.commands == ["job sql --script-id 7040 --biz 2"]
    for command in listing.commands + detail.commands:
        out = await bot(command)
        assert not isinstance(out.reply.view, ErrorView), (command, out.text)
