"""Common templates and the block builders: limits, truncation marks, escaping."""

from __future__ import annotations

import json

import pytest

from bot.rendering import TRUNCATION_MARK, Renderer, TemplateError, escape, truncate
from bot.rendering._blocks import actions, button, code, fields_section, fit_blocks, header, section
from bot.views import (
    Action,
    ButtonStyle,
    Confirm,
    ErrorKind,
    ErrorView,
    HelpEntry,
    HelpView,
    NoticeView,
    PromptView,
    View,
    WhoamiView,
)
from tests.rendering.blockkit import render_both

LONG = "x<&>" * 2000  # 8000 chars of text that needs escaping


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


def _all_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _mrkdwn_texts(value: object) -> list[str]:
    """Every mrkdwn text in a block tree (plain_text is shown literally by Slack)."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for item in value.values():
            found.extend(_mrkdwn_texts(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_mrkdwn_texts(item))
    return found


def test_escape_touches_only_what_slack_decodes() -> None:
    assert escape("a & b < c > d \"e\" 'f'") == "a &amp; b &lt; c &gt; d \"e\" 'f'"


def test_truncate_marks_the_cut_and_can_keep_the_tail() -> None:
    assert truncate("abcdef", 4) == "abc" + TRUNCATION_MARK
    assert truncate("abcdef", 4, keep="tail") == TRUNCATION_MARK + "def"
    assert truncate("abc", 4) == "abc"


def test_builders_cut_to_slack_limits() -> None:
    assert len(header("h" * 500)["text"]["text"]) == 150  # type: ignore[index]
    assert len(section("s" * 5000)["text"]["text"]) == 3000  # type: ignore[index]
    many = fields_section([f"f{i}" for i in range(14)])
    assert len(many["fields"]) == 10  # type: ignore[arg-type]
    assert "5 more not shown" in json.dumps(many)
    logs = code("line\n" * 2000)
    body = logs["text"]["text"]  # type: ignore[index]
    assert len(body) <= 3000
    assert body.startswith("```" + TRUNCATION_MARK)  # logs keep their end
    buttons = actions(Action(label="b" * 100, command=f"c{i}") for i in range(30))
    assert len(buttons["elements"]) == 25  # type: ignore[arg-type]
    assert len(buttons["elements"][0]["text"]["text"]) == 75  # type: ignore[index]


def test_button_ids_are_unique_and_confirm_is_carried() -> None:
    element = button(
        Action(
            label="Stop",
            command="job stop 1 --yes",
            style=ButtonStyle.DANGER,
            confirm=Confirm(title="Stop?", text="Really"),
        ),
        3,
    )
    assert element["action_id"] == "bk.cmd.3"
    assert element["value"] == "job stop 1 --yes"
    assert element["confirm"]["style"] == "danger"  # type: ignore[index]


def test_a_command_too_long_for_a_button_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="over Slack's 2000"):
        button(Action(label="x", command="y" * 2001))


def test_too_many_blocks_are_cut_with_a_note() -> None:
    blocks = fit_blocks([section(str(i)) for i in range(60)])
    assert len(blocks) == 50
    assert "11 more blocks not shown" in json.dumps(blocks[-1])


@pytest.mark.parametrize(
    "view",
    [
        NoticeView(text="Done"),
        NoticeView(
            text=LONG,
            detail=LONG,
            actions=tuple(Action(label=f"b{i}", command=f"help {i}") for i in range(40)),
        ),
        PromptView(question="Stop?", actions=(Action(label="Stop", command="job stop 1 --yes"),)),
        PromptView(
            question=LONG,
            detail=LONG,
            actions=tuple(
                Action(label=LONG, command="x", confirm=Confirm(title=LONG, text=LONG))
                for _ in range(3)
            ),
        ),
        ErrorView(kind=ErrorKind.USAGE, message="Bad"),
        ErrorView(
            kind=ErrorKind.DENIED,
            message=LONG,
            usage=LONG,
            suggestion=LONG,
            hint=LONG,
            missing_permission=LONG,
            apply_url="https://iam.example.com/apply",
            request_id="0" * 32,
        ),
        HelpView(command="/bk", topic=None, topics=(), entries=()),
        HelpView(
            command="/bk",
            topic=None,
            topics=("general", "job", "sops"),
            entries=tuple(HelpEntry(usage=LONG[:300], summary=LONG[:500]) for _ in range(120)),
            notes=(LONG, LONG),
        ),
        WhoamiView(
            chat_user="U1",
            display_name=None,
            bk_username=None,
            mapped_by="unmapped",
            roles=(),
            business=None,
            sandbox=False,
        ),
        WhoamiView(
            chat_user="U" + "1" * 20,
            display_name=LONG,
            bk_username=LONG,
            mapped_by="policy file",
            roles=tuple(f"role{i}" for i in range(50)),
            business=2,
            sandbox=True,
        ),
    ],
    ids=lambda v: type(v).__name__,
)
def test_common_views_render_within_limits(renderer: Renderer, view: View) -> None:
    blocks, _ = render_both(renderer, view)
    for text in _mrkdwn_texts(blocks):
        assert "<&>" not in text  # foreign text is escaped in mrkdwn


def test_long_text_is_cut_with_a_visible_mark(renderer: Renderer) -> None:
    blocks, _ = render_both(renderer, NoticeView(text=LONG))
    assert TRUNCATION_MARK in _all_text(blocks)


def test_missing_template_is_a_clear_error(renderer: Renderer) -> None:
    class Nowhere(View):
        template = "common/does-not-exist"

    with pytest.raises(TemplateError, match="template not found"):
        renderer.blocks(Nowhere())
