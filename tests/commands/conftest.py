"""Fixtures: a seeded sandbox (manual clock), real clients, services, dispatcher, renderer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from slack_sdk.models.blocks import Block

from bot.clients._http import Credentials, Transport
from bot.clients.bk_job import JobClient
from bot.clients.bk_sops import SopsClient
from bot.commands import Dispatcher, build_registry
from bot.rendering import Renderer
from bot.sandbox import ManualClock, Sandbox
from bot.services import (
    Actor,
    Identity,
    MemoryChannelSettings,
    MemoryRunRegistry,
    Policy,
    Services,
)
from bot.views import Reply

BASE = "http://sandbox"
CHANNEL = "C0TEST"


@pytest.fixture
def sandbox() -> Sandbox[ManualClock]:
    return Sandbox(app_code="bkchatops", app_secret="sandbox-secret", clock=ManualClock())


@pytest.fixture
async def services(sandbox: Sandbox[ManualClock]) -> AsyncIterator[Services]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox.app), base_url=BASE
    ) as http:
        transport = Transport(http, Credentials("bkchatops", "sandbox-secret"))
        yield Services(
            job=JobClient(transport, base_url=BASE),
            sops=SopsClient(transport, esb_url=BASE),
            identity=Identity(Policy(), sandbox=True),
            channels=MemoryChannelSettings(),
            runs=MemoryRunRegistry(),
            default_biz=2,
            command="/bk",
            sandbox=True,
        )


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


@dataclass
class Outcome:
    """A reply and both of its renderings (both are always produced, so both are checked)."""

    reply: Reply
    text: str
    blocks: list[dict[str, object]]

    @property
    def buttons(self) -> list[dict[str, object]]:
        """Every button element in the blocks (actions blocks and accessories)."""
        found: list[dict[str, object]] = []
        for block in self.blocks:
            elements = block.get("elements") if block.get("type") == "actions" else None
            if isinstance(elements, list):
                found.extend(e for e in elements if isinstance(e, dict))
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == "button":
                found.append(accessory)
        return found

    @property
    def commands(self) -> list[str]:
        """The command text behind every button."""
        return [str(b["value"]) for b in self.buttons]


class Bot:
    """Runs command text as a user would, and renders the reply like the adapters do."""

    def __init__(self, services: Services, renderer: Renderer, actor: Actor) -> None:
        self.dispatcher = Dispatcher(build_registry(), services)
        self.renderer = renderer
        self.actor = actor

    async def __call__(self, text: str, *, channel: str | None = CHANNEL) -> Outcome:
        reply = await self.dispatcher.run(text, actor=self.actor, channel=channel)
        return self.render(reply)

    def render(self, reply: Reply) -> Outcome:
        if reply.view is None:
            return Outcome(reply, "", [])
        blocks = self.renderer.blocks(reply.view)
        # Every rendered reply must be valid Block Kit (slack_sdk's models validate limits).
        for block in blocks:
            parsed = Block.parse(block)
            assert parsed is not None, block
            parsed.validate_json()
        return Outcome(reply, self.renderer.text(reply.view), blocks)


@pytest.fixture
def actor(services: Services) -> Actor:
    return services.identity.console_actor("tester")


@pytest.fixture
def bot(services: Services, renderer: Renderer, actor: Actor) -> Bot:
    return Bot(services, renderer, actor)
