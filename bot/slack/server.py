"""Serving the Slack adapter: HTTP mode (``POST /slack/events``) or Socket Mode, plus health.

Both modes serve ``GET /healthz`` (the process is up), ``GET /readyz`` (auth.test passed and,
in Socket Mode, the WebSocket is open) and ``GET /metrics`` (Prometheus) on
``BKBOT_HTTP_HOST:BKBOT_HTTP_PORT``; only HTTP mode adds ``POST /slack/events``, the one
endpoint Bolt needs for commands, interactivity and events (reference §1.1, §2.7).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Generator
from typing import Protocol, cast

import uvicorn
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_sdk.errors import SlackApiError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.config import ChatAdapter
from bot.errors import ConfigError
from bot.poller import Poller
from bot.slack.app import SlackBot
from bot.slack.metrics import CONTENT_TYPE
from bot.slack.notifier import SlackNotifier

__all__ = ["EVENTS_PATH", "http_app", "serve", "startup_line"]

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def http_app(bot: SlackBot, *, events: bool = True) -> Starlette:
    """The ASGI app: Slack's endpoint (HTTP mode) and the health/metrics routes."""
    handler = AsyncSlackRequestHandler(bot.app)

    async def slack_events(request: Request) -> Response:
        return await handler.handle(request)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def readyz(request: Request) -> Response:
        ready, detail = await bot.readiness()
        return JSONResponse({"ok": ready, "detail": detail}, status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        return Response(bot.metrics.exposition(), media_type=CONTENT_TYPE)

    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if events:
        routes.append(Route(EVENTS_PATH, slack_events, methods=["POST"]))
    return Starlette(routes=routes)


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: ``run_slack`` owns SIGTERM/SIGINT in both modes."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def http_server(bot: SlackBot, *, events: bool = True) -> uvicorn.Server:
    """A uvicorn server for ``http_app`` on the configured host and port (not started)."""
    settings = bot.settings
    config = uvicorn.Config(
        http_app(bot, events=events),
        host=settings.http_host,
        port=settings.http_port,
        lifespan="off",
        access_log=False,
        # Keep bot/_logging.py's format instead of uvicorn's own logging config.
        log_config=None,
    )
    return _Server(config)


class _SocketClient(Protocol):
    async def connect(self) -> None: ...

    async def close(self) -> None: ...

    async def is_connected(self) -> bool: ...


def startup_line(bot: SlackBot) -> str:
    """Which adapter, backend and why, in one line."""
    settings = bot.settings
    where = f"{settings.http_host}:{settings.http_port}"
    if settings.chat_adapter is ChatAdapter.SLACK_SOCKET:
        mode = f"Socket Mode (SLACK_APP_TOKEN is set); health and metrics on http://{where}"
    else:
        mode = (
            f"HTTP mode (SLACK_APP_TOKEN is not set); Slack requests at http://{where}{EVENTS_PATH}"
        )
    who = f"@{bot.delivery.bot_name}" + (f" in {bot.team}" if bot.team else "")
    return (
        f"bkbot: Slack adapter in {mode}, as {who}, command {settings.command}; "
        f"backend {bot.runtime.describe()}; {bot.runtime.store}"
    )


async def serve(bot: SlackBot, stop: asyncio.Event) -> None:
    """Run the adapter until ``stop`` is set (or the HTTP server ends), then shut down cleanly.

    Shutdown runs in reverse order of startup, each step even when an earlier one failed:
    stop taking HTTP requests, close the socket, let running commands finish, close pools.
    """
    settings = bot.settings
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(bot.aclose)
        await bot.start()
        socket: _SocketClient | None = None
        if settings.chat_adapter is ChatAdapter.SLACK_SOCKET:
            socket = await _connect_socket(bot)
            stack.push_async_callback(socket.close)
        if bot.poller is not None and bot.notifier is not None:
            await _start_poller(bot.poller, bot.notifier, stack)
        server = http_server(bot, events=socket is None)
        server_task = asyncio.create_task(server.serve(), name="bkbot-http")
        stack.push_async_callback(_stop_server, server, server_task)
        log.info(startup_line(bot))
        stopped = asyncio.create_task(stop.wait(), name="bkbot-stop")
        try:
            await asyncio.wait({server_task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
        log.info("bkbot: shutting down")


async def _start_poller(
    poller: Poller, notifier: SlackNotifier, stack: contextlib.AsyncExitStack
) -> None:
    """Run the notifier and the poller beside the listener; stopped before the pools close."""
    await notifier.start()
    stack.push_async_callback(notifier.aclose)
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run_forever(stop), name="bkbot-poller")

    async def stop_poller() -> None:
        stop.set()
        # A tick in flight finishes (its posts marked sent); leases it holds are released.
        await task

    stack.push_async_callback(stop_poller)


async def _connect_socket(bot: SlackBot) -> _SocketClient:
    token = bot.settings.slack_app_token
    if token is None:  # Settings guarantees it in Socket Mode; keep mypy honest
        raise ConfigError("Socket Mode needs SLACK_APP_TOKEN.")
    handler = AsyncSocketModeHandler(bot.app, app_token=token.get_secret_value())
    # slack_bolt's handler methods are unannotated; its client is typed by this Protocol.
    socket = cast(_SocketClient, handler.client)
    try:
        await socket.connect()
    except SlackApiError as exc:
        await socket.close()
        raise ConfigError(
            f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}).",
            hint="Create an app-level token (xapp-…) with connections:write under "
            "Basic Information → App-Level Tokens, and enable Socket Mode.",
        ) from exc
    bot.socket = socket
    return socket


async def _stop_server(server: uvicorn.Server, task: asyncio.Task[None]) -> None:
    server.should_exit = True
    await task  # re-raises a failed start, e.g. the port is taken
