"""Fixtures: a real slack-sdk client pointed at the fake Slack (served by tests/conftest.py)."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import FakeSlack

BOT_TOKEN = "xoxb-test"


@pytest.fixture
def client(fake_slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)
