"""The manual and real clocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from bot.sandbox import ManualClock, RealClock, Sandbox, _clock


def test_manual_clock_moves_only_when_advanced() -> None:
    clock = ManualClock()
    start = clock.now()
    assert start.tzinfo is not None
    assert clock.now() == start
    clock.advance(1.5)
    assert clock.now() - start == timedelta(seconds=1.5)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1)


def test_manual_clock_accepts_a_start_but_not_a_naive_one() -> None:
    start = datetime(2030, 1, 1, tzinfo=UTC)
    assert ManualClock(start).now() == start
    with pytest.raises(ValueError, match="timezone"):
        ManualClock(datetime(2030, 1, 1))


def test_real_clock_scales_elapsed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([100.0, 100.5, 102.0])
    monkeypatch.setattr(_clock, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    clock = RealClock(speed=10.0)
    first = clock.now()
    assert clock.now() - first == timedelta(seconds=15)
    with pytest.raises(ValueError, match="positive"):
        RealClock(speed=0)


def test_sandbox_defaults() -> None:
    sandbox = Sandbox()
    assert sandbox.app_code == "bkchatops"
    assert sandbox.app_secret == "sandbox-secret"
    assert isinstance(sandbox.clock, RealClock)
    assert sandbox.seed == 0
    assert sandbox.calls == []
    assert len(sandbox.faults) == 0


def test_same_seed_gives_the_same_world_and_ids() -> None:
    one, two = Sandbox(clock=ManualClock()), Sandbox(clock=ManualClock())
    assert one.world.sops.tasks[1061].tree == two.world.sops.tasks[1061].tree
    assert one.ids.hex(32) == two.ids.hex(32)
