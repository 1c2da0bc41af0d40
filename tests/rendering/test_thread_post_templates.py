"""Thread post template: longest and emptiest realistic views, valid Block Kit within limits."""

from __future__ import annotations

import json

import pytest

from bot.rendering import MAX_BLOCKS_MESSAGE, TRUNCATION_MARK, Renderer
from bot.views import (
    Action,
    ButtonStyle,
    Confirm,
    PostTone,
    ThreadFailure,
    ThreadHostGroup,
    ThreadPostView,
)
from tests.rendering.blockkit import render_both

NASTY = "web <prod> & “canary” *bold* `tick` ```fence```"
LONG = (NASTY + " ") * 60  # about 3,000 characters of text that needs escaping
ID = 20000123456789


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


def _buttons(n: int) -> tuple[Action, ...]:
    return tuple(
        Action(
            label=f"Button {i} " + "x" * 80,
            command=f"job step {ID} {ID + i} retry-all --yes --biz 2",
            style=ButtonStyle.DANGER if i % 2 else ButtonStyle.PRIMARY,
            confirm=Confirm(title=LONG, text=LONG, confirm="Yes " * 20) if i % 2 else None,
        )
        for i in range(n)
    )


def _texts(value: object) -> list[str]:
    """Every mrkdwn text in a block tree (where templates put foreign text)."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for item in value.values():
            found.extend(_texts(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_texts(item))
    return found


def _longest() -> list[ThreadPostView]:
    output = "\n".join(f"{NASTY} line {n}" for n in range(400))
    groups = tuple(
        ThreadHostGroup(
            hosts=tuple(f"{i}:10.0.{i}.{n}" for n in range(200)),
            status=NASTY,
            exit_code=255,
            output=output,
            tail=True,
        )
        for i in range(14)
    )
    failures = tuple(
        ThreadFailure(title=f"Step {i} “{LONG[:200]}”", label=NASTY, detail=LONG, error=LONG)
        for i in range(14)
    )
    common = {
        "headline": f"Job {ID} “{LONG}” failed after 2d 03h",
        "run": f"job {ID}",
        "quote": LONG,
        "details": tuple(LONG for _ in range(12)),
        "error": LONG,
        "actions": _buttons(25),
    }
    return [
        # A step failure: every group of hosts, its output cut to a tail, the file named.
        ThreadPostView(
            tone=PostTone.FAILED,
            groups=groups,
            hidden_groups=30,
            attached=f"job-{ID}-step-3-failed-hosts.log",
            **common,  # type: ignore[arg-type]
        ),
        # A summary: every failed step with its error.
        ThreadPostView(
            tone=PostTone.FAILED,
            failures=failures,
            hidden_failures=40,
            **common,  # type: ignore[arg-type]
        ),
    ]


def _emptiest() -> list[ThreadPostView]:
    return [
        ThreadPostView(tone=PostTone.INFO, headline="x"),
        ThreadPostView(
            tone=PostTone.FAILED,
            headline="Step 1 failed",
            groups=(ThreadHostGroup(hosts=()),),
            failures=(ThreadFailure(title="Step 1", label=""),),
        ),
    ]


@pytest.mark.parametrize("view", _longest(), ids=["groups", "failures"])
def test_longest_views_fit_slack_and_mark_every_cut(
    renderer: Renderer, view: ThreadPostView
) -> None:
    blocks, text = render_both(renderer, view)
    assert len(blocks) <= MAX_BLOCKS_MESSAGE
    dumped = json.dumps(blocks, ensure_ascii=False)
    assert TRUNCATION_MARK in dumped
    texts = "\n".join(_texts(blocks))
    assert "<prod>" not in texts
    assert "&lt;prod&gt;" in texts
    # A fence inside output or an error cannot close its code block early.
    assert "ʼʼʼfenceʼʼʼ" in texts
    assert "&lt;" not in text
    assert "<prod>" in text
    # The buttons survive the block limit, and every command fits a button value.
    assert blocks[-1]["type"] == "actions"
    elements = blocks[-1]["elements"]
    assert isinstance(elements, list)
    assert len(elements) == 25
    assert all(len(str(e["value"])) <= 2000 for e in elements)


def test_longest_groups_view_shows_ten_groups_and_counts_the_rest(renderer: Renderer) -> None:
    view = _longest()[0]
    blocks, text = render_both(renderer, view)
    dumped = json.dumps(blocks, ensure_ascii=False)
    assert dumped.count(" · exit 255") == 10
    assert "34 more groups of hosts not shown: see the attached file." in dumped
    assert "the full log is attached as `job-" in dumped
    assert "… 30 more groups of hosts in the attached file" in text
    assert f"Full log attached: job-{ID}-step-3-failed-hosts.log" in text


def test_longest_failures_view_shows_ten_and_counts_the_rest(renderer: Renderer) -> None:
    blocks, text = render_both(renderer, _longest()[1])
    assert "… and 44 more not shown here." in json.dumps(blocks, ensure_ascii=False)
    assert "… and 40 more" in text


@pytest.mark.parametrize("view", _emptiest(), ids=["bare", "empty-parts"])
def test_emptiest_views_still_say_something(renderer: Renderer, view: ThreadPostView) -> None:
    blocks, text = render_both(renderer, view)
    assert blocks[0]["type"] == "section"
    assert text.strip()
    assert "None" not in text  # an unset field never prints as Python's None
    assert "None" not in json.dumps(blocks)


def test_bare_view_is_one_block_and_one_line(renderer: Renderer) -> None:
    blocks, text = render_both(renderer, ThreadPostView(tone=PostTone.INFO, headline="x"))
    assert len(blocks) == 1
    assert text == "· x"


def test_empty_output_says_so(renderer: Renderer) -> None:
    blocks, text = render_both(renderer, _emptiest()[1])
    assert "_No output._" in json.dumps(blocks)
    assert "(no output)" in text


@pytest.mark.parametrize("tone", list(PostTone), ids=str)
def test_every_tone_has_an_icon_and_a_mark(renderer: Renderer, tone: PostTone) -> None:
    view = ThreadPostView(tone=tone, headline="Step 1 “x” happened", run="job 1")
    blocks, text = render_both(renderer, view)
    first = _texts(blocks)[0]
    assert first.startswith(":")
    assert first.endswith(" Step 1 “x” happened")
    mark, _, rest = text.partition(" ")
    assert mark.strip()
    assert not mark.startswith(":")
    assert rest == "Step 1 “x” happened  [job 1]"


def test_gate_prompt_is_quoted_line_by_line(renderer: Renderer) -> None:
    view = ThreadPostView(
        tone=PostTone.WAITING,
        headline="Waiting for confirmation at step 3 “restart”",
        quote="Restart web?\nCheck <dashboards> first & wait",
        actions=(
            Action(label="Confirm", command="job step 1 2 confirm --biz 2"),
            Action(label="Reject", command="job step 1 2 reject --yes --biz 2"),
        ),
    )
    blocks, text = render_both(renderer, view)
    assert _texts(blocks)[0] == (
        ":raised_hand: Waiting for confirmation at step 3 “restart”"
        "\n>Restart web?\n>Check &lt;dashboards&gt; first &amp; wait"
    )
    assert text.splitlines()[1:] == ["    > Restart web?", "    > Check <dashboards> first & wait"]
    assert [e["value"] for e in blocks[-1]["elements"]] == [  # type: ignore[union-attr]
        "job step 1 2 confirm --biz 2",
        "job step 1 2 reject --yes --biz 2",
    ]


def test_group_output_is_a_code_block_and_plain_in_the_text(renderer: Renderer) -> None:
    view = ThreadPostView(
        tone=PostTone.FAILED,
        headline="Step 2 “check” failed on 2 of 3 hosts",
        run="job 9",
        groups=(
            ThreadHostGroup(
                hosts=("10.0.0.11", "2:10.0.0.12"),
                status="non-zero exit code",
                exit_code=1,
                output="disk usage of / > 90% & rising\n",
            ),
        ),
    )
    blocks, text = render_both(renderer, view)
    assert _texts(blocks)[1] == (
        ":x: *10.0.0.11, 2:10.0.0.12* · non-zero exit code · exit 1"
        "\n```disk usage of / &gt; 90% &amp; rising```"
    )
    assert text.splitlines() == [
        "✗ Step 2 “check” failed on 2 of 3 hosts  [job 9]",
        "    -- 10.0.0.11, 2:10.0.0.12 · non-zero exit code · exit 1 --",
        "    disk usage of / > 90% & rising",
    ]
