"""App Home: publishing the Home tab on app_home_opened, and its buttons replying in the DM."""

from __future__ import annotations

import json
import time
from typing import Any

from bot.rendering import Renderer
from bot.slack.home import HomeView
from bot.views import Action, HelpEntry, HelpView, WhoamiView
from tests.fakes import View
from tests.slack.conftest import Driver, buttons_of, text_of, valid_blocks


def home_opened(user: str = "U0ALICE", tab: str = "home") -> str:
    """The Events API envelope Slack POSTs as JSON (reference §4.6)."""
    now = int(time.time())
    return json.dumps(
        {
            "token": "fake-verification-token",
            "team_id": "T0FAKE",
            "api_app_id": "A0FAKE",
            "type": "event_callback",
            "event_id": f"Ev{now}",
            "event_time": now,
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": "D" + user[1:],
                "tab": tab,
                "event_ts": f"{now}.000100",
            },
        }
    )


async def open_home(slack: Driver, user: str = "U0ALICE") -> View:
    response = await slack.send_json(home_opened(user))
    assert response.status_code == 200
    return (await slack.opened_views(kind="home"))[0]


async def test_opening_the_home_tab_publishes_who_you_are_and_the_help(slack: Driver) -> None:
    home = await open_home(slack)
    assert home.user_id == "U0ALICE"
    assert home.opened_by == "views.publish"
    assert 0 < len(home.blocks) <= 100
    valid_blocks(home.blocks)
    text = text_of(home.blocks)
    assert "You act in BlueKing as *admin*" in text
    assert "Default business*\n2" in text
    assert "/bk whoami" in text  # the help is there
    labels = [b["text"]["text"] for b in buttons_of(home.blocks)]
    assert "Who am I" in labels
    assert "Help" in labels


async def test_the_messages_tab_publishes_nothing(slack: Driver) -> None:
    response = await slack.send_json(home_opened(tab="messages"))
    assert response.status_code == 200
    await slack.idle()
    assert slack.fake.calls("views.publish") == []


async def test_a_home_button_replies_in_the_apps_dm(slack: Driver) -> None:
    home = await open_home(slack)
    whoami = next(b for b in buttons_of(home.blocks) if b["text"]["text"] == "Who am I")
    view: dict[str, Any] = {"id": home.id, "type": "home", "blocks": home.blocks}
    acked = await slack.click(whoami, view=view)
    assert acked.seconds < 1.0
    dm = (await slack.posted(channel="D0ALICE"))[0]
    assert "admin" in dm.text


def _home(*, mapped: bool, entries: int, quick: int, long: str = "") -> HomeView:
    return HomeView(
        command="/bk",
        whoami=WhoamiView(
            chat_user="U0ALICE",
            display_name=("Alice <ops> & co " + long) if mapped else None,
            bk_username=("alice" + long) if mapped else None,
            mapped_by="policy file" if mapped else "unmapped",
            roles=tuple(f"role-{n}{long}" for n in range(20)) if mapped else (),
            business=2 if mapped else None,
            sandbox=mapped,
        ),
        quick=tuple(Action(label=f"Quick {n}", command=f"help {n}") for n in range(quick)),
        help=HelpView(
            command="/bk",
            topic=None,
            topics=("general", "job", "sops"),
            entries=tuple(
                HelpEntry(usage=f"cmd{n} <ID> [--flag]{long}", summary=f"Does & {n}{long}")
                for n in range(entries)
            ),
            notes=("a note with <angle> & ampersand",),
        ),
    )


def test_the_home_template_renders_its_longest_context_within_100_blocks() -> None:
    rendered = Renderer().render(
        _home(mapped=True, entries=1500, quick=30, long="x" * 400), limit=100
    )
    assert len(rendered.blocks) <= 100
    valid_blocks(rendered.blocks)
    assert "&lt;ops&gt; &amp; co" in text_of(rendered.blocks)
    assert rendered.text.startswith("BlueKing ChatOps")


def test_the_home_template_renders_for_an_unmapped_user_with_no_commands() -> None:
    rendered = Renderer().render(_home(mapped=False, entries=0, quick=0), limit=100)
    valid_blocks(rendered.blocks)
    text = text_of(rendered.blocks)
    assert "not mapped to a BlueKing user" in text
    assert "No commands" in text
    assert buttons_of(rendered.blocks) == []
    assert "not mapped" in rendered.text
