"""Test-only ``probe …`` commands: every kind of Reply the adapter must deliver, on demand.

They are added to a running bot's registry by the ``probe`` fixture, so the adapter's
delivery paths (placements, run cards, files, forms of every field kind, broken templates)
are covered whatever the job and sops commands happen to return.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from bot.commands import CommandModel, CommandSpec, Context, Registry, Topic
from bot.errors import UserError
from bot.views import (
    Action,
    ButtonStyle,
    Confirm,
    FieldKind,
    FileAttachment,
    Form,
    FormField,
    FormOption,
    NoticeView,
    Placement,
    Reply,
    RunKind,
    RunRef,
    TokenStyle,
    View,
)

LOG = "\n".join(f"line {n}: host 10.0.0.{n % 250} ok" for n in range(400))


class Echo(CommandModel):
    positionals: ClassVar[tuple[str, ...]] = ("words",)
    greedy: ClassVar[bool] = True
    words: str = ""


class Show(CommandModel):
    positionals: ClassVar[tuple[str, ...]] = ("what",)
    what: str


class Deploy(CommandModel):
    """What the probe form submits: ``probe deploy NAME --count N --mode M code name=value``."""

    positionals: ClassVar[tuple[str, ...]] = ("target",)
    target: str
    count: int
    mode: str
    password: str | None = None
    code: str | None = None
    assignments: dict[str, str] = Field(default_factory=dict)


class Broken(View):
    template = "nowhere/missing"


FORM = Form(
    title="Probe deploy",
    submit="Deploy",
    command=("probe", "deploy"),
    intro="Deploys *nothing*: a probe of every field kind & its <widget>.",
    fields=(
        FormField(name="target", label="Target", token=TokenStyle.POSITIONAL, default="web"),
        FormField(
            name="count", label="Count", kind=FieldKind.NUMBER, token=TokenStyle.FLAG, default="2"
        ),
        FormField(
            name="mode",
            label="Mode",
            kind=FieldKind.SELECT,
            token=TokenStyle.FLAG,
            options=(
                FormOption(label="Fast", value="fast"),
                FormOption(label="Safe", value="safe"),
            ),
            default="safe",
        ),
        FormField(
            name="password",
            label="Password",
            kind=FieldKind.PASSWORD,
            token=TokenStyle.FLAG,
            required=False,
            default="hunter2",
        ),
        FormField(name="script", label="Script", kind=FieldKind.MULTILINE, token=TokenStyle.CODE),
        FormField(name="version", label="Version", hint="e.g. 1.4.2", placeholder="1.4.2"),
    ),
)


def _buttons() -> tuple[Action, ...]:
    return (
        Action(label="Echo in thread", command="probe show thread"),
        Action(label="Replace me", command="probe show replace", style=ButtonStyle.PRIMARY),
        Action(
            label="Stop",
            command="probe show channel",
            style=ButtonStyle.DANGER,
            confirm=Confirm(title="Stop it?", text="Stop the probe run?", confirm="Stop"),
        ),
        Action(label="Private", command="probe show ephemeral"),
    )


async def echo(cmd: Echo, ctx: Context) -> Reply:
    return Reply(view=NoticeView(text=f"echo: {cmd.words}"))


async def show(cmd: Show, ctx: Context) -> Reply:
    """One reply per delivery path, named by ``what``."""
    what = cmd.what
    placements = {
        "ephemeral": Placement.EPHEMERAL,
        "channel": Placement.CHANNEL,
        "thread": Placement.THREAD,
        "replace": Placement.REPLACE,
    }
    if what in placements:
        return Reply(
            view=NoticeView(text=f"shown as {what}", actions=_buttons()),
            placement=placements[what],
        )
    if what in ("card", "card-thread", "card-replace"):
        placement = {
            "card": Placement.CHANNEL,
            "card-thread": Placement.THREAD,
            "card-replace": Placement.REPLACE,
        }[what]
        return Reply(
            view=NoticeView(text="run card for job 42", actions=_buttons()),
            placement=placement,
            run=RunRef(kind=RunKind.JOB, id=42, biz=ctx.biz),
            attachment=FileAttachment(filename="job-42.log", content=LOG, title="Job 42 log"),
        )
    if what == "log":
        return Reply(
            view=NoticeView(text="a private log"),
            attachment=FileAttachment(filename="private.log", content=LOG),
        )
    if what == "form":
        return Reply(form=FORM)
    if what == "broken":
        return Reply(view=Broken())
    raise UserError(f"Nothing to show as `{what}`.", field="what")


class Scripts(CommandModel):
    """``probe scripts``: one BlueKing read (public scripts), to feel BlueKing's latency."""


async def scripts(cmd: Scripts, ctx: Context) -> Reply:
    page = await ctx.job.get_public_script_list(length=1, bk_username=ctx.user)
    return Reply(
        view=NoticeView(
            text=f"{page.total_record_size} public scripts",
            actions=(Action(label="Again", command="probe scripts"),),
        )
    )


async def deploy(cmd: Deploy, ctx: Context) -> Reply:
    if cmd.target == "refuse":
        raise UserError("The target refuses deployments.", field="target")
    details = (
        f"target={cmd.target} count={cmd.count} mode={cmd.mode} "
        f"password={'set' if cmd.password else 'unset'} code={cmd.code!r} vars={cmd.assignments}"
    )
    return Reply(view=NoticeView(text="deployed", detail=details), placement=Placement.CHANNEL)


def add_probe_commands(registry: Registry) -> None:
    """Register ``probe echo``, ``probe show`` and ``probe deploy`` (once per registry)."""
    if registry.get("probe echo") is not None:
        return
    for name, model, handler, usage in (
        ("probe echo", Echo, echo, "probe echo WORDS"),
        ("probe show", Show, show, "probe show WHAT"),
        ("probe deploy", Deploy, deploy, "probe deploy TARGET --count N --mode M"),
        ("probe scripts", Scripts, scripts, "probe scripts"),
    ):
        registry.add(
            CommandSpec(
                path=tuple(name.split()),
                model=model,
                handler=handler,
                usage=usage,
                summary="test probe",
                topic=Topic.GENERAL,
            )
        )
