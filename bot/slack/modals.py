"""Forms as Slack modals: Form → modal view, private_metadata round trip, submitted answers.

Limits from reference §3.5: title/submit/close 24 chars, 100 blocks, labels and hints 2000,
placeholders 150, static_select 100 options (text 75, value 150), private_metadata 3000,
button value 2000.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from pydantic import ValidationError

from bot.commands.ids import FORM_CALLBACK_ID, FORM_VALUE_ACTION_ID
from bot.rendering import MAX_BLOCKS_SURFACE, escape, truncate
from bot.slack.payloads import Origin, Submission
from bot.views import FieldKind, Form, FormField, FormOption, TokenStyle

__all__ = [
    "FORM_OPEN_ACTION_ID",
    "PASSWORD_HINT",
    "FormMetadataError",
    "PendingForm",
    "answers_of",
    "command_text",
    "decode_form",
    "decode_metadata",
    "encode_form",
    "encode_metadata",
    "modal_view",
    "slack_errors",
]

# The "Open the form" button posted when a trigger expired (§3.4); its value is the Form.
FORM_OPEN_ACTION_ID = "bk.form.open"
PASSWORD_HINT = "Slack shows what you type in this box (it has no masked input)."

MAX_VIEW_TEXT = 24
MAX_METADATA = 3000
MAX_BUTTON_VALUE = 2000
MAX_LABEL = 2000
MAX_HINT = 2000
MAX_PLACEHOLDER = 150
MAX_OPTIONS = 100
MAX_OPTION_TEXT = 75
MAX_OPTION_VALUE = 150
MAX_INPUT = 3000  # plain_text_input max_length

Json = dict[str, object]


class FormMetadataError(ValueError):
    """A modal's private_metadata is missing, foreign or does not fit in 3000 characters."""


@dataclass(frozen=True)
class PendingForm:
    """A submitted form's shape (what prepare_form needs) and where its reply goes."""

    form: Form
    origin: Origin


def _plain(text: str, limit: int) -> Json:
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def _option(option: FormOption) -> Json:
    return {"text": _plain(option.label, MAX_OPTION_TEXT), "value": option.value}


def _can_select(field: FormField) -> bool:
    values = [o.value for o in field.options]
    return (
        0 < len(values) <= MAX_OPTIONS
        and len(set(values)) == len(values)
        and all(0 < len(v) <= MAX_OPTION_VALUE for v in values)
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _element(field: FormField) -> Json:
    element: Json = {"action_id": FORM_VALUE_ACTION_ID}
    if field.kind is FieldKind.SELECT and _can_select(field):
        options = [_option(o) for o in field.options]
        element.update(type="static_select", options=options)
        initial = next((o for o in options if o["value"] == field.default), None)
        if initial is not None:
            element["initial_option"] = initial
    elif field.kind is FieldKind.NUMBER:
        # Decimals only when the default is one: ids, counts and seconds are whole numbers.
        default = field.default or ""
        element.update(type="number_input", is_decimal_allowed="." in default)
        if default and _is_number(default):
            element["initial_value"] = default
    else:
        element["type"] = "plain_text_input"
        if field.kind is FieldKind.MULTILINE or field.token is TokenStyle.CODE:
            element["multiline"] = True
        # A password default would be shown in clear text: never prefill one.
        if field.default and field.kind is not FieldKind.PASSWORD:
            element["initial_value"] = field.default[:MAX_INPUT]
    if field.placeholder:
        element["placeholder"] = _plain(field.placeholder or "", MAX_PLACEHOLDER)
    return element


def _hint(field: FormField) -> str | None:
    parts = [field.hint] if field.hint else []
    if field.kind is FieldKind.SELECT and field.options and not _can_select(field):
        parts.append("One of: " + ", ".join(o.value for o in field.options))
    if field.kind is FieldKind.PASSWORD:
        parts.append(PASSWORD_HINT)
    return " ".join(parts) or None


def _input_block(field: FormField) -> Json:
    block: Json = {
        "type": "input",
        "block_id": field.name,
        "label": _plain(field.label, MAX_LABEL),
        "element": _element(field),
        "optional": not field.required,
    }
    hint = _hint(field)
    if hint:
        block["hint"] = _plain(hint, MAX_HINT)
    return block


def modal_view(form: Form, origin: Origin) -> Json:
    """The ``views.open`` view for ``form``: one input block per field (block_id = its name)."""
    blocks: list[Json] = []
    if form.intro:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _intro(form)}})
    blocks.extend(_input_block(f) for f in form.fields)
    if len(blocks) > MAX_BLOCKS_SURFACE:
        raise ValueError(f"form {form.title!r} needs {len(blocks)} blocks; a modal holds 100")
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK_ID,
        "title": _plain(form.title, MAX_VIEW_TEXT),
        "submit": _plain(form.submit, MAX_VIEW_TEXT),
        "close": _plain("Cancel", MAX_VIEW_TEXT),
        "private_metadata": encode_metadata(form, origin),
        "blocks": blocks,
    }


def _intro(form: Form) -> str:
    return truncate(escape(form.intro or ""), 3000) or " "


def _skeleton(form: Form) -> Form:
    """What prepare_form needs: names, kinds, tokens, flags, required (labels dropped)."""
    return Form(
        title=form.title,
        submit=form.submit,
        command=form.command,
        fields=tuple(
            FormField(
                name=f.name,
                label=f.name,
                kind=f.kind,
                required=f.required,
                token=f.token,
                flag=f.flag,
            )
            for f in form.fields
        ),
    )


def encode_metadata(form: Form, origin: Origin) -> str:
    """private_metadata: the form's skeleton plus the origin channel, thread and response_url."""
    data: Json = {"f": _skeleton(form).model_dump(mode="json", exclude_defaults=True)}
    where = {
        "c": origin.channel_id,
        "t": origin.thread_ts,
        "m": origin.message_ts,
        "e": origin.ephemeral or None,
        "r": origin.response_url,
    }
    data.update({k: v for k, v in where.items() if v is not None})
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(raw) > MAX_METADATA and "r" in data:
        # The response_url is a convenience (ephemeral replies without membership): drop it first.
        del data["r"]
        raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(raw) > MAX_METADATA:
        raise FormMetadataError(f"form {form.title!r} does not fit in private_metadata")
    return raw


def decode_metadata(raw: str, *, user_id: str, trigger_id: str | None) -> PendingForm:
    """The form and origin stored by ``encode_metadata``."""
    try:
        data = json.loads(raw)
        form = Form.model_validate(data["f"])
    except (ValueError, KeyError, TypeError, ValidationError) as exc:
        raise FormMetadataError("this modal was not opened by this bot version") from exc

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) and value else None

    origin = Origin(
        user_id=user_id,
        channel_id=text("c"),
        thread_ts=text("t"),
        message_ts=text("m"),
        response_url=text("r"),
        trigger_id=trigger_id,
        ephemeral=data.get("e") is True,
    )
    return PendingForm(form=form, origin=origin)


def answers_of(submission: Submission) -> dict[str, str]:
    """Field name → submitted text (typed value, or the selected option's value)."""
    answers: dict[str, str] = {}
    for block_id, actions in submission.values.items():
        leaf = actions.get(FORM_VALUE_ACTION_ID)
        if leaf is None:
            continue
        value = leaf.get("value")
        if value is None:
            selected = leaf.get("selected_option")
            value = selected.get("value") if isinstance(selected, Mapping) else None
        answers[block_id] = "" if value is None else str(value)
    return answers


def slack_errors(errors: Mapping[str, str], block_ids: Iterable[str]) -> dict[str, str]:
    """``response_action: errors`` keys must be input block_ids (§4.5); others go to the first."""
    known = list(block_ids)
    result: dict[str, str] = {}
    for name, message in errors.items():
        key = name if name in known or not known else known[0]
        result[key] = f"{result[key]} {message}" if key in result else message
    return {k: truncate(v, MAX_HINT) for k, v in result.items()}


def encode_form(form: Form) -> str | None:
    """The whole form as a button value, or None when it is over Slack's 2000 characters."""
    raw = form.model_dump_json(exclude_defaults=True)
    return raw if len(raw) <= MAX_BUTTON_VALUE else None


def decode_form(value: str) -> Form:
    """The form carried by an "Open the form" button."""
    try:
        return Form.model_validate_json(value)
    except ValidationError as exc:
        raise FormMetadataError("this button does not carry a form") from exc


def command_text(form: Form) -> str:
    """The form's base command as a user would type it (runs it again to get a fresh form)."""
    return shlex.join(form.command)
