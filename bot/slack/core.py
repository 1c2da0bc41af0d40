"""What the Slack listeners do after ack: resolve the actor, run the command, deliver the reply."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.commands import FieldErrors, Prepared
from bot.rendering import MAX_BLOCKS_SURFACE
from bot.runtime import Runtime
from bot.services import Actor
from bot.slack.delivery import Delivery
from bot.slack.home import home_view
from bot.slack.metrics import Metrics
from bot.slack.modals import (
    FORM_OPEN_ACTION_ID,
    FormMetadataError,
    PendingForm,
    answers_of,
    decode_form,
    decode_metadata,
    slack_errors,
)
from bot.slack.payloads import Click, Origin, Submission, origin_of
from bot.views import ErrorKind, ErrorView, Reply

__all__ = ["RECEIVED_AT", "Accepted", "Rejected", "SlackCore", "Unreadable"]

log = logging.getLogger(__name__)

# Bolt context key: when the verified request reached the app (set before authorization).
RECEIVED_AT = "bk_received_at"


@dataclass(frozen=True)
class Accepted:
    """A form submission that parsed: close the modal and run it."""

    pending: PendingForm
    prepared: Prepared


@dataclass(frozen=True)
class Rejected:
    """A form submission with field errors: keep the modal open and show them (§4.5)."""

    errors: dict[str, str]


@dataclass(frozen=True)
class Unreadable:
    """A submission whose private_metadata this bot cannot read (another version's modal)."""

    origin: Origin


class SlackCore:
    """The Slack surface over the shared dispatcher: one instance per process."""

    def __init__(self, runtime: Runtime, delivery: Delivery, metrics: Metrics) -> None:
        self.runtime = runtime
        self.delivery = delivery
        self.metrics = metrics
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # ---- bookkeeping ----------------------------------------------------------------------

    def acked(self, kind: str, context: Mapping[str, Any]) -> None:
        """Record how long the ack took (from the verified request to ``ack()``)."""
        received = context.get(RECEIVED_AT)
        if isinstance(received, float):
            self.metrics.ack_seconds.labels(kind).observe(time.perf_counter() - received)

    @asynccontextmanager
    async def _work(self) -> AsyncIterator[None]:
        # Work runs after the ack in Bolt's own tasks; counting it lets shutdown wait for it.
        self._inflight += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()

    async def wait_idle(self, grace: float) -> bool:
        """Wait until no command is being handled; False when ``grace`` seconds passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            return False
        return True

    # ---- the surfaces ---------------------------------------------------------------------

    async def on_command(self, text: str, origin: Origin) -> None:
        """A slash command, already acked."""
        async with self._work():
            actor = await self._actor(origin.user_id)
            # A bare "/bk" is a request for help rather than a mistake.
            reply = await self._run(text or "help", actor, origin, source="slash")
            await self.delivery.deliver(reply, origin, actor)

    async def on_click(self, click: Click) -> None:
        """A button click, already acked: run its command as the clicker, where it was."""
        async with self._work():
            if click.action_id == FORM_OPEN_ACTION_ID:
                await self._reopen_form(click)
                return
            actor = await self._actor(click.origin.user_id)
            reply = await self._run(click.value, actor, click.origin, source="button")
            await self.delivery.deliver(reply, click.origin, actor)

    def check_submission(self, submission: Submission) -> Accepted | Rejected | Unreadable:
        """Parse a modal submission without calling BlueKing: this runs before the ack."""
        try:
            pending = decode_metadata(
                submission.private_metadata,
                user_id=submission.user_id,
                trigger_id=submission.trigger_id,
            )
        except FormMetadataError:
            return Unreadable(Origin(user_id=submission.user_id))
        prepared = self.runtime.dispatcher.prepare_form(pending.form, answers_of(submission))
        if isinstance(prepared, FieldErrors):
            name = self._name_of(" ".join(pending.form.command))
            self.metrics.commands.labels(name, "invalid", "form").inc()
            return Rejected(slack_errors(prepared.errors, submission.block_ids))
        return Accepted(pending, prepared)

    async def on_submission(self, verdict: Accepted | Unreadable) -> None:
        """Run an accepted submission (the modal is closed) and deliver to the form's origin."""
        async with self._work():
            if isinstance(verdict, Unreadable):
                await self.delivery.tell(
                    verdict.origin,
                    ErrorView(
                        kind=ErrorKind.CONFLICT,
                        message="That form is out of date, so I did not run it.",
                        hint="Run the command again to get a fresh form.",
                    ),
                )
                return
            origin = verdict.pending.origin
            actor = await self._actor(origin.user_id)
            started = time.perf_counter()
            reply = await self.runtime.dispatcher.execute(
                verdict.prepared, actor=actor, channel=origin.channel_id
            )
            self._record(verdict.prepared.spec.name, reply, "form", started)
            await self.delivery.deliver(reply, origin, actor)

    async def on_home_opened(self, user_id: str) -> None:
        """Publish the Home tab for ``user_id`` (event already acked by Bolt)."""
        async with self._work():
            actor = await self._actor(user_id)
            runtime = self.runtime
            view = home_view(actor, runtime.services, runtime.dispatcher.registry)
            rendered = runtime.renderer.render(view, limit=MAX_BLOCKS_SURFACE)
            try:
                await self.delivery.client.views_publish(
                    user_id=user_id, view={"type": "home", "blocks": rendered.blocks}
                )
            except SlackApiError as exc:
                error = str(exc.response.get("error") or "unknown_error")
                self.metrics.slack_errors.labels("views.publish", error).inc()
                log.warning("Home tab not published", extra={"user": user_id, "error": error})

    async def on_failure(self, error: BaseException, body: Mapping[str, Any]) -> None:
        """The global error handler: log with context, tell the user, keep running."""
        incident = uuid.uuid4().hex[:8]
        origin = origin_of(body)
        log.error(
            "Slack request failed",
            exc_info=(type(error), error, error.__traceback__),
            extra={
                "incident": incident,
                "kind": body.get("type") or ("slash_command" if "command" in body else "?"),
                "command": _describe(body),
                "user": origin.user_id,
                "channel": origin.channel_id,
                "trigger_id": origin.trigger_id,
                "event_id": body.get("event_id"),
                "request_id": getattr(error, "request_id", None),
            },
        )
        if not origin.user_id:
            return
        await self.delivery.tell(
            origin,
            ErrorView(
                kind=ErrorKind.INTERNAL,
                message="Something went wrong on the bot's side; it has been logged.",
                request_id=incident,
            ),
        )

    # ---- helpers --------------------------------------------------------------------------

    async def _actor(self, user_id: str) -> Actor:
        return await self.runtime.services.identity.slack_actor(user_id)

    async def _run(self, text: str, actor: Actor, origin: Origin, *, source: str) -> Reply:
        started = time.perf_counter()
        reply = await self.runtime.dispatcher.run(text, actor=actor, channel=origin.channel_id)
        self._record(self._name_of(text), reply, source, started)
        return reply

    async def _reopen_form(self, click: Click) -> None:
        try:
            form = decode_form(click.value)
        except FormMetadataError:
            await self.delivery.tell(
                click.origin,
                ErrorView(
                    kind=ErrorKind.CONFLICT,
                    message="That button is out of date.",
                    hint="Run the command again.",
                ),
            )
            return
        await self.delivery.open_form(form, click.origin)

    def _name_of(self, text: str) -> str:
        """The command name for metrics (bounded label values: registry names or "unknown")."""
        words = text.lower().split()
        registry = self.runtime.dispatcher.registry
        for length in range(min(3, len(words)), 0, -1):
            spec = registry.get(" ".join(words[:length]))
            if spec is not None:
                return spec.name
        return "unknown"

    def _record(self, name: str, reply: Reply, source: str, started: float) -> None:
        if isinstance(reply.view, ErrorView):
            outcome = reply.view.kind.value
        else:
            outcome = "form" if reply.form is not None else "ok"
        self.metrics.commands.labels(name, outcome, source).inc()
        self.metrics.command_seconds.labels(source).observe(time.perf_counter() - started)


def _describe(body: Mapping[str, Any]) -> str | None:
    """What was asked, for the log: the command text, the button's command or the form."""
    if "command" in body:
        return f"{body.get('command')} {body.get('text') or ''}".strip()
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return str(actions[0].get("value") or actions[0].get("action_id"))
    view = body.get("view")
    if isinstance(view, dict):
        return f"view {view.get('callback_id')}"
    event = body.get("event")
    return f"event {event.get('type')}" if isinstance(event, dict) else None
