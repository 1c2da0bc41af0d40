"""Sign inbound Slack requests exactly as Slack does and build the bodies it sends."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

__all__ = [
    "FORM_CONTENT_TYPE",
    "block_actions_body",
    "block_actions_payload",
    "new_trigger_id",
    "sign",
    "signed_headers",
    "slash_command_body",
    "view_submission_body",
    "view_submission_payload",
]

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

# Defaults match the fake Slack's seeded workspace (tests/fakes/slack_api.py).
TEAM_ID, TEAM_DOMAIN = "T0FAKE", "fake"
APP_ID, BOT_USER_ID, BOT_ID = "A0FAKE", "U0BOT", "B0BOT"
USER_ID, USER_NAME = "U0ALICE", "alice"
CHANNEL_ID, CHANNEL_NAME = "C0OPS", "ops"
# The legacy verification token Slack still puts in every payload; Bolt ignores it.
VERIFICATION_TOKEN = "fake-verification-token"
# Port 9 (discard) on loopback refuses connections: a bot that responds to a body built
# without an explicit response_url fails loudly instead of reaching the real Slack.
UNSET_RESPONSE_URL = "http://127.0.0.1:9/response/unset"

_triggers = itertools.count(1)


def sign(secret: str, body: str | bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """`X-Slack-Request-Timestamp` and `X-Slack-Signature` for a raw body (reference §2.5).

    The signature is `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` keyed by the
    signing secret; the timestamp defaults to now (Bolt rejects ones older than 5 minutes).
    """
    ts = int(time.time()) if timestamp is None else timestamp
    raw = body.encode() if isinstance(body, str) else body
    base = b"v0:" + str(ts).encode() + b":" + raw
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def signed_headers(
    secret: str,
    body: str | bytes,
    *,
    content_type: str = FORM_CONTENT_TYPE,
    timestamp: int | None = None,
) -> dict[str, str]:
    """`sign()` plus the Content-Type Slack sends (form for commands and interactions)."""
    return {"Content-Type": content_type, **sign(secret, body, timestamp=timestamp)}


def new_trigger_id() -> str:
    """A fresh trigger id in Slack's `<digits>.<digits>.<hex>` shape, unique in this process."""
    n = next(_triggers)
    return f"{int(time.time())}.{100000 + n}.{hashlib.sha1(str(n).encode()).hexdigest()[:32]}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


def slash_command_body(
    command: str = "/bk",
    text: str = "",
    *,
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    trigger_id: str | None = None,
    response_url: str = UNSET_RESPONSE_URL,
    api_app_id: str = APP_ID,
    enterprise_id: str | None = None,
    enterprise_name: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> str:
    """The form-encoded body Slack POSTs for a slash command, with every field it sends."""
    fields: dict[str, str] = {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
    }
    if enterprise_id is not None:
        fields["enterprise_id"] = enterprise_id
        fields["enterprise_name"] = enterprise_name or "Fake Grid"
    fields.update(
        {
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id or new_trigger_id(),
        }
    )
    return urlencode(fields)


def _user(user_id: str, user_name: str, team_id: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def block_actions_payload(
    action_id: str,
    value: str | None = None,
    *,
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    channel_id: str = CHANNEL_ID,
    channel_name: str = CHANNEL_NAME,
    message_ts: str = "1700000000.000100",
    response_url: str = UNSET_RESPONSE_URL,
    trigger_id: str | None = None,
    view: Mapping[str, Any] | None = None,
    block_id: str = "actions",
    message: Mapping[str, Any] | None = None,
    action_type: str = "button",
    action_text: str = "Button",
    action: Mapping[str, Any] | None = None,
    state_values: Mapping[str, Any] | None = None,
    is_ephemeral: bool = False,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
) -> dict[str, Any]:
    """A `block_actions` payload (reference §4.4) for one clicked element.

    From a message unless `view` is given; then it comes from that modal/Home view (no
    `channel`, `message` or `response_url`, and `state` is the view's). `action` entries
    override the generated action (e.g. `{"selected_option": {...}}` for a select).
    """
    clicked: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": _action_ts(),
    }
    if action_type == "button":
        clicked["text"] = {"type": "plain_text", "text": action_text, "emoji": True}
    if value is not None:
        clicked["value"] = value
    clicked.update(action or {})
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["view"] = dict(view)
        values = state_values if state_values is not None else view.get("state", {}).get("values")
        payload["state"] = {"values": dict(values or {})}
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        }
        payload["channel"] = {"id": channel_id, "name": channel_name}
        payload["message"] = (
            dict(message)
            if message is not None
            else _bot_message(message_ts, team_id, api_app_id, block_id, clicked)
        )
        payload["state"] = {"values": dict(state_values or {})}
        payload["response_url"] = response_url
    payload["actions"] = [clicked]
    return payload


def _bot_message(
    ts: str, team_id: str, app_id: str, block_id: str, clicked: Mapping[str, Any]
) -> dict[str, Any]:
    """The message that carried the clicked element, as the fake would have stored it."""
    element = {k: v for k, v in clicked.items() if k not in ("block_id", "action_ts")}
    return {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": app_id,
        "team": team_id,
        "ts": ts,
        "text": "",
        "blocks": [{"type": "actions", "block_id": block_id, "elements": [element]}],
    }


def block_actions_body(action_id: str, value: str | None = None, **kwargs: Any) -> str:
    """`payload=<url-quoted JSON>` for `block_actions_payload(action_id, value, **kwargs)`."""
    return _form_payload(block_actions_payload(action_id, value, **kwargs))


def _input_block(block_id: str, action_id: str, leaf: Mapping[str, Any]) -> dict[str, Any]:
    element: dict[str, Any] = {"type": leaf.get("type", "plain_text_input"), "action_id": action_id}
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": block_id, "emoji": True},
        "optional": False,
        "dispatch_action": False,
        "element": element,
    }


def view_submission_payload(
    callback_id: str,
    values: Mapping[str, Mapping[str, Mapping[str, Any]]],
    *,
    private_metadata: str = "",
    user_id: str = USER_ID,
    user_name: str = USER_NAME,
    view_id: str = "V0000000001",
    hash: str = "1700000000.abcdef01",  # Slack's own field name
    title: str = "Form",
    submit: str = "Submit",
    blocks: list[dict[str, Any]] | None = None,
    trigger_id: str | None = None,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    api_app_id: str = APP_ID,
) -> dict[str, Any]:
    """A `view_submission` payload (reference §4.5).

    `values` is `view.state.values`: `{block_id: {action_id: {"type": ..., "value": ...}}}`
    (or `selected_option`, `selected_user`, … per element type). Without `blocks`, one
    input block per value is generated so the view looks like the one that was submitted.
    """
    if blocks is None:
        blocks = [
            _input_block(block_id, action_id, leaf)
            for block_id, actions in values.items()
            for action_id, leaf in actions.items()
        ]
    view = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": blocks,
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": {k: dict(v) for k, v in values.items()}},
        "hash": hash,
        "title": {"type": "plain_text", "text": title, "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
        "submit": {"type": "plain_text", "text": submit, "emoji": True},
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": api_app_id,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": BOT_ID,
    }
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_domain},
        "user": _user(user_id, user_name, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_submission_body(
    callback_id: str,
    values: Mapping[str, Mapping[str, Mapping[str, Any]]],
    **kwargs: Any,
) -> str:
    """`payload=<url-quoted JSON>` for `view_submission_payload(callback_id, values, **kwargs)`."""
    return _form_payload(view_submission_payload(callback_id, values, **kwargs))


def _form_payload(payload: Mapping[str, Any]) -> str:
    # Interactions arrive form-encoded with the JSON in one `payload` field (reference §2.5).
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})
