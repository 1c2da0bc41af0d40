"""Job templates: longest and emptiest realistic views, valid Block Kit within Slack's limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.rendering import MAX_BLOCKS_MESSAGE, TRUNCATION_MARK, Renderer
from bot.views import Action, ButtonStyle, Confirm, View
from bot.views.job import (
    JobAccountListView,
    JobAccountRow,
    JobCronListView,
    JobCronRow,
    JobCronView,
    JobLogGroup,
    JobLogStep,
    JobLogView,
    JobPlanListView,
    JobPlanRow,
    JobPlanStep,
    JobPlanView,
    JobRunCard,
    JobScriptListView,
    JobScriptRow,
    JobScriptView,
    JobStepRow,
    JobVariableRow,
    LogOutcome,
    fmt_duration,
    fmt_time,
)
from tests.rendering.blockkit import render_both

NASTY = "web <prod> & “canary” *bold* `tick` ```fence```"
LONG = (NASTY + " ") * 60  # about 3,000 characters of text that needs escaping
ID = 20000123456789


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


def _buttons(n: int, *, prefix: str = "job status") -> tuple[Action, ...]:
    return tuple(
        Action(
            label=f"Button {i} " + "x" * 80,
            command=f"{prefix} {ID} --biz 2",
            style=ButtonStyle.DANGER if i % 2 else ButtonStyle.PRIMARY,
            confirm=Confirm(title=LONG, text=LONG, confirm="Yes " * 20) if i % 2 else None,
        )
        for i in range(n)
    )


def _mrkdwn(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def _texts(value: object) -> list[str]:
    """Every mrkdwn text and header text in a block tree (where templates put foreign text)."""
    found: list[str] = []
    if isinstance(value, dict):
        if value.get("type") == "header":
            found.append(str(value["text"]["text"]))  # type: ignore[index]
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            found.append(value["text"])
        for item in value.values():
            found.extend(_texts(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_texts(item))
    return found


def _longest() -> list[View]:
    plan_rows = tuple(
        JobPlanRow(
            id=1000000 + i,
            name=LONG,
            creator=NASTY,
            modified="2025-01-08 17:40",
            modified_by=NASTY,
            actions=_buttons(2, prefix="job run"),
        )
        for i in range(10)
    )
    steps = tuple(
        JobPlanStep(
            index=i + 1,
            name=LONG[:200],
            kind=("script", "file", "confirmation")[i % 3],
            account=NASTY,
            targets=",".join(f"0:10.0.{i}.{n}" for n in range(200)),
            timeout="2h 00m",
            script="business script version 6862",
            params=LONG,
            sources=tuple(LONG for _ in range(5)),
            target_path="/data/" + "deep/" * 100,
            confirm_message=LONG,
        )
        for i in range(40)
    )
    variables = tuple(
        JobVariableRow(
            name=f"var_{i}_" + "n" * 60,
            type_label="host list",
            value=",".join(f"0:10.1.{i}.{n}" for n in range(300)),
            description=LONG,
            secret=i % 2 == 0,
        )
        for i in range(60)
    )
    script_rows = tuple(
        JobScriptRow(
            id=6862 + i,
            name=LONG[:300],
            language="powershell",
            version="admin.20180627172306",
            updated="2024-07-01 02:11 UTC",
            updated_by=NASTY,
            actions=_buttons(2, prefix="job exec --script-id"),
        )
        for i in range(10)
    )
    card_steps = tuple(
        JobStepRow(
            index=100 + i,
            step_instance_id=ID + i,
            name=LONG[:400],
            kind="confirmation",
            state_label="Waiting for confirmation",
            emoji=":raised_hand:",
            succeeded=49_999,
            failed=1,
            running=50_000,
            hosts=100_000,
            elapsed="2d 03h",
            retries=12,
            current=i == 3,
        )
        for i in range(7)
    )
    groups = tuple(
        JobLogGroup(
            outcome=(LogOutcome.FAILED, LogOutcome.RUNNING, LogOutcome.SUCCEEDED)[g % 3],
            status_label="non-zero exit code",
            exit_code=127,
            hosts=tuple(f"2:10.0.{g}.{n}" for n in range(250)),
            output=LONG,
            lines=400,
            truncated=True,
        )
        for g in range(5)
    )
    log_steps = tuple(
        JobLogStep(
            index=i + 1,
            step_instance_id=ID + i,
            name=LONG,
            state_label="Failed",
            emoji=":x:",
            groups=groups,
        )
        for i in range(10)
    )
    cron_rows = tuple(
        JobCronRow(
            id=1000066 + i,
            name=LONG[:500],
            enabled=(True, False, None)[i % 3],
            expression="0-59/5 0-23 1-31 1-12 MON-FRI",
            plan_id=1000123,
            plan_name=LONG[:300],
            modified="2024-11-02 10:21",
            modified_by=NASTY,
            actions=_buttons(2, prefix="job cron off"),
        )
        for i in range(10)
    )
    accounts = tuple(
        JobAccountRow(
            id=1000 + i,
            alias=LONG[:120],
            account=NASTY,
            os="Windows",
            creator=NASTY,
            created="2024-02-01 08:00 UTC",
        )
        for i in range(15)
    )
    return [
        JobPlanListView(
            biz=2,
            keyword=LONG,
            page=3,
            pages=40,
            total=400,
            rows=plan_rows,
            actions=_buttons(2),
        ),
        JobPlanView(
            id=1000123,
            biz=2,
            name=LONG,
            creator=NASTY,
            modified="2025-01-08 17:40",
            modified_by=NASTY,
            steps=steps,
            variables=variables,
            has_confirmation=True,
            actions=_buttons(3),
        ),
        JobScriptListView(
            biz=2,
            public=True,
            keyword=LONG,
            page=2,
            pages=9,
            total=90,
            rows=script_rows,
            actions=_buttons(2),
        ),
        JobScriptView(
            id=6862,
            biz=2,
            name=LONG,
            language="shell",
            version=NASTY,
            public=True,
            creator=NASTY,
            created="2024-06-27 09:23 UTC",
            updated="2024-07-01 02:11 UTC",
            updated_by=NASTY,
            content=(LONG * 2)[:2499] + "…",
            lines=5000,
            truncated=True,
            attached=LONG[:200] + ".sh",
            actions=_buttons(1),
        ),
        JobAccountListView(biz=2, page=2, pages=2, total=30, rows=accounts, actions=_buttons(2)),
        JobAccountListView(biz=2, db=True, page=1, pages=1, total=15, rows=accounts),
        JobRunCard(
            instance_id=ID,
            biz=2,
            name=LONG,
            status=7,
            state_label="Waiting for confirmation",
            emoji=":raised_hand:",
            kind="plan 1000123",
            plan_id=1000123,
            started_by=NASTY,
            started="2026-08-20 10:02",
            elapsed="2d 03h",
            url="https://job.example.com/api_execute/" + "a&b<c>" * 50,
            finished=False,
            resumable=True,
            steps=card_steps,
            total_steps=500,
            hidden_before=100,
            hidden_after=393,
            waiting_step=f"103 “{LONG[:200]}”",
            confirm_message=LONG,
            note=LONG,
            actions=_buttons(9),
        ),
        JobLogView(
            instance_id=ID,
            biz=2,
            step_filter=str(ID),
            host_filter=NASTY,
            steps=log_steps,
            attached=f"job-{ID}-log.txt",
            actions=_buttons(2),
        ),
        JobCronListView(
            biz=2,
            keyword=LONG,
            page=5,
            pages=6,
            total=60,
            rows=cron_rows,
            actions=_buttons(3),
        ),
        JobCronView(
            id=1000101,
            biz=2,
            name=LONG,
            enabled=False,
            expression="0-59/5 0-23 1-31 1-12 MON-FRI",
            plan_id=1000123,
            plan_name=LONG,
            created=True,
            saved_by=NASTY,
            note=LONG,
            actions=_buttons(3),
        ),
    ]


def _emptiest() -> list[View]:
    return [
        JobPlanListView(biz=2),
        JobPlanView(id=1, biz=2, name="p"),
        JobScriptListView(biz=2),
        JobScriptView(id=1, biz=2, name="s", language="unknown"),
        JobAccountListView(biz=2),
        JobAccountListView(biz=2, db=True),
        JobRunCard(
            instance_id=1,
            biz=2,
            name="j",
            state_label="Unknown",
            emoji=":grey_question:",
            kind="fast task",
        ),
        JobLogView(instance_id=1, biz=2),
        JobLogView(
            instance_id=1,
            biz=2,
            steps=(
                JobLogStep(
                    index=1, step_instance_id=2, name="approve", state_label="Not started", emoji=""
                ),
                JobLogStep(
                    index=2,
                    step_instance_id=3,
                    name="quiet",
                    state_label="Succeeded",
                    emoji="",
                    groups=(JobLogGroup(outcome=LogOutcome.SUCCEEDED, status_label="succeeded"),),
                ),
            ),
        ),
        JobCronListView(biz=2),
        JobCronView(id=1, biz=2, name=""),
    ]


@pytest.mark.parametrize("view", _longest(), ids=lambda v: type(v).__name__)
def test_longest_views_fit_slack_and_mark_every_cut(renderer: Renderer, view: View) -> None:
    blocks, text = render_both(renderer, view)
    assert len(blocks) <= MAX_BLOCKS_MESSAGE
    assert TRUNCATION_MARK in _mrkdwn(blocks)
    # Foreign text is escaped: no raw angle brackets from NASTY reach mrkdwn or headers.
    texts = "\n".join(_texts(blocks))
    assert "<prod>" not in texts
    assert "&lt;prod&gt;" in texts
    # The plain-text twin has no Slack markup and keeps the text readable.
    assert "&lt;" not in text
    assert "<prod>" in text
    if getattr(view, "actions", ()):
        assert blocks[-1]["type"] == "actions"  # the buttons survive the block limit
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            assert isinstance(element, dict)
            assert len(str(element["value"])) <= 2000


@pytest.mark.parametrize("view", _emptiest(), ids=lambda v: type(v).__name__)
def test_emptiest_views_still_say_something(renderer: Renderer, view: View) -> None:
    blocks, text = render_both(renderer, view)
    assert blocks
    assert text.strip()
    assert "None" not in text  # an unset field never prints as Python's None


def test_run_card_lists_the_window_with_hidden_counts(renderer: Renderer) -> None:
    card = JobRunCard(
        instance_id=7,
        biz=2,
        name="deploy",
        state_label="Failed",
        emoji=":x:",
        kind="plan 1",
        steps=(
            JobStepRow(
                index=3,
                step_instance_id=30,
                name="check",
                kind="script",
                state_label="Failed",
                emoji=":x:",
                succeeded=1,
                failed=1,
                hosts=2,
                current=True,
            ),
        ),
        total_steps=5,
        hidden_before=2,
        hidden_after=2,
    )
    blocks, text = render_both(renderer, card)
    assert "… 2 earlier steps" in text
    assert "… 2 more steps" in text
    assert "> 3. check" in text
    assert "1/2 ok, 1 failed" in _mrkdwn(blocks)


def test_log_text_keeps_the_output_as_printed(renderer: Renderer) -> None:
    view = JobLogView(
        instance_id=1,
        biz=2,
        steps=(
            JobLogStep(
                index=1,
                step_instance_id=2,
                name="check",
                state_label="Failed",
                emoji=":x:",
                groups=(
                    JobLogGroup(
                        outcome=LogOutcome.FAILED,
                        status_label="non-zero exit code",
                        exit_code=1,
                        hosts=("10.0.0.12",),
                        output="disk usage of / > 90% & rising\n",
                    ),
                ),
            ),
        ),
    )
    blocks, text = render_both(renderer, view)
    assert "disk usage of / > 90% & rising" in text
    assert "disk usage of / &gt; 90% &amp; rising" in _mrkdwn(blocks)


def test_time_and_duration_formats() -> None:
    assert fmt_time(datetime(2024, 7, 1, 2, 11, 45), utc=True) == "2024-07-01 02:11 UTC"
    assert fmt_time(datetime(2025, 1, 8, 17, 40)) == "2025-01-08 17:40"
    assert fmt_time(datetime(2025, 1, 8, 17, 40, tzinfo=UTC)) == "2025-01-08 17:40 +0000"
    assert fmt_time(None) is None
    assert [fmt_duration(s) for s in (3.169, 45, 125, 3720, 183600)] == [
        "3.2s",
        "45s",
        "2m 05s",
        "1h 02m",
        "2d 03h",
    ]
    assert fmt_duration(None) is None
