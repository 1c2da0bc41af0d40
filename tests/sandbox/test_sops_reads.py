"""BK-SOPS reads: templates, the seeded task 1087, node details, periodic tasks and counts."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Bk

PAUSE = "nbc131c04c41b4806baaca3f97fb465d"
WAIT = "n322a3a2faab54d6cacb40a8a2da97ea"


async def test_get_template_list_matches_the_reference_rows(bk: Bk) -> None:
    rows = await bk.sops_data(
        "get_template_list", 2, query={"name_keyword": "NGINX", "template_source": "business"}
    )
    assert [r["id"] for r in rows] == [42, 57]
    first = rows[0]
    assert {
        k: first[k]
        for k in (
            "name",
            "category",
            "creator",
            "create_time",
            "editor",
            "edit_time",
            "project_id",
            "project_name",
            "bk_biz_id",
        )
    } == {
        "name": "Restart nginx (with approval)",
        "category": "OpsTools",
        "creator": "alice",
        "create_time": "2026-07-01 09:12:44 +0800",
        "editor": "bob",
        "edit_time": "2026-08-18 17:40:02 +0800",
        "project_id": 3,
        "project_name": "Web Platform",
        "bk_biz_id": 2,
    }
    assert "flow_create_task" in first["auth_actions"]
    assert rows[1]["editor"] is None


async def test_get_template_list_filters_by_id_and_lists_common_templates(bk: Bk) -> None:
    rows = await bk.sops_data("get_template_list", 2, query={"id_in": "42,51,9999"})
    assert [r["id"] for r in rows] == [42, 51]
    common = await bk.sops_data("get_template_list", 2, query={"template_source": "common"})
    assert [r["id"] for r in common] == [1001]
    every = await bk.sops_data("get_template_list", 2)
    assert {58, 59, 60} <= {r["id"] for r in every}


async def test_get_template_list_adds_optional_fields_on_request(bk: Bk) -> None:
    rows = await bk.sops_data(
        "get_template_list",
        2,
        query={"include_executor_proxy": "true", "include_notify": "1", "include_labels": "true"},
    )
    assert {"executor_proxy", "notify_type", "notify_receivers", "labels"} <= set(rows[0])


async def test_get_template_list_in_another_timezone(bk: Bk) -> None:
    rows = await bk.sops_data("get_template_list", 2, query={"expected_timezone": "UTC"})
    assert rows[0]["create_time"] == "2026-07-01 01:12:44 +0000"


async def test_get_template_list_rejects_bad_inputs(bk: Bk) -> None:
    assert (await bk.sops("get_template_list", 2, query={"expected_timezone": "Mars/Olympus"}))[
        "code"
    ] == 3546100
    assert (await bk.sops("get_template_list", 2, query={"id_in": "4x"}))["code"] == 3540000
    missing = await bk.sops("get_template_list", 77)
    assert missing["code"] == 3540400
    assert "trace_id" not in missing


async def test_projects_can_be_addressed_by_project_id(bk: Bk) -> None:
    rows = await bk.sops_data("get_template_list", 4, query={"scope": "project"})
    assert [r["id"] for r in rows] == [70]
    assert rows[0]["create_time"].endswith("+0000")


async def test_get_template_info_returns_the_reference_tree(bk: Bk) -> None:
    data = await bk.sops_data("get_template_info", 42, 2, query={"include_constants": "true"})
    tree = data["pipeline_tree"]
    assert tree["start_event"]["id"] == "nodefd236c48a9a840d6b3af8ed6c441"
    assert list(tree["activities"]) == [
        "nodecfc5725adaa2485a86a44f9b2df3",
        "node30640179c8be4a2d9ff5210aeb6f",
        "node5eab2e72ed8b4c29bded4a12333d",
    ]
    codes = [a["component"]["code"] for a in tree["activities"].values()]
    assert codes == ["job_fast_execute_script", "pause_node", "sleep_timer"]
    assert tree["constants"]["${ip_list}"]["schema"]["description"] == "IP list"
    assert tree["outputs"] == ["${job_inst_id}"]
    assert "line" not in tree
    assert data["template_constants"] == [
        {
            "name": "Target IPs",
            "key": "${ip_list}",
            "show_type": "show",
            "constant_type": "节点输入",
            "activity_count": 1,
        },
        {
            "name": "Script",
            "key": "${script_content}",
            "show_type": "show",
            "constant_type": "文本框",
            "activity_count": 1,
        },
        {
            "name": "Warm-up seconds",
            "key": "${wait_seconds}",
            "show_type": "show",
            "constant_type": "节点输入",
            "activity_count": 1,
        },
    ]


async def test_templates_offer_hidden_and_password_constants(bk: Bk) -> None:
    approval = await bk.sops_data("get_template_info", 58, 2)
    constants = approval["pipeline_tree"]["constants"]
    assert constants["${db_password}"]["custom_type"] == "password"
    codes = [a["component"]["code"] for a in approval["pipeline_tree"]["activities"].values()]
    assert "bk_approve" in codes
    parallel = await bk.sops_data("get_template_info", 60, 2)
    assert parallel["pipeline_tree"]["constants"]["${deploy_user}"]["show_type"] == "hide"
    kinds = sorted(g["type"] for g in parallel["pipeline_tree"]["gateways"].values())
    assert kinds == ["ConvergeGateway", "ExclusiveGateway", "ParallelGateway"]


async def test_get_template_info_serves_common_templates_and_yaml(bk: Bk) -> None:
    common = await bk.sops_data("get_template_info", 1001, 2, query={"template_source": "common"})
    assert common["name"] == "[Common] host health check"
    as_yaml = await bk.sops_data("get_template_info", 42, 2, query={"format": "yaml"})
    assert isinstance(as_yaml["pipeline_tree"], str)
    assert "pause_node" in as_yaml["pipeline_tree"]


async def test_get_template_info_answers_3540400_for_missing_templates(bk: Bk) -> None:
    body = await bk.sops("get_template_info", 1001, 2)  # a common id, asked as a project one
    assert body["code"] == 3540400
    assert "template[id=1001]" in body["message"]
    assert (await bk.sops("get_template_info", 70, 2))["code"] == 3540400


async def test_get_task_status_of_1087_matches_the_reference_example(bk: Bk) -> None:
    data = await bk.sops_data("get_task_status", 1087, 2)
    assert data["id"] == "n6b6fb00b2271429684afe8fcbfd0002"
    assert data["state"] == "RUNNING"
    assert data["root_id:"] == data["id"]
    assert data["start_time"] == "2026-08-20 10:00:05 +0800"
    assert data["elapsed_time"] == 130
    assert list(data["children"]) == [
        "n36700260743945f4823816bdf629795",
        "neb693d84fdcb4969a2dd8121ba0fd33",
        PAUSE,
    ]
    pause = data["children"][PAUSE]
    assert pause["version"] == "vb1bf117ec7f244a3b9a7f98ac1f516bd"
    assert pause["state"] == "RUNNING"
    assert pause["elapsed_time"] == 100
    assert data["children"]["neb693d84fdcb4969a2dd8121ba0fd33"]["finish_time"] == (
        "2026-08-20 10:00:35 +0800"
    )
    assert data["name"] == "nginx restart 2026-08-20 (slack:alice)"


async def test_get_task_status_of_an_unknown_task_answers_3540400(bk: Bk) -> None:
    body = await bk.sops("get_task_status", 999, 2)
    assert body["code"] == 3540400
    assert (await bk.sops("get_task_status", 1090, 2))["code"] == 3540400  # project 4's task


async def test_get_task_detail_describes_1087(bk: Bk) -> None:
    data = await bk.sops_data("get_task_detail", 1087, 2)
    assert data["template_id"] == 42
    assert data["create_time"] == "2026-08-20 10:00:00 +0800"
    assert data["create_method"] == "api"
    assert data["executor"] == "alice"
    assert data["finish_time"] == ""
    assert data["outputs"] == []
    assert data["task_url"] == "https://bk-sops.sandbox.local/taskflow/execute/3/?instance_id=1087"
    assert data["constants"]["${ip_list}"]["value"] == "10.0.0.11,10.0.0.12"
    assert data["pipeline_tree"]["id"] == "n6b6fb00b2271429684afe8fcbfd0002"
    assert data["pipeline_tree"]["activities"][PAUSE]["template_node_id"] == (
        "node30640179c8be4a2d9ff5210aeb6f"
    )


async def test_get_task_detail_of_a_deleted_task_answers_3540400(bk: Bk) -> None:
    bk.sandbox.world.delete_task(1087)
    assert (await bk.sops("get_task_detail", 1087, 2))["code"] == 3540400


async def test_get_task_node_detail_of_the_waiting_pause_node(bk: Bk) -> None:
    data = await bk.sops_data(
        "get_task_node_detail", 1087, 2, query={"node_id": PAUSE, "component_code": "pause_node"}
    )
    assert data["state"] == "RUNNING"
    assert data["version"] == "vb1bf117ec7f244a3b9a7f98ac1f516bd"
    assert data["inputs"]["description"] == "Approve restart of nginx on 10.0.0.11,10.0.0.12"
    assert data["outputs"][0] == {
        "name": "API回调数据",
        "key": "callback_data",
        "value": "",
        "preset": True,
    }
    assert [o["key"] for o in data["outputs"]] == [
        "callback_data",
        "_result",
        "_loop",
        "_inner_loop",
    ]
    assert data["histories"] == []
    assert data["history_id"] == -1


async def test_get_task_node_detail_of_a_node_not_reached_is_ready(bk: Bk) -> None:
    data = await bk.sops_data("get_task_node_detail", 1087, 2, query={"node_id": WAIT})
    assert data == {
        "name": "Warm-up wait",
        "error_ignorable": False,
        "state": "READY",
        "inputs": {"bk_timing": "30", "force_check": True},
        "outputs": [],
        "ex_data": "",
    }


async def test_get_task_node_detail_without_component_code_lists_bare_outputs(bk: Bk) -> None:
    data = await bk.sops_data(
        "get_task_node_detail", 1087, 2, query={"node_id": "neb693d84fdcb4969a2dd8121ba0fd33"}
    )
    assert all(o["preset"] is False and "name" not in o for o in data["outputs"])
    assert {"key": "job_inst_id", "value": 20260820100005, "preset": False} in data["outputs"]


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({}, 3540000),
        ({"node_id": "nope"}, 3540000),
        ({"node_id": PAUSE, "subprocess_stack": "[oops"}, 3599999),
    ],
)
async def test_get_task_node_detail_rejects_bad_nodes(
    bk: Bk, query: dict[str, Any], code: int
) -> None:
    assert (await bk.sops("get_task_node_detail", 1087, 2, query=query))["code"] == code


async def test_get_periodic_task_list_matches_the_reference_example(bk: Bk) -> None:
    rows = await bk.sops_data("get_periodic_task_list", 2)
    assert [r["id"] for r in rows] == [7, 5]
    assert {k: v for k, v in rows[0].items() if k != "auth_actions"} == {
        "id": 7,
        "name": "nightly nginx restart",
        "template_id": "42",
        "template_source": "project",
        "creator": "alice",
        "cron": "0 2 * * * (m/h/d/dM/MY) Asia/Shanghai",
        "enabled": True,
        "last_run_at": "2026-08-20 02:00:00 +0800",
        "total_run_count": 19,
    }
    assert rows[1]["cron"] == "30 3 0 * * (m/h/d/dM/MY) Asia/Shanghai"
    assert rows[1]["enabled"] is False
    assert rows[1]["last_run_at"] == ""
    assert rows[0]["auth_actions"] == [
        "periodic_task_view",
        "periodic_task_delete",
        "periodic_task_edit",
    ]


async def test_get_periodic_task_list_adds_edit_info(bk: Bk) -> None:
    rows = await bk.sops_data("get_periodic_task_list", 2, query={"include_edit_info": "1"})
    assert {"editor", "edit_time", "is_latest"} <= set(rows[0])
    assert (await bk.sops("get_periodic_task_list", 9))["code"] == 3540400


async def test_get_periodic_task_info_matches_the_reference_example(bk: Bk) -> None:
    data = await bk.sops_data("get_periodic_task_info", 7, 2)
    assert list(data["form"]) == ["${ip_list}", "${script_content}", "${wait_seconds}"]
    assert data["form"]["${wait_seconds}"]["value"] == "60"
    tree = data["pipeline_tree"]
    assert list(tree["activities"]) == [
        "naea83e9a5fda408dbd9cf0051c43b3a",
        "n29083dbc7b7d427c9e4f85ace307e76",
        "n373d29af87f147edb4e7f16a36d3f15",
    ]
    assert tree["start_event"]["id"] == "n57fb5209596b4572935ba8bb7efa86b"
    assert "auth_actions" not in data
    assert (await bk.sops("get_periodic_task_info", 99, 2))["code"] == 3540400


async def test_query_task_count_groups_by_status_with_revoked_as_executing(bk: Bk) -> None:
    body = await bk.esb_sops("query_task_count", group_by="status")
    groups = {g["code"]: g["value"] for g in body["data"]["groups"]}
    # 1050/1061 finished; 1072 failed, 1080 revoked, 1087 running; 1085 never started.
    assert groups == {"CREATED": 1, "EXECUTING": 3, "FINISHED": 2}
    assert body["data"]["total"] == 6
    names = [g["name"] for g in body["data"]["groups"]]
    assert names == ["未执行", "执行中", "已完成"]


async def test_query_task_count_filters_by_conditions(bk: Bk) -> None:
    body = await bk.esb_sops(
        "query_task_count",
        group_by="status",
        conditions={
            "template_id": "42",
            "create_time__gte": "2026-08-20 00:00:00",
            "create_time__lte": "2026-08-31 23:59:59",
            "creator": "",
        },
    )
    assert body["data"]["total"] == 2  # 1061 and 1087


async def test_query_task_count_quirks_for_other_groupings(bk: Bk) -> None:
    by_category = await bk.esb_sops("query_task_count", group_by="category")
    assert by_category["data"]["total"] == 1  # bk-sops §3.10 quirk
    assert all(g["value"] > 0 for g in by_category["data"]["groups"])
    by_flow = await bk.esb_sops("query_task_count", group_by="flow_type")
    assert [g["code"] for g in by_flow["data"]["groups"]] == ["common", "common_func"]
    by_method = await bk.esb_sops("query_task_count", group_by="create_method")
    methods = {g["code"]: g["value"] for g in by_method["data"]["groups"]}
    assert set(methods) == {"app", "api", "app_maker", "periodic", "clocked", "mobile", "mcp"}
    assert methods["periodic"] == 1


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"group_by": "owner"}, 3540000),
        ({}, 3540000),
        ({"group_by": "status", "conditions": "x"}, 3540000),
        ({"group_by": "status", "conditions": {"colour": "red"}}, 3599999),
    ],
)
async def test_query_task_count_rejects_bad_requests(
    bk: Bk, params: dict[str, Any], code: int
) -> None:
    assert (await bk.esb_sops("query_task_count", **params))["code"] == code


async def test_sops_esb_get_reads_ids_from_the_query_string(bk: Bk) -> None:
    body = await bk.esb_sops("get_task_status", method="GET", task_id="1087")
    assert body["data"]["state"] == "RUNNING"
    info = await bk.esb_sops(
        "get_template_info", method="GET", template_id="42", include_constants="true"
    )
    assert len(info["data"]["template_constants"]) == 3
