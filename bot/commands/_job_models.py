"""The typed models of the `job …` commands: what each command line is bound to."""

from __future__ import annotations

import enum
from typing import Annotated, ClassVar

from pydantic import Field

from bot.clients.bk_job.models import MAX_TASK_NAME_LENGTH, MAX_TIMEOUT_SECONDS
from bot.commands._job_build import AbsolutePath, CronExpression, Language, Paths
from bot.commands._job_hosts import Hosts
from bot.commands.registry import CommandModel, ReadCommand
from bot.services.job_runs import StepOp

__all__ = [
    "CronSwitch",
    "JobAccounts",
    "JobCron",
    "JobCronSave",
    "JobCrons",
    "JobDbAccounts",
    "JobExec",
    "JobLog",
    "JobPlan",
    "JobPlans",
    "JobPublicScripts",
    "JobPush",
    "JobRun",
    "JobRunStatus",
    "JobScript",
    "JobScripts",
    "JobSql",
    "JobStep",
    "JobStop",
]

Id = Annotated[int, Field(ge=1)]
Page = Annotated[int, Field(ge=1)]
# bk-job §8: Server 3.x accepts 1–259200 s.
Timeout = Annotated[int, Field(ge=1, le=MAX_TIMEOUT_SECONDS)]
TaskName = Annotated[str, Field(min_length=1, max_length=MAX_TASK_NAME_LENGTH)]


class JobPlans(ReadCommand):
    """``job plans [KEYWORD]``"""

    positionals: ClassVar[tuple[str, ...]] = ("keyword",)
    greedy: ClassVar[bool] = True

    keyword: str | None = None
    page: Page = 1


class JobPlan(ReadCommand):
    """``job plan ID``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: Id


class JobRun(CommandModel):
    """``job run ID [name=value …] [--form]``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: Id
    assignments: dict[str, str] = Field(default_factory=dict)
    form: bool = False


class JobExec(CommandModel):
    """``job exec --hosts H --account A (--script-id N | ```code```) …``"""

    hosts: Hosts | None = None
    account: str | None = Field(default=None, min_length=1)
    script_id: int | None = Field(default=None, ge=1)
    code: str | None = None
    params: str | None = None
    timeout: Timeout | None = None
    type: Language | None = None
    name: TaskName | None = None
    # bk-job §5.8 is_param_sensitive: BK-Job hides the parameters in its UI and logs.
    sensitive: bool = False
    form: bool = False


class JobPush(CommandModel):
    """``job push --hosts H --account A --source-hosts H --source-account A --files … …``"""

    hosts: Hosts | None = None
    account: str | None = Field(default=None, min_length=1)
    source_hosts: Hosts | None = None
    source_account: str | None = Field(default=None, min_length=1)
    files: Paths | None = None
    target_path: AbsolutePath | None = None
    timeout: Timeout | None = None
    name: TaskName | None = None
    form: bool = False


class JobSql(CommandModel):
    """``job sql --hosts H --db-account N (--script-id N | ```sql```) …``"""

    hosts: Hosts | None = None
    db_account: int | None = Field(default=None, ge=1)
    script_id: int | None = Field(default=None, ge=1)
    code: str | None = None
    timeout: Timeout | None = None
    name: TaskName | None = None
    form: bool = False


class JobScripts(ReadCommand):
    """``job scripts [KEYWORD]``"""

    positionals: ClassVar[tuple[str, ...]] = ("keyword",)
    greedy: ClassVar[bool] = True

    keyword: str | None = None
    page: Page = 1


class JobPublicScripts(JobScripts):
    """``job public-scripts [KEYWORD]``"""


class JobScript(ReadCommand):
    """``job script ID``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: Id


class JobAccounts(ReadCommand):
    """``job accounts``"""

    page: Page = 1


class JobDbAccounts(JobAccounts):
    """``job db-accounts``"""


class JobRunStatus(ReadCommand):
    """``job status ID``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: Id


class JobLog(ReadCommand):
    """``job log ID [--step S] [--host IP]``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: Id
    step: int | None = Field(default=None, ge=1)
    host: str | None = Field(default=None, min_length=1)


class JobStop(CommandModel):
    """``job stop ID [--yes]``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: Id
    yes: bool = False


class JobStep(CommandModel):
    """``job step ID STEP OP [--yes]``"""

    positionals: ClassVar[tuple[str, ...]] = ("id", "step", "op")

    id: Id
    step: Id
    op: StepOp
    yes: bool = False


class JobCrons(ReadCommand):
    """``job crons [KEYWORD]``"""

    positionals: ClassVar[tuple[str, ...]] = ("keyword",)
    greedy: ClassVar[bool] = True

    keyword: str | None = None
    page: Page = 1


class CronSwitch(enum.StrEnum):
    """``on`` enables a cron, ``off`` pauses it."""

    ON = "on"
    OFF = "off"


class JobCron(CommandModel):
    """``job cron on|off ID``"""

    positionals: ClassVar[tuple[str, ...]] = ("state", "id")

    state: CronSwitch
    id: Id


class JobCronSave(CommandModel):
    """``job cron save [ID] [--plan N] [--name "…"] [--expression "…"] [--enable]``"""

    positionals: ClassVar[tuple[str, ...]] = ("id",)

    id: int | None = Field(default=None, ge=1)
    plan: int | None = Field(default=None, ge=1)
    name: str | None = Field(default=None, min_length=1)
    expression: CronExpression | None = None
    enable: bool = False
    form: bool = False
