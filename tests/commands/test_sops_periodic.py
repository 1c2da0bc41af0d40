"""sops periodic …: list, show, create (disabled, then Enable), on/off, cron, set."""

from __future__ import annotations

import pytest

from bot.clients.bk_sops import CronSpec
from bot.commands import FieldErrors, Prepared, _lists
from bot.commands._sops_cron import describe_schedule, parse_user_cron
from bot.errors import UserError
from bot.sandbox import ManualClock, Sandbox
from bot.services import Actor, MappedBy, Services
from bot.views import ButtonStyle, ErrorKind, ErrorView, NoticeView, Placement
from bot.views.sops import SopsPeriodicListView, SopsPeriodicView, SopsTemplateView
from tests.commands.conftest import CHANNEL, Bot, Outcome


def _click(out: Outcome, label: str, nth: int = 0) -> str:
    found = [
        c for b, c in zip(out.buttons, out.commands, strict=True) if b["text"]["text"] == label
    ]
    assert len(found) > nth, f"no button {label!r} in {out.commands}"
    return found[nth]


def _labels(out: Outcome) -> list[str]:
    return [str(b["text"]["text"]) for b in out.buttons]


def _error(out: Outcome) -> ErrorView:
    assert isinstance(out.reply.view, ErrorView), out.text
    return out.reply.view


def _notice(out: Outcome) -> NoticeView:
    assert isinstance(out.reply.view, NoticeView), out.text
    assert out.reply.placement is Placement.THREAD
    return out.reply.view


def _periodic(out: Outcome) -> SopsPeriodicView:
    assert isinstance(out.reply.view, SopsPeriodicView), out.text
    return out.reply.view


async def test_periodic_lists_schedules_in_words_with_on_off_and_details(bot: Bot) -> None:
    out = await bot("sops periodic")
    view = out.reply.view
    assert isinstance(view, SopsPeriodicListView)
    assert out.reply.placement is Placement.EPHEMERAL
    assert [(r.id, r.enabled, r.schedule, r.timezone) for r in view.rows] == [
        (7, True, "every day at 02:00", "Asia/Shanghai"),
        (5, False, "every Sunday at 03:30", "Asia/Shanghai"),
    ]
    assert _labels(out) == ["Disable", "Details", "Enable", "Details"]
    assert "every day at 02:00 (Asia/Shanghai)" in out.text

    details = await bot(_click(out, "Details", 1))
    assert _periodic(details).id == 5
    enabled = _notice(await bot(_click(out, "Enable")))
    assert enabled.text == "Periodic task 5 enabled by tester."
    disabled = _notice(await bot(_click(out, "Disable")))
    assert disabled.text == "Periodic task 7 disabled by tester."
    assert [a.label for a in disabled.actions] == ["Enable"]


async def test_periodic_filters_by_keyword_or_id_and_pages(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    weekly = await bot("sops periodic WEEKLY")
    assert isinstance(weekly.reply.view, SopsPeriodicListView)
    assert [r.id for r in weekly.reply.view.rows] == [5]
    by_id = await bot("sops periodic 7")
    assert isinstance(by_id.reply.view, SopsPeriodicListView)
    assert [r.id for r in by_id.reply.view.rows] == [7]
    nothing = await bot("sops periodic hourly")
    assert 'No periodic tasks match "hourly"' in nothing.text

    monkeypatch.setattr(_lists, "PAGE_SIZE", 1)
    first = await bot("sops periodic")
    assert isinstance(first.reply.view, SopsPeriodicListView)
    assert first.reply.view.pages == 2
    second = await bot(_click(first, "Next ▶"))
    assert isinstance(second.reply.view, SopsPeriodicListView)
    assert [r.id for r in second.reply.view.rows] == [5]
    assert "◀ Prev" in _labels(second)
    assert "no page 3" in _error(await bot("sops periodic --page 3")).message


async def test_periodic_show_gives_schedule_zone_variables_and_last_run(bot: Bot) -> None:
    out = await bot("sops periodic show 7")
    view = _periodic(out)
    assert out.reply.placement is Placement.EPHEMERAL
    assert (view.schedule, view.timezone, view.runs) == ("every day at 02:00", "Asia/Shanghai", 19)
    assert view.last_run == "2026-08-20 02:00 +0800"
    assert [c.key for c in view.constants] == ["ip_list", "script_content", "wait_seconds"]
    assert view.created_by is None
    assert _labels(out) == ["Disable", "Template"]
    disabled = await bot(_click(out, "Disable"))
    assert _notice(disabled).text == "Periodic task 7 disabled by tester."
    enabled = await bot(_click(disabled, "Enable"))
    assert _notice(enabled).text == "Periodic task 7 enabled by tester."
    assert _notice(await bot(_click(enabled, "Disable"))).text.endswith("disabled by tester.")
    template = await bot(_click(out, "Template"))
    assert isinstance(template.reply.view, SopsTemplateView)
    assert template.reply.view.id == 42
    assert _error(await bot("sops periodic show 77")).kind is ErrorKind.NOT_FOUND
    assert _error(await bot("sops periodic show seven")).kind is ErrorKind.USAGE


async def test_periodic_create_says_it_is_disabled_and_offers_enable(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    out = await bot(
        'sops periodic create 42 --name "weekday restart" --cron "30 1 * * 1-5" wait_seconds=45'
    )
    view = _periodic(out)
    assert out.reply.placement is Placement.CHANNEL
    assert (view.id, view.enabled, view.created_by) == (101, False, "tester")
    # typed in crontab order, stored in BK-SOPS's own order (bk-sops §3.11)
    assert view.cron == "30 1 1-5 * * (m/h/d/dM/MY) Asia/Shanghai"
    assert view.schedule == "on Mon–Fri at 01:30"
    assert "It is disabled" in out.text
    assert _labels(out) == ["Enable", "Template"]
    assert out.buttons[0]["style"] == ButtonStyle.PRIMARY.value
    stored = sandbox.world.sops.periodic[101]
    assert stored.tree["constants"]["${wait_seconds}"]["value"] == "45"

    enabled = _notice(await bot(_click(out, "Enable")))
    assert enabled.text == "Periodic task 101 enabled by tester."
    assert stored.enabled


async def test_periodic_create_asks_for_name_and_schedule_in_a_form(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    form = (await bot("sops periodic create 58 --name nightly-schema")).reply.form
    assert form is not None
    assert len(form.title) <= 24
    assert form.command == ("sops", "periodic", "create", "58", "--biz", "2")
    fields = {f.name: f for f in form.fields}
    assert fields["name"].default == "nightly-schema"
    assert fields["cron"].default is None
    assert fields["db_password"].default is None

    answers = {f.name: f.default or "" for f in form.fields}
    assert bot.dispatcher.prepare_form(form, answers) == FieldErrors(
        {"cron": "Required.", "db_password": "Required."}
    )
    bad_cron = bot.dispatcher.prepare_form(
        form, {**answers, "cron": "0 25 * * *", "db_password": "x"}
    )
    assert isinstance(bad_cron, FieldErrors)
    assert list(bad_cron.errors) == ["cron"]
    assert "bad hour field" in bad_cron.errors["cron"]
    long_name = bot.dispatcher.prepare_form(
        form, {**answers, "name": "n" * 51, "cron": "0 2 * * *", "db_password": "x"}
    )
    assert isinstance(long_name, FieldErrors)
    assert list(long_name.errors) == ["name"]

    prepared = bot.dispatcher.prepare_form(
        form, {**answers, "cron": "0 2 * * 0", "db_password": "pw-123"}
    )
    assert isinstance(prepared, Prepared)
    out = bot.render(await bot.dispatcher.execute(prepared, actor=bot.actor, channel=CHANNEL))
    view = _periodic(out)
    assert view.schedule == "every Sunday at 02:00"
    assert next(c for c in view.constants if c.key == "db_password").value == "******"
    assert "pw-123" not in out.text
    assert "pw-123" not in str(out.blocks)


async def test_periodic_create_bad_input_is_explained(services: Services, bot: Bot) -> None:
    assert (
        "bad minute field"
        in _error(await bot("sops periodic create 42 --cron '99 * * * *'")).message
    )
    assert _error(await bot("sops periodic create 999 --name x --cron '0 1 * * *'")).kind is (
        ErrorKind.NOT_FOUND
    )
    hidden = _error(
        await bot("sops periodic create 51 --name x --cron '0 1 * * *' retention_days=1")
    )
    assert "hidden variable" in hidden.message
    carol = Bot(services, bot.renderer, Actor("U1", "Carol", "carol", MappedBy.POLICY))
    denied = _error(await carol("sops periodic create 42 --name x --cron '0 1 * * *'"))
    assert denied.missing_permission == "BK-SOPS: flow_create_periodic_task"


async def test_periodic_on_off_are_idempotent_and_checked(services: Services, bot: Bot) -> None:
    assert _notice(await bot("sops periodic on 7")).text == "Periodic task 7 enabled by tester."
    assert _notice(await bot("sops periodic on 7")).text == "Periodic task 7 enabled by tester."
    off = _notice(await bot("sops periodic off 7"))
    assert off.actions[0].command == "sops periodic on 7 --biz 2"
    assert _error(await bot("sops periodic on 404")).kind is ErrorKind.NOT_FOUND
    assert _error(await bot("sops periodic off")).message == "Missing ID."
    carol = Bot(services, bot.renderer, Actor("U1", "Carol", "carol", MappedBy.POLICY))
    assert _error(await carol("sops periodic off 7")).missing_permission == (
        "BK-SOPS: periodic_task_edit"
    )


async def test_periodic_cron_maps_crontab_order_to_the_sops_fields(bot: Bot) -> None:
    out = await bot('sops periodic cron 7 "15 4 1 * 1"')
    notice = _notice(out)
    assert notice.text == (
        "Periodic task 7 now runs on day 1 of the month when it is a Monday at 04:15 "
        "(Asia/Shanghai); changed by tester."
    )
    assert notice.detail is not None
    assert "15 4 1 1 * (m/h/d/dM/MY) Asia/Shanghai" in notice.detail
    unquoted = _notice(await bot("sops periodic cron 7 */10 * * * *"))
    assert "now runs every 10 minutes (Asia/Shanghai)" in unquoted.text
    shown = await bot(_click(out, "Details"))
    assert _periodic(shown).schedule == "every 10 minutes"

    bad = _error(await bot("sops periodic cron 7 '0 2 * *'"))
    assert bad.message == (
        "CRON needs five fields (minute hour day-of-month month day-of-week), not 4 "
        "(got `0 2 * *`)."
    )
    assert _error(await bot("sops periodic cron 404 '0 2 * * *'")).kind is ErrorKind.NOT_FOUND


async def test_periodic_set_changes_known_variables_and_masks_passwords(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    out = await bot("sops periodic set 7 wait_seconds=90 '${ip_list}=10.0.0.13'")
    notice = _notice(out)
    assert notice.text == (
        "Periodic task 7 “nightly nginx restart”: Warm-up seconds = 90, Target IPs = 10.0.0.13; "
        "set by tester."
    )
    constants = sandbox.world.sops.periodic[7].tree["constants"]
    assert constants["${wait_seconds}"]["value"] == "90"
    shown = await bot(_click(out, "Details"))
    assert _periodic(shown).constants[0].value == "10.0.0.13"

    created = _periodic(
        await bot("sops periodic create 58 --name pw --cron '0 3 * * *' db_password=first-pw")
    )
    secret = _notice(await bot(f"sops periodic set {created.id} db_password=second-pw"))
    assert "DB password = ******" in secret.text
    assert "second-pw" not in secret.text


async def test_periodic_set_bad_input_is_explained(bot: Bot) -> None:
    unknown = _error(await bot("sops periodic set 7 colour=blue"))
    assert unknown.message == "Periodic task 7 (nightly nginx restart) has no variable `colour`."
    hidden = _error(await bot("sops periodic set 5 retention_days=3"))
    assert "hidden variable" in hidden.message
    empty = _error(await bot("sops periodic set 7"))
    assert empty.message == "Give at least one variable as key=value."
    assert _error(await bot("sops periodic set 404 a=b")).kind is ErrorKind.NOT_FOUND


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("0 2 * * *", "every day at 02:00"),
        ("30 3 * * 0", "every Sunday at 03:30"),
        ("30 3 * * 7", "every Sunday at 03:30"),
        ("0 9 * * mon,wed", "on Mon, Wed at 09:00"),
        ("*/15 * * * *", "every 15 minutes"),
        ("* * * * *", "every minute"),
        ("5 * * * *", "every hour at :05"),
        ("0 */6 * * *", "every 6 hours at :00"),
        ("0 9,18 * * 1-5", "on Mon–Fri at 09:00, 18:00"),
        ("0 0 1,15 * *", "on day 1,15 of the month at 00:00"),
        ("0 0 1 1-6 *", "on day 1 of the month in Jan–Jun at 00:00"),
        ("*/5 9-17 * * *", "every 5 minutes during hours 9-17"),
        ("0 9-17 * * *", "every hour at :00 from 09:00 to 17:00"),
        ("0 9-17 * * 1-5", "every hour at :00 from 09:00 to 17:00, on Mon–Fri"),
        ("0 1,9-17 * * *", "every day at :00 past hours 1,9-17"),
    ],
)
def test_schedules_read_as_words(typed: str, words: str) -> None:
    assert describe_schedule(parse_user_cron(typed)) == words


def test_typed_schedules_map_to_the_named_sops_fields() -> None:
    assert parse_user_cron("1 2 3 4 5") == CronSpec(
        minute="1", hour="2", day_of_month="3", month_of_year="4", day_of_week="5"
    )
    with pytest.raises(UserError) as caught:
        parse_user_cron("0 0 32 * *")
    assert caught.value.field == "cron"
    assert "day-of-month" in caught.value.user_message
