"""The bot in HTTP mode as a real server on loopback, driven by requests signed like Slack's.

The bot talks to the fake Slack Web API (tests/fakes) through ``SLACK_API_URL`` and to the
embedded BlueKing sandbox (manual clock). Everything runs on the test's event loop except the
fake Slack, which uvicorn serves from its own thread.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
from slack_sdk.models.blocks import Block

from bot.commands.ids import FORM_CALLBACK_ID, FORM_VALUE_ACTION_ID
from bot.config import Settings
from bot.poller import PollerConfig
from bot.runtime import Stores, open_stores
from bot.sandbox import ManualClock, Sandbox
from bot.services import Actor
from bot.slack import SlackBot, build_slack_bot, serve
from bot.slack.app import follow_cards
from bot.views import RunRef
from tests.conftest import free_port
from tests.fakes import View, block_actions_body, signed_headers, slash_command_body
from tests.fakes.signing import view_submission_body
from tests.fakes.slack_api import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test"
USER, CHANNEL = "U0ALICE", "C0OPS"
T = TypeVar("T")

# The poller of a live bot (``served_bot(live=True)``): on the wall clock, like production,
# but fast; the sandbox's runs still move only when a test advances the sandbox clock.
LIVE_POLLER = PollerConfig(
    interval=0.2, max_interval=0.5, sops_min_interval=0.2, lease_seconds=30.0, idle_sleep=0.05
)
# The notifier's pace in tests (production: 1 post per second per channel, edits every 1.2 s).
LIVE_POST_INTERVAL = 0.1
LIVE_UPDATE_INTERVAL = 0.1


@dataclass(frozen=True)
class Acked:
    """Slack's side of one request: the HTTP answer and how long it took."""

    response: httpx.Response
    seconds: float
    # The response_url id whose posts belong to this request (see FakeSlack.responses).
    response_id: str | None = None

    @property
    def status(self) -> int:
        return self.response.status_code

    def json(self) -> Any:
        return self.response.json() if self.response.content else None


@dataclass
class Card:
    """A run card reported to the on_card_posted hook."""

    run: RunRef
    channel: str
    ts: str
    actor: Actor


@dataclass
class Driver:
    """Sends Slack's requests to the bot and reads what reached the fake Slack."""

    url: str
    fake: FakeSlack
    bot: SlackBot
    sandbox: Sandbox[ManualClock]
    http: httpx.AsyncClient
    cards: list[Card] = field(default_factory=list)
    # The channel commands are typed in (tests sharing one bot use one channel each).
    channel: str = CHANNEL
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # The store of a live bot (``served_bot(live=True)``): its watches and their outboxes.
    stores: Stores | None = None

    # ---- sending --------------------------------------------------------------------------

    async def send(
        self, body: str, *, timestamp: int | None = None, secret: str = SECRET
    ) -> httpx.Response:
        headers = signed_headers(secret, body, timestamp=timestamp)
        return await self.http.post(f"{self.url}/slack/events", content=body, headers=headers)

    async def send_json(self, body: str) -> httpx.Response:
        """An Events API delivery (JSON, signed like the rest)."""
        headers = signed_headers(SECRET, body, content_type="application/json")
        return await self.http.post(f"{self.url}/slack/events", content=body, headers=headers)

    async def _timed(self, body: str, response_id: str | None) -> Acked:
        started = time.perf_counter()
        response = await self.send(body)
        return Acked(response, time.perf_counter() - started, response_id)

    def new_response(self) -> tuple[str, str]:
        response_id = f"r{next(self._ids)}"
        return response_id, self.fake.response_url(response_id)

    async def command(
        self,
        text: str,
        *,
        trigger_id: str | None = None,
        channel_id: str | None = None,
        user_id: str = USER,
    ) -> Acked:
        """``/bk text`` typed by ``user_id`` in ``channel_id`` (default: the driver's channel)."""
        response_id, response_url = self.new_response()
        body = slash_command_body(
            "/bk",
            text,
            user_id=user_id,
            channel_id=channel_id or self.channel,
            response_url=response_url,
            trigger_id=trigger_id,
        )
        return await self._timed(body, response_id)

    async def click(
        self,
        button: Mapping[str, Any],
        *,
        message: Mapping[str, Any] | None = None,
        ephemeral: bool = False,
        view: Mapping[str, Any] | None = None,
        channel_id: str | None = None,
        user_id: str = USER,
    ) -> Acked:
        """Click ``button`` (an element of a rendered reply) on ``message`` or in ``view``."""
        response_id, response_url = self.new_response()
        extra: dict[str, Any] = {}
        if message is not None:
            extra["message"] = message
            extra["message_ts"] = message.get("ts", "1700000000.000100")
        body = block_actions_body(
            str(button["action_id"]),
            str(button["value"]),
            user_id=user_id,
            channel_id=channel_id or self.channel,
            response_url=response_url,
            is_ephemeral=ephemeral,
            view=view,
            action_text=str(button.get("text", {}).get("text", "Button")),
            **extra,
        )
        return await self._timed(body, None if view is not None else response_id)

    async def submit(self, view: View, answers: Mapping[str, str], *, user_id: str = USER) -> Acked:
        """Submit a modal the bot opened, with ``answers`` by block_id (others as prefilled)."""
        values: dict[str, dict[str, dict[str, Any]]] = {}
        for block in view.blocks:
            if block.get("type") != "input":
                continue
            element = block["element"]
            name = block["block_id"]
            given = answers.get(name, _initial(element))
            leaf: dict[str, Any] = {"type": element["type"]}
            if element["type"] == "static_select":
                chosen = next((o for o in element["options"] if o["value"] == given), None)
                leaf["selected_option"] = chosen
            else:
                leaf["value"] = given
            values[name] = {FORM_VALUE_ACTION_ID: leaf}
        body = view_submission_body(
            FORM_CALLBACK_ID,
            values,
            private_metadata=view.private_metadata,
            blocks=view.blocks,
            view_id=view.id,
            user_id=user_id,
        )
        return await self._timed(body, None)

    # ---- waiting and reading --------------------------------------------------------------

    async def eventually(self, probe: Callable[[], T | None], *, within: float = 5.0) -> T:
        """Poll ``probe`` until it returns something (the reply arrives after the ack)."""
        deadline = time.monotonic() + within
        while True:
            found = probe()
            if found is not None and found != []:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing arrived within {within} s")
            await asyncio.sleep(0.02)

    async def responses(self, acked: Acked, *, count: int = 1) -> list[dict[str, Any]]:
        """The bodies posted to the request's response_url (at least ``count``)."""
        assert acked.response_id is not None
        rid = acked.response_id

        def arrived() -> list[dict[str, Any]] | None:
            posts = [p.body for p in self.fake.responses(rid)]
            return posts if len(posts) >= count else None

        return await self.eventually(arrived)

    async def response(self, acked: Acked) -> dict[str, Any]:
        return (await self.responses(acked))[0]

    async def posted(self, count: int = 1, *, channel: str | None = None) -> list[Any]:
        """Messages the bot posted (chat.postMessage and file shares) in ``channel``."""
        where = channel or self.channel
        return await self.eventually(
            lambda: self.fake.messages(where) if len(self.fake.messages(where)) >= count else None
        )

    async def opened_views(self, count: int = 1, *, kind: str = "modal") -> list[View]:
        """Views the bot opened (``modal``) or published (``home``)."""

        def arrived() -> list[View] | None:
            views = [v for v in self.fake.views() if v.type == kind]
            return views if len(views) >= count else None

        return await self.eventually(arrived)

    async def thread(self, parent_ts: str, count: int = 1) -> list[Any]:
        """Replies under ``parent_ts`` in the driver's channel."""

        def arrived() -> list[Any] | None:
            replies = self.fake.thread(self.channel, parent_ts)
            return replies if len(replies) >= count else None

        return await self.eventually(arrived)

    async def uploads(self) -> list[Any]:
        """Files whose upload was completed (shared, or kept private)."""
        return await self.eventually(lambda: [f for f in self.fake.files() if f.completed] or None)

    async def idle(self) -> None:
        assert await self.bot.core.wait_idle(10), "the bot is still handling something"


def _initial(element: Mapping[str, Any]) -> str:
    if "initial_option" in element:
        return str(element["initial_option"]["value"])
    return str(element.get("initial_value", ""))


def valid_blocks(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every block parses and validates with slack_sdk's Block Kit models (limits included)."""
    assert blocks, "no blocks"
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None, block
        parsed.validate_json()
    return blocks


def buttons_of(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every button element in ``blocks`` (actions blocks and section accessories)."""
    found: list[dict[str, Any]] = []
    for block in blocks:
        if block.get("type") == "actions":
            found.extend(e for e in block["elements"] if e.get("type") == "button")
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("type") == "button":
            found.append(accessory)
    return found


def text_of(blocks: list[dict[str, Any]]) -> str:
    """All the text in ``blocks``, for loose assertions."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(parts)


def bot_settings(fake: FakeSlack, port: int, **overrides: Any) -> Settings:
    """HTTP-mode settings on the fake Slack and the embedded sandbox, whatever the environment."""
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_APP_TOKEN": None,
        "SLACK_API_URL": fake.api_url,
        "BK_COMPONENT_API_URL": None,
        "BK_SOPS_APIGW_URL": None,
        "BKBOT_POLICY_FILE": None,
        "BKBOT_DEFAULT_BIZ": None,
        "BKBOT_COMMAND": "/bk",
        "BKBOT_HTTP_HOST": "127.0.0.1",
        "BKBOT_HTTP_PORT": port,
        "BKBOT_TEMPLATES_DIR": None,
        # A live bot's store: a throwaway SQLite database unless a test names one.
        "BKBOT_DATABASE_URL": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def new_sandbox() -> Sandbox[ManualClock]:
    return Sandbox(app_code="bkchatops", app_secret="sandbox-secret", clock=ManualClock())


@asynccontextmanager
async def served_bot(
    fake: FakeSlack,
    sandbox: Sandbox[ManualClock],
    *,
    live: bool = False,
    poller: PollerConfig = LIVE_POLLER,
    post_interval: float = LIVE_POST_INTERVAL,
    update_interval: float = LIVE_UPDATE_INTERVAL,
    **overrides: Any,
) -> AsyncIterator[Driver]:
    """Run ``serve()`` (HTTP mode) on a free port until the block ends, then stop it cleanly.

    ``live=True`` gives the bot a store (a throwaway SQLite database), so ``serve()`` also
    runs the poller (``poller``) and the Slack notifier (paced at ``post_interval`` /
    ``update_interval``): every run card posted is watched, and its thread and edits follow.
    """
    cards: list[Card] = []
    port = free_port()
    settings = bot_settings(fake, port, **overrides)
    stores: Stores | None = await open_stores(settings) if live else None
    follow = follow_cards(stores.watches) if stores is not None else None

    async def on_card_posted(run: RunRef, channel: str, ts: str, actor: Actor) -> None:
        if follow is not None:
            # What the bot does with a store: the card's run is watched from here on.
            await follow(run, channel, ts, actor)
        cards.append(Card(run, channel, ts, actor))

    try:
        bot = build_slack_bot(
            settings,
            sandbox=sandbox,
            on_card_posted=on_card_posted,
            stores=stores,
            poller_config=poller if live else None,
        )
        if bot.notifier is not None:
            bot.notifier.post_interval = post_interval
            bot.notifier.update_interval = update_interval
        async with _serving(bot, fake, sandbox, cards) as driver:
            driver.stores = stores
            yield driver
    finally:
        if stores is not None:
            await stores.aclose()


@asynccontextmanager
async def _serving(
    bot: SlackBot, fake: FakeSlack, sandbox: Sandbox[ManualClock], cards: list[Card]
) -> AsyncIterator[Driver]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(bot, stop))
    url = f"http://127.0.0.1:{bot.settings.http_port}"
    async with httpx.AsyncClient(timeout=10) as http:
        deadline = time.monotonic() + 10
        while True:
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if task.done() or time.monotonic() > deadline:
                await task
                raise RuntimeError("the bot did not become ready")
            await asyncio.sleep(0.01)
        driver = Driver(url, fake, bot, sandbox, http, cards)
        try:
            yield driver
        finally:
            await bot.core.wait_idle(10)
            stop.set()
            await asyncio.wait_for(task, 15)


@pytest.fixture(autouse=True)
def _no_oauth_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Bolt would switch to OAuth by itself with these set (reference §2.1).
    for name in ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def sandbox() -> Sandbox[ManualClock]:
    return new_sandbox()


@pytest.fixture
async def slack(fake_slack: FakeSlack, sandbox: Sandbox[ManualClock]) -> AsyncIterator[Driver]:
    """The bot served over HTTP on a free loopback port, until the test ends."""
    async with served_bot(fake_slack, sandbox) as driver:
        yield driver


@pytest.fixture
def probe(slack: Driver) -> Driver:
    """The served bot with the test-only ``probe …`` commands registered."""
    from tests.slack.probe import add_probe_commands

    add_probe_commands(slack.bot.runtime.dispatcher.registry)
    return slack
