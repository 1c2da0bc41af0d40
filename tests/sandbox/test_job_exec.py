"""BK-Job execution: fast script, file push, SQL and plan starts, with their request checks."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Bk, b64, ips

UPTIME = b64("#!/bin/bash\nuptime\ndf -h /\n")


async def _status(bk: Bk, instance: int, biz: int = 2) -> dict[str, Any]:
    data: dict[str, Any] = await bk.job_data(
        "get_job_instance_status", bk_biz_id=biz, job_instance_id=instance
    )
    return data


def _step(status: dict[str, Any], index: int = 0) -> dict[str, Any]:
    step: dict[str, Any] = status["blocks"][index]["step_instances"][0]
    return step


async def _fast(bk: Bk, content: str = UPTIME, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "script_content": content,
        "script_type": 1,
        "account": "root",
        "target_server": ips("10.0.0.11", "10.0.0.12"),
        "task_name": "slack:alice:uptime",
    }
    params.update(extra)
    data: dict[str, Any] = await bk.job_data("fast_execute_script", user="alice", **params)
    return data


async def test_fast_script_runs_through_not_started_running_and_succeeded(bk: Bk) -> None:
    started = await _fast(bk)
    instance = started["job_instance_id"]
    assert instance > 20000200000
    assert started["step_instance_id"] > 20000300000
    assert started["job_instance_name"] == "slack:alice:uptime"
    first = await _status(bk, instance)
    assert first["is_finished"] is False
    assert first["job_instance"]["status"] == 1
    assert first["job_instance"]["bk_job_id"] == -1
    bk.advance(0.6)
    running = await _status(bk, instance)
    assert running["job_instance"]["status"] == 2
    assert _step(running)["status"] == 2
    assert {h["status"] for h in _step(running)["step_ip_status"]} <= {5, 7}
    assert running["job_instance"]["end_time"] is None
    bk.advance(10)
    done = await _status(bk, instance)
    assert done["is_finished"] is True
    assert done["job_instance"]["status"] == 3
    assert [h["status"] for h in _step(done)["step_ip_status"]] == [9, 9]
    assert isinstance(done["job_instance"]["total_time"], float)
    assert done["job_instance"]["operator"] == "alice"


async def test_logs_grow_while_a_host_runs_and_start_with_job_start(bk: Bk) -> None:
    content = b64('echo "step one"\nsleep 6\necho "a < b & c > d"\n')
    instance = (await _fast(bk, content, target_server=ips("10.0.0.11")))["job_instance_id"]
    bk.advance(2)
    early = await bk.job_data("get_job_instance_log", job_instance_id=instance)
    log_early = early[0]["step_results"][0]["ip_logs"][0]["log_content"]
    assert log_early.splitlines()[0].endswith("] job_start")
    assert log_early.startswith("[20")
    assert "[PID:" in log_early
    bk.advance(30)
    late = await bk.job_data("get_job_instance_log", job_instance_id=instance)
    entry = late[0]["step_results"][0]
    assert entry["ip_status"] == 9
    log_late = entry["ip_logs"][0]["log_content"]
    assert len(log_late) > len(log_early)
    assert "a &lt; b &amp; c &gt; d" in log_late
    assert late[0]["is_finished"] is True


async def test_sleep_in_a_script_makes_it_last_that_long(bk: Bk) -> None:
    content = b64("sleep 60\n")
    instance = (await _fast(bk, content))["job_instance_id"]
    bk.advance(50)
    assert (await _status(bk, instance))["job_instance"]["status"] == 2
    bk.advance(20)
    assert (await _status(bk, instance))["job_instance"]["status"] == 3


async def test_exit_code_in_a_script_fails_every_host_with_104(bk: Bk) -> None:
    instance = (await _fast(bk, b64("echo bad\nexit 3\n")))["job_instance_id"]
    bk.advance(10)
    status = await _status(bk, instance)
    assert status["job_instance"]["status"] == 4
    assert {h["status"] for h in _step(status)["step_ip_status"]} == {104}
    logs = await bk.job_data("get_job_instance_log", job_instance_id=instance)
    assert logs[0]["step_results"][0]["ip_logs"][0]["exit_code"] == 3


async def test_agent_abnormal_host_reports_status_1(bk: Bk) -> None:
    instance = (await _fast(bk, target_server=ips("10.0.0.13")))["job_instance_id"]
    bk.advance(5)
    status = await _status(bk, instance)
    assert _step(status)["step_ip_status"][0]["status"] == 1
    assert status["job_instance"]["status"] == 4


async def test_targets_from_dynamic_groups_and_topology_nodes(bk: Bk) -> None:
    server = {
        "dynamic_group_id_list": ["blo8gojho0skft7pr5q0"],
        "topo_node_list": [{"id": 1000, "node_type": "module"}],
        "ip_list": [{"bk_cloud_id": 0, "ip": "10.0.0.10"}],
    }
    instance = (await _fast(bk, target_server=server))["job_instance_id"]
    bk.advance(1)
    hosts = [h["ip"] for h in _step(await _status(bk, instance))["step_ip_status"]]
    assert hosts == ["10.0.0.10", "10.0.0.11", "10.0.0.12"]


async def test_legacy_ip_list_is_used_without_target_server(bk: Bk) -> None:
    legacy = [{"bk_cloud_id": 0, "ip": "10.0.0.10"}]
    instance = await _fast(bk, target_server=None, ip_list=legacy)
    bk.advance(1)
    status = await _status(bk, instance["job_instance_id"])
    assert [h["ip"] for h in _step(status)["step_ip_status"]] == ["10.0.0.10"]


async def test_saved_script_runs_by_version_id_with_its_language(bk: Bk) -> None:
    data = await bk.job_data(
        "fast_execute_script", script_id=6862, account="deploy-user", target_server=ips("10.0.0.11")
    )
    assert data["job_instance_name"].startswith("Script Execution_")
    bk.advance(10)
    assert (await _status(bk, data["job_instance_id"]))["job_instance"]["status"] == 3


async def test_public_script_runs_by_version_id(bk: Bk) -> None:
    data = await bk.job_data(
        "fast_execute_script", script_id=36, account="root", target_server=ips("10.0.0.11")
    )
    assert data["job_instance_id"]


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"script_content": None}, 1241004),
        ({"script_content": "%%%not-base64"}, 1241005),
        ({"script_type": 6}, 1241005),
        ({"script_type": None}, 1241005),
        ({"script_id": 0}, 1241005),
        ({"script_timeout": 0}, 1240003),
        ({"script_timeout": 259201}, 1240003),
        ({"account": None}, 1241004),
        ({"target_server": None}, 1241007),
        ({"target_server": {"ip_list": []}}, 1241007),
        ({"target_server": {"ip_list": [{"ip": "10.0.0.11"}]}}, 1241007),
        ({"script_param": "***"}, 1241005),
        ({"bk_callback_url": "ftp://example.com/hook"}, 1240003),
        ({"account": "deploy"}, 1244003),
        ({"account": "mysql-readonly"}, 1244003),
        ({"target_server": ips("192.0.2.1")}, 1243052),
        ({"target_server": ips("10.0.2.11")}, 1244002),
        ({"target_server": {"dynamic_group_id_list": ["nope"]}}, 1244030),
        ({"script_content": None, "script_id": 7011}, 1244014),
        ({"script_content": None, "script_id": 99999}, 1243047),
        ({"script_content": None, "script_id": 7100}, 1243004),
    ],
)
async def test_fast_execute_script_rejects_bad_requests(
    bk: Bk, change: dict[str, Any], code: int
) -> None:
    params: dict[str, Any] = {
        "script_content": UPTIME,
        "script_type": 1,
        "account": "root",
        "target_server": ips("10.0.0.11"),
    }
    params.update(change)
    params = {k: v for k, v in params.items() if v is not None}
    body = await bk.job("fast_execute_script", **params)
    assert body["code"] == code, body
    assert body["result"] is False
    assert body["data"] is None


async def test_validation_comes_before_the_account_check(bk: Bk) -> None:
    body = await bk.job(
        "fast_execute_script", script_content=UPTIME, script_type=1, account="nobody"
    )
    assert body["code"] == 1241007  # targets missing beats the unknown account


async def test_script_param_newlines_are_accepted_and_flattened(bk: Bk) -> None:
    data = await _fast(bk, script_param=b64("--verbose\n/var/log"))
    assert data["job_instance_id"]


async def test_fast_push_file_reports_target_hosts_with_progress_lines(bk: Bk) -> None:
    data = await bk.job_data(
        "fast_push_file",
        task_name="slack:alice:push-nginx-conf",
        account="root",
        file_target_path="/etc/nginx/conf.d/",
        file_source=[
            {
                "files": ["/data/release/nginx/site.conf"],
                "account": "root",
                "target_server": ips("10.0.0.10"),
            }
        ],
        target_server=ips("10.0.0.11", "10.0.0.12"),
        timeout=1800,
        upload_speed_limit=50,
        download_speed_limit=50,
    )
    assert set(data) == {"job_instance_id", "job_instance_name"}
    bk.advance(10)
    status = await _status(bk, data["job_instance_id"])
    assert status["job_instance"]["status"] == 3
    step = _step(status)
    assert step["type"] == 2
    assert [h["ip"] for h in step["step_ip_status"]] == ["10.0.0.11", "10.0.0.12"]
    logs = await bk.job_data("get_job_instance_log", job_instance_id=data["job_instance_id"])
    text = logs[0]["step_results"][0]["ip_logs"][0]["log_content"]
    assert "Progress: 100%" in text
    assert "10.0.0.10:/data/release/nginx/site.conf" in text


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"file_target_path": "relative/dir"}, 1241007),
        ({"file_source": []}, 1241004),
        ({"file_source": [{"files": [], "account": "root", "ip_list": []}]}, 1241004),
        (
            {
                "file_source": [
                    {"files": ["tmp/a"], "account": "root", "target_server": ips("10.0.0.10")}
                ]
            },
            1241005,
        ),
        ({"timeout": 0}, 1240003),
        (
            {
                "file_source": [
                    {"files": ["/tmp/a"], "account": "ghost", "target_server": ips("10.0.0.10")}
                ]
            },
            1244003,
        ),
    ],
)
async def test_fast_push_file_rejects_bad_requests(
    bk: Bk, change: dict[str, Any], code: int
) -> None:
    params: dict[str, Any] = {
        "account": "root",
        "file_target_path": "/tmp/",
        "file_source": [
            {"files": ["/tmp/a"], "account": "root", "target_server": ips("10.0.0.10")}
        ],
        "target_server": ips("10.0.0.11"),
    }
    params.update(change)
    assert (await bk.job("fast_push_file", **params))["code"] == code


async def test_fast_push_file_accepts_windows_target_paths(bk: Bk) -> None:
    data = await bk.job_data(
        "fast_push_file",
        account="root",
        file_target_path="C:\\deploy\\",
        file_source=[
            {"files": ["/tmp/a"], "account": "root", "ip_list": ips("10.0.0.10")["ip_list"]}
        ],
        target_server=ips("10.0.0.11"),
    )
    assert data["job_instance_name"].startswith("File Transfer_")


async def test_fast_execute_sql_runs_on_the_db_host(bk: Bk) -> None:
    data = await bk.job_data(
        "fast_execute_sql",
        task_name="slack:alice:show-dbs",
        script_content=b64("show databases;"),
        script_timeout=300,
        db_account_id=1000,
        target_server=ips("10.0.1.21"),
    )
    assert set(data) == {"job_instance_id", "job_instance_name"}
    bk.advance(10)
    status = await _status(bk, data["job_instance_id"])
    assert status["job_instance"]["status"] == 3
    assert _step(status)["type"] == 4
    logs = await bk.job_data("get_job_instance_log", job_instance_id=data["job_instance_id"])
    assert "information_schema" in logs[0]["step_results"][0]["ip_logs"][0]["log_content"]


async def test_fast_execute_sql_runs_a_saved_sql_script(bk: Bk) -> None:
    data = await bk.job_data(
        "fast_execute_sql", script_id=7040, db_account_id=1000, target_server=ips("10.0.1.21")
    )
    assert data["job_instance_name"].startswith("SQL Script_")


@pytest.mark.parametrize(
    ("change", "user", "code"),
    [
        ({"script_content": None}, "admin", 1241004),
        ({"db_account_id": None}, "admin", 1241004),
        ({"db_account_id": 3}, "admin", 1244003),
        ({"db_account_id": 1001}, "alice", 1244004),
        ({"script_content": None, "script_id": 6862}, "admin", 1244018),
        ({"script_timeout": -1}, "admin", 1240003),
    ],
)
async def test_fast_execute_sql_rejects_bad_requests(
    bk: Bk, change: dict[str, Any], user: str, code: int
) -> None:
    params: dict[str, Any] = {
        "script_content": b64("select 1;"),
        "db_account_id": 1000,
        "target_server": ips("10.0.1.21"),
    }
    params.update(change)
    params = {k: v for k, v in params.items() if v is not None}
    assert (await bk.job("fast_execute_sql", user=user, **params))["code"] == code


async def test_execute_job_starts_a_plan_named_after_it(bk: Bk) -> None:
    data = await bk.job_data(
        "execute_job",
        bk_job_id=1000124,
        global_vars=[{"id": 5101, "value": "2026.09.1"}, {"name": "db_password", "value": "x"}],
    )
    assert data["job_instance_name"] == "db-migrate"
    bk.advance(30)
    status = await _status(bk, data["job_instance_id"])
    assert status["job_instance"]["status"] == 3
    assert status["job_instance"]["bk_job_id"] == 1000124
    assert [_step(status, i)["type"] for i in range(2)] == [1, 4]
    assert [_step(status, i)["step_id"] for i in range(2)] == [2000511, 2000512]


async def test_execute_job_accepts_host_variables(bk: Bk) -> None:
    data = await bk.job_data(
        "execute_job",
        bk_job_id=1000123,
        global_vars=[
            {"id": 5001, "value": "1.4.3"},
            {"name": "web_hosts", "target_server": ips("10.0.0.11", "10.0.0.12")},
        ],
    )
    assert data["job_instance_name"] == "deploy-web (prod)"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, 1241005),
        ({"bk_job_id": 0}, 1241005),
        ({"bk_job_id": 4242}, 1244012),
        ({"bk_job_id": 1000200}, 1244012),
        ({"bk_job_id": 1000123, "global_vars": [{"value": "x"}]}, 1241005),
        ({"bk_job_id": 1000123, "global_vars": "nope"}, 1241005),
        (
            {
                "bk_job_id": 1000123,
                "global_vars": [{"name": "web_hosts", "target_server": ips("10.9.9.9")}],
            },
            1243052,
        ),
    ],
)
async def test_execute_job_rejects_bad_requests(bk: Bk, params: dict[str, Any], code: int) -> None:
    assert (await bk.job("execute_job", **params))["code"] == code


async def test_plan_without_human_gate_finishes_within_half_a_minute(bk: Bk) -> None:
    data = await bk.job_data("execute_job", bk_job_id=1000124)
    bk.advance(30)
    assert (await _status(bk, data["job_instance_id"]))["is_finished"] is True


async def test_status_and_log_of_unknown_or_foreign_instances_answer_1244006(bk: Bk) -> None:
    for op in ("get_job_instance_status", "get_job_instance_log"):
        assert (await bk.job(op, job_instance_id=42))["code"] == 1244006
        foreign = await bk.job(op, bk_biz_id=3, job_instance_id=20000123456)
        assert foreign["code"] == 1244006
        assert (await bk.job(op, job_instance_id=0))["code"] == 1241007


async def test_seeded_log_example_is_escaped_and_grouped_by_host_status(bk: Bk) -> None:
    data = await bk.job_data("get_job_instance_log", job_instance_id=20000123456)
    groups = data[0]["step_results"]
    assert [g["ip_status"] for g in groups] == [9, 104]
    failed = groups[1]["ip_logs"][0]
    assert failed["log_content"] == (
        "[2025-03-14 15:30:12][PID:40211] job_start\ncheck failed: disk usage of / &gt; 90%\n"
    )
    assert failed["total_time"] == 3.169
    assert groups[0]["ip_logs"][0]["end_time"] == "2025-03-14 15:30:13"


async def test_seeded_push_and_sql_instances_are_finished(bk: Bk) -> None:
    push = await _status(bk, 20000123460)
    sql = await _status(bk, 20000123470)
    assert push["job_instance"]["status"] == 3
    assert _step(push)["type"] == 2
    assert sql["job_instance"]["status"] == 3
    assert _step(sql)["type"] == 4
