"""Closed code sets of the BK-Job v2 API (bk-job §6) as IntEnum / StrEnum."""

from __future__ import annotations

from enum import IntEnum, StrEnum

__all__ = [
    "AccountOS",
    "CronStatus",
    "FileType",
    "HostStatus",
    "JobOperation",
    "JobStatus",
    "ScopeType",
    "ScriptSource",
    "ScriptType",
    "StartWay",
    "StepOperation",
    "StepType",
    "VariableCategory",
]


class JobStatus(IntEnum):
    """Status of a job instance or step instance (bk-job §6.1); one code set for both."""

    NOT_STARTED = 1
    RUNNING = 2
    SUCCEEDED = 3
    FAILED = 4
    SKIPPED = 5
    ERROR_IGNORED = 6
    WAITING_USER = 7
    MANUALLY_ENDED = 8
    ABNORMAL = 9
    TERMINATING = 10
    TERMINATED = 11
    # Legacy docs only; Server 3.x never produces it.
    TERMINATE_FAILED = 12
    CONFIRM_TERMINATED = 13
    ABANDONED = 14
    ROLLING_WAITING = 15


class HostStatus(IntEnum):
    """Per-host task status (bk-job §6.2): ``step_ip_status[].status``, ``ip_status``."""

    UNKNOWN_ERROR = 0
    AGENT_ABNORMAL = 1
    INVALID_TARGET = 2
    LAST_SUCCEEDED = 3
    WAITING = 5
    RUNNING = 7
    SUCCEEDED = 9
    FAILED = 11
    DISPATCH_FAILED = 12
    TASK_TIMEOUT = 13
    LOG_ERROR = 15
    GSE_SCRIPT_LOG_TIMEOUT = 16
    GSE_FILE_LOG_TIMEOUT = 17
    AGENT_NOT_INSTALLED = 18
    SCRIPT_FAILED = 101
    SCRIPT_TIMEOUT = 102
    SCRIPT_TERMINATED = 103
    SCRIPT_NON_ZERO_EXIT = 104
    FILE_TRANSFER_FAILED = 202
    SOURCE_FILE_MISSING = 203
    FILE_TASK_SYSTEM_ERROR = 301
    FILE_TASK_TIMEOUT = 303
    FILE_AGENT_ABNORMAL = 310
    ACCOUNT_MISSING = 311
    ACCOUNT_PASSWORD_WRONG = 312
    FILE_FETCH_FAILED = 320
    FILE_TOO_LARGE = 321
    FILE_TRANSFER_ERROR = 329
    TASK_EXECUTION_ERROR = 399
    FORCE_TERMINATED = 403
    FORCE_TERMINATE_FAILED = 404
    UNKNOWN_STATUS = 500


class StepType(IntEnum):
    """Kind of a step instance (bk-job §6.3). Plan steps use 1–3 with the §5.2 quirk."""

    SCRIPT = 1
    FILE = 2
    CONFIRM = 3
    SQL = 4


class ScriptSource(IntEnum):
    """Where a plan script step's script comes from (bk-job §6.6, the §5.2 ``type`` quirk)."""

    INLINE = 1
    BUSINESS = 2
    PUBLIC = 3


class JobOperation(IntEnum):
    """``operate_job_instance.operation_code`` (bk-job §6.4, preconditions §5.12)."""

    TERMINATE = 1
    # Starts an instance created with v3 ``start_task=false``; accepted by Server 3.x.
    START = 2


class StepOperation(IntEnum):
    """``operate_step_instance.operation_code`` (bk-job §6.4, preconditions §5.13).

    Codes 4 (execute) and 5 (skip) appear only in the legacy doc and are rejected by
    Server 3.x with ``1241002``, so they are deliberately absent: use FORCE_SKIP (12).
    """

    RETRY_FAILED = 2
    IGNORE_ERROR = 3
    CONFIRM = 6
    RETRY_ALL = 8
    REJECT = 9
    REISSUE_CONFIRMATION = 10
    NEXT_STEP = 11
    FORCE_SKIP = 12
    CONTINUE_ROLLING = 13


class ScriptType(IntEnum):
    """Script language (bk-job §6.5). ``0`` ("all") is a filter value only: send None."""

    SHELL = 1
    BAT = 2
    PERL = 3
    PYTHON = 4
    POWERSHELL = 5
    SQL = 6

    @property
    def suffix(self) -> str:
        """The conventional file suffix, e.g. ``.sh``."""
        return _SUFFIXES[self]


_SUFFIXES = {
    ScriptType.SHELL: ".sh",
    ScriptType.BAT: ".bat",
    ScriptType.PERL: ".pl",
    ScriptType.PYTHON: ".py",
    ScriptType.POWERSHELL: ".ps1",
    ScriptType.SQL: ".sql",
}


class CronStatus(IntEnum):
    """``cron_status`` (bk-job §6.6)."""

    ENABLED = 1
    PAUSED = 2


class StartWay(IntEnum):
    """How a job instance was started (bk-job §6.6)."""

    WEB = 1
    API = 2
    CRON = 3


class VariableCategory(IntEnum):
    """Plan global variable ``category`` (bk-job §5.2, §6.6)."""

    STRING = 1
    NAMESPACE = 2
    HOST_LIST = 3
    PASSWORD = 4
    ASSOCIATIVE_ARRAY = 5
    INDEXED_ARRAY = 6


class FileType(IntEnum):
    """File source type in plan file steps (bk-job §6.6)."""

    SERVER = 1
    LOCAL_UPLOAD = 2
    THIRD_PARTY = 3
    # Internal Base64 file; not used by callers.
    BASE64 = 4


class ScopeType(StrEnum):
    """``bk_scope_type`` (bk-job §2.3)."""

    BIZ = "biz"
    BIZ_SET = "biz_set"


class AccountOS(StrEnum):
    """``os`` of an execution account (bk-job §5.6)."""

    LINUX = "Linux"
    WINDOWS = "Windows"
