"""The `sops …` commands: templates, tasks and run cards, callbacks, counts, periodic tasks."""

from __future__ import annotations

import json
import re
import shlex
from typing import ClassVar

from pydantic import Field, JsonValue, TypeAdapter, ValidationError, field_validator

from bot.clients.bk_sops import (
    CALLBACK_CODES,
    ComponentCode,
    GroupBy,
    OperateAction,
    PipelineTree,
    TemplateSource,
    form_constants,
    masked_constants,
    waiting_nodes,
)
from bot.clients.bk_sops import is_terminal as state_is_terminal
from bot.clients.errors import BKError, BKInvalidOperation
from bot.commands._context import Context
from bot.commands._sops_build import (
    error_text,
    histories,
    keyword_words,
    node_inputs,
    node_outputs,
    page_of,
    pager,
    periodic_toggle,
    periodic_view,
    resolve_node,
    template_nodes,
    who,
)
from bot.commands._sops_cron import CRON_HINT, crontab_spec, parse_user_cron, schedule_words
from bot.commands._sops_vars import (
    constant_rows,
    form_for,
    missing_fields,
    resolve_values,
    short_key,
)
from bot.commands.registry import CommandModel, CommandTable, ReadCommand, Registry, Topic
from bot.errors import Conflict, UserError
from bot.services import to_bot_error
from bot.services.sops_runs import callback_actions, node_state_label, sops_run_card
from bot.views import (
    Action,
    ButtonStyle,
    Confirm,
    FieldKind,
    FormField,
    NoticeView,
    Placement,
    PromptView,
    Reply,
    RunKind,
    RunRef,
    TokenStyle,
)
from bot.views.sops import (
    SopsCountRow,
    SopsKeyValue,
    SopsNodeView,
    SopsPeriodicListView,
    SopsPeriodicRow,
    SopsStatsView,
    SopsTaskDetailView,
    SopsTemplateListView,
    SopsTemplateRow,
    SopsTemplateView,
    fmt_duration,
    fmt_time,
    fmt_value,
)

__all__ = [
    "TABLE",
    "SopsCallback",
    "SopsCreate",
    "SopsDetail",
    "SopsNode",
    "SopsOperate",
    "SopsPeriodicCreate",
    "SopsPeriodicCron",
    "SopsPeriodicList",
    "SopsPeriodicSet",
    "SopsPeriodicShow",
    "SopsPeriodicToggle",
    "SopsRevoke",
    "SopsRun",
    "SopsStart",
    "SopsStats",
    "SopsStatus",
    "SopsTemplate",
    "SopsTemplates",
    "register",
]

TABLE = CommandTable(Topic.SOPS)

# bk-sops §7: task names ≤ 100 characters, periodic task names ≤ 50.
TASK_NAME_MAX = 100
PERIODIC_NAME_MAX = 50
_CALLBACK_DATA = TypeAdapter(dict[str, JsonValue])


# ------------------------------------------------------------------------------------ models


class SopsTemplates(ReadCommand):
    """``sops templates [KEYWORD] [--common]``"""

    positionals: ClassVar[tuple[str, ...]] = ("keyword",)
    greedy: ClassVar[bool] = True

    keyword: str | None = None
    common: bool = False
    page: int = Field(default=1, ge=1)


class SopsTemplate(ReadCommand):
    """``sops template ID [--common]``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: int = Field(ge=1)
    common: bool = False


class SopsRun(CommandModel):
    """``sops run ID [key=value …] [--name "…"] [--form] [--common]``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: int = Field(ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=TASK_NAME_MAX)
    form: bool = False
    common: bool = False
    assignments: dict[str, str] = Field(default_factory=dict)


class SopsCreate(SopsRun):
    """``sops create ID [key=value …] [--name "…"] [--form] [--common]``"""


class SopsStart(CommandModel):
    """``sops start ID``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: int = Field(ge=1)


class SopsOperate(CommandModel):
    """``sops pause ID`` / ``sops resume ID``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: int = Field(ge=1)


class SopsRevoke(CommandModel):
    """``sops revoke ID [--yes]``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: int = Field(ge=1)
    yes: bool = False


class SopsStatus(ReadCommand):
    """``sops status ID``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: int = Field(ge=1)


class SopsDetail(SopsStatus):
    """``sops detail ID``"""


class SopsNode(ReadCommand):
    """``sops node ID NODE``"""

    positionals: ClassVar[tuple[str, ...]] = ("id", "node")
    greedy: ClassVar[bool] = True

    id: int = Field(ge=1)
    node: str = Field(min_length=1)


class SopsCallback(CommandModel):
    """``sops callback ID NODE [JSON] [--version V] [--yes]``"""

    positionals: ClassVar[tuple[str, ...]] = ("id", "node", "data")

    id: int = Field(ge=1)
    node: str = Field(min_length=1)
    # the callback_data object, quoted …
    data: str | None = None
    # … or in a ``` block
    code: str | None = None
    version: str | None = Field(default=None, min_length=1)
    yes: bool = False


class SopsStats(ReadCommand):
    """``sops stats [--group-by G]``"""

    group_by: GroupBy = GroupBy.STATUS

    @field_validator("group_by", mode="before")
    @classmethod
    def _dashes(cls, value: object) -> object:
        # people type --group-by flow-type as readily as flow_type
        return value.strip().lower().replace("-", "_") if isinstance(value, str) else value


class SopsPeriodicList(ReadCommand):
    """``sops periodic [KEYWORD]``"""

    positionals: ClassVar[tuple[str, ...]] = ("keyword",)
    greedy: ClassVar[bool] = True

    keyword: str | None = None
    page: int = Field(default=1, ge=1)


class SopsPeriodicShow(ReadCommand):
    """``sops periodic show ID``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: int = Field(ge=1)


class SopsPeriodicCreate(CommandModel):
    """``sops periodic create TEMPLATE [--name "…"] [--cron "…"] [key=value …]``"""

    positionals: ClassVar[tuple[str, ...]] = ("template",)

    template: int = Field(ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=PERIODIC_NAME_MAX)
    cron: str | None = None
    form: bool = False
    common: bool = False
    assignments: dict[str, str] = Field(default_factory=dict)

    @field_validator("cron")
    @classmethod
    def _crontab(cls, value: str | None) -> str | None:
        # checked while parsing, so a form shows the problem next to the field at once
        if value is not None:
            crontab_spec(value)
        return value


class SopsPeriodicToggle(CommandModel):
    """``sops periodic on ID`` / ``sops periodic off ID``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: int = Field(ge=1)


class SopsPeriodicCron(CommandModel):
    """``sops periodic cron ID "m h dom mon dow"``"""

    positionals: ClassVar[tuple[str, ...]] = ("id", "cron")
    # the five fields may come quoted or as separate words
    greedy: ClassVar[bool] = True

    id: int = Field(ge=1)
    cron: str

    @field_validator("cron")
    @classmethod
    def _crontab(cls, value: str) -> str:
        crontab_spec(value)
        return value


class SopsPeriodicSet(CommandModel):
    """``sops periodic set ID key=value …``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: int = Field(ge=1)
    assignments: dict[str, str] = Field(default_factory=dict)


# --------------------------------------------------------------------------------- templates


def _source(common: bool) -> TemplateSource | None:
    return TemplateSource.COMMON if common else None


def _common_flag(common: bool) -> str:
    return " --common" if common else ""


@TABLE.command(
    "sops templates",
    SopsTemplates,
    usage="sops templates [KEYWORD] [--common] [--page N]",
    summary="List process templates (--common: the shared ones); each row has a Run button",
)
async def sops_templates(cmd: SopsTemplates, ctx: Context) -> Reply:
    """One page of the business's (or the common) templates."""
    biz = ctx.biz
    keyword = (cmd.keyword or "").strip() or None
    found = await ctx.sops.get_template_list(
        bk_biz_id=biz,
        bk_username=ctx.user,
        template_source=_source(cmd.common),
        name_keyword=keyword,
    )
    shown, pages = page_of(found, cmd.page)
    common = _common_flag(cmd.common)
    rows = tuple(
        SopsTemplateRow(
            id=t.id,
            name=t.name,
            category=str(t.category) if t.category is not None else None,
            edited=fmt_time(t.edit_time),
            editor=t.editor,
            actions=(
                Action(
                    label="Run",
                    command=f"sops run {t.id} --form{common} --biz {biz}",
                    style=ButtonStyle.PRIMARY,
                ),
                Action(label="Details", command=f"sops template {t.id}{common} --biz {biz}"),
            ),
        )
        for t in shown
    )
    return Reply(
        view=SopsTemplateListView(
            biz=biz,
            keyword=keyword,
            common=cmd.common,
            page=cmd.page,
            pages=pages,
            total=len(found),
            rows=rows,
            actions=pager(
                f"sops templates{keyword_words(keyword)}", cmd.page, pages, f"{common} --biz {biz}"
            ),
        )
    )


@TABLE.command(
    "sops template",
    SopsTemplate,
    usage="sops template ID [--common]",
    summary="Show a template: nodes in flow order, who must act, the variables to fill in",
)
async def sops_template(cmd: SopsTemplate, ctx: Context) -> Reply:
    """A template's nodes and form (passwords masked), with Run and Schedule buttons."""
    biz = ctx.biz
    info = await ctx.sops.get_template_info(
        template_id=cmd.id,
        bk_biz_id=biz,
        bk_username=ctx.user,
        template_source=_source(cmd.common),
    )
    tree = info.pipeline_tree or PipelineTree()
    common = _common_flag(cmd.common)
    return Reply(
        view=SopsTemplateView(
            id=info.id,
            biz=biz,
            name=info.name,
            common=cmd.common,
            category=str(info.category) if info.category is not None else None,
            description=info.description or None,
            creator=info.creator,
            editor=info.editor,
            edited=fmt_time(info.edit_time),
            nodes=template_nodes(tree),
            constants=constant_rows(form_constants(tree)),
            actions=(
                Action(
                    label="Run",
                    command=f"sops run {info.id} --form{common} --biz {biz}",
                    style=ButtonStyle.PRIMARY,
                ),
                Action(
                    label="Schedule",
                    command=f"sops periodic create {info.id}{common} --biz {biz}",
                ),
            ),
        )
    )


# ------------------------------------------------------------------------------------- tasks


def default_task_name(template_name: str, user: str) -> str:
    """``<template name> (chatops:<user>)`` within BK-SOPS's 100 characters.

    The suffix says the task came from the bot (Slack or console) and for whom, like the
    ``chatops:<user>:…`` names BK-Job instances get.
    """
    suffix = f" (chatops:{user})"
    room = max(TASK_NAME_MAX - len(suffix), 0)
    base = template_name if len(template_name) <= room else template_name[: room - 1] + "…"
    return (base + suffix)[:TASK_NAME_MAX]


async def _create(cmd: SopsRun, ctx: Context, *, start: bool) -> Reply:
    biz, user = ctx.biz, ctx.user
    source = _source(cmd.common)
    info = await ctx.sops.get_template_info(
        template_id=cmd.id, bk_biz_id=biz, bk_username=user, template_source=source
    )
    tree = info.pipeline_tree or PipelineTree()
    fields = form_constants(tree)
    hidden = set(tree.constants) - {f.key for f in fields}
    given = resolve_values(
        fields,
        cmd.assignments,
        hidden=hidden,
        what=f"Template {cmd.id} ({info.name})",
        extra_hint=" Use --name for the task name.",
    )
    missing = missing_fields(fields, given)
    task_name = cmd.name or default_task_name(info.name, user)
    if cmd.form or missing:
        verb = "run" if start else "create"
        intro = f"Template {info.id} · {info.name}."
        if missing and not cmd.form:
            intro += (
                " These variables have no value yet: " + ", ".join(f.name for f in missing) + "."
            )
        intro += (
            " The task starts when you submit." if start else " The task is created, not started."
        )
        return Reply(
            form=form_for(
                title=f"{'Run' if start else 'Create'} template {info.id}",
                submit="Run" if start else "Create",
                command=("sops", verb, str(info.id), "--biz", str(biz))
                + (("--common",) if cmd.common else ()),
                leading=(
                    FormField(
                        name="task_name",
                        label="Task name",
                        required=False,
                        default=task_name,
                        hint=f"Up to {TASK_NAME_MAX} characters.",
                        token=TokenStyle.FLAG,
                        flag="name",
                    ),
                ),
                fields=fields,
                given=given,
                intro=intro,
            )
        )
    created = await ctx.sops.create_task(
        template_id=cmd.id,
        bk_biz_id=biz,
        name=task_name,
        bk_username=user,
        template_source=source,
        constants=given or None,
    )
    url = created.task_url
    if start:
        try:
            started = await ctx.sops.start_task(
                task_id=created.task_id, bk_biz_id=biz, bk_username=user
            )
        except BKError as exc:
            error = to_bot_error(exc)
            error.hint = (
                f"Task {created.task_id} was created but did not start; "
                f"`sops start {created.task_id}` tries again."
            )
            raise error from exc
        url = started.task_url or url
    card = await sops_run_card(
        ctx.sops,
        biz=biz,
        task_id=created.task_id,
        user=user,
        started_by=who(ctx),
        tree=created.pipeline_tree or tree,
        task_url=url,
        project=info.project_name,
        starting=start,
    )
    return Reply(
        view=card,
        placement=Placement.CHANNEL,
        run=RunRef(kind=RunKind.SOPS, id=created.task_id, biz=biz),
    )


@TABLE.command(
    "sops run",
    SopsRun,
    usage='sops run ID [key=value …] [--name "…"] [--form] [--common]',
    summary="Create and start a task from a template; asks for missing variables; posts a card",
)
async def sops_run(cmd: SopsRun, ctx: Context) -> Reply:
    """create_task + start_task, then the run card in the channel."""
    return await _create(cmd, ctx, start=True)


@TABLE.command(
    "sops create",
    SopsCreate,
    usage='sops create ID [key=value …] [--name "…"] [--form] [--common]',
    summary="Create a task without starting it; its card has a Start button",
)
async def sops_create(cmd: SopsCreate, ctx: Context) -> Reply:
    """create_task only; the card offers Start."""
    return await _create(cmd, ctx, start=False)


@TABLE.command(
    "sops start",
    SopsStart,
    usage="sops start ID",
    summary="Start a created task and post its run card",
)
async def sops_start(cmd: SopsStart, ctx: Context) -> Reply:
    """start_task, then the card (BK-SOPS reports CREATED until the start is picked up, §1.7)."""
    biz, user = ctx.biz, ctx.user
    started = await ctx.sops.start_task(task_id=cmd.id, bk_biz_id=biz, bk_username=user)
    card = await sops_run_card(
        ctx.sops,
        biz=biz,
        task_id=cmd.id,
        user=user,
        started_by=who(ctx),
        task_url=started.task_url,
        starting=True,
    )
    return Reply(
        view=card, placement=Placement.CHANNEL, run=RunRef(kind=RunKind.SOPS, id=cmd.id, biz=biz)
    )


def _status_button(task_id: int, biz: int) -> Action:
    return Action(label="Status", command=f"sops status {task_id} --biz {biz}")


_TRANSITION = re.compile(r"from (\w+) to (\w+)")
_VERBS = {
    OperateAction.PAUSE: "paused",
    OperateAction.RESUME: "resumed",
    OperateAction.REVOKE: "revoked",
}


def _ref(task_id: int, biz: int) -> RunRef:
    return RunRef(kind=RunKind.SOPS, id=task_id, biz=biz)


async def _operate(ctx: Context, task_id: int, action: OperateAction) -> None:
    """operate_task; an engine refusal (§3.5) becomes a Conflict that says the task's state."""
    try:
        await ctx.sops.operate_task(
            task_id=task_id, bk_biz_id=ctx.biz, action=action, bk_username=ctx.user
        )
    except BKInvalidOperation as exc:
        match = _TRANSITION.search(exc.message)
        if match:
            state = f" (it is {match.group(1).lower()})"
        elif not exc.message.lower().startswith("fail"):
            state = f": {exc.message}"  # e.g. "task not started" (§3.5)
        else:
            state = ""
        raise Conflict(
            f"Task {task_id} cannot be {_VERBS[action]} now{state}.",
            hint=f"BK-SOPS said: {exc.message[:200]}",
        ) from exc


@TABLE.command(
    "sops pause",
    SopsOperate,
    usage="sops pause ID",
    summary="Pause a running task (running nodes finish, no new node starts)",
)
async def sops_pause(cmd: SopsOperate, ctx: Context) -> Reply:
    """operate_task pause."""
    biz = ctx.biz
    await _operate(ctx, cmd.id, OperateAction.PAUSE)
    return Reply(
        view=NoticeView(
            text=f"Task {cmd.id} paused by {who(ctx)}.",
            # bk-sops §3.5: nodes already running complete; nothing new starts until resumed.
            detail="Nodes already running finish; nothing new starts until someone resumes it.",
            actions=(
                Action(
                    label="Resume",
                    command=f"sops resume {cmd.id} --biz {biz}",
                    style=ButtonStyle.PRIMARY,
                ),
            ),
        ),
        placement=Placement.THREAD,
        touched=_ref(cmd.id, biz),
    )


@TABLE.command(
    "sops resume",
    SopsOperate,
    usage="sops resume ID",
    summary="Resume a paused task",
)
async def sops_resume(cmd: SopsOperate, ctx: Context) -> Reply:
    """operate_task resume."""
    biz = ctx.biz
    await _operate(ctx, cmd.id, OperateAction.RESUME)
    return Reply(
        view=NoticeView(
            text=f"Task {cmd.id} resumed by {who(ctx)}.",
            actions=(Action(label="Pause", command=f"sops pause {cmd.id} --biz {biz}"),),
        ),
        placement=Placement.THREAD,
        touched=_ref(cmd.id, biz),
    )


def _revoke_confirm(task_id: int, name: str) -> Confirm:
    return Confirm(
        title="Revoke the task?",
        text=f"Revoke task {task_id} “{name}”? It stops for good and cannot be resumed.",
        confirm="Revoke",
    )


@TABLE.command(
    "sops revoke",
    SopsRevoke,
    usage="sops revoke ID [--yes]",
    summary="Stop a task for good (asks first; --yes skips the question)",
)
async def sops_revoke(cmd: SopsRevoke, ctx: Context) -> Reply:
    """Ask, then operate_task revoke (it cannot be undone, bk-sops §3.5)."""
    biz, user = ctx.biz, ctx.user
    if not cmd.yes:
        status = await ctx.sops.get_task_status(task_id=cmd.id, bk_biz_id=biz, bk_username=user)
        name = status.name or f"Task {cmd.id}"
        if state_is_terminal(status.state):
            raise Conflict(
                f"Task {cmd.id} is already {str(status.state).lower()}; there is nothing to revoke."
            )
        return Reply(
            view=PromptView(
                question=f"Revoke task {cmd.id} “{name}”?",
                detail="Revoking stops the task for good: it cannot be resumed or undone.",
                actions=(
                    Action(
                        label="Revoke",
                        command=f"sops revoke {cmd.id} --yes --biz {biz}",
                        style=ButtonStyle.DANGER,
                        confirm=_revoke_confirm(cmd.id, name),
                    ),
                    _status_button(cmd.id, biz),
                ),
            )
        )
    await _operate(ctx, cmd.id, OperateAction.REVOKE)
    return Reply(
        view=NoticeView(text=f"Task {cmd.id} revoked by {who(ctx)}."),
        placement=Placement.THREAD,
        touched=_ref(cmd.id, biz),
    )


@TABLE.command(
    "sops status",
    SopsStatus,
    usage="sops status ID",
    summary="Show a task's status card: state, current nodes, buttons valid now",
)
async def sops_status(cmd: SopsStatus, ctx: Context) -> Reply:
    """The run card, as a private read (the poller keeps posted cards current)."""
    card = await sops_run_card(ctx.sops, biz=ctx.biz, task_id=cmd.id, user=ctx.user)
    return Reply(view=card)


@TABLE.command(
    "sops detail",
    SopsDetail,
    usage="sops detail ID",
    summary="Show a task's metadata, variables (passwords masked), outputs and link",
)
async def sops_detail(cmd: SopsDetail, ctx: Context) -> Reply:
    """get_task_detail as a read."""
    biz = ctx.biz
    detail = await ctx.sops.get_task_detail(task_id=cmd.id, bk_biz_id=biz, bk_username=ctx.user)
    tree = detail.pipeline_tree or PipelineTree()
    constants = detail.constants or tree.constants
    shown_outputs = masked_constants({o.key: o.value for o in detail.outputs}, constants)
    return Reply(
        view=SopsTaskDetailView(
            task_id=detail.id,
            biz=biz,
            name=detail.name,
            template_id=detail.template_id,
            project=detail.project_name,
            creator=detail.creator or None,
            executor=detail.executor or None,
            create_method=str(detail.create_method) if detail.create_method else None,
            created=fmt_time(detail.create_time),
            started=fmt_time(detail.start_time),
            finished=fmt_time(detail.finish_time),
            elapsed=fmt_duration(detail.elapsed_time) if detail.start_time else None,
            url=detail.task_url,
            nodes=template_nodes(tree),
            constants=constant_rows(constants=constants, include_hidden=True),
            outputs=tuple(
                _key_value(o.key, o.name, shown_outputs.get(o.key)) for o in detail.outputs
            ),
            actions=(_status_button(detail.id, biz),),
        )
    )


def _key_value(key: str, name: str | None, value: JsonValue) -> SopsKeyValue:
    return SopsKeyValue(key=short_key(key), name=name or None, value=fmt_value(value))


@TABLE.command(
    "sops node",
    SopsNode,
    usage="sops node ID NODE",
    summary="Show one node (id, name or number): inputs, outputs, error, earlier attempts",
)
async def sops_node(cmd: SopsNode, ctx: Context) -> Reply:
    """get_task_node_detail for a node found by id, name or position in flow order."""
    biz, user = ctx.biz, ctx.user
    detail = await ctx.sops.get_task_detail(task_id=cmd.id, bk_biz_id=biz, bk_username=user)
    tree = detail.pipeline_tree or PipelineTree()
    constants = detail.constants or tree.constants
    node = resolve_node(tree, cmd.node, cmd.id)
    code = node.activity.code
    info = await ctx.sops.get_task_node_detail(
        task_id=cmd.id,
        bk_biz_id=biz,
        node_id=node.node_id,
        bk_username=user,
        component_code=code,
        subprocess_stack=list(node.stack) or None,
    )
    state = str(info.state)
    waiting = state == "RUNNING" and code in CALLBACK_CODES
    actions: tuple[Action, ...] = ()
    if waiting and code is not None:
        actions = callback_actions(
            task_id=cmd.id,
            biz=biz,
            node_id=node.node_id,
            name=node.name,
            code=code,
            version=info.version,
        )
    label = node_state_label(state, skipped=bool(info.skip))
    if waiting:
        label = (
            "waiting for approval" if code == ComponentCode.BK_APPROVE else "waiting to continue"
        )
    elif not info.started:
        label = "not reached yet"
    return Reply(
        view=SopsNodeView(
            task_id=cmd.id,
            biz=biz,
            node_id=node.node_id,
            index=node.index,
            name=info.name or node.name,
            plugin=code,
            state=state,
            state_label=label,
            started=fmt_time(info.start_time),
            finished=fmt_time(info.finish_time),
            elapsed=fmt_duration(info.elapsed_time) if info.started else None,
            retry=info.retry,
            inputs=node_inputs(info, node.activity, constants),
            outputs=node_outputs(info, constants),
            error=error_text(info.ex_data, constants),
            histories=histories(info, constants),
            actions=(*actions, _status_button(cmd.id, biz)),
        )
    )


def _callback_data(cmd: SopsCallback) -> dict[str, JsonValue] | None:
    if cmd.code is not None and cmd.data is not None:
        raise UserError("Give the callback data once: quoted, or in a ``` block.", field="data")
    text = cmd.code if cmd.code is not None else cmd.data
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UserError(
            f"The callback data is not valid JSON: {exc}.",
            hint="Quote it: '{\"approve_result\": true}', or put it in a ``` block.",
            field="data",
        ) from exc
    try:
        return _CALLBACK_DATA.validate_python(value)
    except ValidationError:
        raise UserError(
            'The callback data must be a JSON object, like {"approve_result": true}.',
            field="data",
        ) from None


@TABLE.command(
    "sops callback",
    SopsCallback,
    usage="sops callback ID NODE [JSON] [--version V] [--yes]",
    summary="Answer a waiting node: approve/reject a bk_approve, continue a pause_node",
)
async def sops_callback(cmd: SopsCallback, ctx: Context) -> Reply:
    """node_callback on a node that waits for a person (bk-sops §4.1–§4.2)."""
    biz, user = ctx.biz, ctx.user
    payload = _callback_data(cmd)
    detail = await ctx.sops.get_task_detail(task_id=cmd.id, bk_biz_id=biz, bk_username=user)
    tree = detail.pipeline_tree or PipelineTree()
    node = resolve_node(tree, cmd.node, cmd.id)
    code = node.activity.code
    if code not in CALLBACK_CODES:
        raise UserError(
            f"Node “{node.name}” ({code or 'no plugin'}) does not wait for an answer from chat.",
            hint="Only pause_node and bk_approve nodes are answered by callback (bk-sops §4.1).",
            field="node",
        )
    approve: bool | None = None
    if code == ComponentCode.BK_APPROVE:
        decision = (payload or {}).get("approve_result")
        if not isinstance(decision, bool):
            raise UserError(
                f"“{node.name}” is an approval: say whether you approve.",
                hint="Send '{\"approve_result\": true}' to approve or false to reject.",
                field="data",
            )
        approve = decision
        payload = {"approve_result": decision}
    else:
        # bk-sops §4.1: any object continues a pause node and becomes its output; say who.
        payload = {**(payload or {}), "continued_by": user}

    status = await ctx.sops.get_task_status(task_id=cmd.id, bk_biz_id=biz, bk_username=user)
    current = next((w for w in waiting_nodes(status, tree) if w.node_id == node.node_id), None)
    if current is None:
        child = status.children.get(node.node_id)
        now = f"it is {str(child.state).lower()}" if child is not None else "it has not started"
        raise Conflict(
            f"“{node.name}” on task {cmd.id} is not waiting for an answer ({now}).",
            hint="Someone may have answered it already; the task's status shows where it is now.",
        )
    if cmd.version and current.version and cmd.version != current.version:
        raise Conflict(
            f"That answer was for an earlier run of “{node.name}”; the node has run again since.",
            hint="Use the buttons on the latest status card.",
        )
    version = cmd.version or current.version

    if approve is False and not cmd.yes:
        quoted = shlex.quote(json.dumps(payload))
        version_flag = f" --version {version}" if version else ""
        return Reply(
            view=PromptView(
                question=f"Reject “{node.name}” on task {cmd.id}?",
                detail="The approval node fails and the task stops there until someone retries "
                "it in BK-SOPS or revokes the task.",
                actions=(
                    Action(
                        label="Reject",
                        command=f"sops callback {cmd.id} {node.node_id} {quoted}{version_flag}"
                        f" --yes --biz {biz}",
                        style=ButtonStyle.DANGER,
                        confirm=Confirm(
                            title="Reject the approval?",
                            text=f"Reject “{node.name}” on task {cmd.id}?",
                            confirm="Reject",
                        ),
                    ),
                    _status_button(cmd.id, biz),
                ),
            )
        )
    try:
        await ctx.sops.node_callback(
            task_id=cmd.id,
            bk_biz_id=biz,
            node_id=node.node_id,
            bk_username=user,
            callback_data=payload,
            version=version,
        )
    except BKInvalidOperation as exc:
        # bk-sops §3.6: a node no longer waiting, or a stale version, is an engine refusal.
        raise Conflict(
            f"BK-SOPS did not take the answer for “{node.name}” on task {cmd.id}: the node is "
            "no longer waiting for it.",
            hint="Someone may have answered it already, or the node ran again; check the "
            "task's status.",
        ) from exc
    verb = {True: "approved", False: "rejected", None: "continued"}[approve]
    task_name = f" “{status.name}”" if status.name else ""
    return Reply(
        view=NoticeView(
            text=f"{who(ctx)} {verb} “{node.name}” on task {cmd.id}{task_name}.",
            actions=(_status_button(cmd.id, biz),),
        ),
        placement=Placement.THREAD,
        touched=_ref(cmd.id, biz),
    )


# ------------------------------------------------------------------------------------ counts

_GROUP_LABELS: dict[GroupBy, str] = {
    GroupBy.STATUS: "status",
    GroupBy.CATEGORY: "category",
    GroupBy.FLOW_TYPE: "flow type",
    GroupBy.CREATE_METHOD: "creation method",
}
# The server's group names are localized (Chinese in a default install, bk-sops §3.10).
_CODE_LABELS: dict[str, str] = {
    "CREATED": "not started",
    "EXECUTING": "started, not finished",
    "FINISHED": "finished",
    "common": "normal tasks",
    "common_func": "functional tasks",
    "app": "web UI",
    "api": "API",
    "app_maker": "mini-app",
    "periodic": "periodic task",
    "clocked": "scheduled once",
    "mobile": "mobile",
    "mcp": "MCP",
    "OpsTools": "ops tools",
    "MonitorAlarm": "monitoring and alarms",
    "ConfManage": "configuration",
    "DevTools": "development tools",
    "EnterpriseIT": "enterprise IT",
    "OfficeApp": "office apps",
    "Other": "other",
    "Default": "default",
}


@TABLE.command(
    "sops stats",
    SopsStats,
    usage="sops stats [--group-by status|category|flow_type|create_method]",
    summary="Count the business's tasks by status, category, flow type or creation method",
)
async def sops_stats(cmd: SopsStats, ctx: Context) -> Reply:
    """query_task_count with the quirks of §3.10 spelled out."""
    biz = ctx.biz
    counts = await ctx.sops.query_task_count(
        bk_biz_id=biz, group_by=cmd.group_by, bk_username=ctx.user
    )
    total = counts.total
    notes: list[str] = []
    if cmd.group_by is GroupBy.CATEGORY:
        # bk-sops §3.10: total is always 1 for this grouping, and empty groups are left out.
        total = sum(g.value for g in counts.groups)
        notes.append(
            "BK-SOPS reports no total by category, so the total is the sum of the groups; "
            "categories without tasks are not listed."
        )
    if cmd.group_by is GroupBy.STATUS:
        notes.append(
            "Revoked and failed tasks count as started, not finished (EXECUTING): BK-SOPS never "
            "marks them finished."
        )
    rows = tuple(
        SopsCountRow(
            code=g.code,
            label=_CODE_LABELS.get(g.code) or g.name or g.code,
            count=g.value,
            percent=round(100 * g.value / total) if total else 0,
        )
        for g in counts.groups
    )
    return Reply(
        view=SopsStatsView(
            biz=biz,
            group_by=cmd.group_by.value,
            group_label=_GROUP_LABELS[cmd.group_by],
            total=total,
            rows=rows,
            notes=tuple(notes),
            actions=tuple(
                Action(
                    label=f"By {label}",
                    command=f"sops stats --group-by {group.value} --biz {biz}",
                )
                for group, label in _GROUP_LABELS.items()
                if group is not cmd.group_by
            ),
        )
    )


# ---------------------------------------------------------------------------- periodic tasks


@TABLE.command(
    "sops periodic",
    SopsPeriodicList,
    usage="sops periodic [KEYWORD] [--page N]",
    summary="List periodic tasks with their schedules; each row has On/Off and Details",
)
async def sops_periodic_list(cmd: SopsPeriodicList, ctx: Context) -> Reply:
    """get_periodic_task_list filtered here (the API has no keyword, §3.11)."""
    biz = ctx.biz
    keyword = (cmd.keyword or "").strip() or None
    found = await ctx.sops.get_periodic_task_list(bk_biz_id=biz, bk_username=ctx.user)
    if keyword:
        wanted = keyword.lower()
        found = [p for p in found if wanted in p.name.lower() or wanted == str(p.id)]
    shown, pages = page_of(found, cmd.page)
    rows = []
    for task in shown:
        words, zone = schedule_words(task.schedule, task.cron)
        rows.append(
            SopsPeriodicRow(
                id=task.id,
                name=task.name,
                enabled=task.enabled,
                schedule=words,
                timezone=zone,
                template_id=task.template_id,
                last_run=fmt_time(task.last_run_at),
                runs=task.total_run_count,
                actions=(
                    periodic_toggle(task.id, task.enabled, biz),
                    Action(label="Details", command=f"sops periodic show {task.id} --biz {biz}"),
                ),
            )
        )
    return Reply(
        view=SopsPeriodicListView(
            biz=biz,
            keyword=keyword,
            page=cmd.page,
            pages=pages,
            total=len(found),
            rows=tuple(rows),
            actions=pager(
                f"sops periodic{keyword_words(keyword)}", cmd.page, pages, f" --biz {biz}"
            ),
        )
    )


@TABLE.command(
    "sops periodic show",
    SopsPeriodicShow,
    usage="sops periodic show ID",
    summary="Show a periodic task: schedule in words, variables (masked), last run",
)
async def sops_periodic_show(cmd: SopsPeriodicShow, ctx: Context) -> Reply:
    """get_periodic_task_info as a read."""
    biz = ctx.biz
    task = await ctx.sops.get_periodic_task_info(
        task_id=cmd.id, bk_biz_id=biz, bk_username=ctx.user
    )
    return Reply(view=periodic_view(task, biz))


@TABLE.command(
    "sops periodic create",
    SopsPeriodicCreate,
    usage='sops periodic create TEMPLATE [--name "…"] [--cron "m h dom mon dow"] '
    "[key=value …] [--form] [--common]",
    summary="Create a periodic task from a template (created disabled; then Enable it)",
)
async def sops_periodic_create(cmd: SopsPeriodicCreate, ctx: Context) -> Reply:
    """create_periodic_task; a form asks for what is missing."""
    biz, user = ctx.biz, ctx.user
    source = _source(cmd.common)
    info = await ctx.sops.get_template_info(
        template_id=cmd.template, bk_biz_id=biz, bk_username=user, template_source=source
    )
    tree = info.pipeline_tree or PipelineTree()
    fields = form_constants(tree)
    hidden = set(tree.constants) - {f.key for f in fields}
    given = resolve_values(
        fields,
        cmd.assignments,
        hidden=hidden,
        what=f"Template {cmd.template} ({info.name})",
        extra_hint=" Use --name and --cron for the periodic task itself.",
    )
    spec = parse_user_cron(cmd.cron) if cmd.cron is not None else None
    missing = missing_fields(fields, given)
    if cmd.form or cmd.name is None or spec is None or missing:
        return Reply(
            form=form_for(
                title=f"Schedule template {info.id}",
                submit="Create",
                command=("sops", "periodic", "create", str(info.id), "--biz", str(biz))
                + (("--common",) if cmd.common else ()),
                leading=(
                    FormField(
                        name="name",
                        label="Periodic task name",
                        default=cmd.name or info.name[:PERIODIC_NAME_MAX],
                        hint=f"Up to {PERIODIC_NAME_MAX} characters.",
                        token=TokenStyle.FLAG,
                        flag="name",
                    ),
                    FormField(
                        name="cron",
                        label="Schedule (crontab)",
                        kind=FieldKind.TEXT,
                        default=cmd.cron,
                        placeholder="0 2 * * *",
                        hint=CRON_HINT,
                        token=TokenStyle.FLAG,
                        flag="cron",
                    ),
                ),
                fields=fields,
                given=given,
                intro=f"Template {info.id} · {info.name}. BK-SOPS creates periodic tasks "
                "disabled; you can enable it right after.",
            )
        )
    created = await ctx.sops.create_periodic_task(
        template_id=cmd.template,
        bk_biz_id=biz,
        name=cmd.name,
        cron=spec,
        bk_username=user,
        template_source=source,
        constants=given or None,
    )
    return Reply(view=periodic_view(created, biz, created_by=who(ctx)), placement=Placement.CHANNEL)


async def _set_enabled(cmd: SopsPeriodicToggle, ctx: Context, *, enabled: bool) -> Reply:
    biz = ctx.biz
    # bk-sops §3.14: `enabled` is always sent; a missing value would disable the task.
    result = await ctx.sops.set_periodic_task_enabled(
        task_id=cmd.id, bk_biz_id=biz, enabled=enabled, bk_username=ctx.user
    )
    state = "enabled" if result.enabled else "disabled"
    return Reply(
        view=NoticeView(
            text=f"Periodic task {cmd.id} {state} by {who(ctx)}.",
            detail="It runs on its schedule from now on." if result.enabled else None,
            actions=(periodic_toggle(cmd.id, result.enabled, biz),),
        ),
        placement=Placement.THREAD,
    )


@TABLE.command(
    "sops periodic on",
    SopsPeriodicToggle,
    usage="sops periodic on ID",
    summary="Enable a periodic task",
)
async def sops_periodic_on(cmd: SopsPeriodicToggle, ctx: Context) -> Reply:
    """set_periodic_task_enabled true."""
    return await _set_enabled(cmd, ctx, enabled=True)


@TABLE.command(
    "sops periodic off",
    SopsPeriodicToggle,
    usage="sops periodic off ID",
    summary="Disable a periodic task",
)
async def sops_periodic_off(cmd: SopsPeriodicToggle, ctx: Context) -> Reply:
    """set_periodic_task_enabled false."""
    return await _set_enabled(cmd, ctx, enabled=False)


@TABLE.command(
    "sops periodic cron",
    SopsPeriodicCron,
    usage='sops periodic cron ID "m h dom mon dow"',
    summary="Change a periodic task's schedule (crontab order, project time zone)",
)
async def sops_periodic_cron(cmd: SopsPeriodicCron, ctx: Context) -> Reply:
    """modify_cron_for_periodic_task with all five fields (§3.15)."""
    biz = ctx.biz
    spec = parse_user_cron(cmd.cron)
    result = await ctx.sops.modify_cron_for_periodic_task(
        task_id=cmd.id, bk_biz_id=biz, cron=spec, bk_username=ctx.user
    )
    words, zone = schedule_words(result.schedule, result.cron)
    where = f" ({zone})" if zone else " (the project's time zone)"
    return Reply(
        view=NoticeView(
            text=f"Periodic task {cmd.id} now runs {words}{where}; changed by {who(ctx)}.",
            # bk-sops §3.11: the stored string orders the fields differently from crontab.
            detail=f"BK-SOPS stores it as “{result.cron}” (minute hour day-of-week "
            "day-of-month month).",
            actions=(Action(label="Details", command=f"sops periodic show {cmd.id} --biz {biz}"),),
        ),
        placement=Placement.THREAD,
    )


@TABLE.command(
    "sops periodic set",
    SopsPeriodicSet,
    usage="sops periodic set ID key=value …",
    summary="Change variable values of a periodic task for its future runs",
)
async def sops_periodic_set(cmd: SopsPeriodicSet, ctx: Context) -> Reply:
    """modify_constants_for_periodic_task, checking the keys first (the server ignores unknowns)."""
    biz, user = ctx.biz, ctx.user
    if not cmd.assignments:
        raise UserError("Give at least one variable as key=value.", field="assignments")
    task = await ctx.sops.get_periodic_task_info(task_id=cmd.id, bk_biz_id=biz, bk_username=user)
    fields = form_constants(task.form)
    hidden = set(task.pipeline_tree.constants if task.pipeline_tree else {}) - set(task.form)
    values = resolve_values(
        fields, cmd.assignments, hidden=hidden, what=f"Periodic task {cmd.id} ({task.name})"
    )
    result = await ctx.sops.modify_constants_for_periodic_task(
        task_id=cmd.id, bk_biz_id=biz, constants=values, bk_username=user
    )
    # the answer is the complete constants map (§3.16): show what was stored, masked
    stored = {k: result[k].value if k in result else v for k, v in values.items()}
    shown = masked_constants(stored, result or task.form)
    names = {f.key: f.name for f in fields}
    changes = ", ".join(
        f"{names.get(k, short_key(k))} = {fmt_value(v, 80)}" for k, v in shown.items()
    )
    return Reply(
        view=NoticeView(
            text=f"Periodic task {cmd.id} “{task.name}”: {changes}; set by {who(ctx)}.",
            detail="The new values apply to future runs.",
            actions=(Action(label="Details", command=f"sops periodic show {cmd.id} --biz {biz}"),),
        ),
        placement=Placement.THREAD,
    )


def register(registry: Registry) -> None:
    """Add the sops commands."""
    TABLE.register(registry)
