"""Fixtures: the poller over a sandbox on a manual clock, a real SQLite store, a recording chat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from bot.clients._http import Credentials, Transport
from bot.clients.bk_job import JobClient
from bot.clients.bk_sops import SopsClient
from bot.poller import Poller, PollerConfig, RunReader, TickReport
from bot.rendering import Renderer
from bot.sandbox import ManualClock, Sandbox
from bot.services.ports import CardTarget, RetryLater, ThreadPost, Undeliverable
from bot.store import Database, WatchRow, WatchStore
from bot.views import RunKind, RunRef, View

BASE = "http://sandbox"
BIZ = 2
CHANNEL = "C0RUNS"


@dataclass
class Posted:
    """One thread post as the chat received it, rendered the way Slack would show it."""

    target: CardTarget
    post: ThreadPost
    text: str


@dataclass
class RecordingChat:
    """The chat edge: records posts and card edits; can refuse posts like Slack does."""

    renderer: Renderer
    posts: list[Posted] = field(default_factory=list)
    cards: list[tuple[CardTarget, View]] = field(default_factory=list)
    # Each call to ``post`` pops the next planned refusal, if any.
    refusals: list[Exception] = field(default_factory=list)
    # The same for edit_card (a finished run's last card).
    edit_refusals: list[Exception] = field(default_factory=list)
    final_edits: int = 0
    calls: int = 0

    async def post(self, target: CardTarget, post: ThreadPost) -> str | None:
        self.calls += 1
        if self.refusals:
            raise self.refusals.pop(0)
        rendered = self.renderer.render(post.view)
        self.posts.append(Posted(target, post, rendered.text))
        return f"{len(self.posts)}.000100"

    def update_card(self, target: CardTarget, card: View) -> None:
        self.cards.append((target, card))

    async def edit_card(self, target: CardTarget, card: View) -> None:
        self.final_edits += 1
        if self.edit_refusals:
            raise self.edit_refusals.pop(0)
        self.cards.append((target, card))

    def texts(self) -> list[str]:
        return [p.text for p in self.posts]

    def refuse(self, *errors: Exception) -> None:
        self.refusals.extend(errors)


def retry_later(after: float = 1.0) -> RetryLater:
    return RetryLater("ratelimited", after)


def undeliverable() -> Undeliverable:
    return Undeliverable("channel_not_found")


class Clocks:
    """The sandbox's manual clock, shared by the store and the poller."""

    def __init__(self, sandbox_clock: ManualClock) -> None:
        self.sandbox = sandbox_clock

    def now(self) -> datetime:
        return self.sandbox.now()

    def advance(self, seconds: float) -> datetime:
        return self.sandbox.advance(seconds)


@dataclass
class World:
    """Everything a poller test drives."""

    sandbox: Sandbox
    clock: Clocks
    job: JobClient
    sops: SopsClient
    watches: WatchStore
    chat: RecordingChat
    poller: Poller

    async def watch(
        self, kind: RunKind, run_id: int, *, attached: bool = False, card_ts: str | None = "1.0"
    ) -> WatchRow:
        return await self.watches.watch(
            RunRef(kind=kind, id=run_id, biz=BIZ),
            channel=CHANNEL,
            card_ts=card_ts,
            started_by="Alice",
            bk_username="alice",
            attached=attached,
        )

    async def tick(self, seconds: float = 0.0) -> TickReport:
        """Move time on, then run one poller tick."""
        if seconds:
            self.clock.advance(seconds)
        return await self.poller.run_once()

    async def run_until(
        self, done: Callable[[], bool], *, step: float = 5.0, limit: int = 400
    ) -> TickReport:
        """Tick every ``step`` seconds of sandbox time until ``done()``; fails after ``limit``."""
        total = TickReport()
        for _ in range(limit):
            total.add(await self.tick(step))
            if done():
                return total
        raise AssertionError(f"not done after {limit} ticks; posts: {self.chat.texts()}")

    def new_poller(self, owner: str, *, call_timeout: float = 5.0) -> Poller:
        reader = RunReader(self.job, self.sops, concurrency=8, call_timeout=call_timeout)
        return Poller(self.watches, reader, self.chat, clock=self.clock, config=CONFIG, owner=owner)


CONFIG = PollerConfig(interval=5.0, max_interval=30.0, sops_min_interval=10.0, lease_seconds=60.0)


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(app_code="bkchatops", app_secret="sandbox-secret", clock=ManualClock())


@pytest.fixture
async def world(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[World]:
    assert isinstance(sandbox.clock, ManualClock)
    clock = Clocks(sandbox.clock)
    transport_ = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport_, base_url=BASE) as http:
        transport = Transport(http, Credentials("bkchatops", "sandbox-secret"))
        job = JobClient(transport, base_url=BASE)
        sops = SopsClient(transport, esb_url=BASE)
        db = await Database.open(f"sqlite+aiosqlite:///{tmp_path / 'bkbot.db'}")
        try:
            await db.migrate()
            watches = WatchStore(db, clock=clock)
            chat = RecordingChat(Renderer())
            reader = RunReader(job, sops, concurrency=8, call_timeout=5.0)
            poller = Poller(watches, reader, chat, clock=clock, config=CONFIG, owner="replica-a")
            yield World(sandbox, clock, job, sops, watches, chat, poller)
        finally:
            await db.aclose()
