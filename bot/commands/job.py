"""The `job …` commands: BK-Job plans, fast tasks, scripts, accounts, runs, logs and crons."""

from __future__ import annotations

from bot.clients.bk_job import (
    Cron,
    CronStatus,
    FileSource,
    GlobalVarValue,
    JobInstanceStatus,
    JobLaunch,
    JobOperation,
    JobStatus,
    ScriptPage,
    ScriptType,
    StepInstance,
)
from bot.commands import _lists
from bot.commands._context import Context
from bot.commands._job_build import (
    Language,
    cron_row,
    cron_switch,
    exec_command,
    has_default,
    language_label,
    page_of,
    pager,
    pages_for,
    plan_step,
    quoted,
    script_row,
    variable_row,
    who,
)
from bot.commands._job_forms import cron_form, exec_form, push_form, run_form, sql_form
from bot.commands._job_hosts import parse_hosts
from bot.commands._job_logs import log_reply_parts, select_steps
from bot.commands._job_models import (
    CronSwitch,
    JobAccounts,
    JobCron,
    JobCrons,
    JobCronSave,
    JobDbAccounts,
    JobExec,
    JobLog,
    JobPlan,
    JobPlans,
    JobPublicScripts,
    JobPush,
    JobRun,
    JobRunStatus,
    JobScript,
    JobScripts,
    JobSql,
    JobStep,
    JobStop,
)
from bot.commands.registry import CommandTable, Registry, Topic
from bot.errors import Conflict, NotFound, UserError
from bot.services.job_runs import (
    DESTRUCTIVE_STEP_OPS,
    StepOp,
    job_run_card,
    status_label,
    step_op_action,
    step_op_effect,
)
from bot.views import (
    Action,
    ButtonStyle,
    Confirm,
    FileAttachment,
    NoticeView,
    Placement,
    PromptView,
    Reply,
    RunKind,
    RunRef,
)
from bot.views.job import (
    JobAccountListView,
    JobAccountRow,
    JobCronListView,
    JobCronView,
    JobPlanListView,
    JobPlanRow,
    JobPlanView,
    JobScriptListView,
    JobScriptView,
    fmt_time,
)

__all__ = ["TABLE", "register"]

TABLE = CommandTable(Topic.JOB)

# A script shown in a message stops here; the whole text is attached as a file.
MAX_SCRIPT_CHARS = 2500
# get_cron_list pages (bk-job §5.16: always send length); a business rarely has more.
CRON_BATCH = 100
MAX_CRON_BATCHES = 20


# ------------------------------------------------------------------------------------ plans


@TABLE.command(
    "job plans",
    JobPlans,
    usage="job plans [KEYWORD] [--page N]",
    summary="List execution plans; each row has Run and Details buttons",
)
async def job_plans(cmd: JobPlans, ctx: Context) -> Reply:
    """Plans whose name contains the keyword (bk-job §5.1: substring match), one page."""
    plans = await ctx.job.get_job_list(bk_biz_id=ctx.biz, name=cmd.keyword, bk_username=ctx.user)
    rows, pages = page_of(plans, cmd.page)
    base = "job plans" + (f" {quoted(cmd.keyword)}" if cmd.keyword else "")
    return Reply(
        view=JobPlanListView(
            biz=ctx.biz,
            keyword=cmd.keyword,
            page=cmd.page,
            pages=pages,
            total=len(plans),
            rows=tuple(
                JobPlanRow(
                    id=p.bk_job_id,
                    name=p.name or f"Plan {p.bk_job_id}",
                    creator=p.creator,
                    modified=fmt_time(p.last_modify_time or p.create_time),
                    modified_by=p.last_modify_user,
                    actions=(
                        Action(
                            label="Run",
                            command=f"job run {p.bk_job_id} --form --biz {ctx.biz}",
                            style=ButtonStyle.PRIMARY,
                        ),
                        Action(label="Details", command=f"job plan {p.bk_job_id} --biz {ctx.biz}"),
                    ),
                )
                for p in rows
            ),
            actions=pager(base, cmd.page, pages, f" --biz {ctx.biz}"),
        )
    )


@TABLE.command(
    "job plan",
    JobPlan,
    usage="job plan ID",
    summary="Show a plan's steps and variables (passwords masked)",
)
async def job_plan(cmd: JobPlan, ctx: Context) -> Reply:
    """Steps (kind told apart by fields, bk-job §5.2) and global variables."""
    plan = await ctx.job.get_job_detail(bk_biz_id=ctx.biz, bk_job_id=cmd.id, bk_username=ctx.user)
    return Reply(
        view=JobPlanView(
            id=plan.bk_job_id,
            biz=ctx.biz,
            name=plan.name or f"Plan {plan.bk_job_id}",
            creator=plan.creator,
            modified=fmt_time(plan.last_modify_time or plan.create_time),
            modified_by=plan.last_modify_user,
            steps=tuple(plan_step(i + 1, s) for i, s in enumerate(plan.steps)),
            variables=tuple(variable_row(v) for v in plan.global_vars),
            has_confirmation=plan.has_confirmation,
            actions=(
                Action(
                    label="Run",
                    command=f"job run {plan.bk_job_id} --form --biz {ctx.biz}",
                    style=ButtonStyle.PRIMARY,
                ),
            ),
        )
    )


@TABLE.command(
    "job run",
    JobRun,
    usage="job run ID [name=value …] [--form]",
    summary="Start a plan; asks for variables without a value (or all, with --form)",
)
async def job_run(cmd: JobRun, ctx: Context) -> Reply:
    """execute_job with the variables given; the others keep their defaults (bk-job §5.11)."""
    plan = await ctx.job.get_job_detail(bk_biz_id=ctx.biz, bk_job_id=cmd.id, bk_username=ctx.user)
    by_name = {v.name: v for v in plan.global_vars if v.name}
    for name in cmd.assignments:
        if name not in by_name:
            known = ", ".join(f"`{n}`" for n in by_name)
            raise UserError(
                f"Plan {cmd.id} has no variable `{name}`.",
                field=name,
                hint=f"Its variables: {known}." if known else "It has no variables.",
            )
    values: list[GlobalVarValue] = []
    for name, raw in cmd.assignments.items():
        var = by_name[name]
        if var.is_host_list:
            try:
                target = parse_hosts(raw)
            except ValueError as exc:
                raise UserError(f"Variable `{name}`: {exc}.", field=name) from None
            values.append(GlobalVarValue(id=var.id, name=name, target_server=target))
        else:
            values.append(GlobalVarValue(id=var.id, name=name, value=raw))
    missing = [v for v in plan.global_vars if v.name not in cmd.assignments and not has_default(v)]
    if cmd.form or missing:
        return Reply(form=run_form(plan, cmd, ctx.biz))
    launch = await ctx.job.execute_job(
        bk_biz_id=ctx.biz, bk_job_id=cmd.id, global_vars=values or None, bk_username=ctx.user
    )
    return await _run_card_reply(ctx, launch)


async def _run_card_reply(ctx: Context, launch: JobLaunch) -> Reply:
    """The run card of a job just started, posted in the channel for everyone."""
    card = await job_run_card(
        ctx.job,
        biz=ctx.biz,
        instance_id=launch.job_instance_id,
        user=ctx.user,
        started_by=who(ctx),
    )
    return Reply(
        view=card,
        placement=Placement.CHANNEL,
        run=RunRef(kind=RunKind.JOB, id=launch.job_instance_id, biz=ctx.biz),
    )


# ------------------------------------------------------------------------------- fast tasks


def _task_name(ctx: Context, given: str | None, what: str) -> str:
    # Names the instance after the chat user, as in bk-job §5.8's example (slack:alice:uptime).
    return given or f"chatops:{ctx.user}:{what}"


@TABLE.command(
    "job exec",
    JobExec,
    usage='job exec --hosts H --account A (--script-id N | ```code```) [--params "…"] '
    "[--timeout S] [--type shell|bat|perl|python|powershell] [--name N] [--sensitive] [--form]",
    summary="Run a saved script version or inline code on hosts now (form when incomplete)",
)
async def job_exec(cmd: JobExec, ctx: Context) -> Reply:
    """fast_execute_script (bk-job §5.8): a saved version's id or inline code with a language."""
    if cmd.script_id is not None and cmd.code is not None:
        raise UserError("Give either --script-id or a ``` code block, not both.", field="script_id")
    script = cmd.script_id is not None or cmd.code is not None
    if cmd.form or cmd.hosts is None or cmd.account is None or not script:
        accounts = await ctx.job.get_os_account(bk_biz_id=ctx.biz, bk_username=ctx.user)
        return Reply(form=exec_form(cmd, accounts, ctx.biz))
    language = None
    if cmd.code is not None:
        # bk-job §5.8: script_type goes with inline content; a saved version has its own.
        language = (cmd.type or Language.SHELL).script_type
    launch = await ctx.job.fast_execute_script(
        bk_biz_id=ctx.biz,
        account=cmd.account,
        target_server=cmd.hosts,
        script_id=cmd.script_id,
        script_content=cmd.code,
        script_type=language,
        script_param=cmd.params,
        script_timeout=cmd.timeout,
        is_param_sensitive=True if cmd.sensitive else None,
        task_name=_task_name(ctx, cmd.name, "exec"),
        bk_username=ctx.user,
    )
    return await _run_card_reply(ctx, launch)


@TABLE.command(
    "job push",
    JobPush,
    usage="job push --hosts H --account A --source-hosts H --source-account A "
    '--files "/a,/b" --target-path /dir [--timeout S] [--name N] [--form]',
    summary="Copy files from source hosts to target hosts (form when incomplete)",
)
async def job_push(cmd: JobPush, ctx: Context) -> Reply:
    """fast_push_file (bk-job §5.9): server files only on v2."""
    hosts, account, files, target_path = cmd.hosts, cmd.account, cmd.files, cmd.target_path
    sources, source_account = cmd.source_hosts, cmd.source_account
    if (
        cmd.form
        or hosts is None
        or account is None
        or sources is None
        or source_account is None
        or files is None
        or target_path is None
    ):
        accounts = await ctx.job.get_os_account(bk_biz_id=ctx.biz, bk_username=ctx.user)
        return Reply(form=push_form(cmd, accounts, ctx.biz))
    launch = await ctx.job.fast_push_file(
        bk_biz_id=ctx.biz,
        file_target_path=target_path,
        file_source=[FileSource(files=list(files), account=source_account, target_server=sources)],
        account=account,
        target_server=hosts,
        timeout=cmd.timeout,
        task_name=_task_name(ctx, cmd.name, "push"),
        bk_username=ctx.user,
    )
    return await _run_card_reply(ctx, launch)


@TABLE.command(
    "job sql",
    JobSql,
    usage="job sql --hosts H --db-account N (--script-id N | ```sql```) [--timeout S] "
    "[--name N] [--form]",
    summary="Run SQL on DB hosts with a DB account (form when incomplete)",
)
async def job_sql(cmd: JobSql, ctx: Context) -> Reply:
    """fast_execute_sql (bk-job §5.10): a saved SQL version's id or inline SQL."""
    if cmd.script_id is not None and cmd.code is not None:
        raise UserError("Give either --script-id or a ``` SQL block, not both.", field="script_id")
    script = cmd.script_id is not None or cmd.code is not None
    if cmd.form or cmd.hosts is None or cmd.db_account is None or not script:
        accounts = await ctx.job.get_own_db_account_list(bk_biz_id=ctx.biz, bk_username=ctx.user)
        return Reply(form=sql_form(cmd, accounts, ctx.biz))
    launch = await ctx.job.fast_execute_sql(
        bk_biz_id=ctx.biz,
        db_account_id=cmd.db_account,
        target_server=cmd.hosts,
        script_id=cmd.script_id,
        script_content=cmd.code,
        script_timeout=cmd.timeout,
        task_name=_task_name(ctx, cmd.name, "sql"),
        bk_username=ctx.user,
    )
    return await _run_card_reply(ctx, launch)


# ---------------------------------------------------------------------------------- scripts


def _script_list(page: ScriptPage, cmd: JobScripts, ctx: Context, *, public: bool) -> Reply:
    total = page.total_record_size if page.total_record_size is not None else len(page.data)
    pages = pages_for(total, cmd.page)
    verb = "job public-scripts" if public else "job scripts"
    base = verb + (f" {quoted(cmd.keyword)}" if cmd.keyword else "")
    return Reply(
        view=JobScriptListView(
            biz=ctx.biz,
            public=public,
            keyword=cmd.keyword,
            page=cmd.page,
            pages=pages,
            total=total,
            rows=tuple(script_row(s, ctx.biz) for s in page.data[: _lists.PAGE_SIZE]),
            actions=pager(base, cmd.page, pages, f" --biz {ctx.biz}"),
        )
    )


@TABLE.command(
    "job scripts",
    JobScripts,
    usage="job scripts [KEYWORD] [--page N]",
    summary="List the business's scripts (online versions); each row has an Exec button",
)
async def job_scripts(cmd: JobScripts, ctx: Context) -> Reply:
    """get_script_list, paged by the server (bk-job §5.3)."""
    page = await ctx.job.get_script_list(
        bk_biz_id=ctx.biz,
        script_name=cmd.keyword,
        start=(cmd.page - 1) * _lists.PAGE_SIZE,
        length=_lists.PAGE_SIZE,
        bk_username=ctx.user,
    )
    return _script_list(page, cmd, ctx, public=False)


@TABLE.command(
    "job public-scripts",
    JobPublicScripts,
    usage="job public-scripts [KEYWORD] [--page N]",
    summary="List platform-wide public scripts; each row has an Exec button",
)
async def job_public_scripts(cmd: JobPublicScripts, ctx: Context) -> Reply:
    """get_public_script_list, paged by the server (bk-job §5.4)."""
    page = await ctx.job.get_public_script_list(
        script_name=cmd.keyword,
        start=(cmd.page - 1) * _lists.PAGE_SIZE,
        length=_lists.PAGE_SIZE,
        bk_username=ctx.user,
    )
    return _script_list(page, cmd, ctx, public=True)


def _suffix(script_type: int | None) -> str:
    if script_type is None:
        return ".txt"
    try:
        return ScriptType(script_type).suffix
    except ValueError:
        return ".txt"


@TABLE.command(
    "job script",
    JobScript,
    usage="job script ID",
    summary="Show a script version and its content",
)
async def job_script(cmd: JobScript, ctx: Context) -> Reply:
    """get_script_detail, with the text from the script list (bk-job §5.5: detail has none)."""
    script = await ctx.job.get_script_detail(bk_biz_id=ctx.biz, id=cmd.id, bk_username=ctx.user)
    content = script.content
    if content is None:
        if script.public:
            page = await ctx.job.get_public_script_list(
                return_script_content=True, script_name=script.name, bk_username=ctx.user
            )
        else:
            page = await ctx.job.get_script_list(
                bk_biz_id=ctx.biz,
                return_script_content=True,
                script_name=script.name,
                bk_username=ctx.user,
            )
        content = next((s.content for s in page.data if s.id == script.id), None)
    name = script.name or f"Script {script.id}"
    attachment = None
    shown = content
    if content is not None and len(content) > MAX_SCRIPT_CHARS:
        shown = content[: MAX_SCRIPT_CHARS - 1] + "…"
        suffix = _suffix(script.type)
        filename = name if name.endswith(suffix) else f"{name}{suffix}"
        attachment = FileAttachment(filename=filename, content=content, title=name)
    return Reply(
        view=JobScriptView(
            id=script.id,
            biz=ctx.biz,
            name=name,
            language=language_label(script.type),
            version=script.version,
            public=bool(script.public),
            creator=script.creator,
            created=fmt_time(script.create_time, utc=True),
            updated=fmt_time(script.last_modify_time, utc=True),
            updated_by=script.last_modify_user,
            content=shown,
            lines=len(content.splitlines()) if content else 0,
            truncated=attachment is not None,
            attached=attachment.filename if attachment else None,
            actions=(
                Action(
                    label="Exec", command=exec_command(script, ctx.biz), style=ButtonStyle.PRIMARY
                ),
            ),
        ),
        attachment=attachment,
    )


# --------------------------------------------------------------------------------- accounts


@TABLE.command(
    "job accounts",
    JobAccounts,
    usage="job accounts [--page N]",
    summary="List the business's execution (OS) accounts; exec and push take the alias",
)
async def job_accounts(cmd: JobAccounts, ctx: Context) -> Reply:
    """get_os_account (bk-job §5.6)."""
    accounts = await ctx.job.get_os_account(bk_biz_id=ctx.biz, bk_username=ctx.user)
    rows, pages = page_of(accounts, cmd.page)
    return Reply(
        view=JobAccountListView(
            biz=ctx.biz,
            page=cmd.page,
            pages=pages,
            total=len(accounts),
            rows=tuple(
                JobAccountRow(
                    id=a.id,
                    alias=a.alias or a.account or "?",
                    account=a.account,
                    os=str(a.os) if a.os else None,
                    creator=a.creator,
                    created=fmt_time(a.create_time, utc=True),
                )
                for a in rows
            ),
            actions=pager("job accounts", cmd.page, pages, f" --biz {ctx.biz}"),
        )
    )


@TABLE.command(
    "job db-accounts",
    JobDbAccounts,
    usage="job db-accounts [--page N]",
    summary="List the DB accounts you may use; job sql takes the id",
)
async def job_db_accounts(cmd: JobDbAccounts, ctx: Context) -> Reply:
    """get_own_db_account_list (bk-job §5.7: the server ignores paging, so page here)."""
    accounts = await ctx.job.get_own_db_account_list(bk_biz_id=ctx.biz, bk_username=ctx.user)
    rows, pages = page_of(accounts, cmd.page)
    return Reply(
        view=JobAccountListView(
            biz=ctx.biz,
            db=True,
            page=cmd.page,
            pages=pages,
            total=len(accounts),
            rows=tuple(
                JobAccountRow(
                    id=a.db_account_id,
                    alias=a.db_alias or str(a.db_account_id),
                    account=a.account,
                    creator=a.creator,
                    created=fmt_time(a.create_time, utc=True),
                )
                for a in rows
            ),
            actions=pager("job db-accounts", cmd.page, pages, f" --biz {ctx.biz}"),
        )
    )


# ------------------------------------------------------------------------------------- runs


@TABLE.command(
    "job status",
    JobRunStatus,
    usage="job status ID",
    summary="Show a job instance's run card: steps, hosts and the buttons valid now",
)
async def job_status(cmd: JobRunStatus, ctx: Context) -> Reply:
    """get_job_instance_status (bk-job §5.14) as a run card; a read never watches the run."""
    card = await job_run_card(ctx.job, biz=ctx.biz, instance_id=cmd.id, user=ctx.user)
    return Reply(view=card)


@TABLE.command(
    "job log",
    JobLog,
    usage="job log ID [--step S] [--host IP]",
    summary="Show a job's logs, hosts with the same output grouped (STEP: number or id)",
)
async def job_log(cmd: JobLog, ctx: Context) -> Reply:
    """get_job_instance_log (bk-job §5.15); long output comes as a file."""
    logs = await ctx.job.get_job_instance_log(
        bk_biz_id=ctx.biz, job_instance_id=cmd.id, bk_username=ctx.user
    )
    chosen = select_steps(logs, cmd.step)
    view, attachment = log_reply_parts(cmd.id, ctx.biz, chosen, step_filter=cmd.step, host=cmd.host)
    return Reply(view=view, attachment=attachment)


async def _status(ctx: Context, instance_id: int) -> JobInstanceStatus:
    return await ctx.job.get_job_instance_status(
        bk_biz_id=ctx.biz, job_instance_id=instance_id, bk_username=ctx.user
    )


def _job_name(status: JobInstanceStatus, instance_id: int) -> str:
    name = status.job_instance.name if status.job_instance else None
    return name or f"job {instance_id}"


def _run_buttons(instance_id: int, biz: int) -> tuple[Action, ...]:
    return (
        Action(label="Status", command=f"job status {instance_id} --biz {biz}"),
        Action(label="Logs", command=f"job log {instance_id} --biz {biz}"),
    )


def _stop_prompt(
    instance_id: int, biz: int, name: str, waiting: StepInstance | None, reject: Action | None
) -> PromptView:
    """Stop (and, at a confirmation step, the Reject that actually ends the job)."""
    stop = Action(
        label="Stop anyway" if waiting is not None else "Stop",
        command=f"job stop {instance_id} --yes --biz {biz}",
        style=ButtonStyle.DANGER,
        confirm=Confirm(
            title="Stop the job?",
            text=f"Stop job {instance_id} “{name}”? Hosts still running are terminated.",
            confirm="Stop",
        ),
    )
    detail = "BK-Job terminates the running step; it cannot be resumed, only retried."
    if waiting is not None:
        detail = (
            f"It is waiting at confirmation step “{waiting.name}”, where Stop does not end a "
            "job (it stays “stopping”): reject the step instead."
        )
    return PromptView(
        question=f"Stop job {instance_id} “{name}”?",
        detail=detail,
        actions=(*((reject,) if reject else ()), stop),
    )


@TABLE.command(
    "job stop",
    JobStop,
    usage="job stop ID [--yes]",
    summary="Stop a running job (asks first)",
)
async def job_stop(cmd: JobStop, ctx: Context) -> Reply:
    """operate_job_instance 1 (bk-job §5.12): only at status 2 or 7."""
    status = await _status(ctx, cmd.id)
    name = _job_name(status, cmd.id)
    state = status.status
    if state == JobStatus.TERMINATING:
        raise Conflict(f"Job {cmd.id} “{name}” is already stopping.")
    if state not in (JobStatus.RUNNING, JobStatus.WAITING_USER):
        raise Conflict(
            f"Job {cmd.id} “{name}” is {status_label(state).lower()}; only a running or "
            "waiting job can be stopped."
        )
    waiting = status.step_waiting_for_confirmation
    reject = None
    if waiting is not None:
        index = status.steps.index(waiting) + 1
        reject = step_op_action(
            StepOp.REJECT, instance_id=cmd.id, biz=ctx.biz, step=waiting, index=index
        )
    if not cmd.yes:
        return Reply(view=_stop_prompt(cmd.id, ctx.biz, name, waiting, reject))
    await ctx.job.operate_job_instance(
        bk_biz_id=ctx.biz,
        job_instance_id=cmd.id,
        operation_code=JobOperation.TERMINATE,
        bk_username=ctx.user,
    )
    if waiting is not None and reject is not None:
        # bk-job §10: the job becomes 10 while the confirmation step stays 7; only reject ends it.
        return Reply(
            view=NoticeView(
                text=f"{who(ctx)} asked BK-Job to stop job {cmd.id} “{name}”.",
                detail=f"It is waiting at confirmation step “{waiting.name}”, where Stop does "
                "not finish a job: it stays “stopping” until the step is rejected.",
                actions=(reject, *_run_buttons(cmd.id, ctx.biz)),
            ),
            placement=Placement.THREAD,
            touched=_ref(cmd.id, ctx),
        )
    return Reply(
        view=NoticeView(
            text=f"{who(ctx)} stopped job {cmd.id} “{name}”.",
            detail="BK-Job is terminating the running step; hosts still running are stopped.",
            actions=_run_buttons(cmd.id, ctx.biz),
        ),
        placement=Placement.THREAD,
        touched=_ref(cmd.id, ctx),
    )


def _ref(instance_id: int, ctx: Context) -> RunRef:
    return RunRef(kind=RunKind.JOB, id=instance_id, biz=ctx.biz)


def _resolve_step(
    status: JobInstanceStatus, ref: int, instance_id: int
) -> tuple[int, StepInstance]:
    """STEP as a 1-based index or a step instance id."""
    steps = status.steps
    if 1 <= ref <= len(steps):
        return ref, steps[ref - 1]
    for index, step in enumerate(steps, 1):
        if step.step_instance_id == ref:
            return index, step
    raise NotFound(
        f"Job {instance_id} has no step {ref}.",
        hint=f"Give a step number from 1 to {len(steps)} or a step instance id.",
    )


_STEP_NOTICES: dict[StepOp, str] = {
    StepOp.RETRY_FAILED: "{who} retried the failed hosts of step {i} “{step}” of job {id}.",
    StepOp.RETRY_ALL: "{who} re-ran step {i} “{step}” of job {id} on every host.",
    StepOp.IGNORE_ERROR: "{who} ignored the failure of step {i} “{step}”; job {id} goes on.",
    StepOp.SKIP: "{who} skipped step {i} “{step}”; job {id} goes on with the next step.",
    StepOp.CONFIRM: "{who} confirmed step {i} “{step}”; job {id} goes on.",
    StepOp.REJECT: "{who} rejected step {i} “{step}”; job {id} ends there.",
    StepOp.NEXT: "{who} moved job {id} on past stopped step {i} “{step}”.",
}


@TABLE.command(
    "job step",
    JobStep,
    usage="job step ID STEP retry-failed|retry-all|ignore-error|skip|confirm|reject|next [--yes]",
    summary="Act on one step (STEP: number or id); destructive ones ask first",
)
async def job_step(cmd: JobStep, ctx: Context) -> Reply:
    """operate_step_instance (bk-job §5.13), refused here when the step's state forbids it."""
    status = await _status(ctx, cmd.id)
    index, step = _resolve_step(status, cmd.step, cmd.id)
    step_name = step.name or f"step {index}"
    valid = [op for op in (StepOp.of(c) for c in step.valid_operations) if op is not None]
    if cmd.op not in valid:
        now = ", ".join(f"`{op.value}`" for op in valid)
        raise Conflict(
            f"Cannot {cmd.op.value} step {index} “{step_name}” of job {cmd.id} now: its state "
            f"is {status_label(step.status)}.",
            hint=f"Valid now: {now}." if now else "No step operation is possible on it now.",
        )
    action = step_op_action(cmd.op, instance_id=cmd.id, biz=ctx.biz, step=step, index=index)
    if cmd.op in DESTRUCTIVE_STEP_OPS and not cmd.yes:
        return Reply(
            view=PromptView(
                question=f"{cmd.op.label} step {index} “{step_name}” of job {cmd.id}?",
                detail=step_op_effect(cmd.op),
                actions=(action, *_run_buttons(cmd.id, ctx.biz)),
            )
        )
    await ctx.job.operate_step_instance(
        bk_biz_id=ctx.biz,
        job_instance_id=cmd.id,
        step_instance_id=step.step_instance_id,
        operation_code=cmd.op.code,
        bk_username=ctx.user,
    )
    text = _STEP_NOTICES[cmd.op].format(who=who(ctx), i=index, step=step_name, id=cmd.id)
    return Reply(
        view=NoticeView(text=text, actions=_run_buttons(cmd.id, ctx.biz)),
        placement=Placement.THREAD,
        touched=_ref(cmd.id, ctx),
    )


# ------------------------------------------------------------------------------------ crons


async def _plan_names(ctx: Context) -> dict[int, str]:
    plans = await ctx.job.get_job_list(bk_biz_id=ctx.biz, bk_username=ctx.user)
    return {p.bk_job_id: p.name for p in plans if p.name}


@TABLE.command(
    "job crons",
    JobCrons,
    usage="job crons [KEYWORD] [--page N]",
    summary="List crons with On/Off and Edit buttons",
)
async def job_crons(cmd: JobCrons, ctx: Context) -> Reply:
    """get_cron_list, read page by page (bk-job §5.16: Server 3.x defaults to 10 rows)."""
    crons = []
    for batch in range(MAX_CRON_BATCHES):
        found = await ctx.job.get_cron_list(
            bk_biz_id=ctx.biz,
            cron_name=cmd.keyword,
            start=batch * CRON_BATCH,
            length=CRON_BATCH,
            bk_username=ctx.user,
        )
        crons.extend(found)
        if len(found) < CRON_BATCH:
            break
    rows, pages = page_of(crons, cmd.page)
    names = await _plan_names(ctx) if rows else {}
    base = "job crons" + (f" {quoted(cmd.keyword)}" if cmd.keyword else "")
    return Reply(
        view=JobCronListView(
            biz=ctx.biz,
            keyword=cmd.keyword,
            page=cmd.page,
            pages=pages,
            total=len(crons),
            rows=tuple(cron_row(c, ctx.biz, names) for c in rows),
            actions=(
                *pager(base, cmd.page, pages, f" --biz {ctx.biz}"),
                Action(label="New cron", command=f"job cron save --biz {ctx.biz}"),
            ),
        )
    )


async def _cron(ctx: Context, cron_id: int) -> Cron:
    found = await ctx.job.get_cron_list(bk_biz_id=ctx.biz, cron_id=cron_id, bk_username=ctx.user)
    cron = next((c for c in found if c.cron_id == cron_id), None)
    if cron is None:
        # bk-job §5.16: an unknown cron_id gives an empty list (or [null]), not an error.
        raise NotFound(f"BK-Job has no cron {cron_id} in business {ctx.biz}.")
    return cron


@TABLE.command(
    "job cron",
    JobCron,
    usage="job cron on|off ID",
    summary="Enable or pause a cron",
)
async def job_cron(cmd: JobCron, ctx: Context) -> Reply:
    """update_cron_status, the v2 successor of change_cron_status (bk-job §5.17)."""
    cron = await _cron(ctx, cmd.id)
    name = cron.cron_name or f"cron {cmd.id}"
    enable = cmd.state is CronSwitch.ON
    await ctx.job.change_cron_status(
        bk_biz_id=ctx.biz,
        cron_id=cmd.id,
        cron_status=CronStatus.ENABLED if enable else CronStatus.PAUSED,
        bk_username=ctx.user,
    )
    verb = "enabled" if enable else "paused"
    return Reply(
        view=NoticeView(
            text=f"{who(ctx)} {verb} cron {cmd.id} “{name}”.",
            detail="It runs its plan on schedule from now on."
            if enable
            else "It will not run until it is enabled again.",
            actions=(cron_switch(cmd.id, enable, ctx.biz),),
        ),
        placement=Placement.THREAD,
    )


@TABLE.command(
    "job cron save",
    JobCronSave,
    usage='job cron save [ID] [--plan N] [--name "…"] [--expression "m h dom mon dow"] '
    "[--enable] [--form]",
    summary="Create a cron, or change one (form when details are missing); saved paused",
)
async def job_cron_save(cmd: JobCronSave, ctx: Context) -> Reply:
    """save_cron (bk-job §5.18), then update_cron_status when --enable is given."""
    existing = await _cron(ctx, cmd.id) if cmd.id is not None else None
    given = [cmd.plan, cmd.name, cmd.expression]
    needs_form = (
        any(v is None for v in given) if existing is None else all(v is None for v in given)
    )
    if cmd.form or needs_form:
        plans = await ctx.job.get_job_list(bk_biz_id=ctx.biz, bk_username=ctx.user)
        return Reply(form=cron_form(cmd, plans, ctx.biz, existing))
    saved = await ctx.job.save_cron(
        bk_biz_id=ctx.biz,
        cron_id=cmd.id,
        bk_job_id=cmd.plan,
        cron_name=cmd.name,
        cron_expression=cmd.expression,
        bk_username=ctx.user,
    )
    enabled = saved.enabled
    if cmd.enable:
        await ctx.job.change_cron_status(
            bk_biz_id=ctx.biz,
            cron_id=saved.cron_id,
            cron_status=CronStatus.ENABLED,
            bk_username=ctx.user,
        )
        enabled = True
    plan_id = saved.bk_job_id or cmd.plan or (existing.bk_job_id if existing else None)
    names = await _plan_names(ctx) if plan_id else {}
    # bk-job §5.18: v2 saves every cron paused, new or changed.
    note = (
        "Enabled right after saving."
        if cmd.enable
        else "BK-Job saves every cron paused (also when changing one): enable it to run."
    )
    actions: list[Action] = []
    if not enabled:
        actions.append(
            Action(
                label="Enable",
                command=f"job cron on {saved.cron_id} --biz {ctx.biz}",
                style=ButtonStyle.PRIMARY,
            )
        )
    else:
        actions.append(cron_switch(saved.cron_id, True, ctx.biz))
    actions.append(Action(label="Edit", command=f"job cron save {saved.cron_id} --biz {ctx.biz}"))
    return Reply(
        view=JobCronView(
            id=saved.cron_id,
            biz=ctx.biz,
            name=saved.cron_name or cmd.name or (existing.cron_name if existing else None) or "",
            enabled=enabled,
            expression=saved.cron_expression or cmd.expression,
            plan_id=plan_id,
            plan_name=names.get(plan_id) if plan_id else None,
            created=existing is None,
            saved_by=who(ctx),
            note=note,
            actions=tuple(actions),
        ),
        placement=Placement.THREAD,
    )


def register(registry: Registry) -> None:
    """Add the job commands."""
    TABLE.register(registry)
