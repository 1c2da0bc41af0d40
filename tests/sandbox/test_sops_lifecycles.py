"""BK-SOPS task lifecycles: create/start, callbacks, approvals, failures, operate, caches."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from .conftest import Bk

PAUSE_1087 = "nbc131c04c41b4806baaca3f97fb465d"
VERSION_1087 = "vb1bf117ec7f244a3b9a7f98ac1f516bd"
_FRESH = itertools.count()


async def _create(bk: Bk, template: int, **body: Any) -> dict[str, Any]:
    body.setdefault("name", f"sandbox test of {template}")
    data: dict[str, Any] = await bk.sops_data("create_task", template, 2, body=body)
    return data


async def _status(bk: Bk, task: int) -> dict[str, Any]:
    # A fresh query string per read sidesteps the 10 s status cache (bk-sops §1.7).
    data: dict[str, Any] = await bk.sops_data(
        "get_task_status", task, 2, query={"_": str(next(_FRESH))}
    )
    return data


def _node_by_code(tree: dict[str, Any], code: str) -> str:
    return next(n for n, a in tree["activities"].items() if a["component"]["code"] == code)


async def _run_to(bk: Bk, template: int, code: str, **body: Any) -> tuple[int, str, dict[str, Any]]:
    created = await _create(bk, template, **body)
    task = created["task_id"]
    node = _node_by_code(created["pipeline_tree"], code)
    await bk.sops_data("start_task", task, 2, body={})
    bk.advance(30)
    return task, node, created["pipeline_tree"]


async def test_create_task_returns_a_fresh_tree_and_a_created_task(bk: Bk) -> None:
    created = await _create(bk, 42, constants={"${wait_seconds}": "5", "${unknown}": "x"})
    assert created["task_id"] > 2000
    assert created["task_url"].endswith(f"/taskflow/execute/3/?instance_id={created['task_id']}")
    tree = created["pipeline_tree"]
    assert tree["id"].startswith("n")
    assert len(tree["id"]) == 32
    assert all(len(n) == 32 and n.startswith("n") for n in tree["activities"])
    assert all(len(f) == 32 and f.startswith("l") for f in tree["flows"])
    assert {a["template_node_id"] for a in tree["activities"].values()} == {
        "nodecfc5725adaa2485a86a44f9b2df3",
        "node30640179c8be4a2d9ff5210aeb6f",
        "node5eab2e72ed8b4c29bded4a12333d",
    }
    assert tree["constants"]["${wait_seconds}"]["value"] == "5"
    assert "${unknown}" not in tree["constants"]
    assert "schema" not in tree["constants"]["${ip_list}"]
    status = await bk.sops_data("get_task_status", created["task_id"], 2)
    # bk-sops §2.4 quirk: synthetic root without id or version, and an integer skip.
    assert status == {
        "start_time": None,
        "state": "CREATED",
        "retry": 0,
        "skip": 0,
        "finish_time": None,
        "elapsed_time": 0,
        "children": {},
        "name": "sandbox test of 42",
    }


async def test_start_queues_then_runs_along_the_flows(bk: Bk) -> None:
    created = await _create(bk, 42, constants={"${wait_seconds}": "5"})
    task = created["task_id"]
    started = await bk.sops("start_task", task, 2, body={})
    assert started["task_url"] == created["task_url"]
    assert started["data"] == {"task_url": created["task_url"]}
    bk.advance(0.5)
    assert (await _status(bk, task))["state"] == "CREATED"
    bk.advance(1)
    running = await _status(bk, task)
    assert running["state"] == "RUNNING"
    assert len(running["children"]) == 2  # start event + the script node
    bk.advance(20)
    waiting = await _status(bk, task)
    pause = _node_by_code(created["pipeline_tree"], "pause_node")
    assert waiting["children"][pause]["state"] == "RUNNING"
    again = await bk.sops("start_task", task, 2, body={})
    assert again["code"] == 3545000
    assert again["message"] == "task already started"


async def test_pause_node_callback_with_version_continues_to_the_end(bk: Bk) -> None:
    task, pause, _ = await _run_to(bk, 42, "pause_node", constants={"${wait_seconds}": "5"})
    version = (await _status(bk, task))["children"][pause]["version"]
    answer = await bk.sops(
        "node_callback",
        task,
        2,
        body={"node_id": pause, "callback_data": {"ok": 1}, "version": version},
    )
    assert answer == {
        "result": True,
        "code": 0,
        "message": "success",
        "trace_id": answer["trace_id"],
    }
    bk.advance(10)
    done = await _status(bk, task)
    assert done["state"] == "FINISHED"
    assert done["finish_time"] is not None
    detail = await bk.sops_data("get_task_detail", task, 2)
    assert detail["outputs"][0]["key"] == "${job_inst_id}"
    assert isinstance(detail["outputs"][0]["value"], int)
    node = await bk.sops_data(
        "get_task_node_detail", task, 2, query={"node_id": pause, "component_code": "pause_node"}
    )
    assert node["state"] == "FINISHED"
    assert node["outputs"][0]["value"] == {"ok": 1}


async def test_the_reference_callback_example_answers_task_1087(bk: Bk) -> None:
    body = {
        "node_id": PAUSE_1087,
        "callback_data": {"decision": "approve", "approved_by": "alice", "channel": "#ops"},
        "version": VERSION_1087,
        "scope": "cmdb_biz",
    }
    assert (await bk.sops("node_callback", 1087, 2, body=body))["result"] is True
    bk.advance(1)
    status = await _status(bk, 1087)
    assert status["children"][PAUSE_1087]["state"] == "FINISHED"
    assert status["children"]["n322a3a2faab54d6cacb40a8a2da97ea"]["state"] == "RUNNING"
    bk.advance(31)
    assert (await _status(bk, 1087))["state"] == "FINISHED"


async def test_callback_without_version_uses_the_current_execution(bk: Bk) -> None:
    body = {"node_id": PAUSE_1087}
    assert (await bk.sops("node_callback", 1087, 2, body=body))["result"] is True


async def test_callback_with_a_stale_version_is_refused(bk: Bk) -> None:
    body = {"node_id": PAUSE_1087, "version": "v" + "0" * 32}
    answer = await bk.sops("node_callback", 1087, 2, body=body)
    assert answer["code"] == 3599999
    assert "version" in answer["message"]
    assert "data" not in answer


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, 3540000),
        ({"node_id": "n" + "1" * 31}, 3540000),
        ({"node_id": "n322a3a2faab54d6cacb40a8a2da97ea"}, 3599999),  # not reached yet
        ({"node_id": "neb693d84fdcb4969a2dd8121ba0fd33"}, 3599999),  # a finished script node
        ({"node_id": PAUSE_1087, "callback_data": "yes"}, 3540000),
    ],
)
async def test_node_callback_rejects_nodes_that_are_not_waiting(
    bk: Bk, body: dict[str, Any], code: int
) -> None:
    assert (await bk.sops("node_callback", 1087, 2, body=body))["code"] == code


async def test_approved_bk_approve_node_finishes(bk: Bk) -> None:
    task, node, _ = await _run_to(bk, 58, "bk_approve")
    waiting = await bk.sops_data(
        "get_task_node_detail", task, 2, query={"node_id": node, "component_code": "bk_approve"}
    )
    assert waiting["state"] == "RUNNING"
    assert waiting["outputs"][0]["key"] == "sn"
    assert waiting["outputs"][0]["value"].startswith("REQ")
    body = {"node_id": node, "callback_data": {"approve_result": True}}
    assert (await bk.sops("node_callback", task, 2, body=body))["result"] is True
    bk.advance(30)
    assert (await _status(bk, task))["state"] == "FINISHED"


async def test_rejected_bk_approve_node_fails_the_task(bk: Bk) -> None:
    task, node, _ = await _run_to(bk, 58, "bk_approve")
    body = {"node_id": node, "callback_data": {"approve_result": False}}
    assert (await bk.sops("node_callback", task, 2, body=body))["result"] is True
    status = await bk.sops_data("get_task_status", task, 2, query={"with_ex_data": "1"})
    assert status["state"] == "FAILED"
    assert status["children"][node]["state"] == "FAILED"
    assert "rejected" in status["ex_data"][node]


async def test_failing_template_reports_failed_with_ex_data(bk: Bk) -> None:
    task, node, _ = await _run_to(bk, 59, "job_fast_execute_script")
    plain = await bk.sops_data("get_task_status", task, 2)
    assert plain["state"] == "FAILED"
    assert "ex_data" not in plain
    assert plain["finish_time"] is None  # bk-sops §4.3: FAILED is not terminal
    # bk-sops §1.5: with_ex_data is on whenever present, even "false".
    detailed = await bk.sops_data(
        "get_task_status", task, 2, query={"with_ex_data": "false", "with_failed_node_info": "1"}
    )
    assert detailed["ex_data"] == {
        node: "JOB execution failed: 2 host(s) returned non-zero exit code"
    }
    assert node in detailed["failed_node_info"]
    node_detail = await bk.sops_data("get_task_node_detail", task, 2, query={"node_id": node})
    assert node_detail["state"] == "FAILED"
    assert node_detail["ex_data"].startswith("JOB execution failed")


async def test_parallel_branches_both_run_and_the_exclusive_branch_follows_constants(
    bk: Bk,
) -> None:
    created = await _create(bk, 60, constants={"${notify}": "no"})
    task = created["task_id"]
    await bk.sops_data("start_task", task, 2, body={})
    bk.advance(60)
    status = await _status(bk, task)
    assert status["state"] == "FINISHED"
    names = {c["name"] for c in status["children"].values()}
    assert {"Deploy web-nginx-01", "Deploy web-nginx-02"} <= names
    assert "Notify ops" not in names
    loud = await _create(bk, 60)
    await bk.sops_data("start_task", loud["task_id"], 2, body={})
    bk.advance(60)
    names = {c["name"] for c in (await _status(bk, loud["task_id"]))["children"].values()}
    assert "Notify ops" in names


async def test_pause_lets_running_nodes_finish_and_resume_continues(bk: Bk) -> None:
    created = await _create(bk, 57)
    task = created["task_id"]
    await bk.sops_data("start_task", task, 2, body={})
    bk.advance(2)
    paused = await bk.sops("operate_task", task, 2, body={"action": "pause"})
    assert paused == {
        "result": True,
        "code": 0,
        "message": "success",
        "trace_id": paused["trace_id"],
    }
    bk.advance(60)
    status = await _status(bk, task)
    assert status["state"] == "SUSPENDED"
    script = _node_by_code(created["pipeline_tree"], "job_fast_execute_script")
    assert status["children"][script]["state"] == "FINISHED"
    end = created["pipeline_tree"]["end_event"]["id"]
    assert end not in status["children"]
    assert (await bk.sops("operate_task", task, 2, body={"action": "pause"}))["code"] == 3599999
    assert (await bk.sops("operate_task", task, 2, body={"action": "resume"}))["result"] is True
    assert (await _status(bk, task))["state"] == "FINISHED"


async def test_callback_while_paused_is_accepted_and_waits_for_resume(bk: Bk) -> None:
    assert (await bk.sops("operate_task", 1087, 2, body={"action": "pause"}))["result"] is True
    body = {"node_id": PAUSE_1087, "version": VERSION_1087}
    assert (await bk.sops("node_callback", 1087, 2, body=body))["result"] is True
    status = await _status(bk, 1087)
    assert status["state"] == "SUSPENDED"
    assert "n322a3a2faab54d6cacb40a8a2da97ea" not in status["children"]
    await bk.sops("operate_task", 1087, 2, body={"action": "resume"})
    assert "n322a3a2faab54d6cacb40a8a2da97ea" in (await _status(bk, 1087))["children"]


async def test_revoke_is_final_and_later_operations_and_callbacks_fail(bk: Bk) -> None:
    assert (await bk.sops("operate_task", 1087, 2, body={"action": "revoke"}))["result"] is True
    status = await _status(bk, 1087)
    assert status["state"] == "REVOKED"
    assert status["finish_time"] is not None
    for action in ("pause", "resume", "revoke"):
        assert (await bk.sops("operate_task", 1087, 2, body={"action": action}))["code"] == 3599999
    callback = await bk.sops("node_callback", 1087, 2, body={"node_id": PAUSE_1087})
    assert callback["code"] == 3599999
    bk.advance(120)
    assert (await _status(bk, 1087))["state"] == "REVOKED"


@pytest.mark.parametrize(
    ("task", "action", "code", "message"),
    [
        (1087, "stop", 3545000, "task command is invalid"),
        (1085, "pause", 3545000, "task not started"),
        (1087, "start", 3545000, "task already started"),
        (1050, "revoke", 3599999, "FINISHED"),
        (9999, "pause", 3540400, ""),
    ],
)
async def test_operate_task_refusals(
    bk: Bk, task: int, action: str, code: int, message: str
) -> None:
    body = await bk.sops("operate_task", task, 2, body={"action": action})
    assert body["code"] == code
    assert message in body["message"]
    assert body["result"] is False


async def test_operate_task_start_works_like_start_task(bk: Bk) -> None:
    assert (await bk.sops("operate_task", 1085, 2, body={"action": "start"}))["result"] is True
    bk.advance(2)
    assert (await _status(bk, 1085))["state"] == "RUNNING"


async def test_get_task_status_is_cached_for_ten_seconds_unless_created(bk: Bk) -> None:
    created = await _create(bk, 57)
    task = created["task_id"]
    assert (await bk.sops_data("get_task_status", task, 2))["state"] == "CREATED"
    await bk.sops_data("start_task", task, 2, body={})
    bk.advance(1.5)
    first = await bk.sops_data("get_task_status", task, 2)
    assert first["state"] == "RUNNING"  # CREATED answers were not cached
    bk.advance(8)
    assert await bk.sops_data("get_task_status", task, 2) == first  # cached, still RUNNING
    other_user = await bk.sops_data("get_task_status", task, 2, user="alice")
    assert other_user["state"] == "FINISHED"
    bk.advance(3)
    assert (await bk.sops_data("get_task_status", task, 2))["state"] == "FINISHED"


async def test_get_task_detail_is_cached_for_sixty_seconds(bk: Bk) -> None:
    created = await _create(bk, 57)
    task = created["task_id"]
    assert (await bk.sops_data("get_task_detail", task, 2))["executor"] == ""
    await bk.sops_data("start_task", task, 2, body={})
    bk.advance(30)
    assert (await bk.sops_data("get_task_detail", task, 2))["executor"] == ""
    bk.advance(31)
    detail = await bk.sops_data("get_task_detail", task, 2)
    assert detail["executor"] == "admin"
    assert detail["finish_time"] != ""


async def test_expired_task_status_has_only_state_and_name(bk: Bk) -> None:
    assert bk.sandbox.world.expire_task(1087)
    data = await bk.sops_data("get_task_status", 1087, 2)
    assert data == {"state": "EXPIRED", "name": "nginx restart 2026-08-20 (slack:alice)"}


async def test_excluded_optional_nodes_are_dropped_and_flows_reconnected(bk: Bk) -> None:
    created = await _create(
        bk,
        42,
        exclude_task_nodes_id=["node30640179c8be4a2d9ff5210aeb6f"],
        constants={"${wait_seconds}": "1"},
    )
    codes = [a["component"]["code"] for a in created["pipeline_tree"]["activities"].values()]
    assert codes == ["job_fast_execute_script", "sleep_timer"]
    await bk.sops_data("start_task", created["task_id"], 2, body={})
    bk.advance(30)
    assert (await _status(bk, created["task_id"]))["state"] == "FINISHED"


async def test_execute_task_nodes_id_keeps_only_the_listed_nodes(bk: Bk) -> None:
    created = await _create(
        bk,
        42,
        execute_task_nodes_id=[
            "nodecfc5725adaa2485a86a44f9b2df3",
            "node5eab2e72ed8b4c29bded4a12333d",
        ],
    )
    codes = [a["component"]["code"] for a in created["pipeline_tree"]["activities"].values()]
    assert codes == ["job_fast_execute_script", "sleep_timer"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": ""}, 3540000),
        ({"name": "x" * 101}, 3540000),
        ({"name": "ok", "flow_type": "weird"}, 3540000),
        ({"name": "ok", "constants": ["x"]}, 3540000),
        ({"name": "ok", "callback_url": "ftp://hook"}, 3540000),
        ({"name": "ok", "exclude_task_nodes_id": "node1"}, 3540000),
        ({"name": "ok", "exclude_task_nodes_id": ["nodecfc5725adaa2485a86a44f9b2df3"]}, 3599999),
        ({"name": "ok", "exclude_task_nodes_id": ["nodeffffffffffffffffffffffffffff"]}, 3599999),
        (
            {
                "name": "ok",
                "template_schemes_id": 3,
                "exclude_task_nodes_id": ["node30640179c8be4a2d9ff5210aeb6f"],
            },
            3540000,
        ),
    ],
)
async def test_create_task_rejects_bad_requests(bk: Bk, body: dict[str, Any], code: int) -> None:
    assert (await bk.sops("create_task", 42, 2, body=body))["code"] == code


async def test_create_task_from_an_unknown_template_answers_3540400(bk: Bk) -> None:
    assert (await bk.sops("create_task", 4242, 2, body={"name": "x"}))["code"] == 3540400


async def test_create_task_from_a_common_template(bk: Bk) -> None:
    created = await bk.sops_data(
        "create_task", 1001, 2, body={"name": "common run", "template_source": "common"}
    )
    detail = await bk.sops_data("get_task_detail", created["task_id"], 2)
    assert detail["template_id"] == 1001
    assert detail["project_id"] == 3


async def test_sops_esb_create_and_start_use_body_ids(bk: Bk) -> None:
    created = await bk.esb_sops("create_task", template_id=57, name="via esb")
    assert created["result"] is True
    task = created["data"]["task_id"]
    started = await bk.esb_sops("start_task", task_id=task)
    assert started["result"] is True
    assert "request_id" in started
    missing = await bk.esb_sops("start_task", task_id=99999)
    assert missing["code"] == 3540400
