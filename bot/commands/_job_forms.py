"""The forms of the job commands: plan variables, fast script/file/SQL runs, and crons.

Every form's answers become the flags of the same command a user could type, so the form
adds nothing the typed command lacks (bk-job §5.8–§5.11, §5.18 for the fields).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.clients.bk_job import Cron, DBAccount, JobPlan, JobPlanDetail, OSAccount
from bot.commands._job_build import Language, has_default, variable_default
from bot.commands._job_hosts import HOSTS_HINT, format_target
from bot.commands._job_models import JobCronSave, JobExec, JobPush, JobRun, JobSql
from bot.views import FieldKind, Form, FormField, FormOption, TokenStyle

__all__ = ["cron_form", "exec_form", "push_form", "run_form", "sql_form"]

_HOSTS_PLACEHOLDER = "0:10.0.0.11,0:10.0.0.12"
_TIMEOUT_HINT = "Seconds, 1–259200; BK-Job's default is 7200."
# Slack option texts stop at 75 characters.
_MAX_OPTION = 75


def _base(*words: str, biz: int, extra: Sequence[str] = ()) -> tuple[str, ...]:
    return (*words, *extra, "--biz", str(biz))


def _hosts_field(name: str, label: str, default: str | None) -> FormField:
    return FormField(
        name=name,
        label=label,
        token=TokenStyle.FLAG,
        default=default,
        hint=HOSTS_HINT,
        placeholder=_HOSTS_PLACEHOLDER,
    )


def _account_field(
    name: str, label: str, accounts: Sequence[OSAccount], default: str | None
) -> FormField:
    options = tuple(
        FormOption(
            label=f"{a.alias} ({a.account}, {a.os})"[:_MAX_OPTION] if a.os else a.alias or "",
            value=a.alias or "",
        )
        for a in accounts
        if a.alias
    )
    return FormField(
        name=name,
        label=label,
        kind=FieldKind.SELECT if options else FieldKind.TEXT,
        options=options,
        token=TokenStyle.FLAG,
        default=default,
        hint="An execution account alias (`job accounts`).",
    )


def _optional(name: str, label: str, default: object, **more: object) -> FormField:
    return FormField.model_validate(
        {
            "name": name,
            "label": label,
            "required": False,
            "token": TokenStyle.FLAG,
            "default": None if default is None else str(default),
            **more,
        }
    )


def _missing(pairs: Sequence[tuple[str, bool]]) -> str | None:
    names = [name for name, present in pairs if not present]
    return f"Still needed: {', '.join(names)}." if names else None


def _intro(*parts: str | None) -> str | None:
    # Sentences from several sources (a variable's description has no final stop).
    text = " ".join(p if p.endswith((".", "!", "?", ":")) else f"{p}." for p in parts if p)
    return text or None


# ------------------------------------------------------------------------------------- plans


def run_form(plan: JobPlanDetail, cmd: JobRun, biz: int) -> Form:
    """The variables of a plan, prefilled with its defaults (passwords never prefilled)."""
    fields: list[FormField] = []
    without = []
    for var in plan.global_vars:
        if not var.name:
            continue
        given = cmd.assignments.get(var.name)
        described = var.description or None
        if var.is_password:
            keep = has_default(var)
            fields.append(
                FormField(
                    name=var.name,
                    label=f"{var.name} (password)",
                    kind=FieldKind.PASSWORD,
                    required=not keep,
                    hint=_intro(
                        described,
                        "Leave empty to keep the plan's value." if keep else "Required.",
                    ),
                )
            )
            continue
        default = given if given is not None else variable_default(var)
        if not has_default(var) and given is None:
            without.append(var.name)
        if var.is_host_list:
            fields.append(
                FormField(
                    name=var.name,
                    label=f"{var.name} (hosts)",
                    default=default,
                    hint=_intro(described, HOSTS_HINT),
                    placeholder=_HOSTS_PLACEHOLDER,
                )
            )
            continue
        fields.append(
            FormField(
                name=var.name,
                label=var.name,
                kind=FieldKind.MULTILINE if default and "\n" in default else FieldKind.TEXT,
                default=default,
                hint=described,
            )
        )
    name = plan.name or f"plan {plan.bk_job_id}"
    intro = _intro(
        f"Run “{name}” in business {biz}.",
        "The plan's defaults are filled in." if fields else "This plan has no variables.",
        f"No default: {', '.join(without)}." if without else None,
    )
    return Form(
        title=f"Run plan {plan.bk_job_id}"[:24],
        submit="Run",
        command=_base("job", "run", str(plan.bk_job_id), biz=biz),
        fields=tuple(fields),
        intro=intro,
    )


# ----------------------------------------------------------------------------- fast tasks


def exec_form(cmd: JobExec, accounts: Sequence[OSAccount], biz: int) -> Form:
    """Script id or inline code, hosts, account, parameters, timeout and language."""
    missing = _missing(
        [
            ("hosts", cmd.hosts is not None),
            ("account", cmd.account is not None),
            ("a script id or code", cmd.script_id is not None or cmd.code is not None),
        ]
    )
    fields = (
        _hosts_field("hosts", "Target hosts", format_target(cmd.hosts) if cmd.hosts else None),
        _account_field("account", "Account", accounts, cmd.account),
        _optional(
            "script_id",
            "Saved script version id",
            cmd.script_id,
            kind=FieldKind.NUMBER,
            hint="A version id from `job scripts`; or write the script below.",
        ),
        FormField(
            name="code",
            label="Script",
            kind=FieldKind.MULTILINE,
            required=False,
            token=TokenStyle.CODE,
            default=cmd.code,
            hint="Inline script, used when no script id is given.",
        ),
        _optional(
            "type",
            "Language",
            (cmd.type or Language.SHELL).value,
            kind=FieldKind.SELECT,
            options=tuple(FormOption(label=lang.value, value=lang.value) for lang in Language),
            hint="Language of the inline script (a saved script keeps its own).",
        ),
        _optional("params", "Parameters", cmd.params),
        _optional("timeout", "Timeout (s)", cmd.timeout, kind=FieldKind.NUMBER, hint=_TIMEOUT_HINT),
        _optional("name", "Task name", cmd.name),
    )
    return Form(
        title="Run a script",
        submit="Run",
        command=_base("job", "exec", biz=biz, extra=("--sensitive",) if cmd.sensitive else ()),
        fields=fields,
        intro=_intro("Runs now on the hosts you list, as the account you pick.", missing),
    )


def push_form(cmd: JobPush, accounts: Sequence[OSAccount], biz: int) -> Form:
    """Source hosts, files and account; target hosts, directory and account."""
    missing = _missing(
        [
            ("target hosts", cmd.hosts is not None),
            ("target account", cmd.account is not None),
            ("source hosts", cmd.source_hosts is not None),
            ("source account", cmd.source_account is not None),
            ("files", cmd.files is not None),
            ("target path", cmd.target_path is not None),
        ]
    )
    fields = (
        _hosts_field(
            "source_hosts",
            "Source hosts",
            format_target(cmd.source_hosts) if cmd.source_hosts else None,
        ),
        _account_field("source_account", "Source account", accounts, cmd.source_account),
        FormField(
            name="files",
            label="Files",
            kind=FieldKind.MULTILINE,
            token=TokenStyle.FLAG,
            default="\n".join(cmd.files) if cmd.files else None,
            hint="Absolute paths on the source hosts, one per line (wildcards and REGEX: work).",
            placeholder="/data/release/app.tar.gz",
        ),
        _hosts_field("hosts", "Target hosts", format_target(cmd.hosts) if cmd.hosts else None),
        _account_field("account", "Target account", accounts, cmd.account),
        FormField(
            name="target_path",
            label="Target directory",
            token=TokenStyle.FLAG,
            default=cmd.target_path,
            hint="Absolute directory on the target hosts; created when missing.",
            placeholder="/data/release/",
        ),
        _optional("timeout", "Timeout (s)", cmd.timeout, kind=FieldKind.NUMBER, hint=_TIMEOUT_HINT),
        _optional("name", "Task name", cmd.name),
    )
    return Form(
        title="Push files",
        submit="Push",
        command=_base("job", "push", biz=biz),
        fields=fields,
        intro=_intro("Copies server files from the source hosts to the target hosts.", missing),
    )


def sql_form(cmd: JobSql, accounts: Sequence[DBAccount], biz: int) -> Form:
    """DB hosts, DB account, script id or inline SQL, timeout."""
    missing = _missing(
        [
            ("hosts", cmd.hosts is not None),
            ("DB account", cmd.db_account is not None),
            ("a script id or SQL", cmd.script_id is not None or cmd.code is not None),
        ]
    )
    options = tuple(
        FormOption(
            label=f"{a.db_alias or a.db_account_id} ({a.account})"[:_MAX_OPTION]
            if a.account
            else str(a.db_alias or a.db_account_id),
            value=str(a.db_account_id),
        )
        for a in accounts
    )
    fields = (
        _hosts_field("hosts", "DB hosts", format_target(cmd.hosts) if cmd.hosts else None),
        FormField(
            name="db_account",
            label="DB account",
            kind=FieldKind.SELECT if options else FieldKind.NUMBER,
            options=options,
            token=TokenStyle.FLAG,
            default=str(cmd.db_account) if cmd.db_account else None,
            hint="A DB account you may use (`job db-accounts`).",
        ),
        _optional(
            "script_id",
            "Saved SQL script version id",
            cmd.script_id,
            kind=FieldKind.NUMBER,
            hint="A SQL version id from `job scripts`; or write the SQL below.",
        ),
        FormField(
            name="code",
            label="SQL",
            kind=FieldKind.MULTILINE,
            required=False,
            token=TokenStyle.CODE,
            default=cmd.code,
            hint="Inline SQL, used when no script id is given.",
        ),
        _optional("timeout", "Timeout (s)", cmd.timeout, kind=FieldKind.NUMBER, hint=_TIMEOUT_HINT),
        _optional("name", "Task name", cmd.name),
    )
    return Form(
        title="Run SQL",
        submit="Run",
        command=_base("job", "sql", biz=biz),
        fields=fields,
        intro=_intro("Runs now on the DB hosts with the DB account you pick.", missing),
    )


# ------------------------------------------------------------------------------------ crons


def cron_form(
    cmd: JobCronSave, plans: Sequence[JobPlan], biz: int, existing: Cron | None = None
) -> Form:
    """Plan, name and schedule; prefilled from the cron being edited."""
    plan = cmd.plan or (existing.bk_job_id if existing else None)
    name = cmd.name or (existing.cron_name if existing else None)
    expression = cmd.expression or (existing.cron_expression if existing else None)
    options = tuple(
        FormOption(
            label=f"{p.bk_job_id} {p.name or ''}".strip()[:_MAX_OPTION], value=str(p.bk_job_id)
        )
        for p in plans
    )
    words = ["job", "cron", "save"]
    if cmd.id is not None:
        words.append(str(cmd.id))
    return Form(
        title=f"Edit cron {cmd.id}"[:24] if cmd.id else "New cron",
        submit="Save",
        command=_base(*words, biz=biz, extra=("--enable",) if cmd.enable else ()),
        fields=(
            FormField(
                name="plan",
                label="Execution plan",
                kind=FieldKind.SELECT if options else FieldKind.NUMBER,
                options=options,
                token=TokenStyle.FLAG,
                default=str(plan) if plan else None,
            ),
            FormField(name="name", label="Name", token=TokenStyle.FLAG, default=name),
            FormField(
                name="expression",
                label="Schedule (crontab)",
                token=TokenStyle.FLAG,
                default=expression,
                placeholder="30 2 * * *",
                hint="5 fields: minute hour day-of-month month day-of-week, e.g. 0 9 * * 1-5.",
            ),
        ),
        intro="BK-Job saves every cron paused; enable it afterwards"
        + (" (this form enables it right away)." if cmd.enable else " with the On button."),
    )
