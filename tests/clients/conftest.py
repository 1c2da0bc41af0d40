"""Client fixtures: a seeded sandbox on a manual clock, reached in-process over ASGITransport."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest

from bot.clients._http import Credentials, Transport
from bot.clients.bk_job import JobClient
from bot.sandbox import ManualClock, Sandbox

APP_CODE, APP_SECRET = "bkchatops", "sandbox-secret"
SANDBOX_URL = "http://sandbox.test"


@dataclass
class Wire:
    """Every HTTP request the clients sent, as (method, URL, JSON body or None)."""

    requests: list[tuple[str, httpx.URL, dict[str, object] | None]] = field(default_factory=list)

    async def record(self, request: httpx.Request) -> None:
        body = json.loads(request.content) if request.content else None
        self.requests.append((request.method, request.url, body))

    def paths(self) -> list[str]:
        return [url.path for _, url, _ in self.requests]


@pytest.fixture
def clock() -> ManualClock:
    """The sandbox's clock: time moves only when a test advances it."""
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock) -> Sandbox:
    """A fresh seeded sandbox (businesses 2 and 3, users admin/alice/bob/carol/dave)."""
    return Sandbox(app_code=APP_CODE, app_secret=APP_SECRET, clock=clock)


@pytest.fixture
def wire() -> Wire:
    """What went over the wire, for asserting methods, paths and bodies."""
    return Wire()


@pytest.fixture
async def http(sandbox: Sandbox, wire: Wire) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client whose requests are served by the sandbox app in-process."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app),
        base_url=SANDBOX_URL,
        event_hooks={"request": [wire.record]},
    ) as client:
        yield client


@pytest.fixture
def retry_delays() -> list[float]:
    """The back-off delays the transport asked for (it never really sleeps in tests)."""
    return []


@pytest.fixture
def transport(http: httpx.AsyncClient, retry_delays: list[float]) -> Transport:
    """The shared transport with the sandbox's app credentials."""

    async def no_sleep(delay: float) -> None:
        retry_delays.append(delay)

    return Transport(http, Credentials(APP_CODE, APP_SECRET), sleep=no_sleep)


@pytest.fixture
def sandbox_url() -> str:
    """The base URL the clients use for the in-process sandbox."""
    return SANDBOX_URL


@pytest.fixture
def job_client(transport: Transport) -> JobClient:
    """A JobClient pointed at the sandbox's ESB root."""
    return JobClient(transport, base_url=SANDBOX_URL)
