"""Thin Bolt listeners: ack first, then hand the typed payload to the core (reference §2.2)."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.commands.ids import ACTION_ID_PREFIX, FORM_CALLBACK_ID
from bot.slack.core import RECEIVED_AT, Rejected, SlackCore
from bot.slack.modals import FORM_OPEN_ACTION_ID
from bot.slack.payloads import click_of, command_of, home_user_of, submission_of

__all__ = ["BUTTON_ACTION_ID", "register", "stamp_received"]

# Every command button the renderer draws: bk.cmd.0, bk.cmd.1, …
BUTTON_ACTION_ID = re.compile(rf"^{re.escape(ACTION_ID_PREFIX)}\.\d+$")


async def stamp_received(context: AsyncBoltContext, next_: Callable[[], Awaitable[None]]) -> None:
    """``before_authorize`` middleware: note when a verified request arrived (ack latency)."""
    context[RECEIVED_AT] = time.perf_counter()
    await next_()


def register(app: AsyncApp, core: SlackCore, *, slash: str) -> None:
    """Attach the command, button, modal, App Home and error listeners to ``app``."""

    @app.command(slash)
    async def slash_command(
        ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        await ack()  # before anything slow: Slack gives 3 s (§2.2)
        core.acked("command", context)
        text, origin = command_of(command)
        await core.on_command(text, origin)

    @app.action(BUTTON_ACTION_ID)
    @app.action(FORM_OPEN_ACTION_ID)  # "Open the form" after an expired trigger
    async def button(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
        await ack()
        core.acked("action", context)
        await core.on_click(click_of(body))

    @app.view(FORM_CALLBACK_ID)
    async def form_submitted(
        ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        # Field errors must travel in the ack itself, so parsing (no BlueKing) comes first (§4.5).
        verdict = core.check_submission(submission_of(body))
        if isinstance(verdict, Rejected):
            await ack(response_action="errors", errors=verdict.errors)
            core.acked("view", context)
            return
        await ack()  # an empty ack closes the modal
        core.acked("view", context)
        await core.on_submission(verdict)

    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any]) -> None:
        user = home_user_of(event)
        if user is not None:
            await core.on_home_opened(user)

    @app.error
    async def failed(error: Exception, body: dict[str, Any]) -> None:
        await core.on_failure(error, body)
