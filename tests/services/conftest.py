"""Fixtures: a seeded sandbox on a manual clock and both clients over ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from bot.clients._http import Credentials, Transport
from bot.clients.bk_job import JobClient
from bot.clients.bk_sops import SopsClient
from bot.sandbox import ManualClock, Sandbox

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
