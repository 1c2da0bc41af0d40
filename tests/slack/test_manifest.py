"""manifest.yml: the app Slack creates has the command, events and exactly the scopes used."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
# Every Web API method bot/slack calls, and the bot scope it needs (reference §1.2).
SCOPE_OF = {
    "auth_test": None,
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "conversations_open": "im:write",
    "files_upload_v2": "files:write",
    "users_info": "users:read",
    "views_open": None,
    "views_publish": None,
}


def manifest() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "manifest.yml").read_text())
    return data


def test_the_slash_command_is_the_default_command_with_a_usage_hint() -> None:
    (command,) = manifest()["features"]["slash_commands"]
    assert command["command"] == "/bk"
    assert 0 < len(command["usage_hint"]) <= 1000
    assert command["should_escape"] is False


def test_fields_are_within_slacks_limits() -> None:
    data = manifest()
    assert len(data["display_information"]["name"]) <= 35
    assert len(data["display_information"]["description"]) <= 140
    assert re.fullmatch(r"[a-z0-9._-]{1,80}", data["features"]["bot_user"]["display_name"])


def test_scopes_are_exactly_those_of_the_methods_the_adapter_calls() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "bot" / "slack").glob("*.py"))
    called = set(re.findall(r"client\.([a-z]+_[A-Za-z0-9_]+)\(", source))
    unknown = called - set(SCOPE_OF)
    assert unknown == set(), f"add {unknown} to SCOPE_OF with the scope it needs"
    needed = {SCOPE_OF[m] for m in called} - {None}
    # users:read.email comes with users:read: the e-mail maps Slack users to BlueKing (§6).
    needed |= {"commands", "users:read.email"}
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed


def test_home_interactivity_and_socket_mode_are_on() -> None:
    data = manifest()
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is True
    assert data["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
