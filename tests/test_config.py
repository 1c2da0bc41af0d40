"""Settings: defaults, mode selection and validation (product.md §2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Backend, ChatAdapter, Settings, load_settings

ALL_VARS = [
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_API_URL",
    "BK_COMPONENT_API_URL",
    "BK_SOPS_APIGW_URL",
    "BK_APP_CODE",
    "BK_APP_SECRET",
    "BK_TIMEOUT",
    "BKBOT_DATABASE_URL",
    "BKBOT_POLICY_FILE",
    "BKBOT_POLL_INTERVAL",
    "BKBOT_LEASE_SECONDS",
    "BKBOT_HTTP_HOST",
    "BKBOT_HTTP_PORT",
    "BKBOT_COMMAND",
    "BKBOT_DEFAULT_BIZ",
    "BKBOT_LOG_LEVEL",
    "BKBOT_TEMPLATES_DIR",
]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the developer's checkout


def test_nothing_configured_means_console_on_the_sandbox() -> None:
    settings = load_settings()
    assert settings.chat_adapter is ChatAdapter.CONSOLE
    assert settings.backend is Backend.SANDBOX
    assert settings.default_biz == 2
    assert settings.app_code == "bkchatops"
    assert settings.app_secret.get_secret_value() == "sandbox-secret"
    assert settings.poll_interval == 5
    assert settings.command == "/bk"
    assert settings.store_url is None  # the sandbox's runs vanish with it: memory
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 3000)


def test_bot_and_app_tokens_select_socket_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1")
    assert load_settings().chat_adapter is ChatAdapter.SLACK_SOCKET


def test_http_mode_requires_the_signing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(ValidationError, match="SLACK_SIGNING_SECRET is required"):
        load_settings()
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    assert load_settings().chat_adapter is ChatAdapter.SLACK_HTTP


def test_wrong_token_kinds_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xapp-oops")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xoxb-oops")
    with pytest.raises(ValidationError) as info:
        load_settings()
    text = str(info.value)
    assert "starting with xoxb-" in text
    assert "starting with xapp-" in text


def test_real_backend_requires_app_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BK_COMPONENT_API_URL", "https://paas.example.com/")
    with pytest.raises(ValidationError, match="BK_APP_CODE and BK_APP_SECRET"):
        load_settings()
    monkeypatch.setenv("BK_APP_CODE", "chatops")
    monkeypatch.setenv("BK_APP_SECRET", "xyz")
    settings = load_settings()
    assert settings.backend is Backend.BLUEKING
    assert settings.component_url() == "https://paas.example.com"
    assert settings.default_biz is None  # only the sandbox has a built-in default business
    assert settings.store_url == "sqlite+aiosqlite:///./bkbot.db"  # product.md §2 default


def test_gateway_url_needs_esb_for_bk_job(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BK_SOPS_APIGW_URL", "https://bkapi.example.com/api/bk-sops/prod/")
    monkeypatch.setenv("BK_APP_CODE", "chatops")
    monkeypatch.setenv("BK_APP_SECRET", "xyz")
    with pytest.raises(ValidationError, match="BK-Job is only reachable through ESB"):
        load_settings()
    monkeypatch.setenv("BK_COMPONENT_API_URL", "https://paas.example.com")
    settings = load_settings()
    assert settings.backend is Backend.BLUEKING
    assert settings.sops_gateway_url() == "https://bkapi.example.com/api/bk-sops/prod"


def test_blank_values_in_env_file_mean_unset(tmp_path: Path) -> None:
    env = tmp_path / "blank.env"
    env.write_text(
        "SLACK_BOT_TOKEN=\nSLACK_APP_TOKEN=\nBK_COMPONENT_API_URL=\nBKBOT_DEFAULT_BIZ=\n"
    )
    settings = load_settings(env)
    assert settings.chat_adapter is ChatAdapter.CONSOLE
    assert settings.backend is Backend.SANDBOX


def test_env_file_values_are_read(tmp_path: Path) -> None:
    env = tmp_path / "x.env"
    env.write_text("BKBOT_DEFAULT_BIZ=3\nBKBOT_LOG_LEVEL=debug\nBKBOT_COMMAND=/ops\n")
    settings = load_settings(env)
    assert settings.default_biz == 3
    assert settings.log_level == "DEBUG"
    assert settings.command == "/ops"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BKBOT_POLL_INTERVAL", "0"),
        ("BKBOT_HTTP_PORT", "70000"),
        ("BKBOT_COMMAND", "bk"),
        ("BKBOT_DEFAULT_BIZ", "abc"),
        ("BKBOT_LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name):
        load_settings()


def test_secrets_never_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-very-secret")
    monkeypatch.setenv("BK_APP_SECRET", "bk-very-secret")
    settings = load_settings()
    assert "very-secret" not in repr(settings)
    assert "very-secret" not in str(settings.model_dump())


def test_env_example_lists_every_setting() -> None:
    example = (Path(__file__).parent.parent / ".env.example").read_text()
    declared = {(field.alias or name) for name, field in Settings.model_fields.items()}
    for name in declared:
        assert f"\n{name}=" in example, f"{name} missing from .env.example"
