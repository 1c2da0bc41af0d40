"""sops status / detail / node / stats: reads of tasks and counts, passwords always masked."""

from __future__ import annotations

from bot.clients.bk_sops import Activity, Constant, TaskNodeDetail
from bot.commands._sops_build import error_text, node_inputs, node_outputs
from bot.sandbox import ManualClock, Sandbox
from bot.services import Actor, MappedBy, Services
from bot.views import ErrorKind, ErrorView, Placement
from bot.views.sops import (
    CardPhase,
    SopsNodeView,
    SopsRunCard,
    SopsStatsView,
    SopsTaskDetailView,
)
from tests.commands.conftest import Bot, Outcome


def _click(out: Outcome, label: str) -> str:
    for button, command in zip(out.buttons, out.commands, strict=True):
        if button["text"]["text"] == label:
            return command
    raise AssertionError(f"no button {label!r} in {out.commands}")


def _labels(out: Outcome) -> list[str]:
    return [str(b["text"]["text"]) for b in out.buttons]


def _error(out: Outcome) -> ErrorView:
    assert isinstance(out.reply.view, ErrorView), out.text
    return out.reply.view


def _card(out: Outcome) -> SopsRunCard:
    assert isinstance(out.reply.view, SopsRunCard), out.text
    return out.reply.view


async def test_status_is_a_private_card_that_share_posts_in_the_channel(bot: Bot) -> None:
    out = await bot("sops status 1087")
    card = _card(out)
    assert out.reply.placement is Placement.EPHEMERAL
    assert out.reply.run is None
    assert (card.name, card.started_by, card.project) == (
        "nginx restart 2026-08-20 (slack:alice)",
        "alice",
        "Web Platform",
    )
    assert card.elapsed == "2m 10s"
    assert "Waiting:    Ops approval (continue)" in out.text
    shared = await bot("sops status 1087 --share")
    assert shared.reply.placement is Placement.CHANNEL
    details = await bot(_click(out, "Details"))
    assert isinstance(details.reply.view, SopsTaskDetailView)


async def test_status_cards_of_seeded_tasks_in_every_state(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    created = await bot("sops status 1085")
    assert _card(created).phase is CardPhase.CREATED
    assert _card(created).elapsed is None
    assert _labels(created) == ["Start", "Details"]
    finished = await bot("sops status 1050")
    assert _card(finished).phase is CardPhase.FINISHED
    assert _labels(finished) == ["Details"]
    failed = await bot("sops status 1072")
    assert _card(failed).phase is CardPhase.FAILED
    assert _labels(failed) == ["Revoke", "Details"]
    revoked = await bot("sops status 1080")
    assert _card(revoked).phase is CardPhase.REVOKED
    assert _card(revoked).nodes[-1].state_label == "not run"
    sandbox.world.expire_task(1061)
    expired = await bot("sops status 1061")
    assert _card(expired).phase is CardPhase.EXPIRED
    assert _labels(expired) == ["Details"]


async def test_status_bad_input_is_explained(bot: Bot) -> None:
    assert _error(await bot("sops status 31337")).kind is ErrorKind.NOT_FOUND
    assert _error(await bot("sops status x")).message == "ID must be a whole number (got `x`)."
    assert _error(await bot("sops status 1090")).kind is ErrorKind.NOT_FOUND  # business 3's
    assert _card(await bot("sops status 1090 --biz 3")).phase is CardPhase.FINISHED


async def test_detail_shows_metadata_variables_outputs_and_link(bot: Bot) -> None:
    out = await bot("sops detail 1050")
    view = out.reply.view
    assert isinstance(view, SopsTaskDetailView)
    assert out.reply.placement is Placement.EPHEMERAL
    assert (view.template_id, view.creator, view.executor, view.create_method) == (
        57,
        "bob",
        "bob",
        "api",
    )
    assert view.finished is not None
    assert [o.key for o in view.outputs] == ["job_inst_id"]
    assert view.url == "https://bk-sops.sandbox.local/taskflow/execute/3/?instance_id=1050"
    assert [n.name for n in view.nodes] == ["Reload nginx"]
    status = await bot(_click(out, "Status"))
    assert _card(status).task_id == 1050

    created = await bot("sops detail 1085")
    assert isinstance(created.reply.view, SopsTaskDetailView)
    assert created.reply.view.started is None
    assert "Started:    not yet" in created.text
    assert _error(await bot("sops detail 4040")).kind is ErrorKind.NOT_FOUND


async def test_detail_masks_passwords_even_hidden_ones(bot: Bot) -> None:
    task_id = _card(await bot("sops run 58 db_password=topsecret-9")).task_id
    out = await bot(f"sops detail {task_id}")
    assert isinstance(out.reply.view, SopsTaskDetailView)
    assert "topsecret" not in out.text
    assert "topsecret" not in str(out.blocks)
    row = next(c for c in out.reply.view.constants if c.key == "db_password")
    assert (row.value, row.secret) == ("******", True)


async def test_node_by_number_name_or_id_shows_inputs_outputs_and_buttons(
    sandbox: Sandbox[ManualClock], bot: Bot
) -> None:
    by_number = await bot("sops node 1087 2")
    view = by_number.reply.view
    assert isinstance(view, SopsNodeView)
    assert (view.index, view.name, view.plugin) == (2, "Ops approval", "pause_node")
    assert view.state_label == "waiting to continue"
    assert view.inputs[0].value == "Approve restart of nginx on 10.0.0.11,10.0.0.12"
    assert "_loop" not in [i.key for i in view.inputs]
    assert _labels(by_number) == ["Continue", "Status"]

    by_name = await bot("sops node 1087 ops approval")
    assert isinstance(by_name.reply.view, SopsNodeView)
    assert by_name.reply.view.node_id == "nbc131c04c41b4806baaca3f97fb465d"
    by_id = await bot("sops node 1087 neb693d84fdcb4969a2dd8121ba0fd33")
    assert isinstance(by_id.reply.view, SopsNodeView)
    assert by_id.reply.view.state_label == "done"
    assert by_id.reply.view.plugin == "job_fast_execute_script"

    ahead = await bot("sops node 1087 3")
    assert isinstance(ahead.reply.view, SopsNodeView)
    assert ahead.reply.view.state_label == "not reached yet"
    assert _labels(ahead) == ["Status"]

    continued = await bot(_click(by_number, "Continue"))
    assert "continued" in continued.text
    status = await bot(_click(by_number, "Status"))
    assert _card(status).task_id == 1087


async def test_node_of_a_failed_task_shows_the_error(bot: Bot) -> None:
    out = await bot("sops node 1072 1")
    assert isinstance(out.reply.view, SopsNodeView)
    assert out.reply.view.state == "FAILED"
    assert out.reply.view.error == "JOB execution failed: 2 host(s) returned non-zero exit code"
    assert "Error:\nJOB execution failed" in out.text


async def test_node_bad_input_is_explained(bot: Bot) -> None:
    unknown = _error(await bot("sops node 1087 reboot"))
    assert unknown.kind is ErrorKind.USAGE
    assert unknown.message == "Task 1087 has no node `reboot`."
    assert unknown.hint is not None
    ambiguous = _error(await bot("sops node 1087 a"))
    assert "matches 3 nodes" in ambiguous.message
    assert "no node 0" in _error(await bot("sops node 1087 0")).message
    assert _error(await bot("sops node 1087")).message == "Missing NODE."
    assert _error(await bot("sops node 9 1")).kind is ErrorKind.NOT_FOUND


def test_node_inputs_and_outputs_never_show_a_password() -> None:
    constants = {
        "${pw}": Constant(key="${pw}", custom_type="password", value="s3cr3t!", show_type="show"),
        "${db}": Constant(key="${db}", custom_type="input", value="orders", show_type="show"),
    }
    activity = Activity.model_validate(
        {
            "id": "n1",
            "type": "ServiceActivity",
            "component": {
                "code": "job_fast_execute_sql",
                "data": {
                    "password": {"hook": True, "value": "${pw}"},
                    "dsn": {"hook": False, "value": "mysql://${db}"},
                    "script": {"hook": False, "value": "echo ${db}"},
                },
            },
        }
    )
    detail = TaskNodeDetail.model_validate(
        {
            "id": "n1",
            "state": "FAILED",
            "inputs": {
                "password": "s3cr3t!",
                "dsn": "mysql://orders",
                "script": "login with s3cr3t! then go",
                "_loop": 1,
            },
            "outputs": [{"key": "log", "value": "using s3cr3t!"}, {"key": "_loop", "value": 1}],
            "ex_data": "<b>login failed</b> for s3cr3t! &amp; more",
        }
    )
    inputs = {kv.key: kv.value for kv in node_inputs(detail, activity, constants)}
    assert inputs == {"password": "******", "dsn": "mysql://orders", "script": "******"}
    assert [(kv.key, kv.value) for kv in node_outputs(detail, constants)] == [("log", "******")]
    assert error_text(detail.ex_data, constants) == "login failed for ****** & more"


async def test_stats_counts_by_status_and_explains_the_revoked_quirk(bot: Bot) -> None:
    out = await bot("sops stats")
    view = out.reply.view
    assert isinstance(view, SopsStatsView)
    assert out.reply.placement is Placement.EPHEMERAL
    assert {r.code: r.count for r in view.rows} == {"CREATED": 1, "EXECUTING": 3, "FINISHED": 2}
    assert view.total == 6
    assert any("Revoked" in n for n in view.notes)
    assert _labels(out) == ["By category", "By flow type", "By creation method"]

    category = await bot(_click(out, "By category"))
    assert isinstance(category.reply.view, SopsStatsView)
    # bk-sops §3.10: the server says total 1 for this grouping; the view sums the groups
    assert category.reply.view.total == 6
    assert {r.code: r.label for r in category.reply.view.rows}["OpsTools"] == "ops tools"
    flow = await bot(_click(out, "By flow type"))
    assert isinstance(flow.reply.view, SopsStatsView)
    assert [r.code for r in flow.reply.view.rows] == ["common", "common_func"]
    method = await bot(_click(out, "By creation method"))
    assert isinstance(method.reply.view, SopsStatsView)
    assert {r.code: r.count for r in method.reply.view.rows}["periodic"] == 1
    dashed = await bot("sops stats --group-by flow-type --share")
    assert isinstance(dashed.reply.view, SopsStatsView)
    assert dashed.reply.placement is Placement.CHANNEL


async def test_stats_bad_group_and_denied_business_are_explained(
    services: Services, bot: Bot
) -> None:
    bad = _error(await bot("sops stats --group-by colour"))
    assert bad.kind is ErrorKind.USAGE
    assert "--group-by should be" in bad.message
    dave = Bot(services, bot.renderer, Actor("U4", "Dave", "dave", MappedBy.POLICY))
    assert _error(await dave("sops stats --biz 2")).missing_permission == "BK-SOPS: project_view"
