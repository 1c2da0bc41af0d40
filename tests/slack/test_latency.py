"""Slow BlueKing never delays the ack: Slack's 3-second window holds (reference §2.2)."""

from __future__ import annotations

import time

from bot.sandbox import FaultKind
from tests.slack.conftest import Driver, buttons_of, text_of

DELAY = 2.0


async def test_with_slow_blueking_the_command_is_acked_at_once_and_answered_later(
    probe: Driver,
) -> None:
    probe.sandbox.faults.inject("*", FaultKind.LATENCY, seconds=DELAY)
    started = time.monotonic()
    acked = await probe.command("probe scripts")
    assert acked.status == 200
    assert acked.seconds < 1.0
    assert probe.fake.responses(acked.response_id) == []  # not answered yet
    body = await probe.response(acked)
    assert time.monotonic() - started >= DELAY
    assert "public scripts" in text_of(body["blocks"])


async def test_with_slow_blueking_a_click_is_acked_at_once(probe: Driver) -> None:
    first = await probe.response(await probe.command("probe scripts"))
    probe.sandbox.faults.inject("*", FaultKind.LATENCY, seconds=DELAY)
    again = buttons_of(first["blocks"])[0]
    acked = await probe.click(again, message={"type": "message", "ts": "1.2", "blocks": []})
    assert acked.seconds < 1.0
    assert "public scripts" in text_of((await probe.response(acked))["blocks"])
