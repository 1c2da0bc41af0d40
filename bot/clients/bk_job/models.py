"""Pydantic models of BK-Job v2 requests (strict) and responses (tolerant), bk-job §4–§5, §9."""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Self, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from bot.clients.bk_job.enums import (
    AccountOS,
    CronStatus,
    FileType,
    HostStatus,
    JobOperation,
    JobStatus,
    ScopeType,
    ScriptSource,
    ScriptType,
    StartWay,
    StepOperation,
    StepType,
    VariableCategory,
)
from bot.clients.bk_job.helpers import (
    HostCounts,
    HostOutcome,
    count_hosts,
    count_hosts_by_status,
    host_outcome,
    is_finished,
    is_password,
    mask_value,
    unescape_log,
    valid_job_operations,
    valid_step_operations,
)

__all__ = [
    "IP",
    "MAX_SCRIPT_CONTENT_BYTES",
    "MAX_SCRIPT_PARAM_BYTES",
    "MAX_SENSITIVE_SCRIPT_PARAM_BYTES",
    "MAX_TASK_NAME_LENGTH",
    "MAX_TIMEOUT_SECONDS",
    "CallbackStep",
    "Cron",
    "DBAccount",
    "ExecuteJobRequest",
    "FastExecuteSQLRequest",
    "FastExecuteScriptRequest",
    "FastPushFileRequest",
    "FileSource",
    "GetCronListRequest",
    "GetJobDetailRequest",
    "GetJobInstanceLogRequest",
    "GetJobInstanceStatusRequest",
    "GetJobListRequest",
    "GetOSAccountRequest",
    "GetOwnDBAccountListRequest",
    "GetPublicScriptListRequest",
    "GetScriptDetailRequest",
    "GetScriptListRequest",
    "GlobalVarValue",
    "HostIP",
    "IPLog",
    "JobCallback",
    "JobInstance",
    "JobInstanceRef",
    "JobInstanceStatus",
    "JobLaunch",
    "JobPlan",
    "JobPlanDetail",
    "ListOrEmpty",
    "OSAccount",
    "OperateJobInstanceRequest",
    "OperateStepInstanceRequest",
    "PlanFileSource",
    "PlanGlobalVar",
    "PlanStep",
    "SaveCronRequest",
    "Script",
    "ScriptPage",
    "StatusBlock",
    "StepIPStatus",
    "StepInstance",
    "StepInstanceRef",
    "StepLog",
    "StepResult",
    "TargetServer",
    "TargetServerInfo",
    "TopoNode",
    "TopoNodeInfo",
    "UpdateCronStatusRequest",
    "parse_bk_time",
]

T = TypeVar("T")

# bk-job §5.8, §8 (Server 3.x limits).
MAX_SCRIPT_CONTENT_BYTES = 16_777_215
MAX_SCRIPT_PARAM_BYTES = 65_535
MAX_SENSITIVE_SCRIPT_PARAM_BYTES = 48_128
MAX_TIMEOUT_SECONDS = 259_200
MAX_TASK_NAME_LENGTH = 512


# ----------------------------------------------------------------------------- shared types

_TIME = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[ T](?P<time>\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)"
    r"(?:\s*(?P<zone>Z|[+-]\d{2}:?\d{2}))?$"
)


def parse_bk_time(value: object) -> object:
    """Parse ``YYYY-MM-DD HH:mm:ss`` with an optional zone suffix such as ``+0800`` (§4.4).

    Without a suffix the result is naive: the zone depends on the API (§4.4). Blank → None.
    """
    if not isinstance(value, str):
        return value
    text = value.strip()
    if not text:
        return None
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"not a BK-Job time: {value!r}")
    iso = f"{match['date']}T{match['time']}"
    zone = match["zone"]
    if zone == "Z":
        iso += "+00:00"
    elif zone:
        iso += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    return datetime.fromisoformat(iso)


def _none_to_list(value: object) -> object:
    return [] if value is None else value


# A time field that may be absent, null, blank, or carry a zone suffix.
BKTime = Annotated[datetime | None, BeforeValidator(parse_bk_time)]
# A list the server may send as null: read as empty.
ListOrEmpty = Annotated[list[T], BeforeValidator(_none_to_list)]

# Response-side codes: a known value becomes the enum, an unknown one stays a plain int.
JobStatusCode = Annotated[JobStatus | int, Field(union_mode="left_to_right")]
HostStatusCode = Annotated[HostStatus | int, Field(union_mode="left_to_right")]
StepTypeCode = Annotated[StepType | int, Field(union_mode="left_to_right")]
ScriptTypeCode = Annotated[ScriptType | int, Field(union_mode="left_to_right")]
CronStatusCode = Annotated[CronStatus | int, Field(union_mode="left_to_right")]
StartWayCode = Annotated[StartWay | int, Field(union_mode="left_to_right")]
CategoryCode = Annotated[VariableCategory | int, Field(union_mode="left_to_right")]
FileTypeCode = Annotated[FileType | int, Field(union_mode="left_to_right")]
ScopeTypeName = Annotated[ScopeType | str, Field(union_mode="left_to_right")]
AccountOSName = Annotated[AccountOS | str, Field(union_mode="left_to_right")]


def _ipv4(value: str) -> str:
    # bk-job §4.1: v2 addresses hosts by IPv4; the server trims spaces, we do it first.
    text = value.strip()
    ipaddress.IPv4Address(text)  # raises ValueError with a clear message
    return text


def _absolute_path(value: str) -> str:
    # bk-job §5.9: Linux ``/…`` or Windows ``C:\…`` paths only.
    if value.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", value):
        return value
    raise ValueError(f"not an absolute path: {value!r}")


def _callback_url(value: str) -> str:
    # bk-job §5.8: http(s) URL with a host and no ``user@`` part, else 1240003.
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or "@" in parts.netloc:
        raise ValueError("must be an http(s) URL with a host and no user@ part")
    return value


IPv4Text = Annotated[str, AfterValidator(_ipv4)]
AbsolutePath = Annotated[str, AfterValidator(_absolute_path)]
CallbackURL = Annotated[str, AfterValidator(_callback_url)]
PositiveID = Annotated[int, Field(ge=1)]
Timeout = Annotated[int, Field(ge=1, le=MAX_TIMEOUT_SECONDS)]
TaskName = Annotated[str, Field(min_length=1, max_length=MAX_TASK_NAME_LENGTH)]
NonEmpty = Annotated[str, Field(min_length=1)]


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def _b64(text: str | None) -> str | None:
    # bk-job §4.3: Base64 of UTF-8 text; callers pass plain text.
    return None if text is None else base64.b64encode(text.encode("utf-8")).decode("ascii")


# ----------------------------------------------------------------------------- requests


class _Request(BaseModel):
    """Request-side model: unknown fields are a programming error."""

    model_config = ConfigDict(extra="forbid")


class _ScopedRequest(_Request):
    """A request addressed to one business, carrying all three scope fields (§2.3)."""

    bk_biz_id: PositiveID
    # bk-job §2.3 recommendation: send bk_biz_id and the scope pair; 3.6+ prefers the pair,
    # older servers ignore it. The bot works on businesses, never on business sets.
    bk_scope_type: ScopeType = ScopeType.BIZ
    bk_scope_id: str | None = None

    @model_validator(mode="after")
    def _fill_scope_id(self) -> Self:
        if self.bk_scope_id is None:
            self.bk_scope_id = str(self.bk_biz_id)
        elif self.bk_scope_id != str(self.bk_biz_id):
            raise ValueError("bk_scope_id must name the same business as bk_biz_id")
        return self


class IP(_Request):
    """A host by cloud area and IPv4 (bk-job §4.1)."""

    bk_cloud_id: int = Field(ge=0)
    ip: IPv4Text
    # Accepted but ignored by v2 when building targets (§4.1).
    bk_host_id: PositiveID | None = None


class TopoNode(_Request):
    """A CMDB topology node: every host under it is targeted at run time (§4.2)."""

    id: PositiveID
    node_type: NonEmpty


class TargetServer(_Request):
    """Execution targets (bk-job §4.2); at least one host, dynamic group or node."""

    ip_list: list[IP] | None = None
    dynamic_group_id_list: list[NonEmpty] | None = None
    topo_node_list: list[TopoNode] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Self:
        if not (self.ip_list or self.dynamic_group_id_list or self.topo_node_list):
            raise ValueError("target_server needs at least one host, dynamic group or topo node")
        return self


class FileSource(_Request):
    """One group of source files for ``fast_push_file`` (bk-job §5.9).

    v2 supports server files only, so ``file_type``/``file_source_id`` are not offered.
    """

    files: list[AbsolutePath] = Field(min_length=1)
    account: NonEmpty
    # The hosts holding the files (the name is kept for compatibility, §5.9).
    target_server: TargetServer


class GlobalVarValue(_Request):
    """A value overriding a plan variable in ``execute_job`` (bk-job §5.11).

    Name the variable by ``id`` or ``name``; give ``value`` for string, namespace, password
    and array variables, or ``target_server`` for host-list variables — not both.
    """

    id: PositiveID | None = None
    name: NonEmpty | None = None
    # Password variables travel here in clear: keep them out of reprs and logs.
    value: str | None = Field(default=None, repr=False)
    target_server: TargetServer | None = None

    @model_validator(mode="after")
    def _named_and_valued(self) -> Self:
        # bk-job §5.11: both id and name absent → 1241005.
        if self.id is None and self.name is None:
            raise ValueError("a global variable needs an id or a name")
        # The server treats a variable as a host variable only when value is empty, so a
        # variable with both would silently drop the hosts.
        if (self.value is None) == (self.target_server is None):
            raise ValueError("give exactly one of value or target_server")
        return self


class GetJobListRequest(_ScopedRequest):
    """``get_job_list`` (bk-job §5.1)."""

    name: str | None = None
    creator: str | None = None
    create_time_start: date | None = None
    create_time_end: date | None = None
    last_modify_user: str | None = None
    last_modify_time_start: date | None = None
    last_modify_time_end: date | None = None
    start: int | None = Field(default=None, ge=0)
    # Absent = every plan (§5.1).
    length: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        _check_range(self.create_time_start, self.create_time_end, "create_time")
        _check_range(self.last_modify_time_start, self.last_modify_time_end, "last_modify_time")
        return self


def _check_range(start: date | None, end: date | None, name: str) -> None:
    if start is not None and end is not None and start > end:
        raise ValueError(f"{name}_start is after {name}_end")


class GetJobDetailRequest(_ScopedRequest):
    """``get_job_detail`` (bk-job §5.2)."""

    bk_job_id: PositiveID


class GetScriptListRequest(_ScopedRequest):
    """``get_script_list`` (bk-job §5.3): online versions of business (or public) scripts."""

    is_public: bool | None = None
    return_script_content: bool | None = None
    script_name: str | None = None
    # None = every language (the wire value 0 is never sent).
    script_type: ScriptType | None = None
    start: int | None = Field(default=None, ge=0)
    # Absent or 0 = no paging (§5.3).
    length: int | None = Field(default=None, ge=0)


class GetPublicScriptListRequest(_Request):
    """``get_public_script_list`` (bk-job §5.4); the only call without a business scope."""

    return_script_content: bool | None = None
    script_name: str | None = None
    # Server 3.x rejects 0 here (1241007): None means every language.
    script_type: ScriptType | None = None
    start: int | None = Field(default=None, ge=0)
    length: int | None = Field(default=None, ge=0)


class GetScriptDetailRequest(_ScopedRequest):
    """``get_script_detail`` (bk-job §5.5)."""

    # A script *version* ID.
    id: PositiveID


class GetOSAccountRequest(_ScopedRequest):
    """``get_os_account`` (bk-job §5.6): scope only."""


class GetOwnDBAccountListRequest(_ScopedRequest):
    """``get_own_db_account_list`` (bk-job §5.7); Server 3.x ignores paging."""

    start: int | None = Field(default=None, ge=0)
    length: int | None = Field(default=None, ge=1)


class _FastTaskRequest(_ScopedRequest):
    task_name: TaskName | None = None
    target_server: TargetServer
    bk_callback_url: CallbackURL | None = None


class FastExecuteScriptRequest(_FastTaskRequest):
    """``fast_execute_script`` (bk-job §5.8). ``script_content``/``script_param`` are plain
    text here and Base64 on the wire.

    Exactly one of ``script_id`` (a saved version) and ``script_content`` (stricter than the
    server, which silently prefers ``script_id``); ``script_type`` is required with content.
    """

    script_id: PositiveID | None = None
    script_content: str | None = Field(default=None, min_length=1, repr=False)
    script_type: ScriptType | None = None
    script_param: str | None = Field(default=None, repr=False)
    script_timeout: Timeout | None = None
    account: NonEmpty
    is_param_sensitive: bool | None = None

    @model_validator(mode="after")
    def _script(self) -> Self:
        if (self.script_id is None) == (self.script_content is None):
            raise ValueError("give exactly one of script_id or script_content")
        if self.script_content is not None:
            if self.script_type is None:
                raise ValueError("script_type is required with script_content")
            if _utf8_len(self.script_content) > MAX_SCRIPT_CONTENT_BYTES:
                raise ValueError(f"script_content exceeds {MAX_SCRIPT_CONTENT_BYTES} bytes")
        if self.script_type is ScriptType.SQL:
            raise ValueError("SQL scripts run through fast_execute_sql")
        if self.script_param is not None:
            limit = (
                MAX_SENSITIVE_SCRIPT_PARAM_BYTES
                if self.is_param_sensitive
                else MAX_SCRIPT_PARAM_BYTES
            )
            if _utf8_len(self.script_param) > limit:
                raise ValueError(f"script_param exceeds {limit} bytes")
        return self

    @field_serializer("script_content", "script_param")
    def _encode(self, value: str | None) -> str | None:
        return _b64(value)

    @field_serializer("is_param_sensitive")
    def _flag(self, value: bool | None) -> int | None:
        return None if value is None else int(value)


class FastPushFileRequest(_FastTaskRequest):
    """``fast_push_file`` (bk-job §5.9): copy server files to the target hosts."""

    file_target_path: AbsolutePath
    file_source: list[FileSource] = Field(min_length=1)
    # Account alias on the target hosts.
    account: NonEmpty
    timeout: Timeout | None = None
    # MB/s; absent or ≤ 0 = unlimited (§5.9).
    download_speed_limit: int | None = None
    upload_speed_limit: int | None = None


class FastExecuteSQLRequest(_FastTaskRequest):
    """``fast_execute_sql`` (bk-job §5.10); ``script_content`` is plain SQL text here."""

    script_id: PositiveID | None = None
    script_content: str | None = Field(default=None, min_length=1, repr=False)
    db_account_id: PositiveID
    script_timeout: Timeout | None = None

    @model_validator(mode="after")
    def _script(self) -> Self:
        if (self.script_id is None) == (self.script_content is None):
            raise ValueError("give exactly one of script_id or script_content")
        if (
            self.script_content is not None
            and _utf8_len(self.script_content) > MAX_SCRIPT_CONTENT_BYTES
        ):
            raise ValueError(f"script_content exceeds {MAX_SCRIPT_CONTENT_BYTES} bytes")
        return self

    @field_serializer("script_content")
    def _encode(self, value: str | None) -> str | None:
        return _b64(value)


class ExecuteJobRequest(_ScopedRequest):
    """``execute_job`` (bk-job §5.11): start a plan, optionally overriding variables."""

    bk_job_id: PositiveID
    global_vars: list[GlobalVarValue] | None = None
    bk_callback_url: CallbackURL | None = None


class OperateJobInstanceRequest(_ScopedRequest):
    """``operate_job_instance`` (bk-job §5.12)."""

    job_instance_id: PositiveID
    operation_code: JobOperation


class OperateStepInstanceRequest(_ScopedRequest):
    """``operate_step_instance`` (bk-job §5.13); legacy codes 4/5 are not accepted."""

    job_instance_id: PositiveID
    step_instance_id: PositiveID
    operation_code: StepOperation


class GetJobInstanceStatusRequest(_ScopedRequest):
    """``get_job_instance_status`` (bk-job §5.14)."""

    job_instance_id: PositiveID


class GetJobInstanceLogRequest(_ScopedRequest):
    """``get_job_instance_log`` (bk-job §5.15)."""

    job_instance_id: PositiveID


class GetCronListRequest(_ScopedRequest):
    """``get_cron_list`` (bk-job §5.16)."""

    # When set, every other filter and paging is ignored by the server.
    cron_id: PositiveID | None = None
    cron_name: str | None = None
    cron_status: CronStatus | None = None
    creator: str | None = None
    create_time_start: date | None = None
    create_time_end: date | None = None
    last_modify_user: str | None = None
    last_modify_time_start: date | None = None
    last_modify_time_end: date | None = None
    start: int | None = Field(default=None, ge=0)
    # bk-job §5.16: Server 3.x defaults to 10 while the legacy doc said "all": always send it.
    length: int = Field(default=10, ge=1)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        # bk-job §5.16: the creation range applies only if both bounds are given.
        if (self.create_time_start is None) != (self.create_time_end is None):
            raise ValueError("give both create_time_start and create_time_end, or neither")
        _check_range(self.create_time_start, self.create_time_end, "create_time")
        _check_range(self.last_modify_time_start, self.last_modify_time_end, "last_modify_time")
        return self


class UpdateCronStatusRequest(_ScopedRequest):
    """v2 ``update_cron_status`` (bk-job §5.17), behind ``JobClient.change_cron_status``."""

    cron_id: PositiveID
    cron_status: CronStatus


_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,\-]+$")


class SaveCronRequest(_ScopedRequest):
    """``save_cron`` (bk-job §5.18): create (no ``cron_id``) or update a cron.

    Create needs ``bk_job_id``, ``cron_name`` and ``cron_expression``; update needs at least
    one of them. The expression is 5-field Linux crontab without ``?``.
    """

    cron_id: PositiveID | None = None
    bk_job_id: PositiveID | None = None
    cron_name: str | None = None
    cron_expression: str | None = None

    @field_validator("cron_name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("cron_name must not be blank")
        return value

    @field_validator("cron_expression")
    @classmethod
    def _expression(cls, value: str | None) -> str | None:
        if value is None:
            return None
        fields = value.split()
        # bk-job §5.18: Quartz 6/7-field forms and ``?`` are rejected (1241010).
        if len(fields) != 5:
            raise ValueError("cron_expression needs 5 fields: minute hour day month weekday")
        if not all(_CRON_FIELD.match(part) for part in fields):
            raise ValueError("cron_expression has characters crontab does not accept")
        return " ".join(fields)

    @model_validator(mode="after")
    def _create_or_update(self) -> Self:
        given = [self.bk_job_id, self.cron_name, self.cron_expression]
        if self.cron_id is None and any(value is None for value in given):
            raise ValueError("creating a cron needs bk_job_id, cron_name and cron_expression")
        if self.cron_id is not None and all(value is None for value in given):
            raise ValueError("updating a cron needs bk_job_id, cron_name or cron_expression")
        return self


# ----------------------------------------------------------------------------- responses


class _Response(BaseModel):
    """Response-side model: unknown fields are kept; most fields may be null or absent."""

    # populate_by_name: fields with alias choices (legacy names) still validate by name.
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _Scoped(_Response):
    bk_biz_id: int | None = None
    bk_scope_type: ScopeTypeName | None = None
    bk_scope_id: str | None = None


class HostIP(_Response):
    """A host as the server reports it (bk-job §4.1)."""

    ip: str | None = None
    bk_cloud_id: int | None = None
    bk_host_id: int | None = None
    bk_cloud_name: str | None = None
    ipv6: str | None = None
    bk_agent_id: str | None = None
    # 1 = agent normal, 0 = abnormal.
    alive: int | None = None


class TopoNodeInfo(_Response):
    """A topology node in a legacy ``target_server`` answer."""

    id: int | None = None
    node_type: str | None = None


class TargetServerInfo(_Response):
    """``target_server`` as the legacy doc shows it in plan details (not sent by 3.x)."""

    ip_list: ListOrEmpty[HostIP] = Field(default_factory=list)
    dynamic_group_id_list: ListOrEmpty[str] = Field(default_factory=list)
    topo_node_list: ListOrEmpty[TopoNodeInfo] = Field(default_factory=list)


class JobPlan(_Scoped):
    """A row of ``get_job_list``: one execution plan (bk-job §5.1)."""

    bk_job_id: int
    name: str | None = None
    creator: str | None = None
    create_time: BKTime = None
    last_modify_user: str | None = None
    last_modify_time: BKTime = None


class PlanFileSource(_Response):
    """``steps[].file_source[]`` of a plan file step (bk-job §5.2)."""

    files: ListOrEmpty[str] = Field(default_factory=list)
    file_type: FileTypeCode | None = None
    file_source_id: int | None = None
    account: str | None = None
    ip_list: ListOrEmpty[HostIP] = Field(default_factory=list)
    custom_query_id: ListOrEmpty[str] = Field(default_factory=list)


class PlanStep(_Response):
    """One enabled step of a plan (bk-job §5.2). Use ``kind``, not ``type``: see there."""

    step_id: int | None = None
    name: str | None = None
    # Raw: for script steps Server 3.x puts the script *source* here (§5.2 quirk).
    type: int | None = None
    script_id: int | None = None
    script_content: str | None = None
    script_param: str | None = None
    script_timeout: int | None = None
    is_param_sensitive: int | None = None
    account: str | None = None
    account_id: int | None = None
    ip_list: ListOrEmpty[HostIP] = Field(default_factory=list)
    custom_query_id: ListOrEmpty[str] = Field(default_factory=list)
    file_target_path: str | None = None
    file_source: list[PlanFileSource] | None = None
    confirm_message: str | None = None
    # Legacy doc only; Server 3.x leaves these null.
    script_type: ScriptTypeCode | None = None
    db_account_id: int | None = None
    target_server: TargetServerInfo | None = None
    creator: str | None = None
    create_time: BKTime = None
    last_modify_user: str | None = None
    last_modify_time: BKTime = None
    order: int | None = None

    @property
    def kind(self) -> StepType:
        """Script, file or confirmation step, told apart by fields (bk-job §5.2 quirk).

        Server 3.x overwrites ``type`` of script steps with the script source, so a script
        step running a saved script says ``type: 2``. Falls back to the legacy meaning of
        ``type`` (1 script, 2 file, 3 confirm) only when no telling field is present.
        """
        if self.file_source is not None or self.file_target_path is not None:
            return StepType.FILE
        if self.script_content is not None or self.script_id is not None:
            return StepType.SCRIPT
        if self.confirm_message is not None:
            return StepType.CONFIRM
        if self.type == StepType.FILE:
            return StepType.FILE
        if self.type == StepType.CONFIRM:
            return StepType.CONFIRM
        return StepType.SCRIPT

    @property
    def script_source(self) -> ScriptSource | None:
        """For script steps: inline, saved business script or public script; else None."""
        if self.kind is not StepType.SCRIPT:
            return None
        if self.script_id is None:
            return ScriptSource.INLINE
        if self.type == ScriptSource.PUBLIC:
            return ScriptSource.PUBLIC
        return ScriptSource.BUSINESS


class PlanGlobalVar(_Response):
    """A plan variable with its default (bk-job §5.2). Never echo ``value``: see
    ``display_value`` (passwords arrive decrypted on v2)."""

    id: int | None = None
    category: CategoryCode | None = None
    name: str | None = None
    value: str | None = Field(default=None, repr=False)
    description: str | None = None
    ip_list: ListOrEmpty[HostIP] = Field(default_factory=list)
    custom_query_id: ListOrEmpty[str] = Field(default_factory=list)
    # Legacy doc only.
    target_server: TargetServerInfo | None = None
    step_ids: ListOrEmpty[int] = Field(default_factory=list)

    @property
    def is_password(self) -> bool:
        """True for a password (category 4) variable."""
        return is_password(self.category)

    @property
    def is_host_list(self) -> bool:
        """True for a host-list (category 3) variable: read ``ip_list``, not ``value``."""
        return self.category is not None and int(self.category) == VariableCategory.HOST_LIST

    @property
    def display_value(self) -> str | None:
        """The value safe to show: passwords masked, host-list JSON left out."""
        return mask_value(self.category, self.value)


class JobPlanDetail(JobPlan):
    """``get_job_detail``: a plan with its enabled steps and variables (bk-job §5.2)."""

    template_id: int | None = None
    steps: ListOrEmpty[PlanStep] = Field(default_factory=list)
    global_vars: ListOrEmpty[PlanGlobalVar] = Field(default_factory=list)

    @property
    def has_confirmation(self) -> bool:
        """True when a manual-confirmation step will stop the run for a person."""
        return any(step.kind is StepType.CONFIRM for step in self.steps)


class Script(_Scoped):
    """A script row: the online *version* of a script (bk-job §5.3–§5.5)."""

    # A script version ID: pass it as ``script_id`` to fast_execute_script / _sql.
    id: int
    name: str | None = None
    version: str | None = None
    tag: str | None = None
    type: ScriptTypeCode | None = None
    public: bool | None = None
    creator: str | None = None
    create_time: BKTime = None
    last_modify_user: str | None = None
    last_modify_time: BKTime = None
    content: str | None = None


class ScriptPage(_Response):
    """The page object of ``get_script_list`` / ``get_public_script_list`` (bk-job §5.3)."""

    start: int | None = None
    page_size: int | None = None
    total_record_size: int | None = None
    data: ListOrEmpty[Script] = Field(default_factory=list)


class OSAccount(_Scoped):
    """An execution (OS) account of a business (bk-job §5.6)."""

    id: int | None = None
    account: str | None = None
    # The value v2 execution APIs expect in ``account``.
    alias: str | None = None
    os: AccountOSName | None = None
    creator: str | None = None
    create_time: BKTime = None


class DBAccount(_Scoped):
    """A DB account the user may use (bk-job §5.7)."""

    db_account_id: int
    db_alias: str | None = None
    account: str | None = None
    creator: str | None = None
    create_time: BKTime = None


class JobLaunch(_Response):
    """The answer of the calls that start work: fast_execute_script, fast_push_file,
    fast_execute_sql, execute_job (bk-job §5.8–§5.11).

    ``step_instance_id`` comes only from fast_execute_script on Server 3.x.
    """

    job_instance_id: int
    job_instance_name: str | None = None
    step_instance_id: int | None = None


class JobInstanceRef(_Response):
    """``operate_job_instance`` answer (bk-job §5.12)."""

    job_instance_id: int
    job_instance_name: str | None = None


class StepInstanceRef(_Response):
    """``operate_step_instance`` answer (bk-job §5.13)."""

    job_instance_id: int
    step_instance_id: int
    job_instance_name: str | None = None


class JobInstance(_Scoped):
    """``job_instance`` of ``get_job_instance_status`` (bk-job §5.14)."""

    job_instance_id: int | None = None
    # -1 for fast tasks.
    bk_job_id: int | None = None
    name: str | None = None
    operator: str | None = None
    status: JobStatusCode | None = None
    start_way: StartWayCode | None = None
    create_time: BKTime = None
    start_time: BKTime = None
    end_time: BKTime = None
    total_time: float | None = None
    current_step_instance_id: int | None = None

    @property
    def is_fast_task(self) -> bool:
        """True for a fast script/file/SQL task rather than a plan run."""
        return self.bk_job_id == -1


class StepIPStatus(_Response):
    """One host of a step's current execution (bk-job §5.14)."""

    ip: str | None = None
    bk_cloud_id: int | None = None
    status: HostStatusCode | None = None

    @property
    def outcome(self) -> HostOutcome:
        """Succeeded, running or failed (bk-job §6.2)."""
        return host_outcome(self.status)


class StepInstance(_Response):
    """A step of a job instance with its per-host status (bk-job §5.14)."""

    step_instance_id: int
    # -1 for fast tasks.
    step_id: int | None = None
    name: str | None = None
    type: StepTypeCode | None = None
    operator: str | None = None
    status: JobStatusCode | None = None
    # The legacy doc calls it retry_count.
    execute_count: int | None = Field(
        None, validation_alias=AliasChoices("execute_count", "retry_count")
    )
    create_time: BKTime = None
    start_time: BKTime = None
    end_time: BKTime = None
    total_time: float | None = None
    pause: int | None = None
    step_ip_status: ListOrEmpty[StepIPStatus] = Field(default_factory=list)

    @property
    def is_finished(self) -> bool:
        """True when the step's status is final (bk-job §6.1)."""
        return is_finished(self.status)

    @property
    def host_counts(self) -> HostCounts:
        """Hosts succeeded (9, 3) / running (5, 7) / failed (everything else)."""
        return count_hosts(host.status for host in self.step_ip_status)

    @property
    def host_status_counts(self) -> dict[HostStatus | int, int]:
        """Hosts per exact status code (bk-job §6.2), ordered by code."""
        return count_hosts_by_status(host.status for host in self.step_ip_status)

    @property
    def is_waiting_for_confirmation(self) -> bool:
        """True for a manual-confirmation step waiting for a person (status 7)."""
        return self.type == StepType.CONFIRM and self.status == JobStatus.WAITING_USER

    @property
    def valid_operations(self) -> tuple[StepOperation, ...]:
        """The step operations the server accepts now (bk-job §5.13)."""
        return valid_step_operations(self.type, self.status)


class StatusBlock(_Response):
    """A compatibility wrapper: Server 3.x sends one block per step (bk-job §5.14)."""

    type: int | None = None
    step_instances: ListOrEmpty[StepInstance] = Field(default_factory=list)


# Statuses in which a step is the one the job is busy with.
_ACTIVE_STEP = frozenset(
    {
        JobStatus.RUNNING,
        JobStatus.WAITING_USER,
        JobStatus.TERMINATING,
        JobStatus.ROLLING_WAITING,
    }
)


class JobInstanceStatus(_Response):
    """``get_job_instance_status``: the job, its steps and their hosts (bk-job §5.14)."""

    is_finished: bool | None = None
    job_instance: JobInstance | None = None
    blocks: ListOrEmpty[StatusBlock] = Field(default_factory=list)

    @property
    def finished(self) -> bool:
        """The server's ``is_finished``; computed from the job status when it is missing."""
        if self.is_finished is not None:
            return self.is_finished
        return is_finished(self.job_instance.status if self.job_instance else None)

    @property
    def status(self) -> JobStatus | int | None:
        """The job status (bk-job §6.1)."""
        return self.job_instance.status if self.job_instance else None

    @property
    def steps(self) -> list[StepInstance]:
        """Every step instance in order, blocks flattened."""
        return [step for block in self.blocks for step in block.step_instances]

    def iter_steps(self) -> Iterator[StepInstance]:
        """Iterate the step instances in order."""
        for block in self.blocks:
            yield from block.step_instances

    def step(self, step_instance_id: int) -> StepInstance | None:
        """The step instance with this ID, if the job has it."""
        return next((s for s in self.iter_steps() if s.step_instance_id == step_instance_id), None)

    @property
    def current_step(self) -> StepInstance | None:
        """The step the job is at: the server's ``current_step_instance_id`` when it names a
        step, else the first running/waiting/stopping step, else the last step that started.
        """
        steps = self.steps
        if self.job_instance and self.job_instance.current_step_instance_id is not None:
            named = self.step(self.job_instance.current_step_instance_id)
            if named is not None:
                return named
        for step in steps:
            if step.status is not None and int(step.status) in _ACTIVE_STEP:
                return step
        started = [s for s in steps if s.status is not None and s.status != JobStatus.NOT_STARTED]
        if started:
            return started[-1]
        return steps[0] if steps else None

    @property
    def step_waiting_for_confirmation(self) -> StepInstance | None:
        """The manual-confirmation step waiting for a person, if any."""
        return next((s for s in self.iter_steps() if s.is_waiting_for_confirmation), None)

    @property
    def valid_job_operations(self) -> tuple[JobOperation, ...]:
        """Job operations worth offering now (bk-job §5.12; never terminate a confirmation)."""
        return valid_job_operations(
            self.status, at_confirmation=self.step_waiting_for_confirmation is not None
        )

    @property
    def host_counts(self) -> HostCounts:
        """Host counts of the current step (empty for a confirmation step)."""
        step = self.current_step
        return step.host_counts if step else HostCounts()


class IPLog(_Response):
    """One host's log in ``get_job_instance_log`` (bk-job §5.15)."""

    ip: str | None = None
    bk_cloud_id: int | None = None
    start_time: BKTime = None
    end_time: BKTime = None
    total_time: float | None = None
    execute_count: int | None = Field(
        None, validation_alias=AliasChoices("execute_count", "retry_count")
    )
    error_code: int | None = None
    exit_code: int | None = None
    # HTML-escaped for & < > (bk-job §4.3): read ``text``.
    log_content: str | None = None

    @property
    def text(self) -> str:
        """The log with the server's ``&amp; &lt; &gt;`` escaping undone."""
        return unescape_log(self.log_content)


class StepResult(_Response):
    """Hosts of a step grouped by (host status, tag) (bk-job §5.15)."""

    ip_status: HostStatusCode | None = None
    tag: str | None = None
    ip_logs: ListOrEmpty[IPLog] = Field(default_factory=list)

    @property
    def outcome(self) -> HostOutcome:
        """Succeeded, running or failed, for every host of the group."""
        return host_outcome(self.ip_status)


class StepLog(_Response):
    """Logs of one step instance (bk-job §5.15)."""

    is_finished: bool | None = None
    step_instance_id: int
    name: str | None = None
    status: JobStatusCode | None = None
    step_results: ListOrEmpty[StepResult] = Field(default_factory=list)

    def host_logs(self) -> Iterator[tuple[StepResult, IPLog]]:
        """Every host log with the group it belongs to."""
        for result in self.step_results:
            for log in result.ip_logs:
                yield result, log


class Cron(_Scoped):
    """A cron object (bk-job §5.16). ``update_cron_status`` answers with only ``cron_id``
    set (§5.17), so every other field may be null."""

    cron_id: int
    cron_name: str | None = None
    cron_status: CronStatusCode | None = None
    # 5-field crontab; null for v3 one-shot crons.
    cron_expression: str | None = None
    bk_job_id: int | None = None
    creator: str | None = None
    create_time: BKTime = None
    last_modify_user: str | None = None
    last_modify_time: BKTime = None
    # Legacy doc only.
    job_name: str | None = None

    @property
    def enabled(self) -> bool | None:
        """True when scheduling, False when paused, None when the answer did not say."""
        if self.cron_status is None:
            return None
        return self.cron_status == CronStatus.ENABLED


class CallbackStep(_Response):
    """A step in the completion callback body (bk-job §9)."""

    step_instance_id: int
    status: JobStatusCode | None = None


class JobCallback(_Response):
    """The body Job POSTs to ``bk_callback_url`` when an instance finishes (bk-job §9).

    Server 3.x names the array ``step_instances``; the v3 doc says ``step_instance_list``.
    """

    job_instance_id: int
    status: JobStatusCode | None = None
    step_instances: ListOrEmpty[CallbackStep] = Field(
        default_factory=list,
        validation_alias=AliasChoices("step_instances", "step_instance_list"),
    )
