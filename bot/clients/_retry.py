"""Retry as a pure decision: given an error and the attempt number, how long to wait, if at all."""

from __future__ import annotations

import random
from dataclasses import dataclass

from bot.clients.errors import (
    BKAPIError,
    BKError,
    BKRateLimited,
    BKServerError,
    BKTransportError,
)

__all__ = ["RETRYABLE_API_CODES", "RetryPolicy", "decide"]

# Envelope codes that mean "busy, try again": ESB rate limit and BK-Job's service-unavailable.
RETRYABLE_API_CODES = frozenset({1306429, 1240001})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds for retrying reads. Writes are never retried, whatever the policy says."""

    max_attempts: int = 4
    base_delay: float = 0.25
    max_delay: float = 4.0
    # A Retry-After longer than this is not waited for: the error goes to the caller instead.
    max_retry_after: float = 30.0


def decide(
    error: BKError,
    attempt: int,
    policy: RetryPolicy,
    *,
    rng: random.Random | None = None,
) -> float | None:
    """Return the delay before attempt ``attempt + 1``, or None to give up.

    ``attempt`` counts from 1 (the attempt that just failed). Retryable: transport failures,
    HTTP 5xx, HTTP 429 (waiting exactly ``Retry-After`` when sent) and the busy envelope codes.
    Backoff is "full jitter": uniform in [0, min(max_delay, base * 2**(attempt-1))].
    """
    if attempt >= policy.max_attempts:
        return None
    if isinstance(error, BKRateLimited):
        if error.retry_after is not None:
            if error.retry_after > policy.max_retry_after:
                return None
            return max(0.0, error.retry_after)
    elif isinstance(error, BKAPIError):
        if error.code not in RETRYABLE_API_CODES:
            return None
    elif not isinstance(error, BKTransportError | BKServerError):
        return None
    ceiling = min(policy.max_delay, policy.base_delay * (2 ** (attempt - 1)))
    return (rng or random).uniform(0.0, ceiling)
