"""sops templates / sops template: lists with Run buttons, nodes in flow order, masked forms."""

from __future__ import annotations

import pytest

from bot.commands import _lists
from bot.sandbox import ManualClock, Sandbox
from bot.services import Actor, MappedBy, Services
from bot.views import ButtonStyle, ErrorKind, ErrorView, Placement
from bot.views.sops import SopsPeriodicView, SopsTemplateListView, SopsTemplateView
from tests.commands.conftest import Bot, Outcome


def _click(out: Outcome, label: str, nth: int = 0) -> str:
    """The command behind the nth button labelled ``label``."""
    indexes = [i for i, b in enumerate(out.buttons) if b["text"]["text"] == label]
    assert len(indexes) > nth, f"no button {label!r} in {out.commands}"
    return out.commands[indexes[nth]]


def _error(out: Outcome) -> ErrorView:
    assert isinstance(out.reply.view, ErrorView), out.text
    return out.reply.view


async def test_templates_lists_the_business_templates_privately_with_run_buttons(bot: Bot) -> None:
    out = await bot("sops templates")
    view = out.reply.view
    assert isinstance(view, SopsTemplateListView)
    assert out.reply.placement is Placement.EPHEMERAL
    assert [r.id for r in view.rows] == [42, 51, 57, 58, 59, 60]
    assert "Restart nginx (with approval)" in out.text
    assert _click(out, "Run") == "sops run 42 --form --biz 2"
    assert out.buttons[0]["style"] == ButtonStyle.PRIMARY.value

    form = await bot(_click(out, "Run", 3))
    assert form.reply.form is not None
    assert form.reply.form.command[:3] == ("sops", "run", "58")
    details = await bot(_click(out, "Details", 1))
    assert isinstance(details.reply.view, SopsTemplateView)
    assert details.reply.view.id == 51


async def test_templates_filter_by_keyword_and_list_common_ones(bot: Bot) -> None:
    nginx = await bot("sops templates nginx")
    assert isinstance(nginx.reply.view, SopsTemplateListView)
    assert [r.id for r in nginx.reply.view.rows] == [42, 57]

    common = await bot("sops templates --common")
    assert isinstance(common.reply.view, SopsTemplateListView)
    assert [r.id for r in common.reply.view.rows] == [1001]
    run = _click(common, "Run")
    assert run == "sops run 1001 --form --common --biz 2"
    form = await bot(run)
    assert form.reply.form is not None
    assert "--common" in form.reply.form.command
    details = await bot(_click(common, "Details"))
    assert isinstance(details.reply.view, SopsTemplateView)
    assert details.reply.view.common

    none = await bot('sops templates "no such thing"')
    assert isinstance(none.reply.view, SopsTemplateListView)
    assert none.reply.view.rows == ()
    assert 'No templates match "no such thing"' in none.text


async def test_templates_page_with_prev_and_next_buttons(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_lists, "PAGE_SIZE", 4)
    first = await bot("sops templates")
    assert isinstance(first.reply.view, SopsTemplateListView)
    assert (first.reply.view.page, first.reply.view.pages) == (1, 2)
    assert len(first.reply.view.rows) == 4
    second = await bot(_click(first, "Next ▶"))
    assert isinstance(second.reply.view, SopsTemplateListView)
    assert [r.id for r in second.reply.view.rows] == [59, 60]
    back = await bot(_click(second, "◀ Prev"))
    assert isinstance(back.reply.view, SopsTemplateListView)
    assert back.reply.view.page == 1

    keyword = await bot("sops templates nginx --page 1")
    assert "Next ▶" not in [b["text"]["text"] for b in keyword.buttons]

    past = _error(await bot("sops templates --page 9"))
    assert past.kind is ErrorKind.USAGE
    assert "no page 9" in past.message


async def test_templates_reject_bad_input_and_unknown_business(bot: Bot) -> None:
    assert _error(await bot("sops templates --page 0")).kind is ErrorKind.USAGE
    assert _error(await bot("sops templates --pages 2")).suggestion == "--page"
    missing = _error(await bot("sops templates --biz 77"))
    assert missing.kind is ErrorKind.NOT_FOUND


async def test_templates_outside_the_users_business_are_denied(
    services: Services, bot: Bot
) -> None:
    dave = Bot(services, bot.renderer, Actor("U4", "Dave", "dave", MappedBy.POLICY))
    denied = _error(await dave("sops templates --biz 2"))
    assert denied.kind is ErrorKind.DENIED
    assert denied.missing_permission == "BK-SOPS: project_view"
    allowed = await dave("sops templates --biz 3")
    assert isinstance(allowed.reply.view, SopsTemplateListView)
    assert [r.id for r in allowed.reply.view.rows] == [70]


async def test_template_shows_nodes_in_flow_order_and_who_must_act(bot: Bot) -> None:
    out = await bot("sops template 42")
    view = out.reply.view
    assert isinstance(view, SopsTemplateView)
    assert [(n.index, n.name, n.plugin, n.waits_for) for n in view.nodes] == [
        (1, "Restart nginx", "job_fast_execute_script", None),
        (2, "Ops approval", "pause_node", "manual continue"),
        (3, "Warm-up wait", "sleep_timer", None),
    ]
    assert [c.key for c in view.constants] == ["ip_list", "script_content", "wait_seconds"]
    assert "waits for manual continue" in out.text

    approval = await bot("sops template 58")
    assert isinstance(approval.reply.view, SopsTemplateView)
    assert approval.reply.view.nodes[1].waits_for == "approval"

    run = await bot(_click(out, "Run"))
    assert run.reply.form is not None
    schedule = await bot(_click(out, "Schedule"))
    assert schedule.reply.form is not None
    assert schedule.reply.form.command[:4] == ("sops", "periodic", "create", "42")


async def test_template_masks_password_variables_everywhere(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    tree = sandbox.world.sops.templates[58].tree
    tree["constants"]["${db_password}"]["value"] = "hunter2-secret"
    out = await bot("sops template 58")
    assert isinstance(out.reply.view, SopsTemplateView)
    row = next(c for c in out.reply.view.constants if c.key == "db_password")
    assert (row.value, row.secret) == ("******", True)
    assert "hunter2" not in out.text
    assert "hunter2" not in str(out.blocks)
    form = await bot("sops run 58 --form")
    assert form.reply.form is not None
    assert "hunter2" not in form.reply.form.model_dump_json()


async def test_template_unknown_id_or_wrong_type_is_explained(bot: Bot) -> None:
    missing = _error(await bot("sops template 999"))
    assert missing.kind is ErrorKind.NOT_FOUND
    assert "999" in missing.message
    wrong = _error(await bot("sops template forty-two"))
    assert wrong.message == "ID must be a whole number (got `forty-two`)."
    assert _error(await bot("sops template 42 --common")).kind is ErrorKind.NOT_FOUND


async def test_template_schedule_button_leads_to_a_disabled_periodic_task(bot: Bot) -> None:
    out = await bot("sops template 57")
    schedule = await bot(_click(out, "Schedule") + ' --name "reload nightly" --cron "0 1 * * *"')
    assert isinstance(schedule.reply.view, SopsPeriodicView)
    assert not schedule.reply.view.enabled
