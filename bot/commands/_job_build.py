"""Building blocks of the job handlers: paging, languages, and the rows their views show."""

from __future__ import annotations

import enum
import re
import shlex
from typing import Annotated, TypeVar

from pydantic import BeforeValidator

from bot.clients.bk_job import (
    PASSWORD_MASK,
    Cron,
    FileType,
    PlanGlobalVar,
    PlanStep,
    Script,
    ScriptSource,
    ScriptType,
    StepType,
    VariableCategory,
)
from bot.commands._job_hosts import format_hosts
from bot.commands._lists import fits, page_of, pager, pages_for, who
from bot.views import Action
from bot.views.job import (
    JobCronRow,
    JobPlanStep,
    JobScriptRow,
    JobVariableRow,
    fmt_duration,
    fmt_time,
)

__all__ = [
    "AbsolutePath",
    "CronExpression",
    "Language",
    "Paths",
    "cron_row",
    "cron_switch",
    "exec_command",
    "fits",
    "has_default",
    "language_label",
    "page_of",
    "pager",
    "pages_for",
    "plan_step",
    "quoted",
    "script_row",
    "variable_default",
    "variable_row",
    "who",
]

T = TypeVar("T")

# Rows per page of a list: a Slack message stays readable and under its block limit.


def quoted(text: str) -> str:
    """A word for a button command, quoted when it holds spaces or quotes."""
    return shlex.quote(text)


# ------------------------------------------------------------------------------- languages


class Language(enum.StrEnum):
    """``--type`` of ``job exec``: the languages fast_execute_script takes (bk-job §5.8)."""

    SHELL = "shell"
    BAT = "bat"
    PERL = "perl"
    PYTHON = "python"
    POWERSHELL = "powershell"

    @property
    def script_type(self) -> ScriptType:
        """The BK-Job code (§6.5)."""
        return ScriptType[self.name]


_LANGUAGES: dict[int, str] = {
    ScriptType.SHELL: "shell",
    ScriptType.BAT: "bat",
    ScriptType.PERL: "perl",
    ScriptType.PYTHON: "python",
    ScriptType.POWERSHELL: "powershell",
    ScriptType.SQL: "SQL",
}


def language_label(script_type: ScriptType | int | None) -> str:
    """``shell``, ``python`` … ``SQL`` (bk-job §6.5)."""
    if script_type is None:
        return "unknown"
    return _LANGUAGES.get(int(script_type), f"type {int(script_type)}")


# ----------------------------------------------------------------------- validated options

_PATH_SPLIT = re.compile(r"[,\n]+")


def _absolute(path: str) -> str:
    # bk-job §5.9: Linux /… or Windows C:\… paths only.
    if path.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", path):
        return path
    raise ValueError(f"needs absolute paths (/data/app.log or C:\\logs); `{path}` is not one")


def _paths(value: object) -> object:
    if not isinstance(value, str):
        return value
    paths = [p.strip() for p in _PATH_SPLIT.split(value) if p.strip()]
    if not paths:
        raise ValueError("needs at least one absolute path")
    return tuple(_absolute(p) for p in paths)


def _path(value: object) -> object:
    return _absolute(value.strip()) if isinstance(value, str) else value


# ``--files "/a,/b"`` (or one per line in a form): absolute source paths.
Paths = Annotated[tuple[str, ...], BeforeValidator(_paths)]
# ``--target-path /dir``: an absolute destination directory.
AbsolutePath = Annotated[str, BeforeValidator(_path)]

_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-]+$")


def _cron(value: object) -> object:
    # bk-job §5.18: 5-field Linux crontab; Quartz forms and `?` are rejected by the server.
    if not isinstance(value, str):
        return value
    fields = value.split()
    if len(fields) != 5:
        raise ValueError("needs 5 fields: minute hour day-of-month month day-of-week")
    if not all(_CRON_FIELD.match(part) for part in fields):
        raise ValueError("may only use digits, names, * / , and - (no ?)")
    return " ".join(fields)


CronExpression = Annotated[str, BeforeValidator(_cron)]


# ------------------------------------------------------------------------------------ plans

_CATEGORIES: dict[int, str] = {
    VariableCategory.STRING: "string",
    VariableCategory.NAMESPACE: "namespace",
    VariableCategory.HOST_LIST: "host list",
    VariableCategory.PASSWORD: "password",
    VariableCategory.ASSOCIATIVE_ARRAY: "associative array",
    VariableCategory.INDEXED_ARRAY: "indexed array",
}


def _category(var: PlanGlobalVar) -> str:
    if var.category is None:
        return "string"
    return _CATEGORIES.get(int(var.category), f"type {int(var.category)}")


def has_default(var: PlanGlobalVar) -> bool:
    """Whether a run may leave the variable out (bk-job §5.11: defaults apply)."""
    if var.is_host_list:
        return bool(var.ip_list or var.custom_query_id)
    return bool(var.value)


def variable_default(var: PlanGlobalVar) -> str | None:
    """The default a form may prefill: host lists as text; never a password (bk-job §5.2)."""
    if var.is_password:
        return None
    if var.is_host_list:
        return format_hosts(var.ip_list, var.custom_query_id) or None
    return var.value or None


def variable_row(var: PlanGlobalVar) -> JobVariableRow:
    """A variable as chat may show it: passwords masked, host lists as hosts."""
    # v2 sends passwords decrypted (bk-job §5.2): only say whether there is one.
    secret = PASSWORD_MASK if var.value else None
    value = secret if var.is_password else variable_default(var)
    return JobVariableRow(
        name=var.name or f"#{var.id}",
        type_label=_category(var),
        value=value,
        description=var.description or None,
        secret=var.is_password,
    )


_STEP_KINDS = {StepType.SCRIPT: "script", StepType.FILE: "file", StepType.CONFIRM: "confirmation"}


def _script_source(step: PlanStep) -> str | None:
    source = step.script_source
    if source is None:
        return None
    if source is ScriptSource.INLINE:
        lines = len((step.script_content or "").strip("\n").splitlines())
        return f"inline script ({lines} line{'s' if lines != 1 else ''})"
    if source is ScriptSource.PUBLIC:
        return f"public script version {step.script_id}"
    return f"business script version {step.script_id}"


def plan_step(index: int, step: PlanStep) -> JobPlanStep:
    """A plan step, kind told apart by its fields (the bk-job §5.2 ``type`` quirk)."""
    kind = step.kind
    sources: list[str] = []
    for source in step.file_source or []:
        files = ", ".join(source.files) or "?"
        if source.file_type is not None and int(source.file_type) == FileType.LOCAL_UPLOAD:
            sources.append(f"uploaded: {files}")
        elif source.file_type is not None and int(source.file_type) == FileType.THIRD_PARTY:
            sources.append(f"file source {source.file_source_id}: {files}")
        else:
            hosts = format_hosts(source.ip_list, source.custom_query_id) or "?"
            sources.append(f"{files} from {hosts} as {source.account or '?'}")
    params = step.script_param or None
    if params and step.is_param_sensitive:
        params = PASSWORD_MASK
    targets = None
    if kind is not StepType.CONFIRM:
        targets = format_hosts(step.ip_list, step.custom_query_id) or "a host variable"
    return JobPlanStep(
        index=index,
        name=step.name or f"Step {index}",
        kind=_STEP_KINDS.get(kind, "script"),
        account=step.account if kind is not StepType.CONFIRM else None,
        targets=targets,
        timeout=fmt_duration(step.script_timeout) if step.script_timeout else None,
        script=_script_source(step),
        params=params,
        sources=tuple(sources),
        target_path=step.file_target_path,
        confirm_message=step.confirm_message if kind is StepType.CONFIRM else None,
    )


# ---------------------------------------------------------------------------------- scripts


def exec_command(script: Script, biz: int) -> str:
    """The command that opens the run form for a saved script version (SQL goes to job sql)."""
    verb = "sql" if script.type == ScriptType.SQL else "exec"
    return f"job {verb} --script-id {script.id} --biz {biz}"


def script_row(script: Script, biz: int) -> JobScriptRow:
    """One script version with its Exec and Details buttons."""
    return JobScriptRow(
        id=script.id,
        name=script.name or f"Script {script.id}",
        language=language_label(script.type),
        version=script.version,
        # bk-job §4.4: Server 3.x renders script times in UTC.
        updated=fmt_time(script.last_modify_time or script.create_time, utc=True),
        updated_by=script.last_modify_user or script.creator,
        actions=(
            Action(label="Exec", command=exec_command(script, biz)),
            Action(label="Details", command=f"job script {script.id} --biz {biz}"),
        ),
    )


# ------------------------------------------------------------------------------------ crons


def cron_switch(cron_id: int, enabled: bool | None, biz: int) -> Action:
    """The button that flips a cron: Off when it runs, On when it is paused."""
    if enabled:
        return Action(label="Off", command=f"job cron off {cron_id} --biz {biz}")
    return Action(label="On", command=f"job cron on {cron_id} --biz {biz}")


def cron_row(cron: Cron, biz: int, plan_names: dict[int, str]) -> JobCronRow:
    """One cron with On/Off and Edit buttons."""
    return JobCronRow(
        id=cron.cron_id,
        name=cron.cron_name or f"Cron {cron.cron_id}",
        enabled=cron.enabled,
        expression=cron.cron_expression,
        plan_id=cron.bk_job_id,
        plan_name=plan_names.get(cron.bk_job_id) if cron.bk_job_id else None,
        modified=fmt_time(cron.last_modify_time or cron.create_time),
        modified_by=cron.last_modify_user or cron.creator,
        actions=(
            cron_switch(cron.cron_id, cron.enabled, biz),
            Action(label="Edit", command=f"job cron save {cron.cron_id} --biz {biz}"),
        ),
    )
