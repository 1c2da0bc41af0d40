"""Fixtures: a seeded sandbox on a manual clock, and a small caller for its three entry points."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bot.sandbox import ManualClock, Sandbox

APP_CODE, APP_SECRET = "bkchatops", "sandbox-secret"
GATEWAY = "/api/bk-sops/prod"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def ips(*addresses: str) -> dict[str, Any]:
    return {"ip_list": [{"bk_cloud_id": 0, "ip": ip} for ip in addresses]}


class Bk:
    """Calls the sandbox the way a BlueKing client would."""

    def __init__(self, http: httpx.AsyncClient, sandbox: Sandbox[ManualClock]) -> None:
        self.http = http
        self.sandbox = sandbox

    def advance(self, seconds: float) -> None:
        self.sandbox.clock.advance(seconds)

    async def job_raw(self, op: str, user: str = "admin", **params: Any) -> httpx.Response:
        body = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": user}
        body.update(params)
        return await self.http.post(f"/api/c/compapi/v2/job/{op}/", json=body)

    async def job(self, op: str, user: str = "admin", **params: Any) -> dict[str, Any]:
        params.setdefault("bk_biz_id", 2)
        response = await self.job_raw(op, user, **params)
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    async def job_data(self, op: str, user: str = "admin", **params: Any) -> Any:
        body = await self.job(op, user, **params)
        assert body["result"] is True, body
        return body["data"]

    async def esb_sops(
        self, op: str, user: str = "admin", method: str = "POST", **params: Any
    ) -> dict[str, Any]:
        creds = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": user}
        params.setdefault("bk_biz_id", 2)
        url = f"/api/c/compapi/v2/sops/{op}/"
        if method == "GET":
            query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            response = await self.http.get(url, params={**creds, **query})
        else:
            response = await self.http.post(url, json={**creds, **params})
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    async def gw(
        self,
        op: str,
        *ids: int,
        user: str = "admin",
        method: str | None = None,
        body: dict[str, Any] | None = None,
        query: dict[str, Any] | None = None,
    ) -> httpx.Response:
        header = json.dumps(
            {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": user}
        )
        path = "/".join(str(i) for i in ids)
        url = f"{GATEWAY}/{op}/{path}/"
        verb = method or ("POST" if body is not None else "GET")
        return await self.http.request(
            verb,
            url,
            headers={"X-Bkapi-Authorization": header},
            params=query,
            json=body if verb == "POST" else None,
        )

    async def sops(self, op: str, *ids: int, user: str = "admin", **kw: Any) -> dict[str, Any]:
        response = await self.gw(op, *ids, user=user, **kw)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def sops_data(self, op: str, *ids: int, user: str = "admin", **kw: Any) -> Any:
        body = await self.sops(op, *ids, user=user, **kw)
        assert body["result"] is True, body
        return body.get("data")


@pytest.fixture
def sandbox() -> Sandbox[ManualClock]:
    return Sandbox(app_code=APP_CODE, app_secret=APP_SECRET, clock=ManualClock(), seed=0)


@pytest.fixture
async def http(sandbox: Sandbox[ManualClock]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as client:
        yield client


@pytest.fixture
def bk(http: httpx.AsyncClient, sandbox: Sandbox[ManualClock]) -> Bk:
    return Bk(http, sandbox)
