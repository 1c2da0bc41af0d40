"""BK-Job models against the reference examples, plus request rules and the pure helpers."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.clients._envelope import Envelope, Permission
from bot.clients._http import dump_request
from bot.clients.bk_job import (
    IP,
    PASSWORD_MASK,
    Cron,
    CronStatus,
    DBAccount,
    FileSource,
    GlobalVarValue,
    HostCounts,
    HostOutcome,
    HostStatus,
    JobCallback,
    JobInstanceRef,
    JobInstanceStatus,
    JobLaunch,
    JobOperation,
    JobPlan,
    JobPlanDetail,
    JobStatus,
    OSAccount,
    PlanGlobalVar,
    PlanStep,
    Script,
    ScriptPage,
    ScriptSource,
    ScriptType,
    StartWay,
    StepInstance,
    StepInstanceRef,
    StepLog,
    StepOperation,
    StepType,
    TargetServer,
    TopoNode,
    VariableCategory,
    count_hosts,
    count_hosts_by_status,
    host_outcome,
    is_finished,
    is_password,
    mask_value,
    parse_bk_time,
    unescape_log,
    valid_job_operations,
    valid_step_operations,
)
from bot.clients.bk_job.models import (
    MAX_SCRIPT_CONTENT_BYTES,
    MAX_SENSITIVE_SCRIPT_PARAM_BYTES,
    ExecuteJobRequest,
    FastExecuteScriptRequest,
    FastExecuteSQLRequest,
    FastPushFileRequest,
    GetCronListRequest,
    GetJobDetailRequest,
    GetJobInstanceLogRequest,
    GetJobInstanceStatusRequest,
    GetJobListRequest,
    GetOSAccountRequest,
    GetOwnDBAccountListRequest,
    GetPublicScriptListRequest,
    GetScriptDetailRequest,
    GetScriptListRequest,
    OperateJobInstanceRequest,
    OperateStepInstanceRequest,
    SaveCronRequest,
    UpdateCronStatusRequest,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
MANIFEST: list[dict[str, Any]] = json.loads((FIXTURES / "manifest.json").read_text())
JOB_ENTRIES = [entry for entry in MANIFEST if entry["system"] == "bk_job"]
AUTH_FIELDS = {"bk_app_code", "bk_app_secret", "bk_username"}


def _load(name: str) -> Any:
    return json.loads((FIXTURES / "bk_job" / name).read_text())


def _data(name: str) -> object:
    return Envelope.model_validate(_load(name)).data


def _entries(kind: str) -> list[dict[str, Any]]:
    return [entry for entry in JOB_ENTRIES if entry["kind"] == kind]


def _fixture_id(entry: dict[str, Any]) -> str:
    return Path(entry["file"]).name


def _list_of(model: type[BaseModel]) -> Callable[[object], object]:
    return TypeAdapter(list[model]).validate_python


# operation → how its `data` parses. Keys must cover every BK-Job response fixture.
RESPONSE_PARSERS: dict[str, Callable[[object], object]] = {
    "get_job_list": _list_of(JobPlan),
    "get_job_detail": JobPlanDetail.model_validate,
    "get_script_list": ScriptPage.model_validate,
    "get_public_script_list": ScriptPage.model_validate,
    "get_script_detail": Script.model_validate,
    "get_os_account": _list_of(OSAccount),
    "get_own_db_account_list": _list_of(DBAccount),
    "fast_execute_script": JobLaunch.model_validate,
    "fast_push_file": JobLaunch.model_validate,
    "fast_execute_sql": JobLaunch.model_validate,
    "execute_job": JobLaunch.model_validate,
    "operate_job_instance": JobInstanceRef.model_validate,
    "operate_step_instance": StepInstanceRef.model_validate,
    "get_job_instance_log": _list_of(StepLog),
    "get_job_instance_status": JobInstanceStatus.model_validate,
    "get_cron_list": _list_of(Cron),
    "update_cron_status": Cron.model_validate,
    "save_cron": Cron.model_validate,
}

REQUEST_MODELS: dict[str, type[BaseModel]] = {
    "get_job_list": GetJobListRequest,
    "get_job_detail": GetJobDetailRequest,
    "get_script_list": GetScriptListRequest,
    "get_public_script_list": GetPublicScriptListRequest,
    "get_script_detail": GetScriptDetailRequest,
    "get_os_account": GetOSAccountRequest,
    "get_own_db_account_list": GetOwnDBAccountListRequest,
    "fast_execute_script": FastExecuteScriptRequest,
    "fast_push_file": FastPushFileRequest,
    "fast_execute_sql": FastExecuteSQLRequest,
    "execute_job": ExecuteJobRequest,
    "operate_job_instance": OperateJobInstanceRequest,
    "operate_step_instance": OperateStepInstanceRequest,
    "get_job_instance_log": GetJobInstanceLogRequest,
    "get_job_instance_status": GetJobInstanceStatusRequest,
    "get_cron_list": GetCronListRequest,
    "update_cron_status": UpdateCronStatusRequest,
    "save_cron": SaveCronRequest,
}


# ----------------------------------------------------------------------------- contract


def test_every_response_fixture_has_a_parser_and_all_18_operations_have_one() -> None:
    operations = {entry["operation"] for entry in _entries("response")}
    assert operations == set(RESPONSE_PARSERS)
    assert len(RESPONSE_PARSERS) == 18


@pytest.mark.parametrize("entry", _entries("response"), ids=_fixture_id)
def test_every_example_response_parses_into_its_model(entry: dict[str, Any]) -> None:
    envelope = Envelope.model_validate(json.loads((FIXTURES / entry["file"]).read_text()))
    assert envelope.result is True
    assert envelope.code == 0
    assert envelope.job_request_id
    parsed = RESPONSE_PARSERS[entry["operation"]](envelope.data)
    assert parsed


def test_job_list_example_gives_plan_ids_names_and_times() -> None:
    (plan,) = _list_of(JobPlan)(_data("get_job_list.1.response.json"))
    assert isinstance(plan, JobPlan)
    assert plan.bk_job_id == 1000123
    assert plan.name == "deploy-web (prod)"
    assert plan.bk_scope_id == "2"
    assert plan.last_modify_time == datetime(2025, 1, 8, 17, 40, 2)


def test_job_detail_example_tells_script_file_and_confirm_steps_apart() -> None:
    plan = JobPlanDetail.model_validate(_data("get_job_detail.1.response.json"))
    assert plan.template_id == 1000045
    assert [step.kind for step in plan.steps] == [StepType.SCRIPT, StepType.FILE, StepType.CONFIRM]
    script, push, confirm = plan.steps
    assert script.script_source is ScriptSource.INLINE
    assert script.script_content == "#!/bin/bash\nsystemctl stop web\n"
    assert script.ip_list[0].bk_host_id == 301
    assert script.custom_query_id == []
    assert push.file_source is not None
    assert push.file_source[0].files == ["/data/pkg/web-1.4.2.tar.gz"]
    assert push.file_source[0].ip_list[0].ip == "10.0.0.10"
    assert push.script_source is None
    assert confirm.confirm_message == "Please confirm the restart of web"
    assert plan.has_confirmation


def test_job_detail_example_variables_keep_category_and_hide_host_json() -> None:
    plan = JobPlanDetail.model_validate(_data("get_job_detail.1.response.json"))
    version, hosts = plan.global_vars
    assert version.category is VariableCategory.STRING
    assert version.display_value == "1.4.2"
    assert hosts.category is VariableCategory.HOST_LIST
    assert hosts.is_host_list
    assert hosts.value is not None
    assert hosts.value.startswith('{"hostNodeList"')
    assert hosts.display_value is None
    assert [host.ip for host in hosts.ip_list] == ["10.0.0.11"]


def test_script_list_example_gives_version_ids_and_languages() -> None:
    page = ScriptPage.model_validate(_data("get_script_list.1.response.json"))
    assert page.total_record_size == 2
    assert [script.id for script in page.data] == [6862, 7010]
    assert page.data[0].type is ScriptType.SHELL
    assert page.data[0].public is False
    assert page.data[0].content is None


def test_public_script_list_example_has_no_scope() -> None:
    page = ScriptPage.model_validate(_data("get_public_script_list.1.response.json"))
    (script,) = page.data
    assert (script.id, script.name, script.type) == (36, "net_ping_check", ScriptType.PYTHON)
    assert script.public is True
    assert script.bk_biz_id is None


def test_script_detail_example_has_no_content_on_server_3x() -> None:
    script = Script.model_validate(_data("get_script_detail.1.response.json"))
    assert (script.id, script.version) == (6862, "v1.2")
    assert script.content is None


def test_os_account_example_gives_aliases() -> None:
    accounts = _list_of(OSAccount)(_data("get_os_account.1.response.json"))
    assert isinstance(accounts, list)
    assert [account.alias for account in accounts] == ["root", "Administrator", "deploy-user"]
    assert accounts[1].os == "Windows"


def test_db_account_example_gives_the_account_id() -> None:
    (account,) = _list_of(DBAccount)(_data("get_own_db_account_list.1.response.json"))
    assert account.db_account_id == 1000
    assert account.db_alias == "mysql-readonly"


@pytest.mark.parametrize(
    ("name", "job_instance_id", "step_instance_id"),
    [
        ("fast_execute_script.1.response.json", 20000123456, 20000234567),
        ("fast_push_file.1.response.json", 20000123460, None),
        ("fast_execute_sql.1.response.json", 20000123470, None),
        ("execute_job.1.response.json", 20000123500, None),
    ],
)
def test_launch_examples_give_the_new_instance(
    name: str, job_instance_id: int, step_instance_id: int | None
) -> None:
    launch = JobLaunch.model_validate(_data(name))
    assert launch.job_instance_id == job_instance_id
    assert launch.step_instance_id == step_instance_id
    assert launch.job_instance_name


def test_operate_examples_echo_the_ids() -> None:
    job = JobInstanceRef.model_validate(_data("operate_job_instance.1.response.json"))
    step = StepInstanceRef.model_validate(_data("operate_step_instance.1.response.json"))
    assert job.job_instance_id == 20000123456
    assert job.job_instance_name is None
    assert (step.job_instance_id, step.step_instance_id) == (20000123500, 20000234600)


def test_status_example_is_a_finished_failed_fast_task_with_one_bad_host() -> None:
    status = JobInstanceStatus.model_validate(_data("get_job_instance_status.1.response.json"))
    assert status.finished is True
    assert status.status is JobStatus.FAILED
    assert status.job_instance is not None
    assert status.job_instance.is_fast_task
    assert status.job_instance.start_way is StartWay.API
    assert status.job_instance.total_time == pytest.approx(3.169)
    (step,) = status.steps
    assert step.type is StepType.SCRIPT
    assert step.execute_count == 0
    assert step.host_counts == HostCounts(succeeded=1, running=0, failed=1)
    assert step.host_status_counts == {
        HostStatus.SUCCEEDED: 1,
        HostStatus.SCRIPT_NON_ZERO_EXIT: 1,
    }
    assert status.current_step is step
    assert step.valid_operations == (
        StepOperation.RETRY_FAILED,
        StepOperation.RETRY_ALL,
        StepOperation.IGNORE_ERROR,
    )
    assert status.valid_job_operations == ()


def test_log_example_unescapes_text_and_groups_hosts_by_status() -> None:
    (step,) = _list_of(StepLog)(_data("get_job_instance_log.1.response.json"))
    assert step.is_finished is True
    ok, bad = step.step_results
    assert ok.outcome is HostOutcome.SUCCEEDED
    assert bad.ip_status is HostStatus.SCRIPT_NON_ZERO_EXIT
    (log,) = bad.ip_logs
    assert (log.ip, log.exit_code, log.execute_count) == ("10.0.0.12", 1, 0)
    assert "&gt;" in (log.log_content or "")
    assert log.text.endswith("check failed: disk usage of / > 90%\n")
    assert [(r.ip_status, entry.ip) for r, entry in step.host_logs()] == [
        (HostStatus.SUCCEEDED, "10.0.0.11"),
        (HostStatus.SCRIPT_NON_ZERO_EXIT, "10.0.0.12"),
    ]


def test_cron_list_example_gives_an_enabled_cron() -> None:
    (cron,) = _list_of(Cron)(_data("get_cron_list.1.response.json"))
    assert (cron.cron_id, cron.cron_expression, cron.bk_job_id) == (1000066, "30 2 * * *", 1000123)
    assert cron.cron_status is CronStatus.ENABLED
    assert cron.enabled is True


def test_update_cron_status_example_is_a_mostly_null_cron() -> None:
    cron = Cron.model_validate(_data("update_cron_status.1.response.json"))
    assert cron.cron_id == 1000066
    assert cron.cron_status is None
    assert cron.enabled is None
    assert cron.cron_name is None


def test_save_cron_example_comes_back_paused() -> None:
    cron = Cron.model_validate(_data("save_cron.1.response.json"))
    assert cron.cron_status is CronStatus.PAUSED
    assert cron.create_time == datetime(2025, 3, 14, 15, 40, 21)


def test_success_envelope_example_parses_into_a_launch() -> None:
    envelope = Envelope.model_validate(_load("envelope.success.json"))
    launch = JobLaunch.model_validate(envelope.data)
    assert launch.job_instance_name == "chatops-uptime"
    assert envelope.request_id == "a3f1c2d4e5b647889900aabbccddeeff"


def test_business_error_envelope_example_has_code_and_no_data() -> None:
    envelope = Envelope.model_validate(_load("envelope.business_error.json"))
    assert (envelope.result, envelope.code, envelope.data) == (False, 1244003, None)
    assert envelope.job_request_id == "5b7d9c1e2f3a4b60"


def test_permission_denied_envelope_example_yields_a_parsed_permission() -> None:
    envelope = Envelope.model_validate(_load("envelope.permission_denied.json"))
    assert envelope.code == 9900403
    assert isinstance(envelope.permission, Permission)
    (action,) = envelope.permission.actions
    assert action.id == "quick_execute_script"
    (resource,) = action.related_resource_types
    assert resource.type == "biz"
    assert resource.instances[0][0].name == "demo-biz"
    assert "quick_execute_script" in envelope.permission.describe()


def test_esb_error_envelope_example_has_only_the_esb_request_id() -> None:
    envelope = Envelope.model_validate(_load("envelope.esb_error.json"))
    assert (envelope.result, envelope.code) == (False, 1306000)
    assert envelope.job_request_id is None
    assert envelope.request_id


def test_callback_example_parses_and_accepts_the_v3_array_name() -> None:
    body = _load("callback.1.json")
    callback = JobCallback.model_validate(body)
    assert callback.status is JobStatus.SUCCEEDED
    assert [step.step_instance_id for step in callback.step_instances] == [20000234567]
    renamed = {**body, "step_instance_list": body.pop("step_instances")}
    assert JobCallback.model_validate(renamed).step_instances == callback.step_instances


def _plain_fields(operation: str, body: dict[str, Any]) -> dict[str, Any]:
    fields = {key: value for key, value in body.items() if key not in AUTH_FIELDS}
    # The client Base64-encodes these itself: callers pass plain text.
    for key in ("script_content", "script_param"):
        if key in fields:
            fields[key] = base64.b64decode(fields[key]).decode("utf-8")
    if "is_param_sensitive" in fields:
        fields["is_param_sensitive"] = bool(fields["is_param_sensitive"])
    return fields


@pytest.mark.parametrize("entry", _entries("request"), ids=_fixture_id)
def test_every_example_request_rebuilds_byte_for_byte_plus_the_scope_pair(
    entry: dict[str, Any],
) -> None:
    body = json.loads((FIXTURES / entry["file"]).read_text())
    model = REQUEST_MODELS[entry["operation"]]
    request = model.model_validate(_plain_fields(entry["operation"], body))
    expected = {key: value for key, value in body.items() if key not in AUTH_FIELDS}
    if "bk_biz_id" in expected:
        # bk-job §2.3: the client always adds the scope pair.
        expected |= {"bk_scope_type": "biz", "bk_scope_id": str(expected["bk_biz_id"])}
    if entry["operation"] == "get_cron_list":
        expected.setdefault("length", 10)
    assert dump_request(request) == expected


# ----------------------------------------------------------------------------- tolerance


@pytest.mark.parametrize(
    ("model", "required"),
    [
        (JobPlan, {"bk_job_id": 1}),
        (JobPlanDetail, {"bk_job_id": 1}),
        (Script, {"id": 1}),
        (ScriptPage, {}),
        (OSAccount, {}),
        (DBAccount, {"db_account_id": 1}),
        (JobLaunch, {"job_instance_id": 1}),
        (JobInstanceStatus, {}),
        (StepInstance, {"step_instance_id": 1}),
        (StepLog, {"step_instance_id": 1}),
        (Cron, {"cron_id": 1}),
        (PlanStep, {}),
        (PlanGlobalVar, {}),
    ],
)
def test_response_models_accept_absent_and_null_fields_alike(
    model: type[BaseModel], required: dict[str, int]
) -> None:
    absent = model.model_validate(required)
    nulls = model.model_validate(dict.fromkeys(model.model_fields) | required)
    assert absent == nulls


def test_response_models_reject_rows_without_their_identity() -> None:
    with pytest.raises(ValidationError):
        JobLaunch.model_validate({"job_instance_name": "x"})
    with pytest.raises(ValidationError):
        Cron.model_validate({"cron_name": "x"})


def test_unknown_codes_stay_plain_ints_and_unknown_fields_are_kept() -> None:
    step = StepInstance.model_validate(
        {
            "step_instance_id": 1,
            "type": 9,
            "status": 77,
            "step_ip_status": [{"ip": "10.0.0.1", "status": 606}],
            "brand_new": "x",
        }
    )
    assert step.type == 9
    assert not isinstance(step.type, StepType)
    assert step.status == 77
    assert not isinstance(step.status, JobStatus)
    assert step.step_ip_status[0].status == 606
    assert step.step_ip_status[0].outcome is HostOutcome.FAILED
    assert step.model_extra == {"brand_new": "x"}
    assert step.is_finished is False


def test_known_codes_become_enum_members() -> None:
    step = StepInstance.model_validate({"step_instance_id": 1, "type": 3, "status": 7})
    assert step.type is StepType.CONFIRM
    assert step.status is JobStatus.WAITING_USER


def test_legacy_retry_count_is_read_as_execute_count() -> None:
    step = StepInstance.model_validate({"step_instance_id": 1, "retry_count": 2})
    assert step.execute_count == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-14 15:30:12", datetime(2025, 3, 14, 15, 30, 12)),
        (
            "2018-03-15 12:46:24 +0800",
            datetime(2018, 3, 15, 12, 46, 24, tzinfo=timezone(timedelta(hours=8))),
        ),
        ("2018-03-15 12:46:24+08:00", datetime(2018, 3, 15, 4, 46, 24, tzinfo=UTC)),
        ("2018-03-15T12:46:24Z", datetime(2018, 3, 15, 12, 46, 24, tzinfo=UTC)),
        ("", None),
        (None, None),
    ],
)
def test_times_parse_with_or_without_a_zone_suffix(text: str | None, expected: object) -> None:
    assert parse_bk_time(text) == expected
    assert Cron.model_validate({"cron_id": 1, "create_time": text}).create_time == expected


def test_a_time_in_an_unknown_format_is_malformed() -> None:
    with pytest.raises(ValidationError):
        Cron.model_validate({"cron_id": 1, "create_time": "14/03/2025"})


def test_status_without_is_finished_falls_back_to_the_job_status() -> None:
    running = JobInstanceStatus.model_validate({"job_instance": {"status": 2}})
    done = JobInstanceStatus.model_validate({"is_finished": None, "job_instance": {"status": 3}})
    assert running.finished is False
    assert done.finished is True
    assert JobInstanceStatus.model_validate({}).finished is False


def test_password_values_stay_out_of_reprs() -> None:
    secret = PlanGlobalVar.model_validate({"id": 1, "category": 4, "value": "hunter2"})
    assert secret.is_password
    assert secret.display_value == PASSWORD_MASK
    assert "hunter2" not in repr(secret)
    override = GlobalVarValue(name="db_password", value="hunter2")
    assert "hunter2" not in repr(override)


# ----------------------------------------------------------------------------- plan steps


@pytest.mark.parametrize(
    ("fields", "kind", "source"),
    [
        # bk-job §5.2 quirk: a saved-script step reports the script source (2) as type.
        ({"type": 2, "script_id": 6862, "script_content": "echo"}, StepType.SCRIPT, 2),
        ({"type": 3, "script_id": 36, "script_content": "ping"}, StepType.SCRIPT, 3),
        ({"type": 1, "script_content": "echo", "file_source": None}, StepType.SCRIPT, 1),
        ({"type": 2, "file_target_path": "/tmp/", "file_source": []}, StepType.FILE, None),
        ({"type": 3, "confirm_message": ""}, StepType.CONFIRM, None),
        # Legacy servers without the telling fields: fall back to 1/2/3.
        ({"type": 2}, StepType.FILE, None),
        ({"type": 3}, StepType.CONFIRM, None),
    ],
)
def test_plan_step_kind_comes_from_fields_not_type(
    fields: dict[str, object], kind: StepType, source: int | None
) -> None:
    step = PlanStep.model_validate(fields)
    assert step.kind is kind
    assert step.script_source == source


# ----------------------------------------------------------------------------- requests

TARGETS = TargetServer(ip_list=[IP(bk_cloud_id=0, ip="10.0.0.11")])


def _script(**overrides: object) -> dict[str, object]:
    return {
        "bk_biz_id": 2,
        "account": "root",
        "target_server": TARGETS,
        "script_content": "uptime",
        "script_type": ScriptType.SHELL,
    } | overrides


def test_script_text_and_params_are_base64_on_the_wire_only() -> None:
    request = FastExecuteScriptRequest.model_validate(
        _script(script_content="echo ü", script_param="a b", is_param_sensitive=True)
    )
    assert request.script_content == "echo ü"
    wire = dump_request(request)
    assert base64.b64decode(wire["script_content"]).decode() == "echo ü"
    assert wire["script_param"] == base64.b64encode(b"a b").decode()
    assert wire["is_param_sensitive"] == 1
    assert (wire["bk_biz_id"], wire["bk_scope_type"], wire["bk_scope_id"]) == (2, "biz", "2")


def test_ip_addresses_are_trimmed() -> None:
    assert IP(bk_cloud_id=0, ip=" 10.0.0.11 ").ip == "10.0.0.11"


@pytest.mark.parametrize(
    ("model", "fields", "field"),
    [
        (FastExecuteScriptRequest, _script(bk_biz_id=0), "bk_biz_id"),
        (FastExecuteScriptRequest, _script(script_content=None), "script_id"),
        (FastExecuteScriptRequest, _script(script_id=6862), "script_id"),
        (FastExecuteScriptRequest, _script(script_type=None), "script_type"),
        (FastExecuteScriptRequest, _script(script_type=ScriptType.SQL), "SQL"),
        (FastExecuteScriptRequest, _script(script_timeout=0), "script_timeout"),
        (FastExecuteScriptRequest, _script(script_timeout=259_201), "script_timeout"),
        (FastExecuteScriptRequest, _script(account=""), "account"),
        (FastExecuteScriptRequest, _script(task_name="x" * 513), "task_name"),
        (FastExecuteScriptRequest, _script(bk_callback_url="ftp://h/x"), "bk_callback_url"),
        (
            FastExecuteScriptRequest,
            _script(bk_callback_url="https://user@h.example/x"),
            "bk_callback_url",
        ),
        (
            FastExecuteScriptRequest,
            _script(script_content="x" * (MAX_SCRIPT_CONTENT_BYTES + 1)),
            "script_content",
        ),
        (
            FastExecuteScriptRequest,
            _script(
                script_param="x" * (MAX_SENSITIVE_SCRIPT_PARAM_BYTES + 1), is_param_sensitive=True
            ),
            "script_param",
        ),
        (FastExecuteScriptRequest, _script(target_server={}), "target_server"),
        (
            FastExecuteScriptRequest,
            _script(target_server={"ip_list": [{"bk_cloud_id": 0, "ip": "10.0.0"}]}),
            "ip",
        ),
        (
            FastExecuteScriptRequest,
            _script(target_server={"ip_list": [{"bk_cloud_id": -1, "ip": "10.0.0.1"}]}),
            "bk_cloud_id",
        ),
        (FastExecuteScriptRequest, _script(extra_field=1), "extra_field"),
        (
            FastPushFileRequest,
            {
                "bk_biz_id": 2,
                "account": "root",
                "target_server": TARGETS,
                "file_target_path": "relative/dir",
                "file_source": [FileSource(files=["/a"], account="root", target_server=TARGETS)],
            },
            "file_target_path",
        ),
        (
            FastPushFileRequest,
            {
                "bk_biz_id": 2,
                "account": "root",
                "target_server": TARGETS,
                "file_target_path": "/tmp/",
                "file_source": [],
            },
            "file_source",
        ),
        (
            FastPushFileRequest,
            {
                "bk_biz_id": 2,
                "account": "root",
                "target_server": TARGETS,
                "file_target_path": "/tmp/",
                "file_source": [{"files": ["a.txt"], "account": "root", "target_server": TARGETS}],
            },
            "files",
        ),
        (
            FastExecuteSQLRequest,
            {"bk_biz_id": 2, "db_account_id": 1000, "target_server": TARGETS},
            "script_id",
        ),
        (
            FastExecuteSQLRequest,
            {"bk_biz_id": 2, "script_content": "select 1", "target_server": TARGETS},
            "db_account_id",
        ),
        (ExecuteJobRequest, {"bk_biz_id": 2, "bk_job_id": 0}, "bk_job_id"),
        (
            ExecuteJobRequest,
            {"bk_biz_id": 2, "bk_job_id": 1, "global_vars": [{"value": "x"}]},
            "id",
        ),
        (
            ExecuteJobRequest,
            {
                "bk_biz_id": 2,
                "bk_job_id": 1,
                "global_vars": [{"id": 1, "value": "x", "target_server": TARGETS}],
            },
            "value",
        ),
        (
            OperateJobInstanceRequest,
            {"bk_biz_id": 2, "job_instance_id": 1, "operation_code": 3},
            "operation_code",
        ),
        # bk-job §5.13: 4 (execute) and 5 (skip) are legacy-only and rejected by Server 3.x.
        (
            OperateStepInstanceRequest,
            {"bk_biz_id": 2, "job_instance_id": 1, "step_instance_id": 1, "operation_code": 4},
            "operation_code",
        ),
        (
            OperateStepInstanceRequest,
            {"bk_biz_id": 2, "job_instance_id": 1, "step_instance_id": 1, "operation_code": 5},
            "operation_code",
        ),
        (GetJobInstanceStatusRequest, {"bk_biz_id": 2, "job_instance_id": 0}, "job_instance_id"),
        (GetScriptListRequest, {"bk_biz_id": 2, "script_type": 0}, "script_type"),
        (GetPublicScriptListRequest, {"bk_biz_id": 2}, "bk_biz_id"),
        (
            GetCronListRequest,
            {"bk_biz_id": 2, "create_time_start": date(2025, 1, 1)},
            "create_time_end",
        ),
        (
            GetJobListRequest,
            {
                "bk_biz_id": 2,
                "create_time_start": date(2025, 2, 1),
                "create_time_end": date(2025, 1, 1),
            },
            "create_time_start",
        ),
        (UpdateCronStatusRequest, {"bk_biz_id": 2, "cron_id": 1, "cron_status": 3}, "cron_status"),
        (SaveCronRequest, {"bk_biz_id": 2, "bk_job_id": 1, "cron_name": "n"}, "cron_expression"),
        (SaveCronRequest, {"bk_biz_id": 2, "cron_id": 5}, "cron_expression"),
        (
            SaveCronRequest,
            {"bk_biz_id": 2, "cron_id": 5, "cron_expression": "0 0 12 * * ?"},
            "5 fields",
        ),
        (
            SaveCronRequest,
            {"bk_biz_id": 2, "cron_id": 5, "cron_expression": "0 12 * * ?"},
            "characters",
        ),
        (SaveCronRequest, {"bk_biz_id": 2, "cron_id": 5, "cron_name": "  "}, "blank"),
        (GetJobDetailRequest, {"bk_biz_id": 2, "bk_job_id": 1, "bk_scope_id": "3"}, "bk_scope_id"),
    ],
)
def test_requests_breaking_a_reference_rule_are_rejected(
    model: type[BaseModel], fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(fields)
    assert field in str(caught.value)


def test_a_valid_update_needs_only_one_changed_field() -> None:
    request = SaveCronRequest(bk_biz_id=2, cron_id=5, cron_expression="0/5  *  * * 1-5")
    assert dump_request(request)["cron_expression"] == "0/5 * * * 1-5"


def test_host_variables_and_topology_targets_serialize_as_documented() -> None:
    request = ExecuteJobRequest(
        bk_biz_id=2,
        bk_job_id=1000123,
        global_vars=[
            GlobalVarValue(id=5001, value=""),
            GlobalVarValue(
                name="web_hosts",
                target_server=TargetServer(topo_node_list=[TopoNode(id=1000, node_type="module")]),
            ),
        ],
    )
    assert dump_request(request)["global_vars"] == [
        {"id": 5001, "value": ""},
        {
            "name": "web_hosts",
            "target_server": {"topo_node_list": [{"id": 1000, "node_type": "module"}]},
        },
    ]


# ----------------------------------------------------------------------------- helpers


@pytest.mark.parametrize("status", list(JobStatus))
def test_is_finished_matches_the_final_statuses_of_the_reference(status: JobStatus) -> None:
    final = {3, 4, 5, 6, 8, 9, 11, 13, 14}
    assert is_finished(status) is (status.value in final)
    assert is_finished(int(status)) is (status.value in final)


def test_is_finished_is_false_for_no_status_or_an_unknown_one() -> None:
    assert is_finished(None) is False
    assert is_finished(99) is False


@pytest.mark.parametrize("status", list(HostStatus))
def test_host_outcome_counts_9_and_3_as_success_and_5_and_7_as_running(
    status: HostStatus,
) -> None:
    expected = (
        HostOutcome.SUCCEEDED
        if status in (9, 3)
        else HostOutcome.RUNNING
        if status in (5, 7)
        else HostOutcome.FAILED
    )
    assert host_outcome(status) is expected


def test_host_counts_and_grouping_over_a_mixed_step() -> None:
    statuses: list[HostStatus | int | None] = [9, 3, 5, 7, 7, 104, 1, 403, 999, None]
    assert count_hosts(statuses) == HostCounts(succeeded=2, running=4, failed=4)
    assert count_hosts(statuses).total == 10
    assert count_hosts_by_status(statuses) == {1: 1, 3: 1, 5: 1, 7: 2, 9: 1, 104: 1, 403: 1, 999: 1}
    assert list(count_hosts_by_status(statuses)) == [1, 3, 5, 7, 9, 104, 403, 999]


Op = StepOperation


@pytest.mark.parametrize(
    ("step_type", "status", "expected"),
    [
        (StepType.SCRIPT, JobStatus.FAILED, (Op.RETRY_FAILED, Op.RETRY_ALL, Op.IGNORE_ERROR)),
        (StepType.SQL, JobStatus.FAILED, (Op.RETRY_FAILED, Op.RETRY_ALL, Op.IGNORE_ERROR)),
        (StepType.FILE, JobStatus.ABNORMAL, (Op.RETRY_FAILED, Op.RETRY_ALL)),
        (StepType.SCRIPT, JobStatus.TERMINATED, (Op.RETRY_FAILED, Op.RETRY_ALL, Op.NEXT_STEP)),
        (StepType.SQL, JobStatus.TERMINATED, (Op.RETRY_FAILED, Op.RETRY_ALL)),
        (StepType.FILE, JobStatus.TERMINATING, (Op.FORCE_SKIP,)),
        (StepType.SQL, JobStatus.TERMINATING, ()),
        (StepType.SCRIPT, JobStatus.WAITING_USER, (Op.CONTINUE_ROLLING,)),
        (StepType.SCRIPT, JobStatus.RUNNING, ()),
        (StepType.SCRIPT, JobStatus.SUCCEEDED, ()),
        (StepType.CONFIRM, JobStatus.WAITING_USER, (Op.CONFIRM, Op.REJECT)),
        (StepType.CONFIRM, JobStatus.CONFIRM_TERMINATED, (Op.REISSUE_CONFIRMATION,)),
        (StepType.CONFIRM, JobStatus.FAILED, ()),
        (StepType.CONFIRM, JobStatus.SUCCEEDED, ()),
        (9, JobStatus.FAILED, ()),
        (None, JobStatus.FAILED, ()),
        (StepType.SCRIPT, None, ()),
    ],
)
def test_valid_step_operations_follow_the_precondition_table(
    step_type: StepType | int | None,
    status: JobStatus | None,
    expected: tuple[StepOperation, ...],
) -> None:
    assert valid_step_operations(step_type, status) == expected


def test_no_state_offers_the_legacy_step_codes() -> None:
    offered = {
        op
        for kind in StepType
        for status in JobStatus
        for op in valid_step_operations(kind, status)
    }
    assert {4, 5}.isdisjoint(offered)
    assert offered == set(StepOperation)


@pytest.mark.parametrize(
    ("status", "at_confirmation", "expected"),
    [
        (JobStatus.RUNNING, False, (JobOperation.TERMINATE,)),
        (JobStatus.WAITING_USER, False, (JobOperation.TERMINATE,)),
        # bk-job §10: terminating a job at a confirmation never finishes it.
        (JobStatus.WAITING_USER, True, ()),
        (JobStatus.NOT_STARTED, False, ()),
        (JobStatus.TERMINATING, False, ()),
        (JobStatus.FAILED, False, ()),
        (None, False, ()),
    ],
)
def test_valid_job_operations_never_offer_terminate_at_a_confirmation(
    status: JobStatus | None, at_confirmation: bool, expected: tuple[JobOperation, ...]
) -> None:
    assert valid_job_operations(status, at_confirmation=at_confirmation) == expected


def _status(
    *steps: dict[str, object], current: int | None = None, job: int = 2
) -> JobInstanceStatus:
    return JobInstanceStatus.model_validate(
        {
            "is_finished": False,
            "job_instance": {"status": job, "current_step_instance_id": current},
            "blocks": [{"step_instances": [step]} for step in steps],
        }
    )


def test_the_current_step_is_the_one_the_server_names() -> None:
    status = _status(
        {"step_instance_id": 1, "status": 3},
        {"step_instance_id": 2, "status": 2},
        current=1,
    )
    assert status.current_step is not None
    assert status.current_step.step_instance_id == 1


def test_without_a_server_hint_the_current_step_is_the_active_or_last_started_one() -> None:
    active = _status(
        {"step_instance_id": 1, "status": 3},
        {"step_instance_id": 2, "status": 2},
        {"step_instance_id": 3, "status": 1},
        current=999,
    )
    stopped = _status(
        {"step_instance_id": 1, "status": 3},
        {"step_instance_id": 2, "status": 4},
        {"step_instance_id": 3, "status": 1},
        job=4,
    )
    fresh = _status({"step_instance_id": 1, "status": 1}, {"step_instance_id": 2, "status": 1})
    currents = [s.current_step for s in (active, stopped, fresh)]
    assert [step.step_instance_id for step in currents if step] == [2, 2, 1]
    assert JobInstanceStatus.model_validate({}).current_step is None


def test_a_job_at_a_confirmation_step_names_that_step_and_offers_no_terminate() -> None:
    status = _status(
        {"step_instance_id": 1, "type": 1, "status": 3},
        {"step_instance_id": 2, "type": 3, "status": 7},
        job=7,
    )
    waiting = status.step_waiting_for_confirmation
    assert waiting is not None
    assert waiting.step_instance_id == 2
    assert waiting.valid_operations == (StepOperation.CONFIRM, StepOperation.REJECT)
    assert status.valid_job_operations == ()
    assert status.current_step is waiting
    assert status.host_counts == HostCounts()
    assert status.step(1) is status.steps[0]
    assert status.step(3) is None


def test_a_rolling_step_waiting_is_not_a_confirmation() -> None:
    status = _status({"step_instance_id": 1, "type": 1, "status": 7}, job=7)
    assert status.step_waiting_for_confirmation is None
    assert status.valid_job_operations == (JobOperation.TERMINATE,)


@pytest.mark.parametrize(
    ("category", "value", "shown"),
    [
        (VariableCategory.PASSWORD, "s3cret", PASSWORD_MASK),
        (4, None, PASSWORD_MASK),
        (VariableCategory.HOST_LIST, '{"hostNodeList":{}}', None),
        (VariableCategory.STRING, "1.4.2", "1.4.2"),
        (VariableCategory.INDEXED_ARRAY, "(a b)", "(a b)"),
        (None, "x", "x"),
    ],
)
def test_mask_value_hides_passwords_and_host_json(
    category: VariableCategory | int | None, value: str | None, shown: str | None
) -> None:
    assert mask_value(category, value) == shown
    assert is_password(category) is (category == 4)


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("a &lt;b&gt; &amp;&amp; c", "a <b> && c"),
        ("literal &amp;lt; stays", "literal &lt; stays"),
        ("&quot;kept&quot; &#39;", "&quot;kept&quot; &#39;"),
        ("", ""),
        (None, ""),
    ],
)
def test_unescape_log_undoes_only_the_three_escapes(raw: str | None, text: str) -> None:
    assert unescape_log(raw) == text


def test_script_type_knows_its_file_suffix() -> None:
    assert [t.suffix for t in ScriptType] == [".sh", ".bat", ".pl", ".py", ".ps1", ".sql"]
