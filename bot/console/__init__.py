"""The console adapter: the whole bot in a terminal, over the same commands and text templates."""

from __future__ import annotations

import getpass

from bot.config import Settings
from bot.console._app import CONSOLE_CHANNEL, ConsoleApp
from bot.console._io import ConsoleIO, TerminalIO
from bot.console._notifier import ConsoleNotifier
from bot.runtime import Runtime, Stores, build_poller, build_runtime, open_stores
from bot.services import MemoryRunRegistry

__all__ = [
    "CONSOLE_CHANNEL",
    "ConsoleApp",
    "ConsoleIO",
    "ConsoleNotifier",
    "TerminalIO",
    "run_console",
]


async def run_console(
    settings: Settings,
    *,
    once: str | None = None,
    follow_for: float = 300.0,
    io: ConsoleIO | None = None,
    runtime: Runtime | None = None,
) -> int:
    """Interactive loop, or one command with ``once`` (exit status 1 when it failed).

    On a throwaway store (the embedded sandbox), the interactive loop runs the poller too:
    every run started or watched in the session tells its story as thread lines under its
    card. On a configured database, which a Slack bot may share, the console keeps its runs
    to itself (in memory) and follows them by reprinting their cards: a Slack replica must not
    claim a terminal's runs, nor the console a channel's.
    """
    stores: Stores | None = None
    if runtime is None:
        stores = await open_stores(settings)
        own = stores.scratch is not None
        rt = build_runtime(
            settings,
            channels=stores.channels,
            runs=stores.runs if own else MemoryRunRegistry(),
            store=stores.describe(),
        )
    else:
        rt = runtime
    app: ConsoleApp | None = None
    try:
        terminal = io or TerminalIO(lambda: app.completions() if app else [])
        app = ConsoleApp(rt, terminal, login=_login())
        if once is None:
            poller = None
            if stores is not None and stores.scratch is not None:
                poller = build_poller(rt, stores, ConsoleNotifier(app))
            return await app.repl(poller=poller)
        return await app.once(once, follow_for=follow_for)
    finally:
        await rt.aclose()
        if stores is not None:
            await stores.aclose()


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers with arbitrary uids)
        return "console"
