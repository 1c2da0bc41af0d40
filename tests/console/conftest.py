"""A scripted terminal and a console app on the sandbox."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterable

import pytest

from bot.config import Settings
from bot.console import ConsoleApp
from bot.runtime import Runtime, build_runtime
from bot.sandbox import ManualClock, Sandbox
from tests.test_config import ALL_VARS


class ScriptedIO:
    """Feeds prepared lines to the console and records everything it prints."""

    def __init__(self, lines: Iterable[str] = ()) -> None:
        self.lines = list(lines)
        self.out: list[str] = []
        self.prompts: list[str] = []
        # Buttons to click once they are shown: their labels, in order.
        self.clicks: list[str] = []

    @property
    def interactive(self) -> bool:
        return False

    def feed(self, *lines: str) -> None:
        self.lines.extend(lines)

    def click_when_shown(self, *labels: str) -> None:
        """Answer reads with the number of each button as soon as it appears."""
        self.clicks.extend(labels)

    async def read(self, prompt: str) -> str | None:
        self.prompts.append(prompt)
        if self.lines:
            return self.lines.pop(0)
        if not self.clicks:
            return None
        label = self.clicks[0]
        pattern = re.compile(rf"\[(\d+)\] {re.escape(label)}(?:  |$)")
        seen = 0
        while True:  # the console keeps polling meanwhile; wait for the button to appear
            for line in self.out[seen:]:
                found = pattern.findall(line)
                if found:
                    self.clicks.pop(0)
                    return found[-1]
            seen = max(0, len(self.out) - 50)
            await asyncio.sleep(0.001)

    async def read_secret(self, prompt: str) -> str | None:
        return await self.read(prompt)

    def write(self, text: str, *, style: str | None = None) -> None:
        self.out.extend(text.splitlines() or [""])

    @property
    def text(self) -> str:
        return "\n".join(self.out)


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Settings:
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    return Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.fixture
def sandbox() -> Sandbox[ManualClock]:
    return Sandbox(app_code="bkchatops", app_secret="sandbox-secret", clock=ManualClock())


@pytest.fixture
async def runtime(settings: Settings, sandbox: Sandbox[ManualClock]) -> AsyncIterator[Runtime]:
    rt = build_runtime(settings, sandbox=sandbox)  # type: ignore[arg-type]
    yield rt
    await rt.aclose()


@pytest.fixture
def io() -> ScriptedIO:
    return ScriptedIO()


@pytest.fixture
def app(runtime: Runtime, io: ScriptedIO, sandbox: Sandbox[ManualClock]) -> ConsoleApp:
    async def tick(seconds: float) -> None:
        # Waiting between polls moves the sandbox's clock instead of real time.
        sandbox.clock.advance(seconds)
        await asyncio.sleep(0)

    return ConsoleApp(runtime, io, login="tester", sleep=tick)
