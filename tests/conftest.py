"""Shared test helpers: a sandbox served over a real loopback socket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from bot.sandbox import ManualClock, Sandbox
from tests.fakes.slack_api import FakeSlack

APP_CODE, APP_SECRET = "bkchatops", "sandbox-secret"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve_in_thread(app: Any, port: int) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on 127.0.0.1:port in a thread; yield its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def served_sandbox() -> Iterator[tuple[Sandbox, str]]:
    """A fresh seeded sandbox with a manual clock, served on a loopback port."""
    sandbox = Sandbox(app_code=APP_CODE, app_secret=APP_SECRET, clock=ManualClock())
    with serve_in_thread(sandbox.app, free_port()) as url:
        yield sandbox, url


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # slack-sdk reads proxy variables itself and ignores NO_PROXY (slack-platform §2.9).
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def served_fake_slack() -> Iterator[FakeSlack]:
    """One fake Slack for the session: stopping uvicorn costs ~0.2 s, resetting nothing."""
    with FakeSlack().serve() as fake:
        yield fake


@pytest.fixture
def fake_slack(served_fake_slack: FakeSlack) -> FakeSlack:
    """The served fake Slack, emptied: no records, faults, limits or used triggers."""
    served_fake_slack.reset()
    return served_fake_slack
