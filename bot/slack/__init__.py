"""The Slack adapter: Bolt listeners over the shared dispatcher, HTTP mode or Socket Mode."""

from __future__ import annotations

import asyncio
import logging
import signal

from bot.config import Settings
from bot.errors import ConfigError
from bot.runtime import open_stores
from bot.slack.app import SlackBot, build_slack_bot
from bot.slack.delivery import CardPosted, Delivery, ignore_card
from bot.slack.directory import SlackDirectory, SlackProfile
from bot.slack.metrics import Metrics
from bot.slack.server import http_app, serve, startup_line

__all__ = [
    "CardPosted",
    "Delivery",
    "Metrics",
    "SlackBot",
    "SlackDirectory",
    "SlackProfile",
    "build_slack_bot",
    "http_app",
    "ignore_card",
    "run_slack",
    "serve",
    "startup_line",
]

log = logging.getLogger(__name__)


async def run_slack(settings: Settings, *, on_card_posted: CardPosted = ignore_card) -> None:
    """``bkbot run`` with Slack: serve until SIGTERM or SIGINT, then shut down cleanly.

    A second signal during shutdown gets Python's default behaviour (it stops at once).
    """
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)

    def request_stop() -> None:
        stop.set()
        for sig in signals:
            loop.remove_signal_handler(sig)

    for sig in signals:
        loop.add_signal_handler(sig, request_stop)
    try:
        stores = await open_stores(settings)
        try:
            bot = build_slack_bot(settings, on_card_posted=on_card_posted, stores=stores)
            await serve(bot, stop)
        finally:
            await stores.aclose()
    except ConfigError as exc:
        # A setup problem is the operator's to fix: one clear line, no stack trace.
        log.error("bkbot: %s%s", exc.user_message, f" {exc.hint}" if exc.hint else "")
        raise SystemExit(2) from None
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
