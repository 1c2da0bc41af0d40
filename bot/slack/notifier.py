"""The Notifier port on Slack: paced posts in run threads, coalesced and paced card edits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.rendering import Block, Rendered, Renderer, TemplateError
from bot.services.ports import (
    CardTarget,
    ChannelBusy,
    DeliveryError,
    RetryLater,
    ThreadPost,
    Undeliverable,
)
from bot.slack.metrics import Metrics
from bot.views import FileAttachment, View

__all__ = ["SlackNotifier"]

log = logging.getLogger(__name__)

CardKey = tuple[str, str]

# A card whose ts is not known yet is usually being posted right now.
CARD_PENDING_RETRY = 2.0
# Slack sends Retry-After with every 429; this is for the rare answer without one (§3.3).
DEFAULT_RETRY_AFTER = 1.0
# Timeouts, resets and Slack's own outages usually pass within seconds.
TRANSIENT_RETRY = 5.0
# Card edits that fail for other reasons are tried this often before they are dropped.
EDIT_ATTEMPTS = 4

_RATE_LIMITED = frozenset({"ratelimited", "rate_limited"})
# Slack's own trouble (chat.postMessage reference, "errors"): worth another try.
_TRANSIENT = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org"}
)
# The message is too large or its blocks are refused: the plain-text twin may still go through.
_TOO_BIG = frozenset(
    {"msg_too_long", "msg_blocks_too_long", "invalid_blocks", "invalid_blocks_format"}
)
# A card that is gone, or a channel the bot cannot write to: editing it again cannot succeed.
_EDIT_GONE = frozenset(
    {
        "message_not_found",
        "channel_not_found",
        "cant_update_message",
        "not_in_channel",
        "is_archived",
        "edit_window_closed",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "not_authed",
        "missing_scope",
    }
)


@dataclass(frozen=True)
class _Refusal:
    """What a failed Slack call said: its error code, HTTP status and Retry-After."""

    code: str | None
    status: int | None
    retry_after: float | None

    @property
    def reason(self) -> str:
        return self.code or (f"http_{self.status}" if self.status else "unknown_error")

    @property
    def rate_limited(self) -> bool:
        return self.status == 429 or self.code in _RATE_LIMITED

    @property
    def transient(self) -> bool:
        # No error code at all means a proxy or an outage answered, not Slack's API.
        return (self.status or 0) >= 500 or self.code in _TRANSIENT or self.code is None

    @property
    def wait(self) -> float:
        return self.retry_after if self.retry_after is not None else DEFAULT_RETRY_AFTER


@dataclass
class _Lane:
    """One channel's pace: posts one at a time, and a pause after a 429."""

    lock: asyncio.Lock
    last_post: float = -math.inf
    last_edit: float = -math.inf
    paused_until: float = -math.inf


@dataclass
class _Edit:
    """The newest state of one card waiting to be sent."""

    card: View
    attempts: int = 0
    not_before: float = -math.inf
    # edit_card callers waiting for this card to reach Slack (in this or a newer state).
    waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def settle(self, error: DeliveryError | None = None) -> None:
        for waiter in self.waiters:
            if not waiter.done():
                if error is None:
                    waiter.set_result(None)
                else:
                    waiter.set_exception(error)
        self.waiters.clear()


class SlackNotifier:
    """Posts in run cards' threads and keeps the cards current (services.ports.Notifier).

    Posts: at most one per ``post_interval`` per channel (Slack: ~1 message/s per channel,
    reference §3.1), other channels are not held up; a post that cannot get its channel's
    turn within ``queue_wait`` raises ChannelBusy (kept for the poller's next turn). A channel
    paused by a 429 is not waited for: ``post`` raises RetryLater and the poller reschedules
    the post. Slack's refusals map to RetryLater (429, timeouts, network errors, 5xx and
    Slack's internal errors) or Undeliverable (everything else: the channel is gone or closed
    to the bot, the card was deleted, the token is dead, or an error code this adapter does
    not know); a message refused for its size or blocks is tried once more as plain text.

    Card edits: one queued edit per card, a newer state replacing an older one; a single
    worker sends them at most one per ``update_interval`` overall (``chat.update`` is Tier 3,
    about 50/min per workspace) and one per ``post_interval`` per channel. ``edit_card`` queues
    the same way and waits until Slack has the edit (a run's final state, sent before the
    other edits whose turn has come). A 429 pauses all
    edits for its Retry-After and then the card's newest state is sent.

    The client must have no rate-limit retry handler: this class sees each 429 itself.
    """

    def __init__(
        self,
        client: AsyncWebClient,
        renderer: Renderer,
        *,
        metrics: Metrics,
        post_interval: float = 1.0,
        update_interval: float = 1.2,
        timeout: float = 15.0,
        queue_wait: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.renderer = renderer
        self.metrics = metrics
        self.post_interval = post_interval
        self.update_interval = update_interval
        # slack-sdk applies its own timeout only to sessions it opens; a shared aiohttp
        # session keeps aiohttp's 5 minutes, which would hold a channel's posts that long.
        self.timeout = timeout
        self.queue_wait = queue_wait
        self._clock = clock
        self._lanes: dict[str, _Lane] = {}
        # Insertion order is the send order; replacing a card's edit keeps its place in line.
        self._pending: dict[CardKey, _Edit] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._last_update = -math.inf
        self._edits_paused_until = -math.inf
        self._worker: asyncio.Task[None] | None = None
        self._closed = False

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Start the card-edit worker (idempotent)."""
        if self._worker is None and not self._closed:
            self._worker = asyncio.create_task(self._run_edits(), name="bkbot-card-edits")

    async def aclose(self, grace: float = 5.0) -> None:
        """Send the queued card edits for up to ``grace`` seconds, then stop the worker."""
        self._closed = True
        task, self._worker = self._worker, None
        if task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), grace)
            task.cancel()
            # wait() neither raises the task's cancellation nor swallows our own.
            await asyncio.wait({task})
        if self._pending:
            log.warning("card edits not sent at shutdown", extra={"count": len(self._pending)})
            for edit in self._pending.values():
                edit.settle(RetryLater("shutting down", TRANSIENT_RETRY))
            self._pending.clear()
            self._gauge()

    # ---- thread posts ---------------------------------------------------------------------

    async def post(self, target: CardTarget, post: ThreadPost) -> str | None:
        """Post in the card's thread (and upload its file there); the new message's ts."""
        channel, thread = target.channel, target.ts
        if not channel or not thread:
            self.metrics.notifier_posts.labels("retry").inc()
            raise RetryLater("card not posted yet", CARD_PENDING_RETRY)
        rendered = self._render_post(post.view)
        lane = self._lane(channel)
        try:
            async with self._turn(lane):
                response = await self._post_message(lane, channel, thread, rendered, post)
                posted_in = _text(response.get("channel")) or channel
                if post.attachment is not None:
                    await self._upload(lane, posted_in, thread, post.attachment)
        except ChannelBusy:
            self.metrics.notifier_posts.labels("busy").inc()
            raise
        except RetryLater:
            self.metrics.notifier_posts.labels("retry").inc()
            raise
        except Undeliverable:
            self.metrics.notifier_posts.labels("undeliverable").inc()
            raise
        self.metrics.notifier_posts.labels("sent").inc()
        return _text(response.get("ts"))

    @contextlib.asynccontextmanager
    async def _turn(self, lane: _Lane) -> AsyncIterator[None]:
        """The channel's posting slot; ChannelBusy when others hold it past ``queue_wait``.

        Bounded so that a caller holding a lease on the thread never waits longer than it
        can account for; the post stays in the outbox for the caller's next turn.
        """
        try:
            async with asyncio.timeout(self.queue_wait):
                await lane.lock.acquire()
        except TimeoutError:
            raise ChannelBusy("channel busy") from None
        try:
            yield
        finally:
            lane.lock.release()

    def _render_post(self, view: View) -> Rendered:
        try:
            return self.renderer.render(view)
        except TemplateError as exc:
            log.exception("thread post cannot be rendered", extra={"template": view.template})
            self.metrics.notifier_posts.labels("undeliverable").inc()
            raise Undeliverable(f"template error: {exc}") from exc

    async def _post_message(
        self, lane: _Lane, channel: str, thread: str, rendered: Rendered, post: ThreadPost
    ) -> AsyncSlackResponse:
        try:
            return await self._send(lane, channel, thread, rendered.text, rendered.blocks, post)
        except Undeliverable as exc:
            if exc.reason not in _TOO_BIG:
                raise
            # A rendering bug must not lose the story: the plain-text twin says the same.
            log.warning(
                "thread post refused for its size or blocks; posting it as text",
                extra={"channel": channel, "error": exc.reason, "template": post.view.template},
            )
            return await self._send(lane, channel, thread, rendered.text, None, post)

    async def _send(
        self,
        lane: _Lane,
        channel: str,
        thread: str,
        text: str,
        blocks: list[Block] | None,
        post: ThreadPost,
    ) -> AsyncSlackResponse:
        """One paced ``chat.postMessage``; a refusal comes back as a DeliveryError."""
        now = self._clock()
        if lane.paused_until > now:
            raise RetryLater("ratelimited", lane.paused_until - now)
        await self._wait_turn(lane)
        try:
            async with asyncio.timeout(self.timeout):
                return await self.client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread,
                    text=text,
                    blocks=blocks,
                    reply_broadcast=post.broadcast,
                    # Posts carry BlueKing URLs; previews would only add noise (reference §4.2).
                    unfurl_links=False,
                    unfurl_media=False,
                )
        except SlackApiError as exc:
            raise self._post_refused(lane, channel, _refusal(exc)) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.metrics.slack_errors.labels("chat.postMessage", _network(exc)).inc()
            raise RetryLater(_network(exc), TRANSIENT_RETRY) from exc
        finally:
            # Measured from the answer, so the next request reaches Slack a full interval later.
            lane.last_post = self._clock()

    def _post_refused(
        self, lane: _Lane, channel: str, refusal: _Refusal
    ) -> RetryLater | Undeliverable:
        self.metrics.slack_errors.labels("chat.postMessage", refusal.reason).inc()
        if refusal.rate_limited:
            self.metrics.slack_ratelimited.labels("chat.postMessage").inc()
            # The channel's budget is spent: its other posts and card edits wait too (§3.3).
            lane.paused_until = self._clock() + refusal.wait
            log.info(
                "channel rate-limited", extra={"channel": channel, "retry_after": refusal.wait}
            )
            return RetryLater(refusal.reason, refusal.wait)
        if refusal.transient:
            return RetryLater(refusal.reason, TRANSIENT_RETRY)
        return Undeliverable(refusal.reason)

    async def _wait_turn(self, lane: _Lane) -> None:
        wait = lane.last_post + self.post_interval - self._clock()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _upload(
        self, lane: _Lane, channel: str, thread: str, attachment: FileAttachment
    ) -> None:
        """Upload into the thread; a failure is logged, never raised (the message is out)."""
        # Sharing a file posts a message in the channel: it keeps the channel's pace too.
        await self._wait_turn(lane)
        try:
            async with asyncio.timeout(self.timeout):
                await self.client.files_upload_v2(
                    channel=channel,
                    thread_ts=thread,
                    content=attachment.content,
                    filename=attachment.filename,
                    title=attachment.title or attachment.filename,
                )
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as exc:
            error = _refusal(exc).reason if isinstance(exc, SlackApiError) else _network(exc)
            # Re-posting would repeat the message; the log file is the smaller loss.
            log.warning(
                "log file not uploaded into the run's thread",
                extra={
                    "channel": channel,
                    "thread_ts": thread,
                    "file": attachment.filename,
                    "error": error,
                },
            )
            self.metrics.slack_errors.labels("files_upload_v2", error).inc()
            self.metrics.notifier_uploads.labels("failed").inc()
            return
        finally:
            lane.last_post = self._clock()
        self.metrics.notifier_uploads.labels("sent").inc()

    # ---- card edits -----------------------------------------------------------------------

    def update_card(self, target: CardTarget, card: View) -> None:
        """Queue an edit of the card at ``target``; replaces a queued edit of the same card."""
        if not target.channel or not target.ts:
            log.debug("card edit without a posted card ignored")
            return
        if self._closed:
            log.debug("card edit after shutdown ignored", extra={"channel": target.channel})
            return
        self._queue((target.channel, target.ts), card)

    async def edit_card(self, target: CardTarget, card: View) -> None:
        """Queue the edit like ``update_card`` and wait (up to ``queue_wait``) until Slack has
        it; a run's final state, so the poller ends the watch only once it is shown."""
        if not target.channel or not target.ts:
            raise RetryLater("card not posted yet", CARD_PENDING_RETRY)
        if self._closed:
            raise RetryLater("shutting down", TRANSIENT_RETRY)
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # Given up on after queue_wait, the edit is still sent: nobody reads its outcome then.
        waiter.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._queue((target.channel, target.ts), card).waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.queue_wait)
        except TimeoutError:
            raise ChannelBusy("card edit still queued") from None

    def _queue(self, key: CardKey, card: View) -> _Edit:
        previous = self._pending.get(key)
        if previous is not None:
            self.metrics.notifier_card_edits.labels("coalesced").inc()
        # A newer state starts afresh (earlier failures were about an older version) and
        # answers whoever waited for the older one: the card will show at least that.
        edit = self._pending[key] = _Edit(card, waiters=previous.waiters if previous else [])
        self._gauge()
        self._idle.clear()
        self._wake.set()
        return edit

    async def _run_edits(self) -> None:
        while True:
            key, edit = await self._next_edit()
            try:
                await self._send_edit(key, edit)
            except Exception as exc:
                # The worker must outlive any one card; that card's edit is lost.
                log.exception("card edit failed unexpectedly", extra={"channel": key[0]})
                self.metrics.notifier_card_edits.labels("dropped").inc()
                edit.settle(RetryLater(f"card edit failed: {exc!r}", TRANSIENT_RETRY))

    async def _next_edit(self) -> tuple[CardKey, _Edit]:
        """The edit whose turn comes first, once it has come.

        Among the edits whose turn has come, one somebody waits for (a run's final state)
        goes first, then the one whose turn came first (the oldest among equals): after a
        restart every card taken over is sent again, and at chat.update's pace that queue
        can take minutes.
        """
        while True:
            self._wake.clear()
            if not self._pending:
                self._idle.set()
                await self._wake.wait()
                continue
            now = self._clock()

            def turn(pair: tuple[CardKey, float], now: float = now) -> tuple[bool, bool, float]:
                key, ready_at = pair
                if ready_at > now:
                    return True, False, ready_at  # not yet: whichever comes soonest
                return False, not self._pending[key].waiters, ready_at

            key, ready_at = min(
                ((k, self._ready_at(k, e)) for k, e in self._pending.items()), key=turn
            )
            wait = ready_at - now
            if wait <= 0:
                edit = self._pending.pop(key)
                self._gauge()
                return key, edit
            # A new card may be ready sooner than the one waited for.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)

    def _ready_at(self, key: CardKey, edit: _Edit) -> float:
        lane = self._lane(key[0])
        return max(
            edit.not_before,
            lane.paused_until,
            lane.last_edit + self.post_interval,
            self._last_update + self.update_interval,
            self._edits_paused_until,
        )

    async def _send_edit(self, key: CardKey, edit: _Edit) -> None:
        channel, ts = key
        try:
            rendered = self.renderer.render(edit.card)
        except TemplateError as exc:
            log.exception("card cannot be rendered", extra={"template": edit.card.template})
            self.metrics.notifier_card_edits.labels("dropped").inc()
            edit.settle(Undeliverable(f"template error: {exc}"))
            return
        lane = self._lane(channel)
        try:
            async with asyncio.timeout(self.timeout):
                await self.client.chat_update(
                    channel=channel, ts=ts, text=rendered.text, blocks=rendered.blocks
                )
        except SlackApiError as exc:
            self._edit_refused(key, edit, _refusal(exc))
            return
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.metrics.slack_errors.labels("chat.update", _network(exc)).inc()
            self._retry_edit(key, edit, _network(exc))
            return
        finally:
            now = self._clock()
            lane.last_edit = self._last_update = now
        self.metrics.notifier_card_edits.labels("sent").inc()
        edit.settle()

    def _edit_refused(self, key: CardKey, edit: _Edit, refusal: _Refusal) -> None:
        self.metrics.slack_errors.labels("chat.update", refusal.reason).inc()
        if refusal.rate_limited:
            self.metrics.slack_ratelimited.labels("chat.update").inc()
            # chat.update's budget is per workspace: every card waits (reference §3.3).
            self._edits_paused_until = self._clock() + refusal.wait
            log.info("card edits rate-limited", extra={"retry_after": refusal.wait})
            self._requeue(key, edit)
            return
        if refusal.code in _EDIT_GONE:
            log.info(
                "card edit dropped: the card cannot be edited",
                extra={"channel": key[0], "ts": key[1], "error": refusal.reason},
            )
            self.metrics.notifier_card_edits.labels("dropped").inc()
            edit.settle(Undeliverable(refusal.reason))
            return
        self._retry_edit(key, edit, refusal.reason)

    def _retry_edit(self, key: CardKey, edit: _Edit, reason: str) -> None:
        edit.attempts += 1
        if edit.attempts >= EDIT_ATTEMPTS:
            log.warning(
                "card edit dropped after repeated failures",
                extra={"channel": key[0], "ts": key[1], "error": reason, "attempts": edit.attempts},
            )
            self.metrics.notifier_card_edits.labels("dropped").inc()
            edit.settle(RetryLater(reason, TRANSIENT_RETRY))
            return
        # Exponential backoff with jitter, on the scale of the edit pace.
        backoff = self.update_interval * 2**edit.attempts * random.uniform(0.5, 1.0)
        edit.not_before = self._clock() + backoff
        self.metrics.notifier_card_edits.labels("retried").inc()
        self._requeue(key, edit)

    def _requeue(self, key: CardKey, edit: _Edit) -> None:
        # A newer state queued meanwhile wins over the one that failed (and answers its
        # waiters once it is sent).
        newer = self._pending.get(key)
        if newer is not None:
            newer.waiters.extend(edit.waiters)
            edit.waiters.clear()
            return
        self._pending[key] = edit
        self._gauge()

    # ---- helpers --------------------------------------------------------------------------

    def _lane(self, channel: str) -> _Lane:
        lane = self._lanes.get(channel)
        if lane is None:
            lane = self._lanes[channel] = _Lane(asyncio.Lock())
        return lane

    def _gauge(self) -> None:
        self.metrics.notifier_queued_edits.set(len(self._pending))


def _refusal(exc: SlackApiError) -> _Refusal:
    # ``response`` is a SlackResponse, or aiohttp's response when the body was not JSON.
    response: Any = exc.response
    data = getattr(response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    status = getattr(response, "status_code", None) or getattr(response, "status", None)
    headers = getattr(response, "headers", None)
    retry_after = _seconds(headers.get("Retry-After") if headers is not None else None)
    return _Refusal(
        code if isinstance(code, str) and code else None,
        status if isinstance(status, int) else None,
        retry_after,
    )


def _seconds(value: object) -> float | None:
    try:
        seconds = float(str(value))
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _network(exc: BaseException) -> str:
    return "timeout" if isinstance(exc, TimeoutError) else f"network: {type(exc).__name__}"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
