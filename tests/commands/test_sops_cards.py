"""The run-card snapshot (bot/services/sops_runs.py): flow order, node window, phases, buttons."""

from __future__ import annotations

import itertools

from bot.clients.bk_sops import Constant, PipelineTree, TaskStatus
from bot.services import Services
from bot.services.sops_runs import (
    CARD_WINDOW,
    flow_order,
    is_terminal,
    render_text,
    sops_card_from_status,
    sops_run_card,
)
from bot.views.sops import CardPhase, SopsRunCard


def _chain(count: int, codes: dict[int, str] | None = None) -> PipelineTree:
    """start → n1 → … → nCOUNT → end, node i running plugin codes.get(i, "job")."""
    ids = [f"n{i}" for i in range(1, count + 1)]
    path = ["start", *ids, "end"]
    return PipelineTree.model_validate(
        {
            "start_event": {"id": "start", "type": "EmptyStartEvent"},
            "end_event": {"id": "end", "type": "EmptyEndEvent"},
            "activities": {
                node: {
                    "id": node,
                    "type": "ServiceActivity",
                    "name": f"step {i}",
                    "component": {"code": (codes or {}).get(i, "job"), "data": {}},
                }
                # declared backwards: the order must come from the flows, not the dict
                for i, node in reversed(list(enumerate(ids, 1)))
            },
            "flows": {
                f"l{i}": {"id": f"l{i}", "source": a, "target": b}
                for i, (a, b) in enumerate(itertools.pairwise(path))
            },
        }
    )


def _status(state: str, nodes: dict[str, str], **extra: object) -> TaskStatus:
    return TaskStatus.model_validate(
        {
            "id": "root",
            "state": state,
            "name": "demo task",
            "elapsed_time": 75,
            "children": {
                node: {"id": node, "state": s, "name": f"step {node[1:]}", "version": f"v{node}"}
                for node, s in nodes.items()
            },
            **extra,
        }
    )


def _card(status: TaskStatus, tree: PipelineTree, *, starting: bool = False) -> SopsRunCard:
    return sops_card_from_status(status, tree, biz=2, task_id=9, starting=starting)


def test_flow_order_follows_the_flows_not_the_declaration_order() -> None:
    assert flow_order(_chain(4)) == ["n1", "n2", "n3", "n4"]


async def test_flow_order_of_the_parallel_template(services: Services) -> None:
    info = await services.sops.get_template_info(template_id=60, bk_biz_id=2, bk_username="admin")
    assert info.pipeline_tree is not None
    names = [info.pipeline_tree.activities[n].name for n in flow_order(info.pipeline_tree)]
    assert names == ["Prepare release", "Deploy web-nginx-01", "Deploy web-nginx-02", "Notify ops"]


def test_the_card_shows_a_window_around_the_current_node() -> None:
    tree = _chain(12)
    done = {f"n{i}": "FINISHED" for i in range(1, 8)}
    card = _card(_status("RUNNING", {**done, "n8": "RUNNING"}), tree)
    assert len(card.nodes) == CARD_WINDOW
    assert [n.index for n in card.nodes] == [6, 7, 8, 9, 10, 11, 12]
    assert (card.hidden_before, card.hidden_after, card.total_nodes) == (5, 0, 12)
    current = next(n for n in card.nodes if n.current)
    assert (current.index, current.state_label) == (8, "running")
    assert card.elapsed == "1m 15s"

    early = _card(_status("RUNNING", {"n1": "FINISHED", "n2": "RUNNING"}), tree)
    assert [n.index for n in early.nodes] == [1, 2, 3, 4, 5, 6, 7]
    assert (early.hidden_before, early.hidden_after) == (0, 5)

    finished = _card(_status("FINISHED", {f"n{i}": "FINISHED" for i in range(1, 13)}), tree)
    assert [n.index for n in finished.nodes][-1] == 12
    assert finished.hidden_before == 5
    assert is_terminal(finished)


def test_created_cards_offer_start_unless_a_start_is_queued() -> None:
    tree = _chain(2)
    created = TaskStatus.model_validate(
        {"state": "CREATED", "name": "t", "children": {}, "skip": 0, "elapsed_time": 0}
    )
    card = _card(created, tree)
    assert card.phase is CardPhase.CREATED
    assert [a.label for a in card.actions] == ["Start", "Details"]
    assert card.elapsed is None
    starting = _card(created, tree, starting=True)
    assert starting.phase is CardPhase.STARTING
    assert [a.label for a in starting.actions] == ["Revoke", "Details"]
    assert not is_terminal(starting)


def test_waiting_nodes_get_their_buttons_with_the_current_version() -> None:
    tree = _chain(3, {2: "bk_approve", 3: "pause_node"})
    card = _card(_status("RUNNING", {"n1": "FINISHED", "n2": "RUNNING", "n3": "RUNNING"}), tree)
    assert card.phase is CardPhase.AWAITING_APPROVAL  # an approval outranks a pause
    assert [(w.name, w.kind) for w in card.waiting] == [
        ("step 2", "approval"),
        ("step 3", "continue"),
    ]
    approve, reject = card.waiting[0].actions
    assert approve.command == (
        "sops callback 9 n2 '{\"approve_result\": true}' --version vn2 --biz 2"
    )
    assert reject.command.endswith("--version vn2 --yes --biz 2")
    assert reject.confirm is not None
    (cont,) = card.waiting[1].actions
    assert cont.command == "sops callback 9 n3 --version vn3 --biz 2"
    assert [a.label for a in card.actions] == ["Pause", "Revoke", "Details"]


def test_every_state_maps_to_a_phase_and_the_buttons_valid_in_it() -> None:
    tree = _chain(1)
    expected = {
        "SUSPENDED": (CardPhase.PAUSED, ["Resume", "Revoke", "Details"]),
        "NODE_SUSPENDED": (CardPhase.NODE_PAUSED, ["Pause", "Revoke", "Details"]),
        "FAILED": (CardPhase.FAILED, ["Revoke", "Details"]),
        "REVOKED": (CardPhase.REVOKED, ["Details"]),
        "EXPIRED": (CardPhase.EXPIRED, ["Details"]),
        "SOMETHING_NEW": (CardPhase.UNKNOWN, ["Details"]),
    }
    for state, (phase, labels) in expected.items():
        card = _card(_status(state, {"n1": "RUNNING"}), tree)
        assert (card.phase, [a.label for a in card.actions]) == (phase, labels), state
    revoked = _card(_status("REVOKED", {"n1": "RUNNING"}), tree)
    assert revoked.nodes[0].state == "REVOKED"


def test_failed_nodes_carry_the_error_text() -> None:
    status = _status("FAILED", {"n1": "FAILED"}, ex_data={"n1": "exit code 1"})
    card = _card(status, _chain(2))
    assert [(f.name, f.error) for f in card.failed] == [("step 1", "exit code 1")]
    assert card.nodes[1].state_label == "not reached"


def test_prompts_fill_in_variables_but_never_passwords() -> None:
    constants = {
        "${host}": Constant(key="${host}", value="10.0.0.1"),
        "${pw}": Constant(key="${pw}", value="hunter2", custom_type="password"),
        "${empty}": Constant(key="${empty}", value=""),
    }
    text = render_text("restart ${host} with ${pw} and ${empty} ${unknown}", constants)
    assert text == "restart 10.0.0.1 with ****** and ${empty} ${unknown}"


async def test_sops_run_card_reads_detail_when_no_tree_is_given(services: Services) -> None:
    card = await sops_run_card(services.sops, biz=2, task_id=1087, user="admin")
    assert (card.project, card.started_by) == ("Web Platform", "alice")
    assert card.url is not None
    assert card.phase is CardPhase.WAITING_TO_CONTINUE
