"""Fixtures: a seeded sandbox on a manual clock and both clients over ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TypeVar

import httpx
import pytest

from bot.clients._http import Credentials, Transport
from bot.clients.bk_job import JobClient
from bot.clients.bk_sops import SopsClient
from bot.sandbox import ManualClock, Sandbox

T = TypeVar("T")
BASE = "http://sandbox"


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(app_code="bkchatops", app_secret="sandbox-secret", clock=ManualClock())


@pytest.fixture
async def http(sandbox: Sandbox) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


@pytest.fixture
def transport(http: httpx.AsyncClient) -> Transport:
    return Transport(http, Credentials("bkchatops", "sandbox-secret"))


@pytest.fixture
def job(transport: Transport) -> JobClient:
    return JobClient(transport, base_url=BASE)


@pytest.fixture
def sops(transport: Transport) -> SopsClient:
    return SopsClient(transport, esb_url=BASE)


@pytest.fixture
def sops_gateway(transport: Transport) -> SopsClient:
    return SopsClient(transport, gateway_url=f"{BASE}/api/bk-sops/prod")


class Waiter:
    """Advance the sandbox clock step by step until a read satisfies a condition."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def until(
        self,
        read: Callable[[], Awaitable[T]],
        done: Callable[[T], bool],
        *,
        step: float = 1.0,
        limit: float = 900.0,
    ) -> T:
        waited = 0.0
        while True:
            value = await read()
            if done(value):
                return value
            if waited >= limit:
                raise AssertionError(
                    f"condition not reached after {limit}s of sandbox time: {value!r}"
                )
            self.sandbox.clock.advance(step)
            waited += step


@pytest.fixture
def wait(sandbox: Sandbox) -> Waiter:
    return Waiter(sandbox)
