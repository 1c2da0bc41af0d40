"""Builds the Bolt AsyncApp and what it needs: the Web API client, runtime, delivery and core."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import ChatAdapter, Settings
from bot.errors import ConfigError
from bot.poller import Poller, PollerConfig
from bot.runtime import Runtime, Stores, build_poller, build_runtime
from bot.sandbox import Clock, Sandbox
from bot.services import Actor, KnownRun, RunRegistry
from bot.slack.core import SlackCore
from bot.slack.delivery import CardPosted, Delivery, ignore_card
from bot.slack.directory import SlackDirectory
from bot.slack.listeners import register, stamp_received
from bot.slack.metrics import Metrics
from bot.slack.notifier import SlackNotifier
from bot.views import RunRef

__all__ = [
    "RATE_LIMIT_RETRIES",
    "SlackBot",
    "build_slack_bot",
    "follow_cards",
    "retry_handlers",
    "slack_client",
]

log = logging.getLogger(__name__)

# slack-sdk retries a 429 only once by default (reference §3.3, §7.6); a burst of run cards in
# one channel can need a few rounds of Retry-After.
RATE_LIMIT_RETRIES = 3


class _CountedRateLimitRetry(AsyncRateLimitErrorRetryHandler):
    """Retries a 429 after its Retry-After (reference §3.3) and counts it."""

    def __init__(self, metrics: Metrics, max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self._metrics = metrics

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        limited = response is not None and response.status_code == 429
        if limited:
            method = request.url.rstrip("/").rsplit("/", 1)[-1]
            self._metrics.slack_ratelimited.labels(method).inc()
        return limited


def retry_handlers(metrics: Metrics) -> list[AsyncRetryHandler]:
    """Retries for every Slack call: 429 after Retry-After, connection resets, 500/503 once."""
    return [
        _CountedRateLimitRetry(metrics, RATE_LIMIT_RETRIES),
        AsyncConnectionErrorRetryHandler(),
        AsyncServerErrorRetryHandler(),
    ]


def slack_client(settings: Settings, metrics: Metrics, *, retries: bool = True) -> AsyncWebClient:
    """The bot's Web API client, pointed at ``SLACK_API_URL`` (a fake in tests, §2.9).

    ``retries=False`` is the notifier's: it sees each 429 itself and reschedules the post in
    the outbox instead of sleeping inside the call.
    """
    if settings.slack_bot_token is None:
        raise ConfigError("SLACK_BOT_TOKEN is not set, so there is no Slack to connect to.")
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=str(settings.slack_api_url),
        retry_handlers=retry_handlers(metrics) if retries else [],
    )


class _SameTokenNotice(logging.Filter):
    """Drops Bolt's "`token` will be unused" warning.

    Bolt reads SLACK_BOT_TOKEN from the environment by itself (reference §2.1) and warns that
    the client's token wins; both are the same token, so the warning only confuses operators.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_BOLT_LOGGER = logging.getLogger("slack_bolt.AsyncApp")
if not any(isinstance(f, _SameTokenNotice) for f in _BOLT_LOGGER.filters):
    _BOLT_LOGGER.addFilter(_SameTokenNotice())


class SocketState(Protocol):
    """What readiness needs from a Socket Mode client."""

    async def is_connected(self) -> bool:
        """True while the WebSocket is open."""
        ...


@dataclass
class SlackBot:
    """The Slack adapter of one process: Bolt app, runtime, delivery, core and metrics."""

    settings: Settings
    runtime: Runtime
    client: AsyncWebClient
    app: AsyncApp
    core: SlackCore
    delivery: Delivery
    metrics: Metrics
    started: bool = False
    bot_user_id: str | None = None
    team: str | None = None
    socket: SocketState | None = None
    # Live cards: the notifier posts in threads and edits cards; the poller feeds it.
    notifier: SlackNotifier | None = None
    poller: Poller | None = None
    _own_session: bool = field(default=False, repr=False)

    async def start(self) -> None:
        """One connection pool for every Slack call, and ``auth.test`` to learn who we are."""
        if self.client.session is None:
            # Otherwise slack-sdk opens a new aiohttp session per call (reference §2.9).
            self.client.session = aiohttp.ClientSession()
            self._own_session = True
        if self.notifier is not None and self.notifier.client.session is None:
            self.notifier.client.session = self.client.session
        try:
            auth = await self.client.auth_test()
        except SlackApiError as exc:
            error = exc.response.get("error")
            raise ConfigError(
                f"Slack refused SLACK_BOT_TOKEN ({error}).",
                hint="Copy the Bot User OAuth Token (xoxb-…) from the app's "
                "OAuth & Permissions page.",
            ) from exc
        self.bot_user_id = _text(auth.get("user_id"))
        self.team = _text(auth.get("team"))
        self.delivery.bot_name = _text(auth.get("user")) or self.delivery.bot_name
        self.started = True

    async def readiness(self) -> tuple[bool, str]:
        """Ready once ``auth.test`` passed and, in Socket Mode, while the socket is open."""
        if not self.started:
            return False, "starting"
        if self.socket is not None and not await self.socket.is_connected():
            return False, "Socket Mode connection is down"
        return True, "ready"

    async def aclose(self, *, grace: float = 10.0) -> None:
        """Let running commands finish (up to ``grace`` s), then release connections."""
        self.started = False
        if not await self.core.wait_idle(grace):
            log.warning("shutting down with commands still running", extra={"grace": grace})
        if self._own_session and self.client.session is not None:
            await self.client.session.close()
            self.client.session = None
        await self.runtime.aclose()


def build_slack_bot(
    settings: Settings,
    *,
    sandbox: Sandbox[Clock] | None = None,
    on_card_posted: CardPosted = ignore_card,
    metrics: Metrics | None = None,
    stores: Stores | None = None,
    poller_config: PollerConfig | None = None,
) -> SlackBot:
    """Wire the Slack adapter: client, user directory, runtime, delivery, core and listeners."""
    metrics = metrics or Metrics()
    client = slack_client(settings, metrics)
    secret = settings.slack_signing_secret
    app = AsyncApp(
        name="bkbot",
        client=client,
        # Explicit: Bolt would fall back to SLACK_SIGNING_SECRET from the environment itself.
        signing_secret=secret.get_secret_value() if secret else "",
        # Socket Mode requests are not signed (Bolt skips them); HTTP mode must verify (§2.5).
        request_verification_enabled=secret is not None
        or settings.chat_adapter is not ChatAdapter.SLACK_SOCKET,
        # Ack first, work in the background: a long-running process, not FaaS (§2.3).
        process_before_response=False,
        before_authorize=stamp_received,
    )
    if app.oauth_flow is not None:
        # Bolt turns OAuth on by itself when SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are in the
        # environment (reference §2.1, §7.10); this single-workspace bot must not do that.
        raise ConfigError(
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET are set, which makes Bolt switch to "
            "multi-workspace OAuth with file stores.",
            hint="This bot uses SLACK_BOT_TOKEN only: unset SLACK_CLIENT_ID and "
            "SLACK_CLIENT_SECRET.",
        )
    runtime = build_runtime(
        settings,
        directory=SlackDirectory(client, metrics=metrics),
        sandbox=sandbox,
        channels=stores.channels if stores else None,
        runs=stores.runs if stores else None,
        store=stores.describe() if stores else "store in memory",
    )
    notifier = poller = None
    if stores is not None:
        if on_card_posted is ignore_card:
            on_card_posted = follow_cards(stores.watches)
        notifier = SlackNotifier(
            slack_client(settings, metrics, retries=False), runtime.renderer, metrics=metrics
        )
        poller = build_poller(runtime, stores, notifier, config=poller_config)
    delivery = Delivery(
        client,
        runtime.renderer,
        metrics=metrics,
        on_card_posted=on_card_posted,
        retry_handlers=retry_handlers(metrics),
    )
    core = SlackCore(runtime, delivery, metrics)
    register(app, core, slash=settings.command)
    return SlackBot(
        settings=settings,
        runtime=runtime,
        client=client,
        app=app,
        core=core,
        delivery=delivery,
        metrics=metrics,
        notifier=notifier,
        poller=poller,
    )


def follow_cards(registry: RunRegistry) -> CardPosted:
    """The card hook of a bot with a store: a posted card is where its run's story goes."""

    async def follow(run: RunRef, channel: str, ts: str, actor: Actor) -> None:
        await registry.remember(
            KnownRun(
                ref=run,
                channel=channel,
                ts=ts,
                started_by=actor.display_name or actor.id,
                bk_username=actor.bk_username,
            )
        )

    return follow


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
