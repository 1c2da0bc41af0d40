"""BK-SOPS lifecycles through SopsClient: approval, pause node, pause/resume/revoke, periodic."""

from __future__ import annotations

import pytest

from bot.clients.bk_sops import SopsClient, waiting_nodes
from bot.clients.bk_sops.models import TaskStatus
from bot.clients.errors import BKInvalidOperation
from tests.lifecycle.conftest import Waiter

BIZ = 2
STEP = 5.0  # get_task_status is cached for 10 s (bk-sops §1.7): poll in sandbox-time steps


async def _template_with(sops: SopsClient, code: str) -> int:
    for row in await sops.get_template_list(bk_biz_id=BIZ, bk_username="alice"):
        info = await sops.get_template_info(bk_biz_id=BIZ, template_id=row.id, bk_username="alice")
        activities = info.pipeline_tree.activities or {}
        if any(a.component and a.component.code == code for a in activities.values()):
            return row.id
    raise AssertionError(f"no seeded template with a {code} node")


async def _run(sops: SopsClient, template_id: int, **constants: str) -> int:
    created = await sops.create_task(
        bk_biz_id=BIZ,
        template_id=template_id,
        name=f"lifecycle {template_id}",
        constants=constants,
        bk_username="alice",
    )
    await sops.start_task(bk_biz_id=BIZ, task_id=created.task_id, bk_username="alice")
    return created.task_id


async def _status(sops: SopsClient, task_id: int) -> TaskStatus:
    return await sops.get_task_status(bk_biz_id=BIZ, task_id=task_id, bk_username="alice")


async def _waiting(sops: SopsClient, wait: Waiter, task_id: int, code: str):  # type: ignore[no-untyped-def]
    detail = await sops.get_task_detail(bk_biz_id=BIZ, task_id=task_id, bk_username="alice")

    async def read():  # type: ignore[no-untyped-def]
        return waiting_nodes(await _status(sops, task_id), detail.pipeline_tree)

    nodes = await wait.until(read, lambda found: bool(found), step=STEP)
    assert [n.code for n in nodes] == [code]
    return nodes[0]


async def test_pause_node_waits_for_callback_then_the_task_finishes(
    sops: SopsClient, wait: Waiter
) -> None:
    task_id = await _run(sops, 42, **{"${wait_seconds}": "10"})
    node = await _waiting(sops, wait, task_id, "pause_node")
    assert node.version
    await sops.node_callback(
        bk_biz_id=BIZ,
        task_id=task_id,
        node_id=node.node_id,
        callback_data={"decision": "continue"},
        version=node.version,
        bk_username="bob",
    )
    final = await wait.until(
        lambda: _status(sops, task_id), lambda s: s.state == "FINISHED", step=STEP
    )
    assert final.finish_time
    detail = await sops.get_task_node_detail(
        bk_biz_id=BIZ, task_id=task_id, node_id=node.node_id, bk_username="alice"
    )
    assert detail.state == "FINISHED"


async def test_callback_with_a_stale_version_is_refused(sops: SopsClient, wait: Waiter) -> None:
    task_id = await _run(sops, 42)
    node = await _waiting(sops, wait, task_id, "pause_node")
    with pytest.raises(BKInvalidOperation):
        await sops.node_callback(
            bk_biz_id=BIZ,
            task_id=task_id,
            node_id=node.node_id,
            callback_data={},
            version="v" + "0" * 32,
            bk_username="bob",
        )


@pytest.mark.parametrize(("approve", "final_state"), [(True, "FINISHED"), (False, "FAILED")])
async def test_approval_node_approved_or_rejected(
    sops: SopsClient, wait: Waiter, approve: bool, final_state: str
) -> None:
    task_id = await _run(sops, await _template_with(sops, "bk_approve"))
    node = await _waiting(sops, wait, task_id, "bk_approve")
    await sops.node_callback(
        bk_biz_id=BIZ,
        task_id=task_id,
        node_id=node.node_id,
        callback_data={"approve_result": approve},
        version=node.version,
        bk_username="bob",
    )
    final = await wait.until(
        lambda: _status(sops, task_id), lambda s: s.state == final_state, step=STEP
    )
    assert final.children is not None
    assert final.children[node.node_id].state == ("FINISHED" if approve else "FAILED")


async def test_failing_template_reports_failed_with_error_text(
    sops: SopsClient, wait: Waiter
) -> None:
    template_id = None
    for row in await sops.get_template_list(bk_biz_id=BIZ, bk_username="alice"):
        if "fail" in row.name.lower() or "flaky" in row.name.lower():
            template_id = row.id
    assert template_id is not None, "the sandbox seeds a template that fails"
    task_id = await _run(sops, template_id)
    failed = await wait.until(
        lambda: sops.get_task_status(
            bk_biz_id=BIZ, task_id=task_id, with_ex_data=True, bk_username="alice"
        ),
        lambda s: s.state == "FAILED",
        step=STEP,
    )
    assert failed.ex_data
    # FAILED is not terminal (bk-sops §4.3): it can still be revoked.
    await sops.operate_task(bk_biz_id=BIZ, task_id=task_id, action="revoke", bk_username="alice")
    revoked = await wait.until(
        lambda: _status(sops, task_id), lambda s: s.state == "REVOKED", step=STEP
    )
    assert revoked.state == "REVOKED"


async def test_pause_resume_then_revoke(sops: SopsClient, wait: Waiter) -> None:
    task_id = await _run(sops, 42)
    await wait.until(lambda: _status(sops, task_id), lambda s: s.state == "RUNNING", step=STEP)
    await sops.operate_task(bk_biz_id=BIZ, task_id=task_id, action="pause", bk_username="alice")
    await wait.until(lambda: _status(sops, task_id), lambda s: s.state == "SUSPENDED", step=STEP)
    await sops.operate_task(bk_biz_id=BIZ, task_id=task_id, action="resume", bk_username="alice")
    await wait.until(lambda: _status(sops, task_id), lambda s: s.state == "RUNNING", step=STEP)
    await sops.operate_task(bk_biz_id=BIZ, task_id=task_id, action="revoke", bk_username="alice")
    await wait.until(lambda: _status(sops, task_id), lambda s: s.state == "REVOKED", step=STEP)
    with pytest.raises(BKInvalidOperation):
        await sops.operate_task(
            bk_biz_id=BIZ, task_id=task_id, action="resume", bk_username="alice"
        )


async def test_periodic_task_created_disabled_then_changed_and_read_back(
    sops_gateway: SopsClient,
) -> None:
    sops = sops_gateway
    created = await sops.create_periodic_task(
        bk_biz_id=BIZ,
        template_id=42,
        name="lifecycle nightly",
        cron={"minute": "0", "hour": "3"},
        constants={"${wait_seconds}": "45"},
        bk_username="alice",
    )
    assert created.enabled is False  # bk-sops §3.13: the API creates disabled tasks
    changed = await sops.set_periodic_task_enabled(
        bk_biz_id=BIZ, task_id=created.id, enabled=True, bk_username="alice"
    )
    assert changed.enabled is True
    cron = await sops.modify_cron_for_periodic_task(
        bk_biz_id=BIZ,
        task_id=created.id,
        cron={"minute": "30", "hour": "1", "day_of_week": "1-5"},
        bk_username="alice",
    )
    assert cron.cron.startswith("30 1 1-5 * * (m/h/d/dM/MY)")
    constants = await sops.modify_constants_for_periodic_task(
        bk_biz_id=BIZ,
        task_id=created.id,
        constants={"${wait_seconds}": "90"},
        bk_username="alice",
    )
    assert constants["${wait_seconds}"].value == "90"
    info = await sops.get_periodic_task_info(bk_biz_id=BIZ, task_id=created.id, bk_username="alice")
    assert info.enabled is True
    assert info.cron == cron.cron
    assert info.form is not None
    assert info.form["${wait_seconds}"].value == "90"
    listed = await sops.get_periodic_task_list(bk_biz_id=BIZ, bk_username="alice")
    assert created.id in {p.id for p in listed}
