"""The transport: authentication, envelope and error mapping, retries for reads only.

Runs over a real loopback socket against the served sandbox, with its fault injection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.clients._http import AuthStyle, Call, Credentials, Transport, build_request
from bot.clients._retry import RetryPolicy
from bot.clients.errors import (
    BKAPIError,
    BKAuthError,
    BKConnectionError,
    BKEndpointNotFound,
    BKInvalidOperation,
    BKMalformedResponse,
    BKNotFound,
    BKPermissionDenied,
    BKRateLimited,
    BKRequestInvalid,
    BKServerError,
    BKTimeout,
)
from bot.sandbox import FaultKind, Sandbox
from tests.conftest import APP_CODE, APP_SECRET, free_port

JOB = "/api/c/compapi/v2/job"
SOPS_GW = "/api/bk-sops/prod"
POLICY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=5)


class Recorder:
    """A stand-in for asyncio.sleep that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
def sleeps() -> Recorder:
    return Recorder()


@pytest.fixture
async def transport(
    served_sandbox: tuple[Sandbox, str], sleeps: Recorder
) -> AsyncIterator[Transport]:
    _, url = served_sandbox
    timeout = httpx.Timeout(connect=2.0, read=0.5, write=2.0, pool=2.0)
    async with httpx.AsyncClient(base_url=url, timeout=timeout) as http:
        yield Transport(http, Credentials(APP_CODE, APP_SECRET), retry=POLICY, sleep=sleeps)


@pytest.fixture
def sandbox(served_sandbox: tuple[Sandbox, str]) -> Sandbox:
    return served_sandbox[0]


def job_call(operation: str, *, read: bool = True, **params: object) -> Call:
    return Call(
        system="bk_job",
        operation=operation,
        method="POST",
        url=f"{JOB}/{operation}/",
        params={"bk_biz_id": 2, "bk_scope_type": "biz", "bk_scope_id": "2", **params},
        read=read,
    )


def attempts(sandbox: Sandbox, operation: str) -> int:
    return sum(1 for op, _ in sandbox.calls if op == operation)


async def test_success_returns_the_envelope_with_request_ids(transport: Transport) -> None:
    env = await transport.call(job_call("get_job_detail", bk_job_id=1000123), bk_username="alice")
    assert env.result is True
    assert env.code == 0
    assert isinstance(env.data, dict)
    assert env.data["name"] == "deploy-web (prod)"
    assert env.request_id
    assert len(env.request_id) == 32
    assert env.job_request_id


async def test_result_false_becomes_a_typed_error_with_ids(transport: Transport) -> None:
    with pytest.raises(BKNotFound) as info:
        await transport.call(job_call("get_job_detail", bk_job_id=999999), bk_username="alice")
    err = info.value
    assert err.code == 1243009
    assert err.system == "bk_job"
    assert err.operation == "get_job_detail"
    assert err.request_id
    assert err.job_request_id


async def test_permission_denial_carries_the_permission_object(transport: Transport) -> None:
    call = job_call("execute_job", read=False, bk_job_id=1000123)
    with pytest.raises(BKPermissionDenied) as info:
        await transport.call(call, bk_username="carol")
    assert info.value.code == 9900403
    permission = info.value.permission
    assert permission is not None
    assert [a.id for a in permission.actions] == ["launch_job_plan"]
    assert "launch_job_plan" in permission.describe()


async def test_wrong_app_secret_is_an_auth_error(served_sandbox: tuple[Sandbox, str]) -> None:
    _, url = served_sandbox
    async with httpx.AsyncClient(base_url=url) as http:
        bad = Transport(http, Credentials(APP_CODE, "wrong"), retry=POLICY)
        with pytest.raises(BKAuthError) as info:
            await bad.call(job_call("get_os_account"), bk_username="alice")
    assert info.value.code == 1306000
    assert info.value.job_request_id is None  # ESB errors carry only request_id (bk-job §3)


async def test_gateway_auth_failure_keeps_its_http_status(
    served_sandbox: tuple[Sandbox, str],
) -> None:
    _, url = served_sandbox
    async with httpx.AsyncClient(base_url=url) as http:
        bad = Transport(http, Credentials(APP_CODE, "wrong"), retry=POLICY)
        call = Call(
            system="bk_sops",
            operation="get_template_list",
            method="GET",
            url=f"{SOPS_GW}/get_template_list/2/",
            params={},
            read=True,
            auth=AuthStyle.HEADER,
        )
        with pytest.raises(BKAuthError) as info:
            await bad.call(call, bk_username="alice")
    assert info.value.code == 1640001
    assert info.value.http_status == 400


async def test_unpublished_gateway_resource_is_endpoint_not_found(transport: Transport) -> None:
    call = Call(
        system="bk_sops",
        operation="query_task_count",
        method="POST",
        url=f"{SOPS_GW}/query_task_count/2/",
        params={"group_by": "status"},
        read=True,
        auth=AuthStyle.HEADER,
    )
    with pytest.raises(BKEndpointNotFound) as info:
        await transport.call(call, bk_username="alice")
    assert info.value.code == 1640401


async def test_sops_engine_refusal_is_an_invalid_operation(transport: Transport) -> None:
    call = Call(
        system="bk_sops",
        operation="operate_task",
        method="POST",
        url=f"{SOPS_GW}/operate_task/1087/2/",
        params={"action": "resume"},
        read=False,
        auth=AuthStyle.HEADER,
    )
    # Task 1087 is running, not suspended: the engine refuses the transition (bk-sops §3.5).
    with pytest.raises(BKInvalidOperation):
        await transport.call(call, bk_username="alice")


async def test_reads_are_retried_through_5xx(
    transport: Transport, sandbox: Sandbox, sleeps: Recorder
) -> None:
    sandbox.faults.inject("get_os_account", FaultKind.HTTP_STATUS, status=503, times=2)
    env = await transport.call(job_call("get_os_account"), bk_username="alice")
    assert env.result is True
    assert attempts(sandbox, "get_os_account") == 3
    assert len(sleeps.delays) == 2


async def test_reads_give_up_after_the_attempt_bound(
    transport: Transport, sandbox: Sandbox
) -> None:
    sandbox.faults.inject("get_os_account", FaultKind.HTTP_STATUS, status=502)
    with pytest.raises(BKServerError) as info:
        await transport.call(job_call("get_os_account"), bk_username="alice")
    assert info.value.status_code == 502
    assert attempts(sandbox, "get_os_account") == POLICY.max_attempts


async def test_writes_are_never_retried(transport: Transport, sandbox: Sandbox) -> None:
    sandbox.faults.inject("execute_job", FaultKind.HTTP_STATUS, status=503, times=1)
    with pytest.raises(BKServerError):
        await transport.call(
            job_call("execute_job", read=False, bk_job_id=1000124), bk_username="alice"
        )
    assert attempts(sandbox, "execute_job") == 1


async def test_429_waits_exactly_retry_after(
    transport: Transport, sandbox: Sandbox, sleeps: Recorder
) -> None:
    sandbox.faults.inject("get_os_account", FaultKind.RATE_LIMIT, retry_after=2, times=1)
    env = await transport.call(job_call("get_os_account"), bk_username="alice")
    assert env.result is True
    assert sleeps.delays == [2.0]


async def test_429_on_a_write_is_reported_with_retry_after(
    transport: Transport, sandbox: Sandbox
) -> None:
    sandbox.faults.inject("execute_job", FaultKind.RATE_LIMIT, retry_after=2, times=1)
    with pytest.raises(BKRateLimited) as info:
        await transport.call(
            job_call("execute_job", read=False, bk_job_id=1000124), bk_username="alice"
        )
    assert info.value.retry_after == 2
    assert attempts(sandbox, "execute_job") == 1


async def test_busy_envelope_code_is_retried_for_reads(
    transport: Transport, sandbox: Sandbox
) -> None:
    sandbox.faults.inject("get_os_account", FaultKind.BK_ERROR, code=1306429, times=1)
    env = await transport.call(job_call("get_os_account"), bk_username="alice")
    assert env.result is True
    assert attempts(sandbox, "get_os_account") == 2


async def test_injected_business_error_is_not_retried(
    transport: Transport, sandbox: Sandbox
) -> None:
    sandbox.faults.inject("get_os_account", FaultKind.BK_ERROR, code=1240002, message="boom")
    with pytest.raises(BKAPIError) as info:
        await transport.call(job_call("get_os_account"), bk_username="alice")
    assert info.value.code == 1240002
    assert info.value.message == "boom"
    assert attempts(sandbox, "get_os_account") == 1


async def test_malformed_body_is_its_own_error_and_not_retried(
    transport: Transport, sandbox: Sandbox
) -> None:
    sandbox.faults.inject("get_os_account", FaultKind.MALFORMED)
    with pytest.raises(BKMalformedResponse) as info:
        await transport.call(job_call("get_os_account"), bk_username="alice")
    assert info.value.body_excerpt
    assert attempts(sandbox, "get_os_account") == 1


async def test_slow_read_times_out_and_is_retried(transport: Transport, sandbox: Sandbox) -> None:
    sandbox.faults.inject("get_os_account", FaultKind.LATENCY, seconds=1.0, times=1)
    env = await transport.call(job_call("get_os_account"), bk_username="alice")
    assert env.result is True
    assert attempts(sandbox, "get_os_account") == 2


async def test_slow_write_times_out_once(transport: Transport, sandbox: Sandbox) -> None:
    sandbox.faults.inject("execute_job", FaultKind.LATENCY, seconds=1.0, times=1)
    with pytest.raises(BKTimeout):
        await transport.call(
            job_call("execute_job", read=False, bk_job_id=1000124), bk_username="alice"
        )
    assert attempts(sandbox, "execute_job") == 1


async def test_connection_refused_is_a_connection_error_after_retries(sleeps: Recorder) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{free_port()}") as http:
        dead = Transport(http, Credentials(APP_CODE, APP_SECRET), retry=POLICY, sleep=sleeps)
        with pytest.raises(BKConnectionError):
            await dead.call(job_call("get_os_account"), bk_username="alice")
    assert len(sleeps.delays) == POLICY.max_attempts - 1


async def test_credentials_go_in_the_header_for_the_gateway(
    transport: Transport, sandbox: Sandbox
) -> None:
    call = Call(
        system="bk_sops",
        operation="get_template_list",
        method="GET",
        url=f"{SOPS_GW}/get_template_list/2/",
        params={"name_keyword": "NGINX"},
        read=True,
        auth=AuthStyle.HEADER,
    )
    env = await transport.call(call, bk_username="bob")
    assert isinstance(env.data, list)
    assert {row["id"] for row in env.data} >= {42, 57}
    assert sandbox.calls[-1] == ("get_template_list", "bob")


def test_invalid_request_model_never_leaves_the_process() -> None:
    from pydantic import BaseModel, ConfigDict, Field

    class Sample(BaseModel):
        model_config = ConfigDict(extra="forbid")
        bk_job_id: int = Field(ge=1)

    with pytest.raises(BKRequestInvalid) as info:
        build_request(Sample, system="bk_job", operation="get_job_detail", bk_job_id=0)
    assert info.value.fields == ("bk_job_id",)
    assert "greater than or equal to 1" in str(info.value)
