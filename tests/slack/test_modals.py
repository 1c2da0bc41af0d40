"""Form ↔ modal conversion at Slack's limits: metadata size, select options, numbers, errors."""

from __future__ import annotations

import json

import pytest

from bot.slack.modals import (
    FormMetadataError,
    answers_of,
    decode_form,
    decode_metadata,
    encode_form,
    encode_metadata,
    modal_view,
    slack_errors,
)
from bot.slack.payloads import Origin, Submission, unescape
from bot.views import FieldKind, Form, FormField, FormOption, TokenStyle
from tests.fakes._blocks import view_errors

ORIGIN = Origin(
    user_id="U0ALICE",
    channel_id="C0OPS",
    thread_ts="1700000000.000100",
    response_url="https://hooks.slack.com/commands/T0/1/abc",
)


def form(*fields: FormField, title: str = "Run plan 1000123") -> Form:
    return Form(title=title, command=("job", "run", "1000123"), fields=fields)


def test_metadata_round_trips_the_form_shape_and_the_origin() -> None:
    original = form(
        FormField(name="version", label="Version", hint="semver", default="1.0"),
        FormField(name="hosts", label="Hosts", token=TokenStyle.FLAG, flag="hosts"),
    )
    pending = decode_metadata(encode_metadata(original, ORIGIN), user_id="U0ALICE", trigger_id="t2")
    assert pending.form.command == original.command
    assert [(f.name, f.token, f.flag, f.required) for f in pending.form.fields] == [
        ("version", TokenStyle.ASSIGN, None, True),
        ("hosts", TokenStyle.FLAG, "hosts", True),
    ]
    assert pending.origin.channel_id == "C0OPS"
    assert pending.origin.thread_ts == "1700000000.000100"
    assert pending.origin.response_url == ORIGIN.response_url
    assert pending.origin.trigger_id == "t2"


def test_metadata_stays_within_3000_characters_for_a_large_form() -> None:
    fields = tuple(
        FormField(
            name=f"variable_{n:02d}",
            label="A long label " * 20,
            hint="A long hint " * 50,
            options=tuple(FormOption(label=f"o{i}", value=f"v{i}") for i in range(50)),
            kind=FieldKind.SELECT,
        )
        for n in range(40)
    )
    raw = encode_metadata(form(*fields), ORIGIN)
    assert len(raw) <= 3000
    # Only what prepare_form needs travels: no labels, hints or options.
    assert "A long" not in raw
    assert "o49" not in raw
    assert json.loads(raw)["r"] == ORIGIN.response_url


def test_a_form_too_large_for_metadata_is_refused_clearly() -> None:
    fields = tuple(FormField(name=f"v{'x' * 200}{n}", label="x") for n in range(20))
    with pytest.raises(FormMetadataError):
        encode_metadata(form(*fields), ORIGIN)


def test_foreign_metadata_is_refused() -> None:
    for raw in ("", "{}", "[1]", '{"f": {"title": 5}}'):
        with pytest.raises(FormMetadataError):
            decode_metadata(raw, user_id="U0ALICE", trigger_id=None)


def test_the_modal_passes_slacks_view_checks_and_cuts_long_texts() -> None:
    long = form(
        FormField(name="a", label="L" * 3000, hint="H" * 3000, placeholder="P" * 500),
        title="x" * 24,
    )
    view = modal_view(long, ORIGIN)
    assert view_errors(view, kind="modal") == []
    block = view["blocks"][0]  # type: ignore[index]
    assert len(block["label"]["text"]) <= 2000
    assert len(block["element"]["placeholder"]["text"]) <= 150


def test_more_than_100_options_fall_back_to_text_with_the_choices_in_the_hint() -> None:
    options = tuple(FormOption(label=f"host {i}", value=f"10.0.0.{i}") for i in range(120))
    field = FormField(name="h", label="Host", kind=FieldKind.SELECT, options=options)
    view = modal_view(form(field), ORIGIN)
    block = view["blocks"][0]  # type: ignore[index]
    assert block["element"]["type"] == "plain_text_input"
    assert block["hint"]["text"].startswith("One of: 10.0.0.0, 10.0.0.1")
    assert view_errors(view, kind="modal") == []


def test_a_decimal_default_allows_decimals() -> None:
    view = modal_view(
        form(FormField(name="ratio", label="Ratio", kind=FieldKind.NUMBER, default="0.5")), ORIGIN
    )
    element = view["blocks"][0]["element"]  # type: ignore[index]
    assert element["is_decimal_allowed"] is True
    assert element["initial_value"] == "0.5"


def test_submitted_values_are_read_per_widget() -> None:
    submission = Submission(
        user_id="U0ALICE",
        view_id="V1",
        private_metadata="",
        values={
            "text": {"value": {"type": "plain_text_input", "value": "hello"}},
            "number": {"value": {"type": "number_input", "value": "3"}},
            "select": {"value": {"type": "static_select", "selected_option": {"value": "b"}}},
            "empty": {"value": {"type": "plain_text_input", "value": None}},
            "unselected": {"value": {"type": "static_select", "selected_option": None}},
        },
        block_ids=(),
        trigger_id=None,
    )
    assert answers_of(submission) == {
        "text": "hello",
        "number": "3",
        "select": "b",
        "empty": "",
        "unselected": "",
    }


def test_errors_for_unknown_fields_are_shown_on_the_first_field() -> None:
    assert slack_errors({"x": "Bad.", "b": "Worse."}, ["a", "b"]) == {"a": "Bad.", "b": "Worse."}
    assert slack_errors({"x": "Bad.", "y": "Also."}, ["a"]) == {"a": "Bad. Also."}


def test_a_form_travels_in_a_button_value_when_it_fits() -> None:
    small = form(FormField(name="v", label="Version"))
    raw = encode_form(small)
    assert raw is not None
    assert len(raw) <= 2000
    assert decode_form(raw) == small
    huge = form(*(FormField(name=f"v{n}", label="x" * 100) for n in range(30)))
    assert encode_form(huge) is None


def test_slack_escapes_are_undone_with_ampersand_last() -> None:
    assert unescape("a &amp;lt; b &lt; c &gt; d &amp; e") == "a &lt; b < c > d & e"
