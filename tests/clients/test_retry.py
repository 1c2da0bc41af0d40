"""The retry decision: which failures are retried, how long to wait, when to give up."""

from __future__ import annotations

import random

import pytest

from bot.clients._retry import RetryPolicy, decide
from bot.clients.errors import (
    BKAPIError,
    BKConnectionError,
    BKError,
    BKHTTPStatusError,
    BKInvalidParameter,
    BKMalformedResponse,
    BKRateLimited,
    BKServerError,
    BKTimeout,
)

POLICY = RetryPolicy(max_attempts=4, base_delay=0.25, max_delay=4.0, max_retry_after=30.0)


def _server() -> BKServerError:
    return BKServerError("boom", system="bk_job", operation="x", status_code=503)


@pytest.mark.parametrize(
    "error",
    [
        BKTimeout("t", system="bk_job", operation="x"),
        BKConnectionError("c", system="bk_job", operation="x"),
        _server(),
        BKAPIError("busy", system="bk_job", operation="x", code=1306429),
    ],
)
def test_transient_failures_are_retried_with_bounded_jitter(error: BKError) -> None:
    rng = random.Random(7)
    delays = [decide(error, attempt, POLICY, rng=rng) for attempt in (1, 2, 3)]
    for attempt, delay in zip((1, 2, 3), delays, strict=True):
        assert delay is not None
        assert 0.0 <= delay <= min(4.0, 0.25 * 2 ** (attempt - 1))


def test_gives_up_after_max_attempts() -> None:
    assert decide(_server(), 4, POLICY) is None


@pytest.mark.parametrize(
    "error",
    [
        BKInvalidParameter("bad", system="bk_job", operation="x", code=1241007),
        BKAPIError("other", system="bk_job", operation="x", code=1240002),
        BKMalformedResponse("junk", system="bk_job", operation="x"),
        BKHTTPStatusError("teapot", system="bk_job", operation="x", status_code=418),
    ],
)
def test_definite_answers_are_not_retried(error: BKError) -> None:
    assert decide(error, 1, POLICY) is None


def test_retry_after_is_honoured_exactly() -> None:
    error = BKRateLimited("slow down", system="bk_sops", operation="x", retry_after=2.5)
    assert decide(error, 1, POLICY) == 2.5


def test_retry_after_beyond_the_bound_is_not_waited_for() -> None:
    error = BKRateLimited("slow down", system="bk_sops", operation="x", retry_after=120)
    assert decide(error, 1, POLICY) is None


def test_429_without_retry_after_falls_back_to_backoff() -> None:
    error = BKRateLimited("slow down", system="bk_sops", operation="x", retry_after=None)
    delay = decide(error, 2, POLICY, rng=random.Random(1))
    assert delay is not None
    assert 0.0 <= delay <= 0.5
