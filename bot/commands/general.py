"""Commands that are not about one BlueKing system: help, biz, whoami."""

from __future__ import annotations

import asyncio
from typing import ClassVar, Literal

from pydantic import Field

from bot.clients.errors import BKError
from bot.commands._context import Context
from bot.commands.registry import CommandModel, CommandTable, ReadCommand, Registry, Topic
from bot.errors import UserError
from bot.services import KnownRun
from bot.services.runs import RunCard, fetch_card, settled
from bot.views import (
    Action,
    HelpEntry,
    HelpView,
    NoticeView,
    PendingGate,
    PendingView,
    Placement,
    Reply,
    RunKind,
    RunRef,
    WhoamiView,
)
from bot.views.job import JobRunCard

__all__ = ["TABLE", "Biz", "Help", "Pending", "Unwatch", "Watch", "Whoami", "help_view"]

# How many recent runs `pending` looks at, and how many it reads at once.
PENDING_RUNS = 50
PENDING_CONCURRENCY = 8

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


class Pending(ReadCommand):
    """``pending``"""


class Watch(CommandModel):
    """``watch job|task ID``"""

    positionals: ClassVar[tuple[str, ...]] = ("kind", "id")

    kind: Literal["job", "task"]
    id: int = Field(ge=1)

    @property
    def ref_kind(self) -> RunKind:
        """Which system the run lives in."""
        return RunKind.JOB if self.kind == "job" else RunKind.SOPS


class Unwatch(Watch):
    """``unwatch job|task ID``"""


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


@TABLE.command(
    "pending",
    Pending,
    usage="pending",
    summary="Human gates waiting in the runs I know: confirmations, approvals, pause nodes",
    needs_biz=False,
)
async def pending_command(cmd: Pending, ctx: Context) -> Reply:
    """Read the recent runs and list every gate a person can answer, with its buttons."""
    known = await ctx.services.runs.recent(PENDING_RUNS)
    user = ctx.user
    limit = asyncio.Semaphore(PENDING_CONCURRENCY)

    async def read(run: KnownRun) -> RunCard | None:
        async with limit:
            try:
                return await fetch_card(ctx.services, run.ref, user=user, started_by=run.started_by)
            except BKError:
                return None

    cards = await asyncio.gather(*(read(run) for run in known))
    gates: list[PendingGate] = []
    unreadable = 0
    for run, card in zip(known, cards, strict=True):
        if card is None:
            unreadable += 1
        elif settled(card):
            await ctx.services.runs.forget(run.ref)
        else:
            gates.extend(_gates(card, run))
    return Reply(view=PendingView(gates=tuple(gates), checked=len(known), unreadable=unreadable))


@TABLE.command(
    "watch",
    Watch,
    usage="watch job|task ID",
    summary="Post the status card of a run started elsewhere and keep track of it here",
)
async def watch_command(cmd: Watch, ctx: Context) -> Reply:
    """Attach a card (and, through the run registry, its gates) to a run started elsewhere."""
    ref = RunRef(kind=cmd.ref_kind, id=cmd.id, biz=ctx.biz)
    card = await fetch_card(ctx.services, ref, user=ctx.user)
    return Reply(view=card, placement=Placement.CHANNEL, run=ref, attached=True)


@TABLE.command(
    "unwatch",
    Unwatch,
    usage="unwatch job|task ID",
    summary="Stop keeping track of a run",
)
async def unwatch_command(cmd: Unwatch, ctx: Context) -> Reply:
    """Forget a run: its card stays as it is and no longer shows up in pending."""
    ref = RunRef(kind=cmd.ref_kind, id=cmd.id, biz=ctx.biz)
    await ctx.services.runs.forget(ref)
    noun = "job" if ref.kind is RunKind.JOB else "task"
    return Reply(
        view=NoticeView(
            text=f"Stopped watching {noun} {ref.id}.",
            detail=f"By {ctx.actor.display_name or ctx.actor.id}.",
            actions=(
                Action(label="Watch again", command=f"watch {cmd.kind} {ref.id} --biz {ref.biz}"),
            ),
        ),
        placement=Placement.THREAD,
    )


def _gates(card: RunCard, run: KnownRun) -> list[PendingGate]:
    where = f"<#{run.channel}>" if run.channel and run.channel.startswith("C") else "here"
    if isinstance(card, JobRunCard):
        if card.waiting_step is None:
            return []
        answers = tuple(
            a for a in card.actions if a.command.split(" --")[0].endswith((" confirm", " reject"))
        )
        return [
            PendingGate(
                kind="BK-Job confirmation",
                run=f"job {card.instance_id} “{card.name}”, step “{card.waiting_step}”",
                where=where,
                prompt=card.confirm_message,
                started_by=card.started_by,
                actions=answers,
            )
        ]
    return [
        PendingGate(
            kind="BK-SOPS approval" if node.kind == "approval" else "BK-SOPS pause node",
            run=f"task {card.task_id} “{card.name}”, node “{node.name}”",
            where=where,
            prompt=node.prompt,
            started_by=card.started_by,
            actions=node.actions,
        )
        for node in card.waiting
    ]


def register(registry: Registry) -> None:
    """Add the general commands."""
    TABLE.register(registry)
