"""pending: every human gate in the runs the bot posted cards for, with working buttons."""

from __future__ import annotations

from bot.sandbox import ManualClock, Sandbox
from bot.views import PendingView
from tests.commands.conftest import Bot


async def _wait_for_gates(bot: Bot, sandbox: Sandbox[ManualClock], count: int) -> PendingView:
    for _ in range(120):
        out = await bot("pending")
        view = out.reply.view
        assert isinstance(view, PendingView)
        if len(view.gates) >= count:
            return view
        sandbox.clock.advance(5)
    raise AssertionError("the gates never appeared")


async def test_nothing_pending_before_any_run(bot: Bot) -> None:
    out = await bot("pending")
    assert "Nothing is waiting for a person in the 0 runs I know about." in out.text


async def test_lists_job_confirmations_and_sops_pause_nodes_with_buttons(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    job = await bot("job run 1000123")
    sops = await bot("sops run 42")
    assert job.reply.run is not None
    assert sops.reply.run is not None
    view = await _wait_for_gates(bot, sandbox, 2)
    kinds = sorted(g.kind for g in view.gates)
    assert kinds == ["BK-Job confirmation", "BK-SOPS pause node"]
    job_gate = next(g for g in view.gates if g.kind == "BK-Job confirmation")
    assert [a.label for a in job_gate.actions] == ["Confirm", "Reject"]
    assert "Please confirm the restart of web" in (job_gate.prompt or "")
    sops_gate = next(g for g in view.gates if g.kind == "BK-SOPS pause node")
    assert [a.label for a in sops_gate.actions] == ["Continue"]

    rendered = bot.render((await bot("pending")).reply)
    confirm = next(c for c in rendered.commands if c.split(" --")[0].endswith(" confirm"))
    await bot(confirm)
    for _ in range(60):
        sandbox.clock.advance(5)
    after = (await bot("pending")).reply.view
    assert isinstance(after, PendingView)
    assert [g.kind for g in after.gates] == ["BK-SOPS pause node"]
    again = (await bot("pending")).reply.view
    assert isinstance(again, PendingView)
    assert again.checked == 1  # the finished job was seen once more, then forgotten


async def test_runs_the_user_cannot_read_are_counted_not_shown(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    await bot("job run 1000123")
    await _wait_for_gates(bot, sandbox, 1)
    sandbox.world.delete_job_instance(20000200001)
    out = await bot("pending")
    assert "1 runs could not be read" in out.text


async def test_watch_posts_a_card_for_a_run_started_elsewhere_and_unwatch_forgets_it(
    bot: Bot, sandbox: Sandbox[ManualClock]
) -> None:
    # Task 1087 was started outside the bot and waits at its pause node.
    watched = await bot("watch task 1087")
    assert watched.reply.run is not None
    assert watched.reply.run.id == 1087
    assert "Continue" in [b["text"]["text"] for b in watched.buttons]  # type: ignore[index]
    pending = (await bot("pending")).reply.view
    assert isinstance(pending, PendingView)
    assert [g.kind for g in pending.gates] == ["BK-SOPS pause node"]
    gone = await bot("unwatch task 1087")
    assert "Stopped watching task 1087." in gone.text
    assert "in the 0 runs" in (await bot("pending")).text


async def test_watch_rejects_unknown_kinds_and_runs(bot: Bot) -> None:
    assert (
        "Kind" in (await bot("watch build 5")).text or "KIND" in (await bot("watch build 5")).text
    )
    missing = await bot("watch job 99999999")
    assert "does not exist" in missing.text or "not exist" in missing.text.lower()
