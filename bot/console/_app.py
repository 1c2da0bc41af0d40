"""The console adapter: the same commands as /bk, typed in a terminal, rendered as text."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from bot.clients.errors import BKError
from bot.commands import FieldErrors, error_reply
from bot.console._buttons import button_lines, collect_actions
from bot.console._forms import ask_form
from bot.console._io import ConsoleIO
from bot.poller import Poller
from bot.runtime import Runtime
from bot.services import to_bot_error
from bot.services.runs import RunCard, fetch_card, settled, succeeded
from bot.views import Action, ErrorView, Form, Placement, Reply, RunRef, View
from bot.views.sops import CardPhase, SopsRunCard

__all__ = ["CONSOLE_CHANNEL", "ConsoleApp"]

log = logging.getLogger(__name__)

# How long the interactive console keeps following a run it started (seconds).
FOLLOW_LIMIT = 3600.0
# At exit, how long a poller tick in progress may take to finish before it is cancelled.
POLLER_STOP_GRACE = 2.0
# The console is one "channel": `biz` set here sticks for the session.
CONSOLE_CHANNEL = "console"
_QUIT = {"quit", "exit", ":q"}
_PREFIX = {
    Placement.EPHEMERAL: "",
    Placement.CHANNEL: "",
    Placement.THREAD: "  ↳ ",
    Placement.REPLACE: "",
}


class ConsoleApp:
    """Runs commands for the person at the terminal and prints replies with numbered buttons."""

    def __init__(
        self,
        runtime: Runtime,
        io: ConsoleIO,
        *,
        login: str,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        thread_lines: bool = False,
    ) -> None:
        self.runtime = runtime
        self.io = io
        # Waiting between polls of a run; tests replace it to move a manual clock instead.
        self._sleep = sleep
        self.actor = runtime.services.identity.console_actor(login)
        # Every button shown this session, numbered from 1, so older ones stay clickable.
        self.buttons: list[Action] = []
        self.runs: list[RunRef] = []
        self.last_failed = False
        # Fingerprint of each run's card as last printed, so following prints only changes.
        self._printed: dict[RunRef, str] = {}
        # Who started each run, as its first card said (kept when the card is refreshed).
        self._started_by: dict[RunRef, str | None] = {}
        # BK-SOPS tasks started here that the server may still report as CREATED.
        self._starting: set[RunRef] = set()
        # True when a poller tells the runs' stories as thread lines (ConsoleNotifier):
        # the interactive loop then leaves following runs to it.
        self.thread_lines = thread_lines
        # Without one, the interactive loop follows each run in the background itself,
        # reprinting its card whenever it changes.
        self._background: set[asyncio.Task[RunCard | None]] = set()
        self._interactive_follow = False

    def completions(self) -> list[str]:
        """Command names for tab completion."""
        return sorted(s.name for s in self.runtime.dispatcher.registry.specs) + sorted(_QUIT)

    def welcome(self) -> None:
        """The first line a new user sees."""
        services = self.runtime.services
        where = "the embedded BlueKing sandbox" if services.sandbox else self.runtime.describe()
        biz = services.default_biz
        who = self.actor.bk_username or "nobody (unmapped)"
        self.io.write(
            f"BlueKing ChatOps console — acting as {who} on {where}"
            + (f", business {biz}" if biz else "")
            + ".",
            style="bold",
        )
        self.io.write(
            "Type `help` or any /bk command (Tab completes); a number clicks that button; "
            "Ctrl-D quits.",
            style="dim",
        )

    async def repl(self, *, poller: Poller | None = None) -> int:
        """Read commands until end of input; returns 0.

        With a ``poller`` (whose notifier is this app's ConsoleNotifier), the poller runs in
        the background for the session and prints each change of a run as a thread line; it
        is stopped at exit.
        """
        if poller is not None:
            self.thread_lines = True
        self.welcome()
        self._interactive_follow = True
        async with _polling(poller):
            while True:
                line = await self.io.read("bk> ")
                if line is None:
                    self.io.write("")
                    return 0
                text = line.strip()
                if not text:
                    continue
                if text.lower() in _QUIT:
                    return 0
                await self.submit(text)

    async def once(self, text: str, *, follow_for: float) -> int:
        """Run one command; if it starts a run, follow it until it settles (button numbers
        typed meanwhile are clicked). Exit status: 0 success, 1 failure, 2 still running."""
        started = len(self.runs)
        await self.run(text)
        if self.last_failed:
            return 1
        if len(self.runs) == started:
            return 0
        ref = self.runs[-1]
        card = await self.follow(ref, follow_for)
        if card is None:
            self.io.write(
                f"Still running after {follow_for:g} s; check it with "
                f"`{ref.kind.value} status {ref.id} --biz {ref.biz}`.",
                style="yellow",
            )
            return 2
        return 0 if succeeded(card) else 1

    async def follow(
        self, ref: RunRef, limit: float, *, accept_clicks: bool = True
    ) -> RunCard | None:
        """Print the run's card as thread lines whenever it changes, until it settles."""
        user = self.actor.bk_username or ""
        deadline = time.monotonic() + limit
        clicks = asyncio.create_task(self._click_while_following()) if accept_clicks else None
        try:
            while True:
                try:
                    card = await fetch_card(
                        self.runtime.services,
                        ref,
                        user=user,
                        started_by=self._started_by.get(ref),
                        starting=ref in self._starting,
                    )
                    if isinstance(card, SopsRunCard) and card.phase is not CardPhase.STARTING:
                        self._starting.discard(ref)
                except BKError as exc:
                    self._print(error_reply(to_bot_error(exc)))
                    return None
                fingerprint = _fingerprint(card)
                if fingerprint != self._printed.get(ref):
                    self._printed[ref] = fingerprint
                    self._print(Reply(view=card, placement=Placement.THREAD))
                if settled(card):
                    return card
                if time.monotonic() >= deadline:
                    return None
                await self._sleep(self.runtime.settings.poll_interval)
        finally:
            if clicks is not None:
                clicks.cancel()

    async def _click_while_following(self) -> None:
        while True:
            line = await self.io.read("")
            if line is None:
                return
            if line.strip():
                await self.submit(line.strip())

    async def submit(self, text: str) -> Reply | None:
        """A typed line: a button number, or command text."""
        if text.isdigit():
            return await self.click(int(text))
        return await self.run(text)

    async def run(self, text: str) -> Reply:
        """Run command text and show the reply."""
        reply = await self.runtime.dispatcher.run(
            _strip_slash(text, self.runtime.settings.command),
            actor=self.actor,
            channel=CONSOLE_CHANNEL,
        )
        return await self.show(reply)

    async def click(self, number: int) -> Reply | None:
        """Click button ``number`` (asking first when the button has a confirmation)."""
        if not 1 <= number <= len(self.buttons):
            self.io.write(
                f"There is no button {number}."
                + (f" Buttons go from 1 to {len(self.buttons)}." if self.buttons else ""),
                style="red",
            )
            return None
        action = self.buttons[number - 1]
        if action.confirm is not None:
            self.io.write(f"{action.confirm.title}: {action.confirm.text}", style="yellow")
            answer = await self.io.read(f"{action.confirm.confirm}? [y/N] ")
            if (answer or "").strip().lower() not in {"y", "yes"}:
                self.io.write("Cancelled.")
                return None
        self.io.write(f"▸ {action.label}", style="dim")
        return await self.run(action.command)

    async def show(self, reply: Reply) -> Reply:
        """Print a reply; ask a form's fields and run the completed command."""
        if reply.form is not None:
            if reply.view is not None:
                self._print(reply)
            return await self._fill(reply.form)
        self._print(reply)
        if reply.run is not None:
            self.runs.append(reply.run)
            if reply.view is not None:
                self._printed[reply.run] = _fingerprint(reply.view)
                started_by = getattr(reply.view, "started_by", None)
                self._started_by[reply.run] = started_by if isinstance(started_by, str) else None
                if isinstance(reply.view, SopsRunCard) and reply.view.phase is CardPhase.STARTING:
                    self._starting.add(reply.run)
            if self._interactive_follow and not self.thread_lines:
                task = asyncio.create_task(
                    self.follow(reply.run, FOLLOW_LIMIT, accept_clicks=False)
                )
                self._background.add(task)
                task.add_done_callback(self._background.discard)
        return reply

    def _print(self, reply: Reply) -> None:
        if reply.view is None:
            return
        text = self.runtime.renderer.text(reply.view)
        failed = isinstance(reply.view, ErrorView)
        self.last_failed = failed
        prefix = _PREFIX[reply.placement]
        style = "red" if failed else None
        for line in text.splitlines() or [""]:
            self.io.write(f"{prefix}{line}", style=style)
        if reply.attachment is not None:
            self.io.write(f"{prefix}── {reply.attachment.filename} ──", style="dim")
            for line in reply.attachment.content.splitlines():
                self.io.write(f"{prefix}{line}")
        self.show_buttons(collect_actions(reply.view), prefix=prefix)

    def show_buttons(self, actions: Sequence[Action], *, prefix: str = "") -> None:
        """Number ``actions`` after every button shown so far and print them; typing a
        number clicks its button (replies and the poller's thread lines share the numbers)."""
        if not actions:
            return
        first = len(self.buttons) + 1
        self.buttons.extend(actions)
        for line in button_lines(actions, first):
            self.io.write(f"{prefix}{line}", style="cyan")

    async def _fill(self, form: Form) -> Reply:
        errors: dict[str, str] | None = None
        answers: dict[str, str] = {}
        while True:
            given = await ask_form(self.io, form, errors)
            if given is None:
                self.io.write("Cancelled.")
                return Reply(view=None, form=form)
            answers.update(given)
            prepared = self.runtime.dispatcher.prepare_form(form, answers)
            if isinstance(prepared, FieldErrors):
                errors = prepared.errors
                continue
            result = await self.runtime.dispatcher.execute(
                prepared, actor=self.actor, channel=CONSOLE_CHANNEL
            )
            return await self.show(result)


@contextlib.asynccontextmanager
async def _polling(poller: Poller | None) -> AsyncIterator[None]:
    """Run ``poller`` in the background while the block runs; stop it cleanly after."""
    if poller is None:
        yield
        return
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run_forever(stop), name="console-poller")
    try:
        yield
    finally:
        stop.set()
        # A tick in progress finishes (its posts are marked sent, its leases released);
        # one stuck on a slow BlueKing call is cancelled: its leases expire by themselves.
        done, _ = await asyncio.wait({task}, timeout=POLLER_STOP_GRACE)
        if not done:
            task.cancel()
            await asyncio.wait({task})
        elif not task.cancelled() and task.exception() is not None:
            log.error("console poller stopped with an error", exc_info=task.exception())


def _fingerprint(view: View) -> str:
    """The card's content without its ticking clocks, to print only real changes."""
    return _without_clocks(view.model_dump(mode="json")).__repr__()


def _without_clocks(value: object) -> object:
    if isinstance(value, dict):
        return {k: _without_clocks(v) for k, v in value.items() if k not in _CLOCK_FIELDS}
    if isinstance(value, list):
        return [_without_clocks(v) for v in value]
    return value


_CLOCK_FIELDS = frozenset({"elapsed", "since"})


def _strip_slash(text: str, command: str) -> str:
    """Accept ``/bk job plans`` as well as ``job plans``."""
    if text == command or text.startswith(command + " "):
        return text[len(command) :].strip()
    return text
