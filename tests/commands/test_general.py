"""help, biz, whoami, and how every command reports bad input."""

from __future__ import annotations

from bot.services import Identity, Policy
from bot.views import ErrorKind, ErrorView, Placement
from tests.commands.conftest import Bot


async def test_help_lists_commands_from_the_registry(bot: Bot) -> None:
    out = await bot("help")
    assert out.reply.placement is Placement.EPHEMERAL
    assert "/bk whoami [--share]" in out.text
    assert "/bk biz [ID]" in out.text
    usages = [spec.full_usage for spec in bot.dispatcher.registry.specs]
    for usage in usages:
        assert usage in out.text


async def test_help_for_one_topic_and_unknown_topic(bot: Bot) -> None:
    general = await bot("help general")
    assert "Help: general" in general.text
    unknown = await bot("help nothing-like-this")
    assert isinstance(unknown.reply.view, ErrorView)
    assert "No help topic" in unknown.text


async def test_unknown_command_suggests_the_closest(bot: Bot) -> None:
    out = await bot("whoamii")
    view = out.reply.view
    assert isinstance(view, ErrorView)
    assert view.kind is ErrorKind.USAGE
    assert view.suggestion == "whoami"
    assert out.reply.placement is Placement.EPHEMERAL


async def test_bad_values_name_the_field_and_show_usage(bot: Bot) -> None:
    out = await bot("biz two")
    view = out.reply.view
    assert isinstance(view, ErrorView)
    assert view.message == "ID must be a whole number (got `two`)."
    assert view.usage == "biz [ID]"


async def test_unclosed_quote_is_explained(bot: Bot) -> None:
    out = await bot('help "job')
    assert "no closing quotation" in out.text


async def test_biz_is_remembered_per_channel(bot: Bot) -> None:
    assert "business 2" in (await bot("biz", channel="C1")).text  # the default
    set_reply = await bot("biz 3", channel="C1")
    assert set_reply.reply.placement is Placement.CHANNEL
    assert "business 3" in (await bot("biz", channel="C1")).text
    assert "business 2" in (await bot("biz", channel="C2")).text
    assert "business 2" in (await bot("biz --biz 2", channel="C1")).text


async def test_biz_needs_a_channel_to_set(bot: Bot) -> None:
    out = await bot("biz 3", channel=None)
    assert "use --biz instead" in out.text


async def test_share_posts_a_read_in_the_channel(bot: Bot) -> None:
    assert (await bot("whoami --share")).reply.placement is Placement.CHANNEL


async def test_whoami_shows_the_mapping(bot: Bot) -> None:
    out = await bot("whoami")
    assert "You act in BlueKing as admin." in out.text
    assert "sandbox default" in out.text


async def test_unmapped_users_may_only_ask_for_help_and_whoami(bot: Bot) -> None:
    real = Identity(Policy(), sandbox=False)
    stranger = await real.slack_actor("U999")
    assert stranger.bk_username is None
    bot.actor = stranger
    assert "not mapped" in (await bot("whoami")).text
    assert "help" in (await bot("help")).text
    denied = await bot("biz 3")
    assert isinstance(denied.reply.view, ErrorView)
    assert denied.reply.view.kind is ErrorKind.DENIED
