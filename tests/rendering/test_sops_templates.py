"""sops templates: longest and emptiest realistic contexts render as valid Block Kit and text."""

from __future__ import annotations

import json

import pytest

from bot.rendering import TRUNCATION_MARK, Renderer
from bot.views import Action, ButtonStyle, Confirm, View
from bot.views.sops import (
    CardPhase,
    SopsConstantRow,
    SopsCountRow,
    SopsFailedRow,
    SopsHistoryRow,
    SopsKeyValue,
    SopsNodeRow,
    SopsNodeView,
    SopsPeriodicListView,
    SopsPeriodicRow,
    SopsPeriodicView,
    SopsRunCard,
    SopsStatsView,
    SopsTaskDetailView,
    SopsTemplateListView,
    SopsTemplateNode,
    SopsTemplateRow,
    SopsTemplateView,
    SopsWaitingRow,
    fmt_duration,
    fmt_value,
)
from tests.rendering.blockkit import render_both

LONG = "x<&>`*_" * 400  # 2800 chars that need escaping in mrkdwn
NAME = "Restart nginx <prod> & co " * 4  # a long name with characters to escape
WHEN = "2026-08-20 10:00 +0800"
SECRET = "hunter2-do-not-show"


def _actions(count: int, prefix: str = "sops status 1") -> tuple[Action, ...]:
    return tuple(
        Action(
            label=f"Button {i} " + "y" * 80,
            command=f"{prefix} --biz 2 --page {i}",
            style=ButtonStyle.DANGER if i % 2 else ButtonStyle.PRIMARY,
            confirm=Confirm(title=LONG, text=LONG) if i % 2 else None,
        )
        for i in range(count)
    )


def _constants(count: int) -> tuple[SopsConstantRow, ...]:
    return tuple(
        SopsConstantRow(
            key=f"var_{i}",
            name=NAME,
            value=fmt_value(LONG) if i % 3 else "******",
            desc=LONG[:200],
            secret=not i % 3,
            hidden=i % 2 == 0,
        )
        for i in range(count)
    )


def _kv(count: int) -> tuple[SopsKeyValue, ...]:
    return tuple(
        SopsKeyValue(key=f"key_{i}", name=NAME, value=fmt_value(LONG)) for i in range(count)
    )


LONGEST: list[View] = [
    SopsTemplateListView(
        biz=2,
        keyword=LONG[:100],
        common=True,
        page=3,
        pages=9,
        total=130,
        rows=tuple(
            SopsTemplateRow(
                id=100000 + i,
                name=NAME * 3,
                category="OpsTools",
                edited=WHEN,
                editor=LONG[:50],
                actions=_actions(2, f"sops run {i} --form"),
            )
            for i in range(15)
        ),
        actions=_actions(2, "sops templates"),
    ),
    SopsTemplateView(
        id=42,
        biz=2,
        name=NAME * 3,
        common=True,
        category="OpsTools",
        description=LONG,
        creator=LONG[:40],
        editor=LONG[:40],
        edited=WHEN,
        nodes=tuple(
            SopsTemplateNode(
                index=i,
                name=NAME,
                plugin="job_fast_execute_script",
                waits_for="approval" if i % 2 else None,
                optional=True,
            )
            for i in range(1, 300)
        ),
        constants=_constants(120),
        actions=_actions(2),
    ),
    SopsRunCard(
        task_id=2001,
        biz=2,
        name=NAME * 5,
        state="RUNNING",
        phase=CardPhase.AWAITING_APPROVAL,
        state_label="Awaiting approval",
        project=LONG[:60],
        started_by=LONG[:60],
        elapsed=fmt_duration(3 * 86400 + 5),
        url="https://bk-sops.example.com/taskflow/execute/3/?instance_id=2001&x=<y>",
        nodes=tuple(
            SopsNodeRow(
                index=i,
                node_id=f"n{i:031d}",
                name=NAME,
                plugin="bk_approve",
                state=state,
                state_label=label,
                elapsed="59m 59s",
                current=state == "RUNNING",
            )
            for i, (state, label) in enumerate(
                [
                    ("FINISHED", "done"),
                    ("FAILED", "failed"),
                    ("RUNNING", "waiting for approval"),
                    ("RUNNING", "running"),
                    ("SUSPENDED", "paused"),
                    ("PENDING", "not reached"),
                    ("REVOKED", "revoked"),
                ],
                start=40,
            )
        ),
        total_nodes=300,
        hidden_before=39,
        hidden_after=254,
        waiting=tuple(
            SopsWaitingRow(
                node_id=f"n{i:031d}",
                name=NAME,
                kind="approval" if i % 2 else "continue",
                prompt=LONG,
                since=WHEN,
                actions=_actions(2, f"sops callback 2001 n{i}"),
            )
            for i in range(5)
        ),
        failed=tuple(SopsFailedRow(node_id=f"f{i}", name=NAME, error=LONG * 2) for i in range(40)),
        actions=_actions(5),
    ),
    SopsTaskDetailView(
        task_id=2001,
        biz=2,
        name=NAME * 5,
        template_id=42,
        project=LONG[:80],
        creator=LONG[:40],
        executor=LONG[:40],
        create_method="periodic",
        created=WHEN,
        started=WHEN,
        finished=WHEN,
        elapsed="2d 03h",
        url="https://bk-sops.example.com/taskflow/execute/3/?instance_id=2001",
        nodes=tuple(
            SopsTemplateNode(index=i, name=NAME, plugin="pause_node", waits_for="manual continue")
            for i in range(1, 300)
        ),
        constants=_constants(120),
        outputs=_kv(120),
        actions=_actions(1),
    ),
    SopsNodeView(
        task_id=2001,
        biz=2,
        node_id="n" + "a" * 31,
        index=12,
        name=NAME * 3,
        plugin="job_fast_execute_script",
        state="FAILED",
        state_label="failed",
        started=WHEN,
        finished=WHEN,
        elapsed="1h 01m",
        retry=7,
        inputs=_kv(120),
        outputs=_kv(120),
        error=LONG * 3,
        histories=tuple(
            SopsHistoryRow(state="FAILED", started=WHEN, finished=WHEN, error=LONG)
            for _ in range(80)
        ),
        actions=_actions(3),
    ),
    SopsStatsView(
        biz=2,
        group_by="category",
        group_label="category",
        total=10**9,
        rows=tuple(
            SopsCountRow(code=f"Cat{i}" * 10, label=NAME, count=10**7, percent=1) for i in range(40)
        ),
        notes=(LONG, LONG),
        actions=_actions(3),
    ),
    SopsPeriodicListView(
        biz=2,
        keyword=LONG[:100],
        page=2,
        pages=5,
        total=50,
        rows=tuple(
            SopsPeriodicRow(
                id=100 + i,
                name=NAME,
                enabled=i % 2 == 0,
                schedule="on day 1,15 of the month when it is a Mon, Wed in Jan–Jun at 09:00",
                timezone="America/Argentina/ComodRivadavia",
                template_id=42,
                last_run=WHEN,
                runs=123456,
                actions=_actions(2, f"sops periodic show {i}"),
            )
            for i in range(15)
        ),
        actions=_actions(2, "sops periodic"),
    ),
    SopsPeriodicView(
        id=7,
        biz=2,
        name=NAME,
        enabled=True,
        schedule=LONG[:300],
        cron="*/5 0-23 1-5 1,15 1-12 (m/h/d/dM/MY) America/Argentina/ComodRivadavia",
        timezone="America/Argentina/ComodRivadavia",
        template_id=1001,
        template_source="common",
        creator=LONG[:40],
        last_run=WHEN,
        runs=10**6,
        constants=_constants(120),
        created_by=LONG[:60],
        actions=_actions(2),
    ),
]

EMPTIEST: list[View] = [
    SopsTemplateListView(biz=2),
    SopsTemplateView(id=1, biz=2, name="t"),
    SopsRunCard(
        task_id=1,
        biz=2,
        name="t",
        state="CREATED",
        phase=CardPhase.CREATED,
        state_label="Created, not started",
    ),
    SopsRunCard(
        task_id=1,
        biz=2,
        name="t",
        state="EXPIRED",
        phase=CardPhase.EXPIRED,
        state_label="Expired",
        actions=(Action(label="Details", command="sops detail 1 --biz 2"),),
    ),
    SopsTaskDetailView(task_id=1, biz=2, name="t"),
    SopsNodeView(
        task_id=1, biz=2, node_id="n1", name="t", state="READY", state_label="not reached yet"
    ),
    SopsStatsView(biz=2, group_by="status", group_label="status", total=0),
    SopsPeriodicListView(biz=2),
    SopsPeriodicView(id=5, biz=2, name="p", enabled=False, schedule="0 2 * * *", cron="0 2 * * *"),
]


@pytest.fixture
def renderer() -> Renderer:
    return Renderer()


def _mrkdwn_texts(value: object) -> list[str]:
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


@pytest.mark.parametrize("view", LONGEST, ids=lambda v: type(v).__name__)
def test_longest_sops_views_stay_within_slack_limits_and_mark_cuts(
    renderer: Renderer, view: View
) -> None:
    blocks, text = render_both(renderer, view)
    dumped = json.dumps(blocks, ensure_ascii=False)
    assert TRUNCATION_MARK in dumped
    # however long the content, the view's own buttons (Run, Revoke, Next …) are never cut
    own = getattr(view, "actions", ())
    assert blocks[-1]["type"] == "actions"
    assert [e["value"] for e in blocks[-1]["elements"]] == [a.command for a in own]  # type: ignore[attr-defined]
    for mrkdwn in _mrkdwn_texts(blocks):
        assert "<&>" not in mrkdwn  # foreign text is escaped
        assert "<prod>" not in mrkdwn
    # the text twin is for a terminal: no Slack markup, no emoji codes, nothing escaped
    assert ":white_check_mark:" not in text
    assert "&lt;" not in text
    assert "*" * 2 not in text.replace(LONG, "").replace("******", "")


@pytest.mark.parametrize("view", EMPTIEST, ids=lambda v: type(v).__name__)
def test_emptiest_sops_views_still_say_something(renderer: Renderer, view: View) -> None:
    blocks, text = render_both(renderer, view)
    assert text.strip()
    assert blocks


def test_every_button_of_a_view_is_rendered_with_its_command(renderer: Renderer) -> None:
    card = LONGEST[2]
    assert isinstance(card, SopsRunCard)
    blocks = renderer.blocks(card)
    values = [
        element["value"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]  # type: ignore[attr-defined]
    ]
    expected = [a.command for w in card.waiting for a in w.actions] + [
        a.command for a in card.actions
    ]
    assert values == expected
    ids = [
        element["action_id"]
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]  # type: ignore[attr-defined]
    ]
    assert len(ids) == len(set(ids))


def test_run_card_text_reads_like_a_status_report(renderer: Renderer) -> None:
    card = SopsRunCard(
        task_id=2001,
        biz=2,
        name="Restart nginx",
        state="RUNNING",
        phase=CardPhase.WAITING_TO_CONTINUE,
        state_label="Waiting to continue",
        project="Web Platform",
        started_by="alice",
        elapsed="45s",
        url="https://bk-sops.sandbox.local/taskflow/execute/3/?instance_id=2001",
        nodes=(
            SopsNodeRow(
                index=1,
                node_id="a",
                name="Restart",
                state="FINISHED",
                state_label="done",
                elapsed="5s",
            ),
            SopsNodeRow(
                index=2,
                node_id="b",
                name="Ops approval",
                state="RUNNING",
                state_label="waiting to continue",
                elapsed="40s",
                current=True,
            ),
            SopsNodeRow(
                index=3, node_id="c", name="Wait", state="PENDING", state_label="not reached"
            ),
        ),
        total_nodes=3,
        waiting=(SopsWaitingRow(node_id="b", name="Ops approval", kind="continue", prompt="Go?"),),
    )
    text = renderer.text(card)
    assert text.splitlines() == [
        "SOPS task 2001 · Restart nginx",
        "State:      Waiting to continue",
        "Business:   2 (Web Platform)",
        "Started by: alice",
        "Elapsed:    45s",
        "Link:       https://bk-sops.sandbox.local/taskflow/execute/3/?instance_id=2001",
        "Nodes (3):",
        "  ✓  1  Restart                          done                 5s",
        "  !  2  Ops approval                     waiting to continue  40s",
        "  ·  3  Wait                             not reached",
        "Waiting:    Ops approval (continue) — Go?",
    ]
    blocks = json.dumps(renderer.blocks(card), ensure_ascii=False)
    assert ":raising_hand: *Ops approval* waits for someone to continue" in blocks
    assert SECRET not in blocks
