"""BlueKing client errors → BotErrors with messages a Slack user can act on."""

from __future__ import annotations

import re

from bot.clients.errors import (
    BKAPIError,
    BKAuthError,
    BKEndpointNotFound,
    BKError,
    BKHTTPStatusError,
    BKInvalidOperation,
    BKInvalidParameter,
    BKMalformedResponse,
    BKNotFound,
    BKPermissionDenied,
    BKRateLimited,
    BKRequestInvalid,
    BKTimeout,
    BKTransportError,
)
from bot.errors import AccessDenied, BotError, Conflict, NotFound, UpstreamError, UserError

__all__ = ["to_bot_error"]

_SYSTEM_NAMES = {"bk_job": "BK-Job", "bk_sops": "BK-SOPS"}
# bk-sops §6.1: "iam authentication exception, please check, action:task_operate"
_SOPS_ACTION = re.compile(r"action:\s*([a-z_]+)")


def _request_id(exc: BKError) -> str | None:
    for name in ("request_id", "job_request_id", "trace_id"):
        value = getattr(exc, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def to_bot_error(exc: BKError) -> BotError:
    """Translate a client error; the caller raises it ``from exc``."""
    system = _SYSTEM_NAMES.get(exc.system, "BlueKing")
    rid = _request_id(exc)
    if isinstance(exc, BKRequestInvalid):
        return UserError(exc.message.removeprefix("invalid request: ").capitalize() + ".")
    if isinstance(exc, BKPermissionDenied):
        missing: str | None
        if exc.permission is not None and exc.permission.actions:
            missing = exc.permission.describe()
        else:
            match = _SOPS_ACTION.search(exc.message)
            missing = f"{system}: {match.group(1)}" if match else None
        return AccessDenied(
            f"{system} refused: {exc.message}",
            missing=missing,
            hint="BlueKing checks the permissions of your own BlueKing account.",
        )
    if isinstance(exc, BKAuthError):
        return UpstreamError(
            f"{system} did not accept the bot's credentials (code {exc.code}): {exc.message}",
            request_id=rid,
            hint="An administrator should check BK_APP_CODE / BK_APP_SECRET and the app's "
            "whitelisting for bk_username.",
        )
    if isinstance(exc, BKNotFound):
        return NotFound(f"{system}: {exc.message}", hint="Check the ID and the business (--biz).")
    if isinstance(exc, BKInvalidParameter):
        return UserError(f"{system} rejected the request: {exc.message}")
    if isinstance(exc, BKInvalidOperation):
        return Conflict(
            f"{system} refused: {exc.message}",
            hint="The run may have moved on; check its status and try again.",
        )
    if isinstance(exc, BKEndpointNotFound):
        return UpstreamError(
            f"{system} does not offer `{exc.operation}` on this deployment (code {exc.code}).",
            request_id=rid,
        )
    if isinstance(exc, BKAPIError):
        return UpstreamError(f"{system} error {exc.code}: {exc.message}", request_id=rid)
    if isinstance(exc, BKRateLimited):
        wait = f" for {exc.retry_after:g} s" if exc.retry_after else ""
        return UpstreamError(
            f"{system} is rate limiting the bot; try again{wait}.", request_id=exc.request_id
        )
    if isinstance(exc, BKTimeout):
        return UpstreamError(
            f"{system} did not answer in time.",
            hint="Nothing was retried for actions that change work: check the status before "
            "trying again.",
        )
    if isinstance(exc, BKTransportError):
        return UpstreamError(f"Cannot reach {system}: {exc.message}")
    if isinstance(exc, BKHTTPStatusError):
        return UpstreamError(
            f"{system} answered HTTP {exc.status_code}; try again shortly.",
            request_id=exc.request_id,
        )
    if isinstance(exc, BKMalformedResponse):
        return UpstreamError(f"{system} sent an answer the bot cannot read.", request_id=rid)
    return UpstreamError(f"{system} call failed: {exc.message}", request_id=rid)
