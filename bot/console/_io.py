"""Terminal input and output, behind a small interface so the console can be scripted in tests."""

from __future__ import annotations

import asyncio
import getpass
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Protocol, TextIO

from rich.console import Console

__all__ = ["ConsoleIO", "TerminalIO"]


class ConsoleIO(Protocol):
    """What the console needs from a terminal."""

    @property
    def interactive(self) -> bool:
        """True when a person is typing (prompts, completion, colours make sense)."""
        ...

    async def read(self, prompt: str) -> str | None:
        """One line of input; None at end of input."""
        ...

    async def read_secret(self, prompt: str) -> str | None:
        """One line without echo; None at end of input."""
        ...

    def write(self, text: str, *, style: str | None = None) -> None:
        """Print text (never interpreted as markup)."""
        ...


class TerminalIO:
    """stdin/stdout with readline editing and tab completion when attached to a terminal."""

    def __init__(
        self,
        completions: Callable[[], Sequence[str]] | None = None,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self._stdin = stdin or sys.stdin
        self._interactive = self._stdin.isatty()
        self._out = Console(
            file=stdout or sys.stdout,
            highlight=False,
            soft_wrap=True,
            force_terminal=None if self._interactive else False,
        )
        if self._interactive and completions is not None:
            _install_completion(completions)
        # A read that was abandoned (its task cancelled) leaves its line here for the next one.
        self._pending: asyncio.Future[str | None] | None = None

    @property
    def interactive(self) -> bool:
        """True when stdin is a terminal."""
        return self._interactive

    async def read(self, prompt: str) -> str | None:
        """Read a line in a daemon thread: other tasks keep running, and a read abandoned
        when the program ends cannot keep the process alive."""
        if self._pending is None:
            self._pending = self._start_read(prompt)
        future = self._pending
        line = await asyncio.shield(future)
        self._pending = None
        return line

    def _start_read(self, prompt: str) -> asyncio.Future[str | None]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str | None] = loop.create_future()

        def deliver(value: str | None) -> None:
            if not future.done():
                future.set_result(value)

        def reader() -> None:
            value: str | None
            try:
                if self._interactive:
                    value = input(prompt)
                else:
                    raw = self._stdin.readline()
                    value = raw.rstrip("\n") if raw else None
            except (EOFError, OSError, ValueError):
                value = None
            loop.call_soon_threadsafe(deliver, value)

        threading.Thread(target=reader, name="console-input", daemon=True).start()
        return future

    async def read_secret(self, prompt: str) -> str | None:
        """Read without echo on a terminal; plain line otherwise."""
        if not self._interactive:
            return await self.read(prompt)
        try:
            return await asyncio.to_thread(getpass.getpass, prompt)
        except EOFError:
            return None

    def write(self, text: str, *, style: str | None = None) -> None:
        """Print ``text`` literally (rich markup off), optionally styled."""
        self._out.print(text, style=style if self._interactive else None, markup=False)


def _install_completion(completions: Callable[[], Sequence[str]]) -> None:
    try:
        import readline
    except ImportError:  # e.g. Windows without pyreadline: editing works, completion doesn't
        return

    def complete(text: str, state: int) -> str | None:
        line = readline.get_line_buffer().lstrip()
        matches = [c + " " for c in completions() if c.startswith(line)]
        # readline completes the current word; offer the rest of each matching command.
        start = len(line) - len(text)
        options = [m[start:] for m in matches]
        return options[state] if state < len(options) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" ")
    readline.parse_and_bind("tab: complete")
