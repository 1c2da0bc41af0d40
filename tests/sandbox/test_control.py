"""The /_sandbox control routes that drive a sandbox served in another process."""

from __future__ import annotations

import httpx

from bot.sandbox import RealClock, Sandbox

from .conftest import Bk


async def test_healthz_reports_the_clock(http: httpx.AsyncClient) -> None:
    body = (await http.get("/_sandbox/healthz")).json()
    assert body["ok"] is True
    assert body["clock"] == "manual"
    assert body["now"].startswith("2026-08-20T02:02:15")


async def test_faults_can_be_injected_listed_and_cleared_over_http(
    http: httpx.AsyncClient, bk: Bk
) -> None:
    created = await http.post(
        "/_sandbox/faults",
        json={"operation": "get_job_list", "kind": "http_status", "status": 503, "times": 1},
    )
    assert created.status_code == 201
    assert created.json()["fault"]["kind"] == "http_status"
    listed = (await http.get("/_sandbox/faults")).json()["faults"]
    assert [f["operation"] for f in listed] == ["get_job_list"]
    assert (await bk.job_raw("get_job_list", bk_biz_id=2)).status_code == 503
    await http.post(
        "/_sandbox/faults",
        json={"operation": "*", "kind": "bk_error", "code": 1244005, "message": "nope"},
    )
    assert (await bk.job("get_job_list"))["code"] == 1244005
    assert (await http.delete("/_sandbox/faults")).status_code == 200
    assert (await bk.job("get_job_list"))["result"] is True


async def test_bad_fault_specs_answer_400(http: httpx.AsyncClient) -> None:
    assert (await http.post("/_sandbox/faults", json={"kind": "latency"})).status_code == 400
    bad_kind = await http.post("/_sandbox/faults", json={"operation": "x", "kind": "boom"})
    assert bad_kind.status_code == 400
    assert (await http.post("/_sandbox/faults", content=b"{")).status_code == 400


async def test_clock_advance_moves_a_manual_clock(http: httpx.AsyncClient, bk: Bk) -> None:
    data = await bk.job_data("execute_job", bk_job_id=1000124)
    response = await http.post("/_sandbox/clock/advance", json={"seconds": 30})
    assert response.status_code == 200
    assert response.json()["now"].startswith("2026-08-20T02:02:45")
    status = await bk.job_data("get_job_instance_status", job_instance_id=data["job_instance_id"])
    assert status["is_finished"] is True
    assert (await http.post("/_sandbox/clock/advance", json={"seconds": -1})).status_code == 400


async def test_clock_advance_is_a_conflict_on_a_real_clock() -> None:
    sandbox = Sandbox(clock=RealClock(speed=1.0))
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
        response = await http.post("/_sandbox/clock/advance", json={"seconds": 30})
        assert response.status_code == 409
        assert (await http.get("/_sandbox/healthz")).json()["clock"] == "real"


async def test_calls_can_be_read_and_cleared_over_http(http: httpx.AsyncClient, bk: Bk) -> None:
    await bk.job("get_job_list", user="alice")
    calls = (await http.get("/_sandbox/calls")).json()["calls"]
    assert calls == [{"operation": "get_job_list", "bk_username": "alice"}]
    await http.delete("/_sandbox/calls")
    assert (await http.get("/_sandbox/calls")).json()["calls"] == []


async def test_job_instances_and_tasks_can_be_deleted_over_http(
    http: httpx.AsyncClient, bk: Bk
) -> None:
    assert (await http.delete("/_sandbox/job_instances/20000123456")).status_code == 200
    gone = await bk.job("get_job_instance_status", job_instance_id=20000123456)
    assert gone["code"] == 1244006
    assert (await http.delete("/_sandbox/job_instances/20000123456")).status_code == 404
    await bk.sops_data("get_task_status", 1087, 2)  # warm the cache first
    assert (await http.delete("/_sandbox/tasks/1087")).status_code == 200
    assert (await bk.sops("get_task_status", 1087, 2))["code"] == 3540400
    assert (await http.delete("/_sandbox/tasks/1087")).status_code == 404


async def test_tasks_can_be_expired_over_http(http: httpx.AsyncClient, bk: Bk) -> None:
    assert (await http.post("/_sandbox/tasks/1087/expire")).status_code == 200
    assert (await bk.sops_data("get_task_status", 1087, 2))["state"] == "EXPIRED"
    assert (await http.post("/_sandbox/tasks/5/expire")).status_code == 404
