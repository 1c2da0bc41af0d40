"""The user directory over users.info: profile fields, a short TTL cache, unknown users."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.slack import Metrics, SlackDirectory, SlackProfile
from tests.fakes import FakeUser
from tests.fakes.slack_api import FakeSlack


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def directory(fake: FakeSlack, clock: Clock) -> SlackDirectory:
    client = AsyncWebClient(token="xoxb-test", base_url=fake.api_url)
    return SlackDirectory(client, ttl=300, metrics=Metrics(), clock=clock)


async def test_a_profile_has_the_display_name_and_email(fake_slack: FakeSlack) -> None:
    found = await directory(fake_slack, Clock()).profile("U0BOB")
    assert found == SlackProfile(display_name="bob", email="bob@example.com")


async def test_the_real_name_stands_in_for_an_empty_display_name(fake_slack: FakeSlack) -> None:
    fake_slack.add_user(FakeUser("U0CAROL", "carol", real_name="Carol Chen", email=None))
    found = await directory(fake_slack, Clock()).profile("U0CAROL")
    assert found == SlackProfile(display_name="Carol Chen", email=None)


async def test_answers_are_cached_until_the_ttl_passes(fake_slack: FakeSlack) -> None:
    clock = Clock()
    users = directory(fake_slack, clock)
    await users.profile("U0ALICE")
    await users.profile("U0ALICE")
    assert len(fake_slack.calls("users.info")) == 1
    clock.now += 301
    await users.profile("U0ALICE")
    assert len(fake_slack.calls("users.info")) == 2


async def test_an_unknown_user_is_none_and_remembered(fake_slack: FakeSlack) -> None:
    users = directory(fake_slack, Clock())
    assert await users.profile("U0NOBODY") is None
    assert await users.profile("U0NOBODY") is None
    assert len(fake_slack.calls("users.info")) == 1
