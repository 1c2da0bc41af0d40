"""The runtime's wiring as the startup line describes it."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.runtime import build_blueking
from tests.test_config import ALL_VARS


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)


async def test_a_real_backend_is_described_by_its_esb_url() -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        BK_COMPONENT_API_URL="http://esb.example.com:8080",
        BK_APP_CODE="bkchatops",
        BK_APP_SECRET="secret",
    )
    async with build_blueking(settings) as blueking:
        assert blueking.describe() == "BlueKing at http://esb.example.com:8080"


async def test_the_sandbox_says_why_it_was_chosen() -> None:
    async with build_blueking(Settings(_env_file=None)) as blueking:  # type: ignore[call-arg]
        assert blueking.describe().startswith("embedded sandbox (no BK_COMPONENT_API_URL")
