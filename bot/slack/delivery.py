"""Turns a Reply into Slack calls: respond, post, thread, replace, upload, or open a modal.

Where each placement goes (reference §3.4, §3.6, §4.2):

* EPHEMERAL → the interaction's ``response_url`` (works without channel membership), else
  ``chat.postEphemeral``, else a DM (Home tab and modal replies have no channel).
* CHANNEL / THREAD → ``chat.postMessage`` (unfurls off); THREAD under the clicked message.
* REPLACE → ``response_url`` with ``replace_original`` (ephemeral messages cannot be edited
  any other way); a run card replaces with ``chat.update`` so its ``ts`` is known.
* A reply with ``run`` is the run card: posted (never ephemeral) and reported to the
  ``on_card_posted`` hook with its channel and ts, which keeps it current later.
* ``attachment`` → ``files_upload_v2`` into the card's thread, or the user's DM for private
  replies. ``form`` → ``views.open``; with an expired trigger an "Open the form" button.

Slack refusals (``not_in_channel`` …) are explained to the user, with the reply itself, and
the process carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.rendering import MAX_BLOCKS_MESSAGE, Block, Rendered, Renderer
from bot.services import Actor
from bot.slack.metrics import Metrics
from bot.slack.modals import (
    FORM_OPEN_ACTION_ID,
    FormMetadataError,
    command_text,
    encode_form,
    modal_view,
)
from bot.slack.payloads import Origin
from bot.views import (
    Action,
    ButtonStyle,
    ErrorKind,
    ErrorView,
    FileAttachment,
    Form,
    NoticeView,
    Placement,
    Reply,
    RunRef,
    View,
)

__all__ = ["CardPosted", "Delivery", "Posted", "ignore_card"]

log = logging.getLogger(__name__)

CardPosted = Callable[[RunRef, str, str, Actor], Awaitable[None]]

# views.open refuses a trigger older than 3 s or used once (reference §3.4).
_TRIGGER_ERRORS = frozenset(
    {"expired_trigger_id", "trigger_expired", "trigger_exchanged", "invalid_trigger_id"}
)
# Errors that mean "the bot cannot post in this conversation".
_NOT_MEMBER = frozenset({"not_in_channel", "channel_not_found"})


async def ignore_card(run: RunRef, channel: str, ts: str, actor: Actor) -> None:
    """The default card hook: nobody keeps cards current (the run store plugs in here)."""
    log.debug("run card posted", extra={"run": f"{run.kind}:{run.id}", "channel": channel})


@dataclass(frozen=True)
class Posted:
    """Where a reply landed; ``ts`` is None for ephemeral messages (they have none to keep)."""

    channel: str | None
    ts: str | None
    thread_ts: str | None = None


class Delivery:
    """Delivers replies for the Slack adapter; one per process."""

    def __init__(
        self,
        client: AsyncWebClient,
        renderer: Renderer,
        *,
        metrics: Metrics,
        on_card_posted: CardPosted = ignore_card,
        retry_handlers: Sequence[AsyncRetryHandler] = (),
    ) -> None:
        self.client = client
        self.renderer = renderer
        self.metrics = metrics
        self.on_card_posted = on_card_posted
        self._retry_handlers = list(retry_handlers)
        # The bot's Slack name for "/invite @name" hints; set from auth.test at startup.
        self.bot_name = "bkbot"

    # ---- entry points ---------------------------------------------------------------------

    async def deliver(self, reply: Reply, origin: Origin, actor: Actor) -> None:
        """Show ``reply`` to whoever asked, where its placement says."""
        if reply.form is not None:
            # The trigger is seconds from expiry: open the modal before anything else.
            await self.open_form(reply.form, origin)
        if reply.view is not None:
            await self._message(reply, reply.view, origin, actor)

    async def open_form(self, form: Form, origin: Origin) -> None:
        """``views.open`` with the trigger; an "Open the form" button when it expired."""
        try:
            view = modal_view(form, origin)
        except (FormMetadataError, ValueError):
            log.exception("form cannot be shown as a modal", extra={"form": form.title})
            await self.tell(origin, _internal("This form is too large for a Slack modal."))
            return
        if origin.trigger_id:
            try:
                await self.client.views_open(trigger_id=origin.trigger_id, view=view)
                return
            except SlackApiError as exc:
                if _error_of(exc) not in _TRIGGER_ERRORS:
                    await self._refused(exc, origin, None)
                    return
                self._count(exc)
                log.info("trigger expired before the modal opened", extra=_where(origin))
        await self._offer_form(form, origin)

    async def tell(self, origin: Origin, view: View) -> None:
        """An ephemeral note to the user (errors, hints); never raises."""
        await self._tell(origin, self.renderer.render(view))

    # ---- messages -------------------------------------------------------------------------

    async def _message(self, reply: Reply, view: View, origin: Origin, actor: Actor) -> None:
        rendered = self.renderer.render(view)
        try:
            if reply.run is not None:
                posted = await self._card(reply.placement, rendered, origin)
            else:
                posted = await self._place(reply.placement, rendered, origin)
        except SlackApiError as exc:
            await self._refused(exc, origin, rendered)
            return
        if reply.run is not None and posted.channel and posted.ts:
            await self.on_card_posted(reply.run, posted.channel, posted.ts, actor)
        if reply.attachment is not None:
            await self._upload(reply.attachment, posted, origin)

    async def _place(self, placement: Placement, rendered: Rendered, origin: Origin) -> Posted:
        if placement is Placement.REPLACE and origin.response_url and origin.message_ts:
            if await self._respond(origin.response_url, rendered, replace=True):
                ts = None if origin.ephemeral else origin.message_ts
                return Posted(origin.channel_id, ts, origin.thread_ts)
            if origin.channel_id and not origin.ephemeral:
                return await self._update(origin.channel_id, origin.message_ts, rendered, origin)
        if placement in (Placement.CHANNEL, Placement.THREAD) and origin.channel_id:
            thread = origin.reply_thread if placement is Placement.THREAD else None
            return await self._post(origin.channel_id, rendered, thread)
        if placement in (Placement.CHANNEL, Placement.THREAD):
            # No channel (App Home, a modal opened there): the app's DM is the user's channel.
            return await self._post(origin.user_id, rendered, None)
        return await self._ephemeral(rendered, origin)

    async def _card(self, placement: Placement, rendered: Rendered, origin: Origin) -> Posted:
        """A run card must be a real message: its channel and ts are what keeps it current."""
        channel = origin.channel_id
        if channel is None:
            return await self._post(origin.user_id, rendered, None)
        if placement is Placement.REPLACE and origin.message_ts and not origin.ephemeral:
            return await self._update(channel, origin.message_ts, rendered, origin)
        if placement is Placement.REPLACE and origin.ephemeral and origin.response_url:
            # The ephemeral prompt has done its job; the card replaces it in the channel.
            await self._respond(origin.response_url, None, delete=True)
        thread = origin.reply_thread if placement is Placement.THREAD else None
        return await self._post(channel, rendered, thread)

    async def _post(self, channel: str, rendered: Rendered, thread_ts: str | None) -> Posted:
        response = await self.client.chat_postMessage(
            channel=channel,
            text=rendered.text,
            blocks=rendered.blocks,
            thread_ts=thread_ts,
            # Run cards and logs carry BlueKing URLs; previews would only add noise (§4.2).
            unfurl_links=False,
            unfurl_media=False,
        )
        posted_in = _text(response.get("channel")) or channel
        return Posted(posted_in, _text(response.get("ts")), thread_ts)

    async def _update(self, channel: str, ts: str, rendered: Rendered, origin: Origin) -> Posted:
        await self.client.chat_update(
            channel=channel, ts=ts, text=rendered.text, blocks=rendered.blocks
        )
        return Posted(channel, ts, origin.thread_ts)

    async def _ephemeral(self, rendered: Rendered, origin: Origin) -> Posted:
        if origin.response_url and await self._respond(origin.response_url, rendered):
            return Posted(origin.channel_id, None)
        if origin.channel_id:
            await self.client.chat_postEphemeral(
                channel=origin.channel_id,
                user=origin.user_id,
                text=rendered.text,
                blocks=rendered.blocks,
                thread_ts=origin.thread_ts,
            )
            return Posted(origin.channel_id, None)
        return await self._post(origin.user_id, rendered, None)

    async def _respond(
        self,
        url: str,
        rendered: Rendered | None,
        *,
        replace: bool = False,
        delete: bool = False,
    ) -> bool:
        """Post to a response_url; False when Slack refused it (expired, used 5 times …)."""
        hook = AsyncWebhookClient(
            url, session=self.client.session, retry_handlers=list(self._retry_handlers)
        )
        try:
            if delete:
                response = await hook.send(delete_original=True)
            elif rendered is not None:
                response = await hook.send(
                    text=rendered.text,
                    blocks=rendered.blocks,
                    # A new private message, or the clicked one rewritten in place (§3.6).
                    response_type=None if replace else "ephemeral",
                    replace_original=replace,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            else:
                raise ValueError("nothing to send to the response_url")
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("response_url unreachable", extra={"error": repr(exc)})
            self.metrics.slack_errors.labels("response_url", "unreachable").inc()
            return False
        if response.status_code == 200:
            return True
        error = (response.body or str(response.status_code)).strip()[:60]
        log.warning("response_url refused", extra={"status": response.status_code, "error": error})
        self.metrics.slack_errors.labels("response_url", error).inc()
        return False

    # ---- files and forms -----------------------------------------------------------------

    async def _upload(self, attachment: FileAttachment, posted: Posted, origin: Origin) -> None:
        try:
            channel: str | None
            thread: str | None
            if posted.channel and posted.ts:
                # Long logs go in the message's thread so the channel stays readable (product §4).
                channel, thread = posted.channel, posted.thread_ts or posted.ts
            else:
                # A private reply: the file must not be shared with the channel; use the DM.
                opened = await self.client.conversations_open(users=origin.user_id)
                channel, thread = _text(_field(opened.get("channel"), "id")), None
            await self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread,
                content=attachment.content,
                filename=attachment.filename,
                title=attachment.title or attachment.filename,
            )
        except SlackApiError as exc:
            await self._refused(exc, origin, None)

    async def _offer_form(self, form: Form, origin: Origin) -> None:
        """A button that opens the form: a click brings a fresh trigger (reference §3.4)."""
        fallback = command_text(form)
        notice = NoticeView(
            text="The form took too long to open (Slack allows 3 seconds). "
            "Click the button to open it now.",
            actions=(Action(label="Open the form", command=fallback, style=ButtonStyle.PRIMARY),),
        )
        rendered = self.renderer.render(notice)
        value = encode_form(form)
        if value is not None:
            # The button carries the form itself, so nothing has to be fetched again.
            _retarget_button(rendered.blocks, fallback, FORM_OPEN_ACTION_ID, value)
        try:
            await self._ephemeral(rendered, origin)
        except SlackApiError as exc:
            await self._refused(exc, origin, rendered)

    # ---- refusals -------------------------------------------------------------------------

    async def _refused(self, exc: SlackApiError, origin: Origin, rendered: Rendered | None) -> None:
        """Explain a Slack refusal to the user, with the reply they would have seen."""
        error = self._count(exc)
        log.warning(
            "Slack refused a reply",
            extra={"method": _method_of(exc), "error": error, **_where(origin)},
        )
        explanation = self.renderer.render(self._explain(error))
        if rendered is None:
            await self._tell(origin, explanation)
            return
        room = MAX_BLOCKS_MESSAGE - len(explanation.blocks) - 1
        blocks: list[Block] = [*explanation.blocks, {"type": "divider"}, *rendered.blocks[:room]]
        await self._tell(origin, Rendered(blocks=blocks, text=explanation.text))

    def _explain(self, error: str) -> ErrorView:
        invite = f"Invite me with `/invite @{self.bot_name}`, then try again."
        if error == "not_in_channel":
            return ErrorView(
                kind=ErrorKind.DENIED,
                message="I can't post in this channel because I'm not a member of it. "
                "Here is the reply, just for you.",
                hint=invite,
            )
        if error == "channel_not_found":
            return ErrorView(
                kind=ErrorKind.DENIED,
                message="I can't see this channel (private channels need me as a member). "
                "Here is the reply, just for you.",
                hint=invite,
            )
        if error == "is_archived":
            return ErrorView(
                kind=ErrorKind.CONFLICT,
                message="This channel is archived, so I can't post in it.",
            )
        return ErrorView(
            kind=ErrorKind.UPSTREAM,
            message=f"Slack refused my reply (`{error}`).",
            hint="Try again in a moment; if it keeps failing, tell the bot's operators.",
        )

    async def _tell(self, origin: Origin, rendered: Rendered) -> None:
        """Best effort: response_url, else a DM. Failures are logged, never raised."""
        if origin.response_url and await self._respond(origin.response_url, rendered):
            return
        if not origin.user_id:
            return
        try:
            await self._post(origin.user_id, rendered, None)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning(
                "could not tell the user about a failure",
                extra={"error": repr(exc), **_where(origin)},
            )

    def _count(self, exc: SlackApiError) -> str:
        error = _error_of(exc)
        self.metrics.slack_errors.labels(_method_of(exc), error).inc()
        return error


def _internal(message: str) -> ErrorView:
    return ErrorView(kind=ErrorKind.INTERNAL, message=message)


def _retarget_button(blocks: list[Block], value: str, action_id: str, new_value: str) -> None:
    for block in blocks:
        elements = block.get("elements")
        for element in elements if isinstance(elements, list) else []:
            if isinstance(element, dict) and element.get("value") == value:
                element["action_id"] = action_id
                element["value"] = new_value


def _error_of(exc: SlackApiError) -> str:
    response: Any = exc.response
    error = response.get("error") if response is not None else None
    return str(error or "unknown_error")


def _method_of(exc: SlackApiError) -> str:
    response: Any = exc.response
    url = str(getattr(response, "api_url", "") or "")
    return url.rstrip("/").rsplit("/", 1)[-1] or "unknown"


def _where(origin: Origin) -> dict[str, str | None]:
    return {"user": origin.user_id, "channel": origin.channel_id}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _field(value: object, key: str) -> object:
    return value.get(key) if isinstance(value, dict) else None
