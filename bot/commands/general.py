"""Commands that are not about one BlueKing system: help, biz, whoami."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from bot.commands._context import Context
from bot.commands.registry import CommandModel, CommandTable, ReadCommand, Registry, Topic
from bot.errors import UserError
from bot.views import HelpEntry, HelpView, NoticeView, Placement, Reply, WhoamiView

__all__ = ["TABLE", "Biz", "Help", "Whoami", "help_view"]

TABLE = CommandTable(Topic.GENERAL)


class Help(ReadCommand):
    """``help [TOPIC]``"""

    positionals: ClassVar[tuple[str, ...]] = ("topic",)
    greedy: ClassVar[bool] = True

    topic: str | None = None


class Biz(CommandModel):
    """``biz [ID]``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: int | None = Field(default=None, ge=1)


class Whoami(ReadCommand):
    """``whoami``"""


def help_view(registry: Registry, command: str, topic: str | None) -> HelpView:
    """The help for everything, one topic (``job``) or the commands starting with some words."""
    specs = registry.specs
    chosen = specs
    if topic:
        wanted = topic.lower().strip()
        chosen = [s for s in specs if s.topic.value == wanted] or [
            s for s in specs if s.name == wanted or s.name.startswith(wanted + " ")
        ]
        if not chosen:
            raise UserError(
                f"No help topic `{topic}`.",
                suggestion=registry.closest(topic),
                hint=f"Topics: {', '.join(registry.topics())}.",
            )
    notes = (
        ()
        if topic
        else (
            "Options: --biz N on every command; --share posts a read in the channel.",
            'Values with spaces go in "quotes"; variables as name=value; code in a ``` block.',
        )
    )
    return HelpView(
        command=command,
        topic=topic,
        topics=tuple(registry.topics()),
        entries=tuple(HelpEntry(usage=s.full_usage, summary=s.summary) for s in chosen),
        notes=notes,
    )


@TABLE.command(
    "help",
    Help,
    usage="help [TOPIC]",
    summary="Show commands, all or for one topic (job, sops) or command",
    needs_biz=False,
    anonymous=True,
)
async def help_command(cmd: Help, ctx: Context) -> Reply:
    """List the registry's commands."""
    return Reply(view=help_view(ctx.registry, ctx.command, cmd.topic))


@TABLE.command(
    "biz",
    Biz,
    usage="biz [ID]",
    summary="Show or set this channel's default business",
    needs_biz=False,
)
async def biz_command(cmd: Biz, ctx: Context) -> Reply:
    """Show the business in effect here, or remember a new default for the channel."""
    if cmd.id is None:
        current = ctx.biz_id
        text = (
            f"Commands here act on business {current}."
            if current is not None
            else f"No business is set here. Set one with `{ctx.command} biz ID`."
        )
        return Reply(view=NoticeView(text=text))
    if ctx.channel is None:
        raise UserError("There is no channel here to set a business for; use --biz instead.")
    await ctx.services.channels.set_biz(ctx.channel, cmd.id, set_by=ctx.actor.id)
    return Reply(
        view=NoticeView(
            text=f"This channel now uses business {cmd.id} by default.",
            detail=f"Set by {ctx.actor.display_name or ctx.actor.id}. "
            "Any command can still override it with --biz.",
        ),
        placement=Placement.CHANNEL,
    )


@TABLE.command(
    "whoami",
    Whoami,
    usage="whoami",
    summary="Show which BlueKing user you act as, and your roles",
    needs_biz=False,
    anonymous=True,
)
async def whoami_command(cmd: Whoami, ctx: Context) -> Reply:
    """Who the bot thinks you are in BlueKing."""
    actor = ctx.actor
    return Reply(
        view=WhoamiView(
            chat_user=actor.id,
            display_name=actor.display_name,
            bk_username=actor.bk_username,
            mapped_by=actor.mapped_by.value,
            roles=actor.roles,
            business=ctx.biz_id,
            sandbox=ctx.services.sandbox,
        )
    )


def register(registry: Registry) -> None:
    """Add the general commands."""
    TABLE.register(registry)
