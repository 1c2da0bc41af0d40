"""The only reader of the environment: every setting of product.md §2, validated once."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = [
    "DEFAULT_DATABASE_URL",
    "SANDBOX_APP_CODE",
    "SANDBOX_APP_SECRET",
    "SANDBOX_DEFAULT_BIZ",
    "Backend",
    "ChatAdapter",
    "Settings",
    "load_settings",
]

# product.md §5: the embedded sandbox accepts these when BK_APP_CODE / BK_APP_SECRET are unset.
SANDBOX_APP_CODE = "bkchatops"
SANDBOX_APP_SECRET = "sandbox-secret"  # a well-known local credential, not a secret
# product.md §2: the default store.
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./bkbot.db"
# product.md §2: BKBOT_DEFAULT_BIZ defaults to 2 in sandbox mode.
SANDBOX_DEFAULT_BIZ = 2

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ChatAdapter(enum.StrEnum):
    """Which front end `bkbot run` starts."""

    CONSOLE = "console"
    SLACK_SOCKET = "slack-socket"
    SLACK_HTTP = "slack-http"


class Backend(enum.StrEnum):
    """Which BlueKing `bkbot run` talks to."""

    SANDBOX = "sandbox"
    BLUEKING = "blueking"


class Settings(BaseSettings):
    """Settings from the environment and an optional `.env` file (product.md §2)."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=True,
    )

    slack_bot_token: SecretStr | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_app_token: SecretStr | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_signing_secret: SecretStr | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_api_url: AnyHttpUrl = Field(
        default=AnyHttpUrl("https://slack.com/api/"), alias="SLACK_API_URL"
    )

    bk_component_api_url: AnyHttpUrl | None = Field(default=None, alias="BK_COMPONENT_API_URL")
    bk_sops_apigw_url: AnyHttpUrl | None = Field(default=None, alias="BK_SOPS_APIGW_URL")
    bk_app_code: str | None = Field(default=None, alias="BK_APP_CODE")
    bk_app_secret: SecretStr | None = Field(default=None, alias="BK_APP_SECRET")
    # Read timeout for one BlueKing call, in seconds (connect/write/pool have fixed bounds).
    bk_timeout: Annotated[float, Field(gt=0, le=300)] = Field(default=30.0, alias="BK_TIMEOUT")

    # Unset: ./bkbot.db with a real BlueKing; in memory on the embedded sandbox, whose runs do
    # not survive a restart either (see store_url).
    database_url_setting: str | None = Field(default=None, alias="BKBOT_DATABASE_URL")
    policy_file: Path | None = Field(default=None, alias="BKBOT_POLICY_FILE")
    poll_interval: Annotated[float, Field(gt=0, le=3600)] = Field(
        default=5.0, alias="BKBOT_POLL_INTERVAL"
    )
    # How long a replica's claim on a watched run lasts; a replica that dies hands its runs to
    # the others after this long. Far above one poller tick, which renews nothing.
    lease_seconds: Annotated[float, Field(ge=5, le=3600)] = Field(
        default=60.0, alias="BKBOT_LEASE_SECONDS"
    )
    http_host: str = Field(default="127.0.0.1", alias="BKBOT_HTTP_HOST")
    http_port: Annotated[int, Field(ge=0, le=65535)] = Field(default=3000, alias="BKBOT_HTTP_PORT")
    command: str = Field(default="/bk", alias="BKBOT_COMMAND")
    default_biz_setting: Annotated[int, Field(ge=1)] | None = Field(
        default=None, alias="BKBOT_DEFAULT_BIZ"
    )
    log_level: LogLevel = Field(default="INFO", alias="BKBOT_LOG_LEVEL")
    # Where the view templates live; unset: templates/ of the source tree (the image sets it).
    templates_dir: Path | None = Field(default=None, alias="BKBOT_TEMPLATES_DIR")

    @field_validator(
        "slack_bot_token",
        "slack_app_token",
        "slack_signing_secret",
        "bk_app_secret",
        mode="before",
    )
    @classmethod
    def _blank_secret_is_unset(cls, value: object) -> object:
        # An empty line in .env (``SLACK_APP_TOKEN=``) means "not set", not "set to nothing".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "bk_component_api_url",
        "bk_sops_apigw_url",
        "bk_app_code",
        "default_biz_setting",
        "policy_file",
        "templates_dir",
        "database_url_setting",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("command")
    @classmethod
    def _slash_command(cls, value: str) -> str:
        if not value.startswith("/") or len(value) < 2 or " " in value:
            raise ValueError("must look like /bk (a slash followed by a name)")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        problems: list[str] = []
        if self.slack_bot_token and not self.slack_bot_token.get_secret_value().startswith("xoxb-"):
            problems.append("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
        if self.slack_app_token:
            if not self.slack_app_token.get_secret_value().startswith("xapp-"):
                problems.append("SLACK_APP_TOKEN must be an app-level token starting with xapp-")
            if not self.slack_bot_token:
                problems.append("SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not")
        if self.chat_adapter is ChatAdapter.SLACK_HTTP and not self.slack_signing_secret:
            problems.append(
                "SLACK_SIGNING_SECRET is required in HTTP mode "
                "(SLACK_BOT_TOKEN set without SLACK_APP_TOKEN)"
            )
        if self.bk_sops_apigw_url and not self.bk_component_api_url:
            # bk-job §1: the bot uses BK-Job's v2 components, which only ESB serves.
            problems.append(
                "BK_COMPONENT_API_URL is required with BK_SOPS_APIGW_URL: "
                "BK-Job is only reachable through ESB"
            )
        if self.backend is Backend.BLUEKING and not (self.bk_app_code and self.bk_app_secret):
            problems.append(
                "BK_APP_CODE and BK_APP_SECRET are required with a real BlueKing backend"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def chat_adapter(self) -> ChatAdapter:
        """Slack when a bot token is set (Socket Mode with an app token), else the console."""
        if not self.slack_bot_token:
            return ChatAdapter.CONSOLE
        return ChatAdapter.SLACK_SOCKET if self.slack_app_token else ChatAdapter.SLACK_HTTP

    @property
    def backend(self) -> Backend:
        """A real BlueKing when either API URL is set, else the embedded sandbox."""
        if self.bk_component_api_url or self.bk_sops_apigw_url:
            return Backend.BLUEKING
        return Backend.SANDBOX

    @property
    def app_code(self) -> str:
        """The BlueKing app code to authenticate with."""
        return self.bk_app_code or SANDBOX_APP_CODE

    @property
    def app_secret(self) -> SecretStr:
        """The BlueKing app secret to authenticate with."""
        return self.bk_app_secret or SecretStr(SANDBOX_APP_SECRET)

    @property
    def default_biz(self) -> int | None:
        """Business used when a channel has none set."""
        if self.default_biz_setting is not None:
            return self.default_biz_setting
        return SANDBOX_DEFAULT_BIZ if self.backend is Backend.SANDBOX else None

    @property
    def store_url(self) -> str | None:
        """The database to keep watches and channel settings in; None = in memory.

        product.md §2 defaults to a SQLite file. On the embedded sandbox, runs vanish with the
        process, so a file would only hold watches of runs that no longer exist: memory there,
        unless BKBOT_DATABASE_URL says otherwise.
        """
        if self.database_url_setting:
            return self.database_url_setting
        return None if self.backend is Backend.SANDBOX else DEFAULT_DATABASE_URL

    def component_url(self) -> str | None:
        """ESB root without a trailing slash, e.g. ``https://paas.example.com``."""
        return str(self.bk_component_api_url).rstrip("/") if self.bk_component_api_url else None

    def sops_gateway_url(self) -> str | None:
        """BK-SOPS gateway stage URL without a trailing slash."""
        return str(self.bk_sops_apigw_url).rstrip("/") if self.bk_sops_apigw_url else None


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Read settings from the process environment and ``env_file`` (when it exists)."""
    return Settings(_env_file=env_file)
