"""The console: welcome, commands, numbered buttons, confirmations, forms as prompts."""

from __future__ import annotations

from bot.console import ConsoleApp
from bot.views import (
    Action,
    ButtonStyle,
    Confirm,
    FieldKind,
    Form,
    FormField,
    FormOption,
    NoticeView,
    Reply,
    TokenStyle,
)
from tests.console.conftest import ScriptedIO


async def test_repl_greets_runs_commands_and_stops_at_end_of_input(
    app: ConsoleApp, io: ScriptedIO
) -> None:
    io.feed("help", "whoami", "/bk biz", "")
    assert await app.repl() == 0
    assert io.out[0].startswith("BlueKing ChatOps console — acting as admin on the embedded")
    assert "/bk whoami [--share]" in io.text
    assert "You act in BlueKing as admin." in io.text
    assert "Commands here act on business 2." in io.text
    assert io.prompts.count("bk> ") == 5


async def test_quit_ends_the_loop(app: ConsoleApp, io: ScriptedIO) -> None:
    io.feed("quit", "whoami")
    assert await app.repl() == 0
    assert "You act in BlueKing" not in io.text


async def test_errors_are_explained_and_fail_once(app: ConsoleApp, io: ScriptedIO) -> None:
    assert await app.once("whoam", follow_for=1) == 1
    assert "Unknown command `whoam`." in io.text
    assert "Did you mean: whoami" in io.text
    assert await app.once("whoami", follow_for=1) == 0


async def test_buttons_are_numbered_and_clicked_by_number(app: ConsoleApp, io: ScriptedIO) -> None:
    reply = Reply(
        view=NoticeView(
            text="Pick one",
            actions=(Action(label="Who", command="whoami"), Action(label="Biz", command="biz")),
        )
    )
    await app.show(reply)
    assert "[1] Who  [2] Biz" in io.text
    await app.submit("2")
    assert "Commands here act on business 2." in io.text
    await app.submit("7")
    assert "There is no button 7. Buttons go from 1 to 2." in io.text


async def test_confirmed_buttons_ask_first(app: ConsoleApp, io: ScriptedIO) -> None:
    danger = Action(
        label="Set biz 3",
        command="biz 3",
        style=ButtonStyle.DANGER,
        confirm=Confirm(title="Change business?", text="Everyone here will use 3."),
    )
    await app.show(Reply(view=NoticeView(text="x", actions=(danger,))))
    io.feed("n")
    await app.submit("1")
    assert "Cancelled." in io.text
    assert "now uses business 3" not in io.text
    io.feed("y")
    await app.submit("1")
    assert "This channel now uses business 3 by default." in io.text


async def test_forms_prompt_with_defaults_and_reask_fields_with_errors(
    app: ConsoleApp, io: ScriptedIO
) -> None:
    form = Form(
        title="Set business",
        command=("biz",),
        fields=(
            FormField(
                name="id",
                label="Business",
                kind=FieldKind.SELECT,
                options=(FormOption(label="demo", value="2"), FormOption(label="pay", value="3")),
                token=TokenStyle.POSITIONAL,
            ),
        ),
    )
    io.feed("not-a-number", "2")
    await app.show(Reply(form=form))
    assert "── Set business ──" in io.text
    assert "[1] demo" in io.text
    assert "! Business: ID must be a whole number (got `not-a-number`)." in io.text
    assert "This channel now uses business 3 by default." in io.text


async def test_multiline_fields_end_with_a_dot(app: ConsoleApp, io: ScriptedIO) -> None:
    form = Form(
        title="Note",
        command=("help",),
        fields=(
            FormField(
                name="topic", label="Topic", kind=FieldKind.MULTILINE, token=TokenStyle.POSITIONAL
            ),
        ),
    )
    io.feed("general", ".")
    await app.show(Reply(form=form))
    assert "Help: general" in io.text


async def test_end_of_input_in_a_form_cancels_it(app: ConsoleApp, io: ScriptedIO) -> None:
    form = Form(title="X", command=("biz",), fields=(FormField(name="id", label="ID"),))
    await app.show(Reply(form=form))
    assert io.out[-1] == "Cancelled."
