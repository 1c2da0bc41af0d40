"""Pydantic models for BK-SOPS requests (strict) and responses (tolerant), per bk-sops §2–§3."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    field_serializer,
    model_validator,
)

from bot.clients.bk_sops.cron import CronSpec, PeriodicCron, parse_cron
from bot.clients.bk_sops.enums import (
    ActivityType,
    Category,
    ConstantSourceType,
    CreateMethod,
    EventType,
    FlowType,
    GatewayType,
    GroupBy,
    LocationType,
    OperateAction,
    Scope,
    ShowType,
    StoredTemplateSource,
    TaskState,
    TemplateSource,
    TimeoutAction,
)

__all__ = [
    "Ack",
    "Activity",
    "AutoRetry",
    "AutoRetryStatus",
    "CanvasAnchor",
    "CanvasLine",
    "CanvasLocation",
    "Component",
    "ComponentInput",
    "Constant",
    "ConstantSchema",
    "CreatePeriodicTaskRequest",
    "CreateTaskRequest",
    "CreatedTask",
    "FailedNodeInfo",
    "Flow",
    "Gateway",
    "GatewayCondition",
    "GetPeriodicTaskInfoRequest",
    "GetPeriodicTaskListRequest",
    "GetTaskDetailRequest",
    "GetTaskNodeDetailRequest",
    "GetTaskStatusRequest",
    "GetTemplateInfoRequest",
    "GetTemplateListRequest",
    "ModifyConstantsForPeriodicTaskRequest",
    "ModifyCronForPeriodicTaskRequest",
    "NodeCallbackRequest",
    "NodeHistory",
    "NodeOutput",
    "NotifyReceivers",
    "NotifyType",
    "OperateTaskRequest",
    "PeriodicTask",
    "PeriodicTaskCron",
    "PeriodicTaskEnabled",
    "PeriodicTaskSummary",
    "PipelineEvent",
    "PipelineTree",
    "QueryTaskCountRequest",
    "SetPeriodicTaskEnabledRequest",
    "StartTaskRequest",
    "StartedTask",
    "TaskCallback",
    "TaskCount",
    "TaskCountConditions",
    "TaskCountGroup",
    "TaskDetail",
    "TaskNodeDetail",
    "TaskOutput",
    "TaskStatus",
    "TaskStatusNode",
    "TemplateConstantSummary",
    "TemplateInfo",
    "TemplateLabel",
    "TemplateSummary",
    "TimeoutConfig",
]

_E = TypeVar("_E")

# A response field typed by an enum must survive a value the reference does not list: try the
# enum first, keep the raw string otherwise (left-to-right, or pydantic would prefer the str).
Open = Annotated[_E | str, Field(union_mode="left_to_right")]

_TIME_FORMATS = ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S")


def _parse_time(value: object) -> object:
    # bk-sops §1.7: "YYYY-MM-DD HH:MM:SS +ZZZZ"; "not set" is "" in task/template/periodic
    # objects and null in status-tree nodes — both become None.
    if value is None or value == "":
        return None
    if isinstance(value, str):
        for fmt in _TIME_FORMATS:
            try:
                return datetime.strptime(value, fmt)
            except ValueError:
                continue
        return datetime.fromisoformat(value)
    return value


BKTime = Annotated[datetime | None, BeforeValidator(_parse_time)]
FlowRef = str | list[str]


class _Response(BaseModel):
    """Response-side model: unknown fields are kept, never rejected."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


# --------------------------------------------------------------------------- pipeline_tree §2.1


class PipelineEvent(_Response):
    """The start or end event of a pipeline tree."""

    id: str
    type: Open[EventType] | None = None
    name: str | None = None
    incoming: FlowRef | None = None
    outgoing: FlowRef | None = None
    labels: list[JsonValue] = Field(default_factory=list)


class ComponentInput(_Response):
    """One plugin input; ``hook`` means ``value`` names a global variable (``"${var}"``)."""

    hook: bool = False
    value: JsonValue = None


class Component(_Response):
    """The plugin an activity runs."""

    code: str
    version: str | None = None
    data: dict[str, ComponentInput] = Field(default_factory=dict)


class AutoRetry(_Response):
    """An activity's automatic retry policy."""

    enable: bool | None = None
    interval: int | None = None
    times: int | None = None


class TimeoutConfig(_Response):
    """An activity's timeout policy."""

    enable: bool | None = None
    seconds: int | None = None
    action: Open[TimeoutAction] | None = None


class Activity(_Response):
    """A work node: a plugin (``ServiceActivity``) or a sub-process (``SubProcess``)."""

    id: str
    type: Open[ActivityType]
    name: str | None = None
    stage_name: str | None = None
    incoming: FlowRef | None = None
    outgoing: FlowRef | None = None
    # ServiceActivity only
    component: Component | None = None
    error_ignorable: bool | None = None
    optional: bool | None = None
    retryable: bool | None = None
    skippable: bool | None = None
    auto_retry: AutoRetry | None = None
    timeout_config: TimeoutConfig | None = None
    loop: JsonValue = None
    labels: list[JsonValue] = Field(default_factory=list)
    # task / periodic trees: the node's id in the source template
    template_node_id: str | None = None
    # SubProcess only
    template_id: int | str | None = None
    version: str | None = None
    constants: dict[str, Constant] | None = None
    hooked_constants: JsonValue = None
    can_retry: bool | None = None
    is_skipped: bool | None = Field(default=None, alias="isSkipped")
    # SubProcess in task trees (and with unfold_subprocess): the nested tree whose node ids
    # appear under this node's entry of the status tree
    pipeline: PipelineTree | None = None

    @property
    def code(self) -> str | None:
        """The plugin code (``component.code``), or None for a sub-process."""
        return self.component.code if self.component is not None else None

    @property
    def is_subprocess(self) -> bool:
        """Whether this node runs a nested pipeline."""
        return self.type == ActivityType.SUB_PROCESS or self.pipeline is not None


class GatewayCondition(_Response):
    """The branch condition of one outgoing flow."""

    evaluate: str | None = None
    name: str | None = None


class Gateway(_Response):
    """A branch, fork or join node."""

    id: str
    type: Open[GatewayType]
    name: str | None = None
    incoming: FlowRef | None = None
    outgoing: FlowRef | None = None
    conditions: dict[str, GatewayCondition] | None = None
    converge_gateway_id: str | None = None


class Flow(_Response):
    """A directed edge between two nodes."""

    id: str
    source: str
    target: str
    is_default: bool = False


class ConstantSchema(_Response):
    """The expected value type of a template variable (``get_template_info`` only)."""

    type: str | None = None
    description: str | None = None
    enum: list[JsonValue] | None = None


class Constant(_Response):
    """A global variable (bk-sops §2.2); keyed by its reference, e.g. ``"${ip_list}"``."""

    key: str
    name: str | None = None
    index: int | None = None
    desc: str | None = None
    source_type: Open[ConstantSourceType] | None = None
    custom_type: str | None = None
    source_tag: str | None = None
    source_info: dict[str, JsonValue] | None = None
    value: JsonValue = None
    show_type: Open[ShowType] | None = None
    validation: str | None = None
    is_meta: bool | None = None
    version: str | None = None
    form_schema: JsonValue = None
    pre_render_mako: bool | None = None
    # "schema" would shadow a BaseModel attribute
    value_schema: ConstantSchema | None = Field(default=None, alias="schema")


class CanvasAnchor(_Response):
    """One end of a canvas edge."""

    id: str
    arrow: str | None = None


class CanvasLine(_Response):
    """An edge on the editor canvas."""

    id: str
    source: CanvasAnchor | None = None
    target: CanvasAnchor | None = None


class CanvasLocation(_Response):
    """A node's position on the editor canvas."""

    id: str
    type: Open[LocationType] | None = None
    name: str | None = None
    stage_name: str | None = None
    x: float | None = None
    y: float | None = None


class PipelineTree(_Response):
    """The process graph of a template, task or periodic task (bk-sops §2.1)."""

    # task trees only: the root pipeline id (= the status tree's root id)
    id: str | None = None
    start_event: PipelineEvent | None = None
    end_event: PipelineEvent | None = None
    activities: dict[str, Activity] = Field(default_factory=dict)
    gateways: dict[str, Gateway] = Field(default_factory=dict)
    flows: dict[str, Flow] = Field(default_factory=dict)
    constants: dict[str, Constant] = Field(default_factory=dict)
    outputs: list[str] = Field(default_factory=list)
    # editor layout; the bot ignores it and get_template_info strips it
    line: list[CanvasLine] | None = None
    location: list[CanvasLocation] | None = None


# ------------------------------------------------------------------------- templates §3.1–§3.2


class TemplateLabel(_Response):
    """A label attached to a project template."""

    label_id: int | None = None
    name: str | None = None
    color: str | None = None


class NotifyType(_Response):
    """Notification channels on success and on failure."""

    success: list[str] = Field(default_factory=list)
    fail: list[str] = Field(default_factory=list)


class NotifyReceivers(_Response):
    """Who is notified."""

    receiver_group: list[str] = Field(default_factory=list)
    more_receiver: str | None = None


class TemplateSummary(_Response):
    """One row of ``get_template_list``."""

    id: int
    name: str
    category: Open[Category] | None = None
    description: str | None = None
    creator: str | None = None
    create_time: BKTime = None
    editor: str | None = None
    edit_time: BKTime = None
    project_id: int | None = None
    project_name: str | None = None
    # -1 when the project is not bound to a CMDB business (bk-sops §1.3)
    bk_biz_id: int | None = None
    bk_biz_name: str | None = None
    auth_actions: list[str] = Field(default_factory=list)
    executor_proxy: str | None = None
    notify_type: NotifyType | None = None
    notify_receivers: NotifyReceivers | None = None
    labels: list[TemplateLabel] | None = None


class TemplateConstantSummary(_Response):
    """One entry of ``template_constants`` (``include_constants``)."""

    key: str
    name: str | None = None
    show_type: Open[ShowType] | None = None
    # a localized type label, e.g. "文本框"
    constant_type: str | None = None
    activity_count: int | None = None


class TemplateInfo(TemplateSummary):
    """``get_template_info``: a template with its graph and variables."""

    pipeline_tree: PipelineTree | None = None
    template_constants: list[TemplateConstantSummary] | None = None
    has_subprocess: bool | None = None
    subprocess_has_update: bool | None = None
    enable_webhook: bool | None = None
    webhook_configs: JsonValue = None


# ----------------------------------------------------------------------------- tasks §3.3–§3.9


class CreatedTask(_Response):
    """``create_task``: the new task's id, link and own tree (new node ids)."""

    task_id: int
    task_url: str | None = None
    pipeline_tree: PipelineTree | None = None
    function_task_claim_url: str | None = None


class StartedTask(_Response):
    """``start_task``: the start is queued, not done (bk-sops §1.7)."""

    task_url: str | None = None


class Ack(_Response):
    """A success answer without ``data`` (``operate_task``, ``node_callback``, bk-sops §3.5)."""

    message: str | None = None
    trace_id: str | None = None
    request_id: str | None = None


class TaskStatusNode(_Response):
    """A node of the status tree (bk-sops §2.4); only started nodes appear in ``children``."""

    # absent on the synthetic CREATED root and the EXPIRED body
    id: str | None = None
    state: Open[TaskState]
    name: str | None = None
    version: str | None = None
    loop: int | None = None
    retry: int | None = None
    # the synthetic CREATED root sends the integer 0 here (bk-sops §2.4)
    skip: bool | None = None
    error_ignorable: bool | None = None
    error_ignored: bool | None = None
    start_time: BKTime = None
    finish_time: BKTime = None
    elapsed_time: int | None = None
    children: dict[str, TaskStatusNode] = Field(default_factory=dict)
    parent_id: str | None = None
    # the key really ends with a colon (engine quirk, bk-sops §2.4)
    root_id: str | None = Field(default=None, alias="root_id:")


class FailedNodeInfo(_Response):
    """Auto-retry counters of a failed node (``with_failed_node_info``)."""

    auto_retry_times: int | None = None
    max_auto_retry_times: int | None = None


class AutoRetryStatus(_Response):
    """``with_auto_retry_status`` (v3.34 line only, bk-sops §3.7)."""

    exist_auto_retry_nodes: bool | None = None
    auto_retry_nodes: list[str] = Field(default_factory=list)


class TaskStatus(TaskStatusNode):
    """``get_task_status``: the root of the status tree; ``state`` is the task state."""

    # failed leaf node id -> error text; only with with_ex_data on a FAILED task
    ex_data: dict[str, str] | None = None
    failed_node_info: dict[str, FailedNodeInfo] | None = None
    auto_retry_status: AutoRetryStatus | None = None


class TaskOutput(_Response):
    """A task output value (``get_task_detail.outputs``, callback ``task_outputs``)."""

    key: str
    name: str | None = None
    value: JsonValue = None


class TaskDetail(_Response):
    """``get_task_detail``: task metadata, variables, outputs and tree."""

    id: int
    name: str
    project_id: int | None = None
    project_name: str | None = None
    template_id: int | None = None
    create_time: BKTime = None
    create_method: Open[CreateMethod] | None = None
    creator: str | None = None
    executor: str | None = None
    start_time: BKTime = None
    finish_time: BKTime = None
    elapsed_time: int | None = None
    constants: dict[str, Constant] = Field(default_factory=dict)
    outputs: list[TaskOutput] = Field(default_factory=list)
    ex_data: JsonValue = None
    task_url: str | None = None
    pipeline_tree: PipelineTree | None = None
    task_webhook_history: list[JsonValue] | None = None


class NodeOutput(_Response):
    """One output of a node; ``name`` and ``preset`` come with ``component_code``."""

    key: str
    value: JsonValue = None
    name: str | None = None
    preset: bool | None = None


class NodeHistory(_Response):
    """An earlier (failed) execution of a node within the current loop."""

    id: int | str | None = None
    history_id: int | None = None
    node_id: str | None = None
    state: Open[TaskState] | None = None
    start_time: BKTime = None
    finish_time: BKTime = None
    elapsed_time: int | None = None
    retry: int | None = None
    loop: int | None = None
    skip: bool | None = None
    version: str | None = None
    inputs: dict[str, JsonValue] = Field(default_factory=dict)
    outputs: JsonValue = None
    ex_data: JsonValue = None
    children: JsonValue = None


class TaskNodeDetail(_Response):
    """``get_task_node_detail``: a started node, or the READY preview (no id, no version)."""

    id: str | None = None
    state: Open[TaskState]
    name: str | None = None
    version: str | None = None
    loop: int | None = None
    retry: int | None = None
    skip: bool | None = None
    error_ignorable: bool | None = None
    error_ignored: bool | None = None
    start_time: BKTime = None
    finish_time: BKTime = None
    elapsed_time: int | None = None
    children: dict[str, TaskStatusNode] = Field(default_factory=dict)
    parent_id: str | None = None
    root_id: str | None = Field(default=None, alias="root_id:")
    inputs: dict[str, JsonValue] = Field(default_factory=dict)
    outputs: list[NodeOutput] = Field(default_factory=list)
    ex_data: JsonValue = None
    histories: list[NodeHistory] = Field(default_factory=list)
    history_id: int | None = None

    @property
    def started(self) -> bool:
        """False for the READY preview of a node that has not run (bk-sops §3.9)."""
        return self.id is not None

    def output(self, key: str) -> JsonValue:
        """The value of output ``key`` (e.g. ``callback_data``), or None when absent."""
        return next((o.value for o in self.outputs if o.key == key), None)


class TaskCountGroup(_Response):
    """One group of ``query_task_count``; ``code`` depends on ``group_by`` (bk-sops §3.10)."""

    code: str
    name: str | None = None
    value: int = 0


class TaskCount(_Response):
    """``query_task_count``: note ``total`` is always 1 with ``group_by=category``."""

    total: int
    groups: list[TaskCountGroup] = Field(default_factory=list)

    def by_code(self) -> dict[str, int]:
        """The counts keyed by group code."""
        return {group.code: group.value for group in self.groups}


class TaskCallback(_Response):
    """The body BK-SOPS posts to a task's ``callback_url`` (bk-sops §4.4)."""

    task_id: int
    # form-encoded v1 bodies send "True"/"False", which this also accepts
    task_success: bool
    callback_version: str | None = None
    task_outputs: list[TaskOutput] = Field(default_factory=list)


# ---------------------------------------------------------------------- periodic §3.11–§3.16


class PeriodicTaskSummary(_Response):
    """One row of ``get_periodic_task_list``."""

    id: int
    name: str
    # sent as a string (bk-sops §3.11); read as the integer template id
    template_id: int | None = None
    template_source: Open[StoredTemplateSource] | None = None
    creator: str | None = None
    cron: str
    enabled: bool
    last_run_at: BKTime = None
    total_run_count: int | None = None
    auth_actions: list[str] = Field(default_factory=list)
    editor: str | None = None
    edit_time: BKTime = None
    is_latest: bool | None = None

    @property
    def schedule(self) -> PeriodicCron | None:
        """The parsed ``cron`` string, or None if it is not in the documented format."""
        try:
            return parse_cron(self.cron)
        except ValueError:
            return None


class PeriodicTask(PeriodicTaskSummary):
    """``get_periodic_task_info`` / ``create_periodic_task``: with form and tree."""

    # the visible variables (show_type = show) with their current values
    form: dict[str, Constant] = Field(default_factory=dict)
    pipeline_tree: PipelineTree | None = None


class PeriodicTaskEnabled(_Response):
    """``set_periodic_task_enabled``: the state after the call."""

    enabled: bool


class PeriodicTaskCron(_Response):
    """``modify_cron_for_periodic_task``: the new cron string."""

    cron: str

    @property
    def schedule(self) -> PeriodicCron | None:
        """The parsed ``cron`` string, or None if it is not in the documented format."""
        try:
            return parse_cron(self.cron)
        except ValueError:
            return None


# ------------------------------------------------------------------------------------ requests

# bk-sops §1.5: path ids are decimal digits (anything else is a backend 404)
Id = Annotated[int, Field(strict=True, ge=0)]
NonEmpty = Annotated[str, Field(min_length=1)]
# constants are keyed by the variable reference itself, "${key}" (bk-sops §2.2)
ConstantKey = Annotated[str, Field(pattern=r"^\$\{.+\}$")]
# bk-sops §1.5: these flags are on whenever present, so the only value ever sent is "true"
PresenceFlag = Literal[True]
_QUERY_TIME = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"


class _Request(BaseModel):
    """Request-side model: unknown fields are a programming error."""

    model_config = ConfigDict(extra="forbid")


class GetTemplateListRequest(_Request):
    """``get_template_list`` (bk-sops §3.1)."""

    bk_biz_id: Id
    template_source: TemplateSource | None = None
    id_in: list[Id] | None = Field(default=None, min_length=1)
    name_keyword: NonEmpty | None = None
    include_executor_proxy: bool | None = None
    include_notify: bool | None = None
    include_labels: bool | None = None
    expected_timezone: NonEmpty | None = None
    scope: Scope | None = None

    @field_serializer("id_in")
    def _comma_separated(self, value: list[int] | None) -> str | None:
        # the API takes "42,43", not a JSON list
        return ",".join(str(v) for v in value) if value is not None else None


class GetTemplateInfoRequest(_Request):
    """``get_template_info`` (bk-sops §3.2); ``format=yaml`` is not offered (JSON trees only)."""

    template_id: Id
    bk_biz_id: Id
    template_source: TemplateSource | None = None
    include_constants: bool | None = None
    include_subprocess: bool | None = None
    include_executor_proxy: bool | None = None
    include_notify: bool | None = None
    include_webhook: bool | None = None
    unfold_subprocess: bool | None = None
    scope: Scope | None = None


class CreateTaskRequest(_Request):
    """``create_task`` (bk-sops §3.3); a caller-supplied ``pipeline_tree`` is not offered."""

    template_id: Id
    bk_biz_id: Id
    name: Annotated[str, Field(min_length=1, max_length=100)]
    template_source: TemplateSource | None = None
    constants: dict[ConstantKey, JsonValue] | None = None
    flow_type: FlowType | None = None
    exclude_task_nodes_id: list[NonEmpty] | None = None
    execute_task_nodes_id: list[NonEmpty] | None = None
    template_schemes_id: int | str | list[int | str] | None = None
    simplify_vars: list[ConstantKey] | None = None
    description: str | None = None
    callback_url: Annotated[str, Field(pattern=r"^https?://\w.+$")] | None = None
    callback_version: Literal["v2"] | None = None
    scope: Scope | None = None

    @model_validator(mode="after")
    def _schemes_exclude_node_selection(self) -> Self:
        # bk-sops §3.3: schemes cannot be combined with a node selection (3540000)
        if self.template_schemes_id is not None and (
            self.exclude_task_nodes_id or self.execute_task_nodes_id
        ):
            raise ValueError(
                "template_schemes_id cannot be combined with exclude/execute_task_nodes_id"
            )
        return self


class StartTaskRequest(_Request):
    """``start_task`` (bk-sops §3.4)."""

    task_id: Id
    bk_biz_id: Id
    scope: Scope | None = None


class OperateTaskRequest(_Request):
    """``operate_task`` (bk-sops §3.5)."""

    task_id: Id
    bk_biz_id: Id
    action: OperateAction
    scope: Scope | None = None


class NodeCallbackRequest(_Request):
    """``node_callback`` (bk-sops §3.6)."""

    task_id: Id
    bk_biz_id: Id
    node_id: NonEmpty
    callback_data: dict[str, JsonValue] | None = None
    version: NonEmpty | None = None
    scope: Scope | None = None


class GetTaskStatusRequest(_Request):
    """``get_task_status`` (bk-sops §3.7)."""

    task_id: Id
    bk_biz_id: Id
    subprocess_id: NonEmpty | None = None
    with_ex_data: PresenceFlag | None = None
    with_failed_node_info: PresenceFlag | None = None
    with_auto_retry_status: PresenceFlag | None = None
    scope: Scope | None = None


class GetTaskDetailRequest(_Request):
    """``get_task_detail`` (bk-sops §3.8)."""

    task_id: Id
    bk_biz_id: Id
    include_webhook_history: bool | None = None
    scope: Scope | None = None


class GetTaskNodeDetailRequest(_Request):
    """``get_task_node_detail`` (bk-sops §3.9)."""

    task_id: Id
    bk_biz_id: Id
    node_id: NonEmpty
    component_code: NonEmpty | None = None
    # sent as a JSON array text, outermost sub-process first
    subprocess_stack: list[NonEmpty] | None = None
    loop: Annotated[int, Field(strict=True, ge=1)] | None = None
    scope: Scope | None = None


class TaskCountConditions(_Request):
    """The documented ``query_task_count.conditions`` filters (bk-sops §3.10)."""

    template_id: Id | None = None
    name: NonEmpty | None = None
    creator: NonEmpty | None = None
    executor: NonEmpty | None = None
    create_time__gte: Annotated[str, Field(pattern=_QUERY_TIME)] | None = None
    create_time__lte: Annotated[str, Field(pattern=_QUERY_TIME)] | None = None
    start_time__gte: Annotated[str, Field(pattern=_QUERY_TIME)] | None = None
    start_time__lte: Annotated[str, Field(pattern=_QUERY_TIME)] | None = None
    is_started: bool | None = None
    is_finished: bool | None = None

    @field_serializer("template_id")
    def _template_id_as_string(self, value: int | None) -> str | None:
        # documented as a string filter value
        return str(value) if value is not None else None


class QueryTaskCountRequest(_Request):
    """``query_task_count`` (bk-sops §3.10)."""

    bk_biz_id: Id
    group_by: GroupBy
    conditions: TaskCountConditions | None = None
    scope: Scope | None = None


class GetPeriodicTaskListRequest(_Request):
    """``get_periodic_task_list`` (bk-sops §3.11)."""

    bk_biz_id: Id
    include_edit_info: bool | None = None
    expected_timezone: NonEmpty | None = None
    scope: Scope | None = None


class GetPeriodicTaskInfoRequest(_Request):
    """``get_periodic_task_info`` (bk-sops §3.12)."""

    task_id: Id
    bk_biz_id: Id
    include_edit_info: bool | None = None
    scope: Scope | None = None


class CreatePeriodicTaskRequest(_Request):
    """``create_periodic_task`` (bk-sops §3.13); the new task starts disabled."""

    template_id: Id
    bk_biz_id: Id
    name: Annotated[str, Field(min_length=1, max_length=50)]
    cron: CronSpec
    template_source: TemplateSource | None = None
    constants: dict[ConstantKey, JsonValue] | None = None
    exclude_task_nodes_id: list[NonEmpty] | None = None
    include_edit_info: bool | None = None
    scope: Scope | None = None


class SetPeriodicTaskEnabledRequest(_Request):
    """``set_periodic_task_enabled`` (bk-sops §3.14): ``enabled`` is required here because
    the server treats a missing value as ``false``."""

    task_id: Id
    bk_biz_id: Id
    enabled: Annotated[bool, Field(strict=True)]
    scope: Scope | None = None


class ModifyCronForPeriodicTaskRequest(_Request):
    """``modify_cron_for_periodic_task`` (bk-sops §3.15)."""

    task_id: Id
    bk_biz_id: Id
    cron: CronSpec
    scope: Scope | None = None


class ModifyConstantsForPeriodicTaskRequest(_Request):
    """``modify_constants_for_periodic_task`` (bk-sops §3.16); an empty map would change nothing."""

    task_id: Id
    bk_biz_id: Id
    constants: Annotated[dict[ConstantKey, JsonValue], Field(min_length=1)]
    scope: Scope | None = None


Activity.model_rebuild()
TaskStatusNode.model_rebuild()
