"""The bkbot command line: check and sandbox, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.__main__ import main
from bot.sandbox import Sandbox
from tests.conftest import APP_CODE, APP_SECRET, free_port
from tests.test_config import ALL_VARS


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_check_on_the_embedded_sandbox_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "settings: ok - adapter console, backend sandbox"
    assert out[1].startswith("bk-job: ok - embedded sandbox answered get_public_script_list")
    assert out[2].startswith("bk-sops: ok - get_template_list for business 2")


def test_check_reaches_a_configured_blueking_over_http(
    served_sandbox: tuple[Sandbox, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox, url = served_sandbox
    monkeypatch.setenv("BK_COMPONENT_API_URL", url)
    monkeypatch.setenv("BK_APP_CODE", APP_CODE)
    monkeypatch.setenv("BK_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("BKBOT_DEFAULT_BIZ", "3")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "backend blueking" in out
    assert "bk-job: ok - BK-Job answered get_public_script_list" in out
    assert "bk-sops: ok - get_template_list for business 3" in out
    assert [op for op, _ in sandbox.calls] == ["get_public_script_list", "get_template_list"]


def test_check_reports_each_failure_and_exits_non_zero(
    served_sandbox: tuple[Sandbox, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, url = served_sandbox
    monkeypatch.setenv("BK_COMPONENT_API_URL", url)
    monkeypatch.setenv("BK_APP_CODE", APP_CODE)
    monkeypatch.setenv("BK_APP_SECRET", "not-the-secret")
    monkeypatch.setenv("BKBOT_DEFAULT_BIZ", "2")
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert "bk-job: FAILED - bk_job.get_public_script_list:" in out
    assert "(code 1306000)" in out
    assert "bk-sops: FAILED" in out
    assert "not-the-secret" not in out


def test_check_without_a_business_skips_sops(
    served_sandbox: tuple[Sandbox, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, url = served_sandbox
    monkeypatch.setenv("BK_COMPONENT_API_URL", url)
    monkeypatch.setenv("BK_APP_CODE", APP_CODE)
    monkeypatch.setenv("BK_APP_SECRET", APP_SECRET)
    assert main(["check"]) == 0
    assert "bk-sops: skipped - set BKBOT_DEFAULT_BIZ" in capsys.readouterr().out


def test_invalid_settings_stop_any_command_with_a_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("settings: FAILED - SLACK_SIGNING_SECRET is required in HTTP mode")


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ALL_VARS}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/_sandbox/healthz", timeout=1).is_success:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "bkbot sandbox did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


def test_bkbot_sandbox_serves_both_api_forms(sandbox_process: str) -> None:
    auth = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"}
    plans = httpx.post(
        f"{sandbox_process}/api/c/compapi/v2/job/get_job_list/",
        json={**auth, "bk_biz_id": 2, "name": "deploy"},
    ).json()
    assert plans["result"] is True
    assert [p["bk_job_id"] for p in plans["data"]] == [1000123]
    templates = httpx.get(
        f"{sandbox_process}/api/bk-sops/prod/get_template_list/2/",
        params={"name_keyword": "nginx"},
        headers={"X-Bkapi-Authorization": json.dumps(auth)},
    ).json()
    assert templates["result"] is True
    assert {t["id"] for t in templates["data"]} >= {42, 57}


def test_runtime_uses_the_gateway_for_sops_when_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.config import load_settings
    from bot.runtime import build_blueking

    monkeypatch.setenv("BK_COMPONENT_API_URL", "https://paas.example.com/")
    monkeypatch.setenv("BK_SOPS_APIGW_URL", "https://bkapi.example.com/api/bk-sops/prod")
    monkeypatch.setenv("BK_APP_CODE", APP_CODE)
    monkeypatch.setenv("BK_APP_SECRET", APP_SECRET)
    bk = build_blueking(load_settings())
    assert bk.sandbox is None
    assert bk.sops.uses_gateway is True


def test_check_reports_the_store_and_its_migrations(
    served_sandbox: tuple[Sandbox, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    _, url = served_sandbox
    monkeypatch.setenv("BK_COMPONENT_API_URL", url)
    monkeypatch.setenv("BK_APP_CODE", APP_CODE)
    monkeypatch.setenv("BK_APP_SECRET", APP_SECRET)
    monkeypatch.setenv("BKBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'check.db'}")
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "store: ok - SQLite at " in out
    assert "(bkbot run migrates at start)" in out  # a new database is not migrated by check


def test_check_on_the_sandbox_keeps_the_store_in_memory(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["check"]) == 0
    assert "store: ok - in memory on the embedded sandbox" in capsys.readouterr().out


def test_channel_business_survives_a_restart_with_a_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BKBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
    env = {k: v for k, v in os.environ.items() if k not in ALL_VARS}
    env["BKBOT_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"

    def once(text: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "console", "--once", text],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    assert "now uses business 3" in once("biz 3")
    assert "Commands here act on business 3." in once("biz")
