"""Serving: health, readiness and metrics routes, startup, Socket Mode, OAuth refusal, SIGTERM."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from aiohttp import WSMsgType, web

from bot.errors import ConfigError
from bot.slack import build_slack_bot, http_app, serve
from tests.conftest import free_port
from tests.fakes.slack_api import FakeSlack
from tests.slack.conftest import (
    BOT_TOKEN,
    SECRET,
    Driver,
    bot_settings,
    new_sandbox,
    served_bot,
    text_of,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


async def test_health_and_readiness_answer(slack: Driver) -> None:
    health = await slack.http.get(f"{slack.url}/healthz")
    assert (health.status_code, health.json()) == (200, {"ok": True})
    ready = await slack.http.get(f"{slack.url}/readyz")
    assert (ready.status_code, ready.json()) == (200, {"ok": True, "detail": "ready"})


async def test_metrics_count_commands_by_name_and_outcome_and_time_the_ack(
    slack: Driver,
) -> None:
    await slack.response(await slack.command("whoami"))
    await slack.response(await slack.command("biz two"))
    response = await slack.http.get(f"{slack.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'bkbot_commands_total{command="whoami",outcome="ok",source="slash"} 1.0' in text
    assert 'bkbot_commands_total{command="biz",outcome="usage",source="slash"} 1.0' in text
    assert 'bkbot_slack_ack_seconds_count{kind="command"} 2.0' in text


async def test_readiness_is_refused_until_slack_accepted_the_token(
    fake_slack: FakeSlack,
) -> None:
    bot = build_slack_bot(bot_settings(fake_slack, free_port()), sandbox=new_sandbox())  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=http_app(bot))
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as http:
        ready = await http.get("/readyz")
        assert (ready.status_code, ready.json()["detail"]) == (503, "starting")
        assert (await http.get("/healthz")).status_code == 200
    await bot.aclose()


async def test_a_rejected_bot_token_stops_startup_with_a_clear_error(
    fake_slack: FakeSlack,
) -> None:
    fake_slack.fail("auth.test", "invalid_auth")
    bot = build_slack_bot(bot_settings(fake_slack, free_port()), sandbox=new_sandbox())  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="invalid_auth"):
        await serve(bot, asyncio.Event())


async def test_startup_says_which_mode_backend_and_bot(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.slack.server")
    async with served_bot(fake_slack, new_sandbox()) as slack:
        line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("bkbot:"))
        assert "HTTP mode (SLACK_APP_TOKEN is not set)" in line
        assert f"{slack.url}/slack/events" in line
        assert "as @bkbot in Fake Workspace" in line
        assert "embedded sandbox" in line


def test_slack_client_env_vars_cannot_silently_turn_on_oauth(
    fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bolt enables OAuth with file stores when both are set (reference §2.1, §7.10).
    monkeypatch.setenv("SLACK_CLIENT_ID", "111.222")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "shh")
    with pytest.raises(ConfigError, match="SLACK_CLIENT_ID"):
        build_slack_bot(bot_settings(fake_slack, free_port()))


# ---- Socket Mode ------------------------------------------------------------------------


@asynccontextmanager
async def socket_server(envelopes: list[dict[str, Any]]) -> AsyncIterator[tuple[str, list[Any]]]:
    """A WebSocket endpoint speaking Socket Mode: hello, then ``envelopes``; records acks."""
    acks: list[Any] = []

    async def link(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        for envelope in envelopes:
            await ws.send_str(json.dumps(envelope))
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                acks.append(json.loads(message.data))
        return ws

    app = web.Application()
    app.router.add_get("/link/", link)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"ws://127.0.0.1:{port}/link/", acks
    finally:
        await runner.cleanup()


async def test_socket_mode_acks_a_command_over_the_socket_and_replies(
    fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    response_url = fake_slack.response_url("socket-1")
    envelope = {
        "envelope_id": "env-1",
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": {
            "team_id": "T0FAKE",
            "channel_id": "C0OPS",
            "user_id": "U0ALICE",
            "command": "/bk",
            "text": "whoami",
            "response_url": response_url,
            "trigger_id": "1.2.socket",
        },
    }
    async with socket_server([envelope]) as (ws_url, acks):
        # The fake answers apps.connections.open with its own URL; point it at this socket.
        monkeypatch.setitem(
            fake_slack._handlers, "apps.connections.open", lambda params, ctx: {"url": ws_url}
        )
        port = free_port()
        settings = bot_settings(fake_slack, port, SLACK_APP_TOKEN="xapp-1-test")
        bot = build_slack_bot(settings, sandbox=new_sandbox())  # type: ignore[arg-type]
        stop = asyncio.Event()
        task = asyncio.create_task(serve(bot, stop))
        try:
            replies = await _wait(lambda: fake_slack.responses("socket-1"))
            assert "admin" in text_of(replies[0].body["blocks"])
            assert (await _wait(lambda: acks))[0]["envelope_id"] == "env-1"
            async with httpx.AsyncClient() as http:
                ready = await http.get(f"http://127.0.0.1:{port}/readyz")
                assert ready.json() == {"ok": True, "detail": "ready"}
                # No Slack endpoint in Socket Mode: requests arrive over the socket only.
                events = await http.post(f"http://127.0.0.1:{port}/slack/events")
                assert events.status_code == 404
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)


async def _wait(probe: Any, within: float = 10.0) -> Any:
    deadline = time.monotonic() + within
    while not (found := probe()):
        assert time.monotonic() < deadline, "nothing arrived"
        await asyncio.sleep(0.02)
    return found


# ---- the real process -------------------------------------------------------------------


def test_bkbot_run_serves_slack_and_stops_cleanly_on_sigterm(
    fake_slack: FakeSlack, tmp_path: Any
) -> None:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "BK_", "BKBOT_")) and "proxy" not in k.lower()
    }
    env.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake_slack.api_url,
        BKBOT_HTTP_PORT=str(port),
        BKBOT_LOG_LEVEL="INFO",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": ROOT},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "bkbot run did not become ready"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "Slack adapter in HTTP mode" in stderr
    assert "shutting down" in stderr
    assert "Traceback" not in stderr
    assert " WARNING " not in stderr


async def test_run_slack_exits_with_one_clear_line_when_slack_refuses_the_token(
    fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.slack import run_slack

    fake_slack.fail("auth.test", "invalid_auth")
    with pytest.raises(SystemExit) as exited:
        await run_slack(bot_settings(fake_slack, free_port()))
    assert exited.value.code == 2
    (record,) = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in record.getMessage()
    assert record.exc_info is None
