"""The console adapter: the whole bot in a terminal, over the same commands and text templates."""

from __future__ import annotations

import getpass

from bot.config import Settings
from bot.console._app import CONSOLE_CHANNEL, ConsoleApp
from bot.console._io import ConsoleIO, TerminalIO
from bot.runtime import Runtime, Stores, build_runtime, open_stores

__all__ = ["CONSOLE_CHANNEL", "ConsoleApp", "ConsoleIO", "TerminalIO", "run_console"]


async def run_console(
    settings: Settings,
    *,
    once: str | None = None,
    follow_for: float = 300.0,
    io: ConsoleIO | None = None,
    runtime: Runtime | None = None,
) -> int:
    """Interactive loop, or one command with ``once`` (exit status 1 when it failed)."""
    stores: Stores | None = None
    if runtime is None:
        stores = await open_stores(settings)
        rt = build_runtime(
            settings, channels=stores.channels, runs=stores.runs, store=stores.describe()
        )
    else:
        rt = runtime
    app: ConsoleApp | None = None
    try:
        terminal = io or TerminalIO(lambda: app.completions() if app else [])
        app = ConsoleApp(rt, terminal, login=_login())
        if once is None:
            return await app.repl()
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
