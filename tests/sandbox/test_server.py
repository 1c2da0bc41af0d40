"""The sandbox served by uvicorn over a real loopback socket."""

from __future__ import annotations

import asyncio
import json
import socket
from typing import Any

import httpx
import pytest
import uvicorn

from bot.sandbox import FaultKind, ManualClock, Sandbox, _serve, serve

from .conftest import APP_CODE, APP_SECRET


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_served_sandbox_answers_esb_gateway_and_control_routes() -> None:
    sandbox = Sandbox(app_code=APP_CODE, app_secret=APP_SECRET, clock=ManualClock())
    port = _free_port()
    config = uvicorn.Config(
        sandbox.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started:
                break
            await asyncio.sleep(0.01)
        assert server.started
        base = f"http://127.0.0.1:{port}"
        auth = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "alice"}
        async with httpx.AsyncClient(base_url=base, timeout=10) as http:
            assert (await http.get("/_sandbox/healthz")).json()["ok"] is True
            started = await http.post(
                "/api/c/compapi/v2/job/execute_job/",
                json={**auth, "bk_biz_id": 2, "bk_job_id": 1000124},
            )
            instance = started.json()["data"]["job_instance_id"]
            await http.post("/_sandbox/clock/advance", json={"seconds": 30})
            status = await http.get(
                "/api/c/compapi/v2/job/get_job_instance_status/",
                params={**auth, "bk_biz_id": 2, "job_instance_id": instance},
            )
            assert status.json()["data"]["job_instance"]["status"] == 3
            gateway = await http.get(
                "/api/bk-sops/prod/get_task_status/1087/2/",
                headers={"X-Bkapi-Authorization": json.dumps(auth)},
            )
            assert gateway.status_code == 200
            assert gateway.headers["X-Bkapi-Request-Id"]
            assert gateway.json()["data"]["state"] == "RUNNING"
            sandbox.faults.inject("get_job_detail", FaultKind.DISCONNECT, times=1)
            with pytest.raises(httpx.TransportError):
                await http.post(
                    "/api/c/compapi/v2/job/get_job_detail/",
                    json={**auth, "bk_biz_id": 2, "bk_job_id": 1000123},
                )
    finally:
        server.should_exit = True
        await serving


async def test_serve_runs_uvicorn_on_a_real_clock_with_the_given_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen["app"] = app
        seen.update(kwargs)

    monkeypatch.setattr(_serve.uvicorn, "run", fake_run)
    serve("127.0.0.1", 8900, app_code="code", app_secret="secret", speed=4.0)
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 8900)
    transport = httpx.ASGITransport(app=seen["app"])
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
        assert (await http.get("/_sandbox/healthz")).json()["clock"] == "real"
        auth = {"bk_app_code": "code", "bk_app_secret": "secret", "bk_username": "admin"}
        body = (
            await http.post("/api/c/compapi/v2/job/get_job_list/", json={**auth, "bk_biz_id": 2})
        ).json()
        assert body["result"] is True
        default = {**auth, "bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET}
        refused = (await http.post("/api/c/compapi/v2/job/get_job_list/", json=default)).json()
        assert refused["code"] == 1306000
