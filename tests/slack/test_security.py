"""Request verification in HTTP mode: Slack's signature and its 5-minute window (§2.5)."""

from __future__ import annotations

import time

from tests.fakes import signed_headers, slash_command_body
from tests.slack.conftest import SECRET, Driver


def body(slack: Driver, text: str = "help") -> str:
    return slash_command_body("/bk", text, response_url=slack.new_response()[1])


async def test_a_correctly_signed_command_is_accepted(slack: Driver) -> None:
    response = await slack.send(body(slack))
    assert response.status_code == 200


async def test_a_wrong_signature_is_refused_with_401(slack: Driver) -> None:
    response = await slack.send(slash_command_body("/bk", "help"), secret="not-the-secret")
    assert response.status_code == 401
    await slack.idle()
    assert slack.fake.responses() == []
    assert [c.method for c in slack.fake.calls() if c.method != "auth.test"] == []


async def test_a_tampered_body_is_refused(slack: Driver) -> None:
    body = slash_command_body("/bk", "help")
    headers = signed_headers(SECRET, body)
    tampered = body.replace("help", "biz+3")
    response = await slack.http.post(f"{slack.url}/slack/events", content=tampered, headers=headers)
    assert response.status_code == 401


async def test_a_request_older_than_five_minutes_is_refused(slack: Driver) -> None:
    stale = int(time.time()) - 6 * 60
    response = await slack.send(slash_command_body("/bk", "help"), timestamp=stale)
    assert response.status_code == 401


async def test_a_request_from_four_minutes_ago_is_still_accepted(slack: Driver) -> None:
    recent = int(time.time()) - 4 * 60
    response = await slack.send(body(slack), timestamp=recent)
    assert response.status_code == 200


async def test_unsigned_requests_are_refused(slack: Driver) -> None:
    response = await slack.http.post(
        f"{slack.url}/slack/events",
        content=slash_command_body("/bk", "help"),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 401
