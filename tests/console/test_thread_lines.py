"""The interactive console with a poller: each run's story printed as thread lines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from bot.config import Settings
from bot.console import ConsoleApp, ConsoleNotifier, run_console
from bot.console._notifier import THREAD_PREFIX
from bot.poller import Poller, PollerConfig
from bot.runtime import Runtime, Stores, build_poller, build_runtime
from bot.sandbox import ManualClock, Sandbox
from bot.store import ChannelStore, Database, WatchStatus, WatchStore
from tests.console.conftest import ScriptedIO


@dataclass
class SandboxClock:
    """The poller's clock: the sandbox's manual one, so runs and polls move together."""

    sandbox: ManualClock

    def now(self) -> datetime:
        return self.sandbox.now()


@dataclass
class Session:
    app: ConsoleApp
    io: ScriptedIO
    poller: Poller
    sandbox: Sandbox[ManualClock]
    watches: WatchStore

    async def run_until(self, text: str, *, limit: int = 80) -> None:
        """Tick the poller every 5 s of sandbox time until a thread line contains ``text``."""
        for _ in range(limit):
            self.sandbox.clock.advance(5)
            await self.poller.run_once()
            if any(text in line for line in self.thread_lines()):
                return
        raise AssertionError(f"no thread line with {text!r}:\n{self.io.text}")

    async def run_to_end(self, *, limit: int = 80) -> None:
        """Tick until the session's only run's watch has ended (after its final summary)."""
        (run,) = await self.watches.recent(10)
        for _ in range(limit):
            self.sandbox.clock.advance(5)
            await self.poller.run_once()
            row = await self.watches.find(run.ref)
            if row is not None and row.status is WatchStatus.ENDED:
                return
        raise AssertionError(f"the run's watch did not end:\n{self.io.text}")

    def thread_lines(self) -> list[str]:
        return [line for line in self.io.out if line.startswith(THREAD_PREFIX)]


@pytest.fixture
async def session(
    settings: Settings, sandbox: Sandbox[ManualClock], io: ScriptedIO, tmp_path: Path
) -> AsyncIterator[Session]:
    database = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'bkbot.db'}")
    await database.migrate()
    clock = SandboxClock(sandbox.clock)
    watches = WatchStore(database, clock=clock)
    stores = Stores(ChannelStore(database), watches, database)
    runtime: Runtime = build_runtime(
        settings,
        sandbox=sandbox,  # type: ignore[arg-type]
        channels=stores.channels,
        runs=stores.runs,
    )
    try:
        app = ConsoleApp(runtime, io, login="tester", thread_lines=True)
        config = PollerConfig(interval=5.0, max_interval=30.0, sops_min_interval=10.0)
        poller = build_poller(runtime, stores, ConsoleNotifier(app), clock=clock, config=config)
        yield Session(app, io, poller, sandbox, watches)
    finally:
        await runtime.aclose()
        await database.aclose()


async def test_a_run_tells_its_story_once_as_thread_lines(session: Session) -> None:
    await session.app.submit("job run 1000124")
    await session.run_to_end()
    lines = session.thread_lines()
    # Every line is one post, and none is printed twice (the outbox marks each one sent).
    assert len(lines) == len(set(lines)), session.io.text
    assert [line for line in lines if "started" in line] == [
        "  ↳ ▶ Step 1 “backup schema” started  [job 20000200001]",
        "  ↳ ▶ Step 2 “apply migration” started  [job 20000200001]",
    ]
    assert "succeeded" in lines[-1], session.io.text
    assert "Job 20000200001" in lines[-1]


async def test_a_confirmation_gate_gets_buttons_that_a_number_clicks(session: Session) -> None:
    await session.app.submit("job run 1000123 version=1.2 web_hosts=0:10.0.0.11")
    await session.run_until("Waiting for confirmation")
    gate = [line for line in session.io.out if "] Confirm" in line]
    assert gate, session.io.text
    number = gate[-1].split("[", 1)[1].split("]", 1)[0]
    # Typing the number clicks the thread's button, exactly like a reply's.
    await session.app.submit(number)
    await session.run_to_end()
    assert "succeeded" in session.thread_lines()[-1], session.io.text


async def test_the_interactive_loop_runs_its_poller_and_stops_it_at_exit(
    settings: Settings, io: ScriptedIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[Poller, asyncio.Event]] = []
    run_forever = Poller.run_forever

    async def spy(self: Poller, stop: asyncio.Event, *, workers: int = 2) -> None:
        seen.append((self, stop))
        await run_forever(self, stop, workers=workers)

    monkeypatch.setattr(Poller, "run_forever", spy)
    # No runtime given: run_console opens its own throwaway store, so it polls itself.
    io.feed("biz 2")
    assert await run_console(settings, io=io) == 0
    ((poller, stop),) = seen
    assert isinstance(poller._notifier, ConsoleNotifier)
    assert stop.is_set()
