"""BK-SOPS models against every reference example, plus the pure tree helpers and cron parsing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.clients._envelope import Envelope
from bot.clients.bk_sops import (
    MASK,
    Ack,
    Activity,
    ActivityType,
    Category,
    ComponentCode,
    Constant,
    ConstantSourceType,
    CreatedTask,
    CreateMethod,
    CronSpec,
    EventType,
    GatewayType,
    LocationType,
    PeriodicTask,
    PeriodicTaskCron,
    PeriodicTaskEnabled,
    PeriodicTaskSummary,
    PipelineTree,
    ShowType,
    StartedTask,
    StoredTemplateSource,
    TaskCallback,
    TaskCount,
    TaskCountStatus,
    TaskDetail,
    TaskNodeDetail,
    TaskState,
    TaskStatus,
    TemplateInfo,
    TemplateSummary,
    approval_callback_data,
    callback_data_for,
    failed_nodes,
    form_constants,
    is_terminal,
    mask_value,
    masked_constants,
    parse_cron,
    password_keys,
    pause_callback_data,
    waiting_nodes,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
MANIFEST = [
    e for e in json.loads((FIXTURES / "manifest.json").read_text()) if e["system"] == "bk_sops"
]

# the data model of each operation's success answer
DATA_SHAPE: dict[str, type[BaseModel] | TypeAdapter[Any] | None] = {
    "get_template_list": TypeAdapter(list[TemplateSummary]),
    "get_template_info": TemplateInfo,
    "create_task": CreatedTask,
    "start_task": StartedTask,
    "operate_task": None,  # bk-sops §3.5: no data
    "node_callback": None,  # bk-sops §3.6: no data
    "get_task_status": TaskStatus,
    "get_task_detail": TaskDetail,
    "get_task_node_detail": TaskNodeDetail,
    "query_task_count": TaskCount,
    "get_periodic_task_list": TypeAdapter(list[PeriodicTaskSummary]),
    "get_periodic_task_info": PeriodicTask,
    "create_periodic_task": PeriodicTask,
    "set_periodic_task_enabled": PeriodicTaskEnabled,
    "modify_cron_for_periodic_task": PeriodicTaskCron,
    "modify_constants_for_periodic_task": TypeAdapter(dict[str, Constant]),
}

PAUSE_NODE = "nbc131c04c41b4806baaca3f97fb465d"
PAUSE_VERSION = "vb1bf117ec7f244a3b9a7f98ac1f516bd"
SCRIPT_NODE = "neb693d84fdcb4969a2dd8121ba0fd33"
CST = timezone(timedelta(hours=8))


def _load(name: str) -> Any:
    return json.loads((FIXTURES / "bk_sops" / name).read_text())


def _envelope(name: str) -> Envelope:
    return Envelope.model_validate(_load(name))


def _data(name: str, shape: type[BaseModel] | TypeAdapter[Any]) -> Any:
    env = _envelope(name)
    assert env.result is True
    if isinstance(shape, TypeAdapter):
        return shape.validate_python(env.data)
    return shape.model_validate(env.data)


def _responses() -> list[dict[str, Any]]:
    return [e for e in MANIFEST if e["kind"] == "response"]


def test_manifest_covers_every_operation_with_a_response_example() -> None:
    assert {e["operation"] for e in _responses()} == set(DATA_SHAPE)


@pytest.mark.parametrize("entry", _responses(), ids=lambda e: e["file"])
def test_every_response_example_parses_into_its_model(entry: dict[str, Any]) -> None:
    env = Envelope.model_validate(json.loads((FIXTURES / entry["file"]).read_text()))
    assert env.result is entry["result"]
    if not env.result:
        assert env.code == entry["code"]
        assert env.message
        return
    assert env.code == 0
    shape = DATA_SHAPE[entry["operation"]]
    if shape is None:
        assert env.data is None
        return
    parsed = (
        shape.validate_python(env.data)
        if isinstance(shape, TypeAdapter)
        else shape.model_validate(env.data)
    )
    assert parsed


# ------------------------------------------------------------------------------ pipeline tree


def test_template_tree_fragment_parses_with_typed_nodes_and_constants() -> None:
    tree = PipelineTree.model_validate(_load("fragment.template_pipeline_tree.json"))
    assert tree.id is None
    assert tree.start_event is not None
    assert tree.start_event.type is EventType.EMPTY_START_EVENT
    assert tree.end_event is not None
    assert tree.end_event.incoming == ["line1767ef155ff044a8b607f8211a6b"]
    pause = tree.activities["node30640179c8be4a2d9ff5210aeb6f"]
    assert pause.type is ActivityType.SERVICE_ACTIVITY
    assert pause.code == ComponentCode.PAUSE_NODE
    assert pause.optional is True
    assert pause.component is not None
    assert pause.component.data["description"].value == "Approve restart of nginx on ${ip_list}"
    script = tree.activities["nodecfc5725adaa2485a86a44f9b2df3"]
    assert script.component is not None
    assert script.component.data["job_ip_list"].hook is True
    assert script.timeout_config is not None
    assert script.timeout_config.action == "forced_fail"
    assert len(tree.flows) == 4
    assert tree.gateways == {}
    assert tree.outputs == ["${job_inst_id}"]
    ip_list = tree.constants["${ip_list}"]
    assert ip_list.source_type is ConstantSourceType.COMPONENT_INPUTS
    assert ip_list.show_type is ShowType.SHOW
    assert ip_list.value_schema is not None
    assert ip_list.value_schema.type == "string"
    assert tree.constants["${job_inst_id}"].value_schema is None
    assert tree.constants["${job_inst_id}"].show_type is ShowType.HIDE


def test_gateway_fragment_parses_all_three_gateway_shapes() -> None:
    tree = PipelineTree.model_validate(_load("fragment.gateway_shapes.json"))
    branch = tree.gateways["node0863aab8325b84cfa3e5db52dc61"]
    assert branch.type is GatewayType.EXCLUSIVE
    assert branch.conditions is not None
    assert branch.conditions["line7587c8804d34a091dae3d321f081"].evaluate == '"${env}" == "prod"'
    assert branch.conditions["line9dd9c8dbbad90943f268442ab7e0"].name == "other"
    fork = tree.gateways["node7e97af0f55fb64276e067951dd9d"]
    assert fork.type is GatewayType.PARALLEL
    assert fork.outgoing == ["line429f64cdec5d20f368611e621ef5", "linec43c77f26af408748a9c194dbcfe"]
    join = tree.gateways["node947e423b22e49aeb77bc77528bc0"]
    assert join.type is GatewayType.CONVERGE
    assert isinstance(join.incoming, list)
    assert join.outgoing == "lineabc279d9be88eb98285132ba5b75"


def test_unknown_enum_values_are_kept_as_plain_strings() -> None:
    tree = PipelineTree.model_validate(
        {
            "gateways": {"g": {"id": "g", "type": "InclusiveGateway"}},
            "activities": {"a": {"id": "a", "type": "FutureActivity"}},
        }
    )
    assert tree.gateways["g"].type == "InclusiveGateway"
    assert not isinstance(tree.gateways["g"].type, GatewayType)
    assert tree.activities["a"].type == "FutureActivity"
    status = TaskStatus.model_validate({"state": "TELEPORTING"})
    assert status.state == "TELEPORTING"


def test_subprocess_activity_carries_a_nested_pipeline() -> None:
    inner = _load("fragment.template_pipeline_tree.json")
    activity = Activity.model_validate(
        {
            "id": "nsub",
            "type": "SubProcess",
            "template_id": 57,
            "isSkipped": False,
            "pipeline": inner,
        }
    )
    assert activity.is_subprocess
    assert activity.code is None
    assert activity.is_skipped is False
    assert activity.pipeline is not None
    assert "node30640179c8be4a2d9ff5210aeb6f" in activity.pipeline.activities


# ----------------------------------------------------------------------------------- templates


def test_template_list_rows_have_typed_category_and_times() -> None:
    rows = _data("get_template_list.1.response.json", TypeAdapter(list[TemplateSummary]))
    assert [r.id for r in rows] == [42, 57]
    assert rows[0].category is Category.OPS_TOOLS
    assert rows[0].create_time == datetime(2026, 7, 1, 9, 12, 44, tzinfo=CST)
    assert rows[1].editor is None
    assert rows[1].auth_actions == ["flow_view"]
    assert rows[0].bk_biz_id == 2
    assert rows[0].project_id == 3


def test_template_info_holds_the_full_tree_and_constant_summary() -> None:
    info = _data("get_template_info.1.response.json", TemplateInfo)
    assert info.id == 42
    assert info.pipeline_tree is not None
    assert len(info.pipeline_tree.activities) == 3
    assert info.pipeline_tree.line is None
    assert info.template_constants is not None
    assert [c.key for c in info.template_constants] == [
        "${ip_list}",
        "${script_content}",
        "${wait_seconds}",
    ]
    assert info.template_constants[1].constant_type == "文本框"


# --------------------------------------------------------------------------------------- tasks


def test_created_task_tree_has_new_ids_template_node_ids_and_layout() -> None:
    created = _data("create_task.1.response.json", CreatedTask)
    assert created.task_id == 1087
    assert created.task_url == "https://bk-sops.example.com/taskflow/execute/3/?instance_id=1087"
    tree = created.pipeline_tree
    assert tree is not None
    assert tree.id == "n6b6fb00b2271429684afe8fcbfd0002"
    assert tree.activities[PAUSE_NODE].template_node_id == "node30640179c8be4a2d9ff5210aeb6f"
    assert tree.location is not None
    assert tree.location[0].type is LocationType.STARTPOINT
    assert tree.line is not None
    assert tree.line[0].target is not None
    assert tree.line[0].target.arrow == "Left"


def test_start_task_data_and_top_level_carry_the_task_url() -> None:
    env = _envelope("start_task.1.response.json")
    started = StartedTask.model_validate(env.data)
    assert started.task_url == env.task_url
    assert started.task_url is not None
    assert started.task_url.endswith("instance_id=1087")


@pytest.mark.parametrize("name", ["operate_task.1.response.json", "node_callback.1.response.json"])
def test_operations_without_data_succeed_with_a_message(name: str) -> None:
    env = _envelope(name)
    assert env.result is True
    assert env.data is None
    ack = Ack(message=env.message, trace_id=env.trace_id)
    assert ack.message == "success"
    assert ack.trace_id is not None
    assert len(ack.trace_id) == 32


def test_running_status_tree_keeps_versions_and_the_root_id_quirk() -> None:
    status = _data("get_task_status.1.response.json", TaskStatus)
    assert status.state is TaskState.RUNNING
    assert status.id == "n6b6fb00b2271429684afe8fcbfd0002"
    assert status.root_id == "n6b6fb00b2271429684afe8fcbfd0002"
    assert status.finish_time is None
    assert status.start_time == datetime(2026, 8, 20, 10, 0, 5, tzinfo=CST)
    pause = status.children[PAUSE_NODE]
    assert pause.state is TaskState.RUNNING
    assert pause.version == PAUSE_VERSION
    assert pause.name == "Ops approval"
    assert status.children[SCRIPT_NODE].elapsed_time == 30
    assert status.ex_data is None


def test_failed_status_tree_carries_ex_data_without_root_id() -> None:
    status = _data("get_task_status.2.response.json", TaskStatus)
    assert status.state is TaskState.FAILED
    assert status.root_id is None
    assert status.ex_data == {
        SCRIPT_NODE: "JOB execution failed: 1 host(s) returned non-zero exit code"
    }


def test_created_placeholder_root_has_no_id_and_integer_skip() -> None:
    status = _data("get_task_status.3.response.json", TaskStatus)
    assert status.state is TaskState.CREATED
    assert status.id is None
    assert status.version is None
    assert status.skip is False
    assert status.children == {}
    assert status.name == "nginx restart 2026-08-20 (slack:alice)"


def test_expired_status_body_parses() -> None:
    status = TaskStatus.model_validate({"state": "EXPIRED", "name": "old task"})
    assert status.state is TaskState.EXPIRED
    assert status.children == {}


def test_task_detail_has_outputs_constants_and_empty_strings_as_none() -> None:
    detail = _data("get_task_detail.1.response.json", TaskDetail)
    assert detail.id == 1087
    assert detail.create_method is CreateMethod.API
    assert detail.template_id == 42
    assert detail.elapsed_time == 187
    assert detail.outputs[0].key == "${job_inst_id}"
    assert detail.outputs[0].value == 20260820100005
    assert detail.constants["${wait_seconds}"].value == "30"
    assert detail.finish_time == datetime(2026, 8, 20, 10, 3, 12, tzinfo=CST)
    assert detail.ex_data == ""
    assert detail.pipeline_tree is not None
    assert PAUSE_NODE in detail.pipeline_tree.activities
    not_started = TaskDetail.model_validate(
        {"id": 1, "name": "t", "start_time": "", "executor": ""}
    )
    assert not_started.start_time is None


def test_started_node_detail_has_inputs_outputs_and_history_fields() -> None:
    node = _data("get_task_node_detail.1.response.json", TaskNodeDetail)
    assert node.started
    assert node.state is TaskState.RUNNING
    assert node.version == PAUSE_VERSION
    assert node.inputs["description"] == "Approve restart of nginx on 10.0.0.11,10.0.0.12"
    assert node.output("_result") is True
    assert node.output("callback_data") == ""
    assert node.output("missing") is None
    assert node.outputs[0].name == "API回调数据"
    assert node.outputs[0].preset is True
    assert node.histories == []
    assert node.history_id == -1
    assert node.ex_data is None


def test_ready_node_detail_is_a_preview_without_id_or_version() -> None:
    node = _data("get_task_node_detail.2.response.json", TaskNodeDetail)
    assert not node.started
    assert node.state is TaskState.READY
    assert node.version is None
    assert node.inputs == {"bk_timing": "30", "force_check": True}
    assert node.outputs == []


@pytest.mark.parametrize(
    ("name", "total", "counts"),
    [
        ("query_task_count.1.response.json", 37, {"CREATED": 3, "EXECUTING": 2, "FINISHED": 32}),
        ("query_task_count.2.response.json", 180, {"common": 166, "common_func": 14}),
    ],
)
def test_task_counts_parse_per_group(name: str, total: int, counts: dict[str, int]) -> None:
    count = _data(name, TaskCount)
    assert count.total == total
    assert count.by_code() == counts


def test_task_count_status_codes_compare_with_the_enum() -> None:
    count = _data("query_task_count.1.response.json", TaskCount)
    assert count.by_code()[TaskCountStatus.FINISHED] == 32


def test_task_callback_body_parses_in_both_encodings() -> None:
    callback = TaskCallback.model_validate(_load("callback.1.json"))
    assert callback.task_id == 1087
    assert callback.task_success is True
    assert callback.task_outputs[0].value == 20260820100005
    form = TaskCallback.model_validate({"task_id": "1087", "task_success": "False"})
    assert form.task_success is False
    assert form.task_outputs == []


# ------------------------------------------------------------------------------------ periodic


def test_periodic_list_reads_string_template_ids_and_schedules() -> None:
    rows = _data("get_periodic_task_list.1.response.json", TypeAdapter(list[PeriodicTaskSummary]))
    nightly, weekly = rows
    assert nightly.id == 7
    assert nightly.template_id == 42
    assert nightly.template_source is StoredTemplateSource.PROJECT
    assert nightly.enabled is True
    assert weekly.enabled is False
    assert weekly.last_run_at is None
    schedule = weekly.schedule
    assert schedule is not None
    assert schedule.timezone == "Asia/Shanghai"
    assert schedule.spec == CronSpec(minute="30", hour="3", day_of_week="0")


def test_periodic_info_has_the_visible_form_and_tree() -> None:
    task = _data("get_periodic_task_info.1.response.json", PeriodicTask)
    assert task.total_run_count == 19
    assert list(task.form) == ["${ip_list}", "${script_content}", "${wait_seconds}"]
    assert task.form["${wait_seconds}"].value == "60"
    assert task.pipeline_tree is not None
    assert task.pipeline_tree.activities["n29083dbc7b7d427c9e4f85ace307e76"].code == "pause_node"


def test_created_periodic_task_is_disabled() -> None:
    task = _data("create_periodic_task.1.response.json", PeriodicTask)
    assert task.enabled is False
    assert task.total_run_count == 0
    assert task.form["${ip_list}"].value == "10.0.0.11"


def test_periodic_change_answers_parse() -> None:
    enabled = _data("set_periodic_task_enabled.1.response.json", PeriodicTaskEnabled)
    assert enabled.enabled is True
    cron = _data("modify_cron_for_periodic_task.1.response.json", PeriodicTaskCron)
    assert cron.cron == "30 1 1-5 * * (m/h/d/dM/MY) Asia/Shanghai"
    assert cron.schedule is not None
    assert cron.schedule.spec.day_of_week == "1-5"
    constants = _data(
        "modify_constants_for_periodic_task.1.response.json", TypeAdapter(dict[str, Constant])
    )
    assert constants["${wait_seconds}"].value == "90"
    assert constants["${job_inst_id}"].show_type is ShowType.HIDE


# ---------------------------------------------------------------------------------------- cron


@pytest.mark.parametrize(
    ("text", "fields", "zone"),
    [
        ("0 2 * * * (m/h/d/dM/MY) Asia/Shanghai", ("0", "2", "*", "*", "*"), "Asia/Shanghai"),
        (
            "*/15 9-18 mon-fri 1,15 1-6 (m/h/d/dM/MY) UTC",
            ("*/15", "9-18", "mon-fri", "1,15", "1-6"),
            "UTC",
        ),
        ("5 4 * * *", ("5", "4", "*", "*", "*"), None),
        ("5 4 * * * (m/h/d/dM/MY)", ("5", "4", "*", "*", "*"), None),
    ],
)
def test_parse_cron_splits_fields_and_zone(
    text: str, fields: tuple[str, ...], zone: str | None
) -> None:
    parsed = parse_cron(text)
    spec = parsed.spec
    assert (
        spec.minute,
        spec.hour,
        spec.day_of_week,
        spec.day_of_month,
        spec.month_of_year,
    ) == fields
    assert parsed.timezone == zone


@pytest.mark.parametrize("text", ["", "0 2 * *", "61 2 * * * (m/h/d/dM/MY) UTC", "every day"])
def test_parse_cron_rejects_what_is_not_a_schedule(text: str) -> None:
    with pytest.raises(ValueError, match=r"cron|schedule"):
        parse_cron(text)


def test_unparseable_cron_string_gives_no_schedule() -> None:
    row = PeriodicTaskSummary.model_validate(
        {"id": 1, "name": "x", "cron": "garbage", "enabled": True}
    )
    assert row.schedule is None


@pytest.mark.parametrize(
    "fields",
    [
        {"minute": "60"},
        {"hour": "24"},
        {"day_of_week": "7"},
        {"day_of_week": "someday"},
        {"day_of_month": "0"},
        {"month_of_year": "13"},
        {"minute": "5/10"},
        {"minute": "*/0"},
        {"minute": ""},
        {"minute": "1 2"},
    ],
)
def test_cron_spec_rejects_out_of_range_or_bad_syntax(fields: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        CronSpec.model_validate(fields)


def test_cron_spec_defaults_every_field_to_star_and_renders_in_server_order() -> None:
    spec = CronSpec(minute="30", hour="1", day_of_week="1-5")
    assert spec.model_dump() == {
        "minute": "30",
        "hour": "1",
        "day_of_week": "1-5",
        "day_of_month": "*",
        "month_of_year": "*",
    }
    assert str(spec) == "30 1 1-5 * *"
    assert CronSpec(day_of_week="Mon,wednesday,0-2/1").day_of_week == "Mon,wednesday,0-2/1"


# ------------------------------------------------------------------------------------- helpers


def _task_tree() -> PipelineTree:
    created: CreatedTask = _data("create_task.1.response.json", CreatedTask)
    assert created.pipeline_tree is not None
    return created.pipeline_tree


def test_waiting_nodes_finds_the_pause_node_with_version_and_prompt() -> None:
    status = _data("get_task_status.1.response.json", TaskStatus)
    [node] = waiting_nodes(status, _task_tree())
    assert node.node_id == PAUSE_NODE
    assert node.version == PAUSE_VERSION
    assert node.name == "Ops approval"
    assert node.code == ComponentCode.PAUSE_NODE
    assert node.prompt == "Approve restart of nginx on ${ip_list}"
    assert node.subprocess_stack == ()
    assert node.template_node_id == "node30640179c8be4a2d9ff5210aeb6f"
    assert not node.is_approval


def test_waiting_nodes_is_empty_before_start_and_after_failure() -> None:
    tree = _task_tree()
    assert waiting_nodes(_data("get_task_status.3.response.json", TaskStatus), tree) == []
    assert waiting_nodes(_data("get_task_status.2.response.json", TaskStatus), tree) == []


def test_waiting_nodes_ignores_running_nodes_of_other_plugins() -> None:
    status = _data("get_task_status.1.response.json", TaskStatus)
    tree = _task_tree()
    tree.activities[PAUSE_NODE].component.code = "sleep_timer"  # type: ignore[union-attr]
    assert waiting_nodes(status, tree) == []


def test_waiting_nodes_of_a_terminal_task_is_empty() -> None:
    payload = _load("get_task_status.1.response.json")["data"]
    payload["state"] = "REVOKED"
    assert waiting_nodes(TaskStatus.model_validate(payload), _task_tree()) == []


def _nested() -> tuple[TaskStatus, PipelineTree]:
    """The task tree of §3.3 wrapped as sub-process ``nsub`` of an outer task."""
    inner_tree = _load("create_task.1.response.json")["data"]["pipeline_tree"]
    inner_tree["activities"][PAUSE_NODE]["component"] = {
        "code": "bk_approve",
        "version": "v1.0",
        "data": {"bk_approve_title": {"hook": False, "value": "ok?"}},
    }
    outer_tree = PipelineTree.model_validate(
        {
            "id": "nroot",
            "activities": {"nsub": {"id": "nsub", "type": "SubProcess", "pipeline": inner_tree}},
        }
    )
    inner_status = _load("get_task_status.1.response.json")["data"]
    outer_status = TaskStatus.model_validate(
        {"id": "nroot", "state": "RUNNING", "children": {"nsub": inner_status}}
    )
    return outer_status, outer_tree


def test_waiting_nodes_descends_into_subprocesses_and_reports_the_stack() -> None:
    status, tree = _nested()
    [node] = waiting_nodes(status, tree)
    assert node.node_id == PAUSE_NODE
    assert node.subprocess_stack == ("nsub",)
    assert node.code == ComponentCode.BK_APPROVE
    assert node.is_approval
    assert node.prompt is None
    assert node.version == PAUSE_VERSION


def test_failed_nodes_reports_the_leaf_with_its_error_and_retry_flags() -> None:
    status = _data("get_task_status.2.response.json", TaskStatus)
    [node] = failed_nodes(status, _task_tree())
    assert node.node_id == SCRIPT_NODE
    assert node.error == "JOB execution failed: 1 host(s) returned non-zero exit code"
    assert node.code == "job_fast_execute_script"
    assert node.retryable is True
    assert node.name == "Restart nginx"
    assert failed_nodes(_data("get_task_status.1.response.json", TaskStatus)) == []


def test_failed_nodes_reports_the_nested_leaf_not_the_subprocess() -> None:
    failed_inner = _load("get_task_status.2.response.json")["data"]
    status = TaskStatus.model_validate(
        {"state": "FAILED", "children": {"nsub": {**failed_inner, "id": "nsub"}}}
    )
    [node] = failed_nodes(status)
    assert node.node_id == SCRIPT_NODE
    assert node.subprocess_stack == ("nsub",)
    assert node.code is None
    assert node.error is None


@pytest.mark.parametrize(
    ("state", "terminal"),
    [
        (TaskState.FINISHED, True),
        (TaskState.REVOKED, True),
        (TaskState.EXPIRED, True),
        (TaskState.FAILED, False),
        (TaskState.RUNNING, False),
        (TaskState.CREATED, False),
        (TaskState.SUSPENDED, False),
        ("SOMETHING_NEW", False),
    ],
)
def test_is_terminal_treats_failed_as_recoverable(state: str, terminal: bool) -> None:
    assert is_terminal(state) is terminal


def test_form_constants_lists_visible_variables_by_index() -> None:
    tree = PipelineTree.model_validate(_load("fragment.template_pipeline_tree.json"))
    tree.constants["${wait_seconds}"].index = -1
    fields = form_constants(tree)
    assert [f.key for f in fields] == ["${wait_seconds}", "${ip_list}", "${script_content}"]
    assert fields[2].custom_type == "textarea"
    assert fields[2].validation == "^.+$"
    assert not any(f.is_password for f in fields)
    assert fields[1].display_value() == "10.0.0.11,10.0.0.12"


def test_form_constants_accepts_a_periodic_form_map() -> None:
    task = _data("get_periodic_task_info.1.response.json", PeriodicTask)
    assert [f.name for f in form_constants(task.form)] == [
        "Target IPs",
        "Script",
        "Warm-up seconds",
    ]


def _with_password() -> PipelineTree:
    tree = PipelineTree.model_validate(_load("fragment.template_pipeline_tree.json"))
    secret = {"key": "${db_pass}", "name": "DB password", "index": 9, "custom_type": "password"}
    tree.constants["${db_pass}"] = Constant.model_validate(
        {**secret, "show_type": "show", "value": "s3cret"}
    )
    tree.constants["${hidden_pass}"] = Constant.model_validate(
        {**secret, "key": "${hidden_pass}", "show_type": "hide", "value": "x"}
    )
    return tree


def test_password_variables_are_flagged_and_masked() -> None:
    tree = _with_password()
    secret = form_constants(tree)[-1]
    assert secret.key == "${db_pass}"
    assert secret.is_password
    assert secret.value == "s3cret"
    assert secret.display_value() == MASK
    assert password_keys(tree) == {"${db_pass}", "${hidden_pass}"}


def test_masked_constants_hides_only_password_values() -> None:
    tree = _with_password()
    values = {"${db_pass}": "s3cret", "${hidden_pass}": "x", "${ip_list}": "10.0.0.1"}
    expected = {"${db_pass}": MASK, "${hidden_pass}": MASK, "${ip_list}": "10.0.0.1"}
    assert masked_constants(values, tree) == expected
    assert masked_constants(values, tree.constants) == expected
    assert masked_constants(values, form_constants(tree)) == {**expected, "${hidden_pass}": "x"}
    assert mask_value("") == ""
    assert mask_value(None) is None


def test_callback_payloads_for_approval_and_pause_nodes() -> None:
    assert approval_callback_data(True) == {"approve_result": True}
    assert approval_callback_data(False) == {"approve_result": False}
    assert pause_callback_data() == {}
    assert pause_callback_data({"approved_by": "alice"}) == {"approved_by": "alice"}
    assert callback_data_for("bk_approve", approve=False) == {"approve_result": False}
    assert callback_data_for("pause_node", approve=True, extra={"by": "bob"}) == {"by": "bob"}


@pytest.mark.parametrize(
    ("code", "approve"),
    [("pause_node", False), ("sleep_timer", True), ("job_fast_execute_script", True)],
)
def test_callback_data_for_refuses_what_the_bot_must_not_answer(code: str, approve: bool) -> None:
    with pytest.raises(ValueError, match=r"revoke|does not answer"):
        callback_data_for(code, approve=approve)
