"""Fault injection: each kind, counts, wildcards, ordering and the call log."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from bot.sandbox import FaultKind

from .conftest import Bk


async def test_http_status_fault_answers_that_status_the_given_number_of_times(bk: Bk) -> None:
    bk.sandbox.faults.inject("get_job_instance_status", FaultKind.HTTP_STATUS, status=503, times=2)
    codes = []
    for _ in range(3):
        response = await bk.job_raw(
            "get_job_instance_status", bk_biz_id=2, job_instance_id=20000123456
        )
        codes.append(response.status_code)
    assert codes == [503, 503, 200]
    assert [c.operation for c in bk.sandbox.calls] == ["get_job_instance_status"] * 3
    assert bk.sandbox.calls[0] == ("get_job_instance_status", "admin")


async def test_bk_error_fault_answers_a_result_false_envelope(bk: Bk) -> None:
    bk.sandbox.faults.inject(
        "execute_job", FaultKind.BK_ERROR, code=1244005, message="failed to start the job"
    )
    body = await bk.job("execute_job", bk_job_id=1000123)
    assert body["result"] is False
    assert body["code"] == 1244005
    assert body["message"] == "failed to start the job"
    assert body["data"] is None
    assert len(body["job_request_id"]) == 16
    assert bk.sandbox.world.job.next_instance_id == 20000200001  # nothing was started


async def test_bk_error_fault_on_sops_keeps_the_sops_envelope(bk: Bk) -> None:
    bk.sandbox.faults.inject("get_task_status", FaultKind.BK_ERROR, code=3599999, message="boom")
    response = await bk.gw("get_task_status", 1087, 2)
    assert response.status_code == 200
    assert response.json()["code"] == 3599999
    assert "trace_id" in response.json()


async def test_malformed_fault_answers_200_with_a_body_that_is_not_json(bk: Bk) -> None:
    bk.sandbox.faults.inject("get_job_list", FaultKind.MALFORMED)
    response = await bk.job_raw("get_job_list", bk_biz_id=2)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


async def test_rate_limit_fault_answers_429_with_retry_after(bk: Bk) -> None:
    bk.sandbox.faults.inject("get_task_status", FaultKind.RATE_LIMIT, retry_after=1.0, times=1)
    limited = await bk.gw("get_task_status", 1087, 2)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert limited.json()["code"] == 1642902
    assert (await bk.gw("get_task_status", 1087, 2)).status_code == 200
    bk.sandbox.faults.inject("get_job_list", FaultKind.RATE_LIMIT, retry_after=2.5)
    esb = await bk.job_raw("get_job_list", bk_biz_id=2)
    assert esb.status_code == 429
    assert esb.headers["Retry-After"] == "3"
    assert esb.json()["code"] == 1306429


async def test_latency_fault_delays_in_real_time_then_proceeds(bk: Bk) -> None:
    bk.sandbox.faults.inject("*", FaultKind.LATENCY, seconds=0.05)
    began = time.monotonic()
    body = await bk.job("get_job_list")
    assert time.monotonic() - began >= 0.05
    assert body["result"] is True


async def test_latency_combines_with_a_failing_fault(bk: Bk) -> None:
    bk.sandbox.faults.inject("get_job_list", FaultKind.LATENCY, seconds=0.02, times=1)
    bk.sandbox.faults.inject("get_job_list", FaultKind.HTTP_STATUS, status=502, times=1)
    began = time.monotonic()
    response = await bk.job_raw("get_job_list", bk_biz_id=2)
    assert time.monotonic() - began >= 0.02
    assert response.status_code == 502
    assert (await bk.job_raw("get_job_list", bk_biz_id=2)).status_code == 200


async def test_wildcard_faults_hit_every_operation_until_cleared(bk: Bk) -> None:
    bk.sandbox.faults.inject("*", FaultKind.HTTP_STATUS, status=500)
    assert (await bk.job_raw("get_job_list", bk_biz_id=2)).status_code == 500
    gateway = await bk.gw("get_template_list", 2)
    assert gateway.status_code == 500
    assert gateway.headers["X-Bkapi-Request-Id"]  # every gateway answer carries one
    bk.sandbox.faults.clear()
    assert (await bk.gw("get_template_list", 2)).status_code == 200


async def test_faults_apply_in_injection_order(bk: Bk) -> None:
    bk.sandbox.faults.inject("get_job_list", FaultKind.HTTP_STATUS, status=503, times=1)
    bk.sandbox.faults.inject("get_job_list", FaultKind.MALFORMED, times=1)
    assert (await bk.job_raw("get_job_list", bk_biz_id=2)).status_code == 503
    malformed = await bk.job_raw("get_job_list", bk_biz_id=2)
    assert malformed.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        malformed.json()
    assert (await bk.job_raw("get_job_list", bk_biz_id=2)).json()["result"] is True


async def test_disconnect_fault_surfaces_as_a_transport_error(bk: Bk) -> None:
    bk.sandbox.faults.inject("get_job_detail", FaultKind.DISCONNECT, times=1)
    with pytest.raises(httpx.TransportError):
        await bk.job_raw("get_job_detail", bk_biz_id=2, bk_job_id=1000123)
    assert (await bk.job("get_job_detail", bk_job_id=1000123))["result"] is True


async def test_faults_on_other_operations_do_not_apply(bk: Bk) -> None:
    bk.sandbox.faults.inject("get_job_detail", FaultKind.HTTP_STATUS, status=503)
    assert (await bk.job_raw("get_job_list", bk_biz_id=2)).status_code == 200


async def test_call_log_records_users_and_can_be_cleared(bk: Bk) -> None:
    await bk.job("get_job_list", user="alice")
    await bk.gw("get_task_status", 1087, 2, user="bob")
    await bk.job_raw("no_such_component")  # not an operation: not recorded
    assert bk.sandbox.calls == [("get_job_list", "alice"), ("get_task_status", "bob")]
    bk.sandbox.calls.clear()
    assert bk.sandbox.calls == []


def test_inject_rejects_nonsense() -> None:
    from bot.sandbox import Faults

    faults = Faults()
    with pytest.raises(ValueError, match="4xx or 5xx"):
        faults.inject("x", FaultKind.HTTP_STATUS, status=200)
    with pytest.raises(ValueError, match="times"):
        faults.inject("x", FaultKind.MALFORMED, times=0)
    with pytest.raises(ValueError, match="explode"):
        faults.inject("x", "explode")
