"""Real processes for the crash and replica tests: the sandbox, bots, and their database.

Everything here talks to separate OS processes over loopback: ``bkbot sandbox`` (BlueKing on a
real, sped-up clock), ``bkbot run`` in Slack HTTP mode (one process per bot), and the fake
Slack of ``tests/fakes/remote.py``. Each process gets an environment built from scratch (no
Slack, BlueKing or proxy variable of the developer's shell leaks in) and runs in its own
working directory (``Settings`` reads a ``.env`` from the current directory). Output goes to a
log file whose tail failure messages quote.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import free_port
from tests.fakes.remote import RemoteFakeSlack
from tests.fakes.signing import signed_headers, slash_command_body

__all__ = [
    "SECRET",
    "BotProcess",
    "Outbox",
    "OutboxRow",
    "SandboxProcess",
    "WatchInfo",
    "bot_process",
    "bot_settings",
    "clean_env",
    "eventually",
    "fresh_pg_database",
    "read_outbox",
    "sandbox_process",
]

SECRET = "c0ffee7e57516n1n65ecre7f0rpr0c55"
BOT_TOKEN = "xoxb-test"
# The only variables a child inherits from the test's environment: none configures Slack,
# BlueKing, the store or a proxy.
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR", "SYSTEMROOT")
T = TypeVar("T")


def _bkbot() -> list[str]:
    """The ``bkbot`` console script of this interpreter's environment (``-m bot`` without)."""
    script = Path(sys.executable).with_name("bkbot")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def clean_env(**settings: str) -> dict[str, str]:
    """A child's environment: the basics of ours plus exactly ``settings``."""
    env = {k: v for k, v in os.environ.items() if k in _INHERITED}
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_PROXY"] = "*"
    env.update(settings)
    return env


def eventually(
    probe: Callable[[], T | None], *, within: float, what: str, context: Callable[[], str]
) -> T:
    """Poll ``probe`` until it returns something truthy; fail with ``context()`` after."""
    deadline = time.monotonic() + within
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {within} s\n{context()}")
        time.sleep(0.05)


def _tail(path: Path, lines: int) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return "(no output)"
    # Alembic's start-up chatter says nothing about a failure.
    content = [line for line in content if " INFO alembic." not in line]
    return "\n".join(content[-lines:])


@dataclass
class _Child:
    """A child process whose output goes to ``log``."""

    name: str
    proc: subprocess.Popen[bytes]
    log: Path
    _out: IO[bytes]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        state = "running" if self.alive() else f"exited with {self.proc.returncode}"
        return f"--- {self.name} (pid {self.pid}, {state}), last lines of {self.log}:\n" + _tail(
            self.log, lines
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, nothing is flushed or released."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def freeze(self) -> None:
        """SIGSTOP: the process does nothing more until killed (or continued)."""
        os.kill(self.pid, signal.SIGSTOP)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM, then SIGKILL if it does not exit within ``timeout``; the exit status."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGCONT)  # in case it was frozen
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode

    def close(self) -> None:
        try:
            self.stop()
        finally:
            self._out.close()


def _spawn(name: str, argv: list[str], env: dict[str, str], workdir: Path) -> _Child:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    out = log.open("ab")
    try:
        proc = subprocess.Popen(
            argv, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
    except BaseException:
        out.close()
        raise
    return _Child(name, proc, log, out)


def _wait_http(child: _Child, url: str, *, within: float) -> None:
    """Until ``url`` answers 200; fails early when the child exits."""
    deadline = time.monotonic() + within
    with httpx.Client(timeout=2.0, trust_env=False) as http:
        while True:
            if not child.alive():
                raise AssertionError(f"{child.name} exited while starting\n{child.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if http.get(url).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"{child.name} not up within {within} s\n{child.tail()}")
            time.sleep(0.1)


# ------------------------------------------------------------------------------ sandbox


@dataclass
class SandboxProcess:
    """``bkbot sandbox`` on a real clock running ``speed`` times faster than wall time."""

    child: _Child
    url: str
    speed: float

    def tail(self, lines: int = 20) -> str:
        return self.child.tail(lines)


@contextlib.contextmanager
def sandbox_process(workdir: Path, *, speed: float) -> Iterator[SandboxProcess]:
    port = free_port()
    argv = [*_bkbot(), "sandbox", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--speed", str(speed)]
    child = _spawn("sandbox", argv, clean_env(), workdir)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_http(child, f"{url}/_sandbox/healthz", within=20)
        yield SandboxProcess(child, url, speed)
    finally:
        child.close()


# ------------------------------------------------------------------------------ bots


@dataclass
class BotProcess:
    """One ``bkbot run`` in Slack HTTP mode, driven by slash commands signed like Slack's."""

    child: _Child
    url: str
    fake: RemoteFakeSlack
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def name(self) -> str:
        return self.child.name

    @property
    def pid(self) -> int:
        return self.child.pid

    def alive(self) -> bool:
        return self.child.alive()

    def tail(self, lines: int = 40) -> str:
        return self.child.tail(lines)

    def wait_ready(self, within: float = 30.0) -> None:
        """Until ``/readyz`` answers 200 (auth.test passed, the store migrated)."""
        _wait_http(self.child, f"{self.url}/readyz", within=within)

    def command(self, text_: str, *, channel: str, user: str = "U0ALICE") -> None:
        """``/bk text`` typed in ``channel``; returns once the bot acknowledged it."""
        response_url = self.fake.response_url(f"{self.name}-{next(self._ids)}")
        body = slash_command_body(
            "/bk", text_, user_id=user, channel_id=channel, response_url=response_url
        )
        with httpx.Client(timeout=10.0, trust_env=False) as http:
            answer = http.post(
                f"{self.url}/slack/events", content=body, headers=signed_headers(SECRET, body)
            )
        assert answer.status_code == 200, f"{text_!r}: {answer.status_code}\n{self.tail()}"

    def sent_posts(self) -> float:
        """Thread posts this process has had accepted by Slack (its /metrics counter)."""
        with httpx.Client(timeout=5.0, trust_env=False) as http:
            exposition = http.get(f"{self.url}/metrics").text
        found = re.search(
            r'^bkbot_notifier_posts_total\{outcome="sent"\} (\S+)$', exposition, re.MULTILINE
        )
        return float(found.group(1)) if found else 0.0

    def kill(self) -> None:
        self.child.kill()

    def freeze(self) -> None:
        self.child.freeze()

    def thaw(self) -> None:
        """SIGCONT: a frozen process goes on as if nothing happened."""
        os.kill(self.pid, signal.SIGCONT)

    def stop(self) -> int:
        return self.child.stop()


def bot_settings(
    *,
    fake: RemoteFakeSlack,
    sandbox: SandboxProcess,
    database_url: str,
    port: int,
    poll_interval: float,
    lease_seconds: float,
) -> dict[str, str]:
    """Every variable a bot reads that matters here (bot/config.py), and nothing else."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "BK_COMPONENT_API_URL": sandbox.url,
        "BK_APP_CODE": "bkchatops",
        "BK_APP_SECRET": "sandbox-secret",
        "BKBOT_HTTP_HOST": "127.0.0.1",
        "BKBOT_HTTP_PORT": str(port),
        "BKBOT_DATABASE_URL": database_url,
        "BKBOT_POLL_INTERVAL": str(poll_interval),
        "BKBOT_LEASE_SECONDS": str(lease_seconds),
        "BKBOT_DEFAULT_BIZ": "2",
        "BKBOT_LOG_LEVEL": "INFO",
    }


@contextlib.contextmanager
def bot_process(
    name: str,
    workdir: Path,
    *,
    fake: RemoteFakeSlack,
    sandbox: SandboxProcess,
    database_url: str,
    poll_interval: float = 0.5,
    lease_seconds: float = 5.0,
) -> Iterator[BotProcess]:
    """Start ``bkbot run`` (not waiting for it: see ``BotProcess.wait_ready``); stop it after."""
    port = free_port()
    settings = bot_settings(
        fake=fake,
        sandbox=sandbox,
        database_url=database_url,
        port=port,
        poll_interval=poll_interval,
        lease_seconds=lease_seconds,
    )
    child = _spawn(name, [*_bkbot(), "run"], clean_env(**settings), workdir / name)
    try:
        yield BotProcess(child, f"http://127.0.0.1:{port}", fake)
    finally:
        child.close()


# ------------------------------------------------------------------------------ the store


@dataclass(frozen=True)
class OutboxRow:
    """One row of ``notifications``."""

    id: int
    watch_id: int
    key: str
    kind: str
    state: str
    slack_ts: str | None


@dataclass(frozen=True)
class WatchInfo:
    """One row of ``watches``."""

    id: int
    kind: str
    run_id: int
    channel: str | None
    card_ts: str | None
    status: str
    end_reason: str | None
    lease_owner: str | None


@dataclass(frozen=True)
class Outbox:
    """The watches and their notifications, as the database holds them now."""

    watches: list[WatchInfo]
    rows: list[OutboxRow]

    def of(self, watch_id: int) -> list[OutboxRow]:
        return [r for r in self.rows if r.watch_id == watch_id]

    def by_card(self, card_ts: str) -> WatchInfo | None:
        return next((w for w in self.watches if w.card_ts == card_ts), None)

    def describe(self) -> str:
        lines = []
        for w in self.watches:
            rows = self.of(w.id)
            lines.append(
                f"watch {w.id} {w.kind}:{w.run_id} {w.channel}/{w.card_ts} {w.status} "
                f"({w.end_reason}) lease={w.lease_owner}: "
                + ", ".join(f"{r.kind}[{r.state}]" for r in rows)
            )
        return "\n".join(lines) or "(no watches)"


async def _read_outbox(url: str) -> Outbox:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            watches = (
                await connection.execute(
                    text(
                        "SELECT id, kind, run_id, channel, card_ts, status, end_reason, "
                        "lease_owner FROM watches ORDER BY id"
                    )
                )
            ).all()
            rows = (
                await connection.execute(
                    text(
                        "SELECT id, watch_id, key, kind, state, slack_ts FROM notifications "
                        "ORDER BY watch_id, id"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    return Outbox(
        watches=[WatchInfo(*w) for w in watches],
        rows=[OutboxRow(*r) for r in rows],
    )


def read_outbox(url: str) -> Outbox:
    """Read the store directly (plain SELECTs: no lock a stopped writer could hold blocks them)."""
    return asyncio.run(_read_outbox(url))


async def _pg_admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


@contextlib.contextmanager
def fresh_pg_database(url: str, name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database next to ``url``'s, dropped afterwards; its URL.

    The bots take only a URL (no schema option), so the per-test isolation of tests/store (a
    schema per test) becomes a database per test here.
    """
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"unsafe database name {name!r}")
    asyncio.run(_pg_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(_pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
