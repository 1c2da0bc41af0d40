"""`bkbot console --once`: one command, following the run it starts until it settles."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.console import ConsoleApp
from tests.console.conftest import ScriptedIO
from tests.test_config import ALL_VARS


async def test_once_read_prints_and_exits_zero(app: ConsoleApp, io: ScriptedIO) -> None:
    assert await app.once("job plans deploy", follow_for=60) == 0
    assert "deploy-web (prod)" in io.text


async def test_once_job_run_through_a_confirmation_step(app: ConsoleApp, io: ScriptedIO) -> None:
    io.click_when_shown("Confirm")
    assert await app.once("job run 1000123", follow_for=600) == 0
    before, after = io.text.split("▸ Confirm")
    assert "Waiting for confirmation" in before
    assert "State:      Succeeded" in after


async def test_once_reports_a_rejected_run_as_failure(app: ConsoleApp, io: ScriptedIO) -> None:
    # Reject carries a confirmation dialog: the helper answers its y/N question.
    assert await _once_with_confirm(app, io, "job run 1000123", "Reject") == 1
    assert "▸ Reject" in io.text
    assert "rejected" in io.text.split("▸ Reject")[-1].lower()


async def _once_with_confirm(app: ConsoleApp, io: ScriptedIO, text: str, label: str) -> int:
    # A confirmed button asks "…? [y/N]": answer y right after the click.
    original = io.read

    async def read(prompt: str) -> str | None:
        if prompt.endswith("[y/N] "):
            return "y"
        return await original(prompt)

    io.read = read  # type: ignore[method-assign]
    io.clicks = [label]
    return await app.once(text, follow_for=600)


async def test_once_sops_run_through_a_pause_node(app: ConsoleApp, io: ScriptedIO) -> None:
    io.click_when_shown("Continue")
    assert await app.once("sops run 42 wait_seconds=5", follow_for=900) == 0
    assert "▸ Continue" in io.text
    # BK-SOPS still says CREATED right after start_task (§1.7): never "not started" or Start.
    assert "not started" not in io.text
    assert "] Start" not in io.text
    assert "Finished" in io.text.split("▸ Continue")[-1]


async def test_once_failing_run_exits_one(app: ConsoleApp, io: ScriptedIO) -> None:
    assert await app.once("sops run 59", follow_for=900) == 1
    assert "Failed" in io.text or "failed" in io.text


async def test_once_gives_up_when_the_run_outlasts_the_limit(
    app: ConsoleApp, io: ScriptedIO
) -> None:
    assert await app.once("job run 1000126", follow_for=0) == 2
    assert "Still running after 0 s" in io.text


def test_cli_once_runs_a_read_in_a_real_process(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ALL_VARS}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--once", "job plan 1000123"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "deploy-web (prod)" in result.stdout
    assert "approve restart" in result.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--once", "job plan nope"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad.returncode == 1
    assert "must be a whole number" in bad.stdout
