"""A UserDirectory over Slack's ``users.info`` with a short per-process TTL cache.

A per-replica cache is acceptable for user profiles when the TTL is short (reference §6.3):
a changed e-mail or display name shows up within minutes. ``users.info`` is Tier 4 (§3.1).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.metrics import Metrics

__all__ = ["SlackDirectory", "SlackProfile"]

log = logging.getLogger(__name__)

# Keep the cache bounded in a large workspace: expired entries are swept past this size.
_SWEEP_AT = 10_000


@dataclass(frozen=True)
class SlackProfile:
    """The parts of a Slack user the bot uses (satisfies ``services.ports.UserProfile``)."""

    display_name: str | None
    email: str | None


class SlackDirectory:
    """Looks users up with ``users.info``; answers (and "no such user") are cached for ``ttl`` s."""

    def __init__(
        self,
        client: AsyncWebClient,
        *,
        ttl: float = 300.0,
        metrics: Metrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._metrics = metrics
        self._clock = clock
        self._cache: dict[str, tuple[float, SlackProfile | None]] = {}

    async def profile(self, user_id: str) -> SlackProfile | None:
        """The user's profile, or None when Slack does not know the user."""
        now = self._clock()
        cached = self._cache.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await self._lookup(user_id)
        self._remember(user_id, found)
        return found

    async def _lookup(self, user_id: str) -> SlackProfile | None:
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "unknown")
            if self._metrics is not None:
                self._metrics.slack_errors.labels("users.info", error).inc()
            if error in ("user_not_found", "user_not_visible"):
                return None
            raise
        user = response.get("user")
        if not isinstance(user, dict):
            return None
        profile = user.get("profile")
        profile = profile if isinstance(profile, dict) else {}
        names = (
            profile.get("display_name"),
            profile.get("real_name"),
            user.get("real_name"),
            user.get("name"),
        )
        display = next((n for n in names if isinstance(n, str) and n), None)
        email = profile.get("email")
        return SlackProfile(display_name=display, email=email if isinstance(email, str) else None)

    def _remember(self, user_id: str, found: SlackProfile | None) -> None:
        now = self._clock()
        if len(self._cache) >= _SWEEP_AT:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        self._cache[user_id] = (now + self._ttl, found)
