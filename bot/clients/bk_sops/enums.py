"""Closed sets of the BK-SOPS API (bk-sops §5) as string enums."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "ActivityType",
    "Category",
    "ComponentCode",
    "ConstantSourceType",
    "CreateMethod",
    "EventType",
    "FlowType",
    "GatewayType",
    "GroupBy",
    "LocationType",
    "OperateAction",
    "Scope",
    "ShowType",
    "StoredTemplateSource",
    "TaskCountStatus",
    "TaskState",
    "TemplateSource",
    "TimeoutAction",
]


class TaskState(StrEnum):
    """Task and node states (bk-sops §5.1)."""

    CREATED = "CREATED"
    READY = "READY"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    NODE_SUSPENDED = "NODE_SUSPENDED"
    BLOCKED = "BLOCKED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    LOOP_READY = "LOOP_READY"
    ROLLING_BACK = "ROLLING_BACK"
    ROLL_BACK_SUCCESS = "ROLL_BACK_SUCCESS"
    ROLL_BACK_FAILED = "ROLL_BACK_FAILED"


class OperateAction(StrEnum):
    """``operate_task.action`` (bk-sops §5.2)."""

    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    REVOKE = "revoke"


class GroupBy(StrEnum):
    """``query_task_count.group_by`` (bk-sops §5.3)."""

    STATUS = "status"
    CATEGORY = "category"
    FLOW_TYPE = "flow_type"
    CREATE_METHOD = "create_method"


class TaskCountStatus(StrEnum):
    """``groups[].code`` of ``query_task_count`` with ``group_by=status`` (bk-sops §3.10)."""

    CREATED = "CREATED"
    EXECUTING = "EXECUTING"
    FINISHED = "FINISHED"


class TemplateSource(StrEnum):
    """``template_source`` as a request sends it (bk-sops §1.4)."""

    BUSINESS = "business"
    PROJECT = "project"
    COMMON = "common"


class StoredTemplateSource(StrEnum):
    """``template_source`` as tasks and periodic tasks report it (bk-sops §1.4, §5.4)."""

    PROJECT = "project"
    COMMON = "common"
    ONETIME = "onetime"


class Scope(StrEnum):
    """How ``bk_biz_id`` is read (bk-sops §1.3)."""

    CMDB_BIZ = "cmdb_biz"
    PROJECT = "project"


class FlowType(StrEnum):
    """Task flow type (bk-sops §5.5)."""

    COMMON = "common"
    COMMON_FUNC = "common_func"


class CreateMethod(StrEnum):
    """How a task was created (bk-sops §5.6)."""

    APP = "app"
    API = "api"
    APP_MAKER = "app_maker"
    PERIODIC = "periodic"
    CLOCKED = "clocked"
    MOBILE = "mobile"
    MCP = "mcp"


class Category(StrEnum):
    """Template category (bk-sops §5.7)."""

    OPS_TOOLS = "OpsTools"
    MONITOR_ALARM = "MonitorAlarm"
    CONF_MANAGE = "ConfManage"
    DEV_TOOLS = "DevTools"
    ENTERPRISE_IT = "EnterpriseIT"
    OFFICE_APP = "OfficeApp"
    OTHER = "Other"
    DEFAULT = "Default"


class ConstantSourceType(StrEnum):
    """Where a global variable comes from (bk-sops §2.2, §5.8)."""

    CUSTOM = "custom"
    COMPONENT_INPUTS = "component_inputs"
    COMPONENT_OUTPUTS = "component_outputs"


class ShowType(StrEnum):
    """Whether a global variable is a form field (bk-sops §2.2, §5.8)."""

    SHOW = "show"
    HIDE = "hide"


class EventType(StrEnum):
    """Start and end event types of a pipeline tree (bk-sops §2.1)."""

    EMPTY_START_EVENT = "EmptyStartEvent"
    EMPTY_END_EVENT = "EmptyEndEvent"


class ActivityType(StrEnum):
    """Activity node types (bk-sops §2.1)."""

    SERVICE_ACTIVITY = "ServiceActivity"
    SUB_PROCESS = "SubProcess"


class GatewayType(StrEnum):
    """Gateway node types (bk-sops §2.1)."""

    EXCLUSIVE = "ExclusiveGateway"
    PARALLEL = "ParallelGateway"
    CONDITIONAL_PARALLEL = "ConditionalParallelGateway"
    CONVERGE = "ConvergeGateway"


class LocationType(StrEnum):
    """Canvas node kinds in ``pipeline_tree.location`` (bk-sops §2.1)."""

    STARTPOINT = "startpoint"
    TASKNODE = "tasknode"
    SUBFLOW = "subflow"
    BRANCHGATEWAY = "branchgateway"
    PARALLELGATEWAY = "parallelgateway"
    CONVERGEGATEWAY = "convergegateway"
    ENDPOINT = "endpoint"


class TimeoutAction(StrEnum):
    """``timeout_config.action`` of an activity (bk-sops §2.1)."""

    FORCED_FAIL = "forced_fail"
    FORCED_FAIL_AND_SKIP = "forced_fail_and_skip"


class ComponentCode(StrEnum):
    """Plugin codes the bot treats specially; the full set of plugin codes is open (§4.1)."""

    PAUSE_NODE = "pause_node"
    BK_APPROVE = "bk_approve"
    SLEEP_TIMER = "sleep_timer"
    REMOTE_PLUGIN = "remote_plugin"
