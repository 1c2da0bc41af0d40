"""The ``bkbot`` command line: run | console | sandbox | check."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from bot import __version__
from bot._logging import configure_logging
from bot.clients.errors import BKError
from bot.config import (
    SANDBOX_APP_CODE,
    SANDBOX_APP_SECRET,
    Backend,
    ChatAdapter,
    Settings,
    load_settings,
)

__all__ = ["main"]

# The user every health-check read is made as: BlueKing's built-in administrator exists on
# every installation, and in sandbox mode everyone maps to it (product.md §6).
CHECK_USER = "admin"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bkbot", description="BlueKing ChatOps for Slack: operate BK-Job and BK-SOPS."
    )
    parser.add_argument("--version", action="version", version=f"bkbot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("run", help="start the bot: Slack when configured, else the console")

    console = sub.add_parser("console", help="the bot in a terminal")
    console.add_argument("--once", metavar="TEXT", help="run one command, print everything, exit")
    console.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        help="with --once: how long to wait for a run it starts (seconds, 300)",
    )

    sandbox = sub.add_parser("sandbox", help="serve the embedded BlueKing sandbox over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    sandbox.add_argument("--port", type=int, default=8900, help="port to listen on (8900)")
    sandbox.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="how fast runs progress relative to real time (1.0)",
    )

    sub.add_parser("check", help="validate settings and reach each configured dependency")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``bkbot`` console script."""
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except ValidationError as exc:
        # Same shape as a `bkbot check` line, on stderr: the process cannot start like this.
        print(f"settings: FAILED - {_settings_problems(exc)}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    if args.command == "run":
        return _run(settings)
    if args.command == "console":
        return _console(settings, args.once, args.timeout)
    if args.command == "sandbox":
        return _serve_sandbox(settings, args.host, args.port, args.speed)
    if args.command == "check":
        return asyncio.run(_check(settings))
    raise AssertionError(f"unhandled command {args.command}")  # argparse guarantees a choice


def _settings_problems(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        message = str(err["msg"]).removeprefix("Value error, ")
        where = ".".join(str(p) for p in err["loc"])
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def _startup_line(settings: Settings) -> str:
    adapter = {
        ChatAdapter.CONSOLE: "console (SLACK_BOT_TOKEN is not set)",
        ChatAdapter.SLACK_SOCKET: "Slack, Socket Mode (SLACK_APP_TOKEN is set)",
        ChatAdapter.SLACK_HTTP: (
            f"Slack, HTTP mode on {settings.http_host}:{settings.http_port} "
            "(SLACK_APP_TOKEN is not set)"
        ),
    }[settings.chat_adapter]
    backend = (
        "embedded sandbox (BK_COMPONENT_API_URL is not set)"
        if settings.backend is Backend.SANDBOX
        else f"BlueKing at {settings.component_url()}"
        + (f", BK-SOPS via {settings.sops_gateway_url()}" if settings.bk_sops_apigw_url else "")
    )
    store = (
        "store in memory (embedded sandbox; set BKBOT_DATABASE_URL to keep it)"
        if settings.store_url is None
        else f"store {settings.store_url.split('://')[0]} (BKBOT_DATABASE_URL)"
    )
    return f"bkbot: adapter {adapter}; backend {backend}; {store}"


def _run(settings: Settings) -> int:
    if settings.chat_adapter is ChatAdapter.CONSOLE:
        print(_startup_line(settings), file=sys.stderr, flush=True)
        return _console(settings, None, 300.0)
    # The Slack adapter logs its own startup line once connected (it knows the bot's name).
    from bot.slack import run_slack

    asyncio.run(run_slack(settings))
    return 0


def _console(settings: Settings, once: str | None, timeout: float) -> int:
    from bot.console import run_console

    if settings.log_level != "DEBUG":
        # Log lines would interleave with the conversation; keep only problems.
        logging.getLogger().setLevel(logging.WARNING)

    try:
        return asyncio.run(run_console(settings, once=once, follow_for=timeout))
    except KeyboardInterrupt:
        return 130


def _serve_sandbox(settings: Settings, host: str, port: int, speed: float) -> int:
    from bot.sandbox import serve

    # product.md §5: the sandbox accepts BK_APP_CODE / BK_APP_SECRET, else the sandbox pair.
    app_code = settings.bk_app_code or SANDBOX_APP_CODE
    app_secret = (
        settings.bk_app_secret.get_secret_value() if settings.bk_app_secret else SANDBOX_APP_SECRET
    )
    print(
        f"BlueKing sandbox on http://{host}:{port} (ESB paths at the root, BK-SOPS gateway "
        f"under /api/bk-sops/prod); app code {app_code!r}; speed x{speed}",
        flush=True,
    )
    serve(host, port, app_code=app_code, app_secret=app_secret, speed=speed)
    return 0


@dataclass(frozen=True)
class _CheckLine:
    name: str
    ok: bool
    detail: str
    skipped: bool = False

    def render(self) -> str:
        outcome = "skipped" if self.skipped else "ok" if self.ok else "FAILED"
        return f"{self.name}: {outcome} - {self.detail}"


async def _check(settings: Settings) -> int:
    lines = [
        _CheckLine(
            "settings",
            True,
            f"adapter {settings.chat_adapter.value}, backend {settings.backend.value}",
        )
    ]
    lines.extend(await _check_blueking(settings))
    lines.append(await _check_store(settings))
    for line in lines:
        print(line.render())
    return 0 if all(line.ok for line in lines) else 1


async def _check_store(settings: Settings) -> _CheckLine:
    from bot.store import Database, StoreError

    url = settings.store_url
    if url is None:
        return _CheckLine(
            "store", True, "in memory on the embedded sandbox (set BKBOT_DATABASE_URL to keep it)"
        )
    try:
        database = await Database.open(url)
    except StoreError as exc:
        return _CheckLine("store", False, str(exc))
    try:
        state = await database.migration_state()
        detail = f"{database.describe()}, migrations {state.describe()}"
        if not state.up_to_date:
            detail += " (bkbot run migrates at start)"
        return _CheckLine("store", True, detail)
    except StoreError as exc:
        return _CheckLine("store", False, f"{database.describe()}: {exc}")
    finally:
        await database.aclose()


async def _check_blueking(settings: Settings) -> list[_CheckLine]:
    from bot.runtime import build_blueking

    results: list[_CheckLine] = []
    async with build_blueking(settings) as bk:
        where = "embedded sandbox" if bk.backend is Backend.SANDBOX else "BK-Job"
        try:
            page = await bk.job.get_public_script_list(length=1, bk_username=CHECK_USER)
            results.append(
                _CheckLine(
                    "bk-job",
                    True,
                    f"{where} answered get_public_script_list "
                    f"({page.total_record_size} public scripts)",
                )
            )
        except BKError as exc:
            results.append(_CheckLine("bk-job", False, str(exc)))
        biz = settings.default_biz
        if biz is None:
            results.append(
                _CheckLine("bk-sops", True, "set BKBOT_DEFAULT_BIZ to check BK-SOPS", skipped=True)
            )
        else:
            try:
                templates = await bk.sops.get_template_list(bk_biz_id=biz, bk_username=CHECK_USER)
                results.append(
                    _CheckLine(
                        "bk-sops",
                        True,
                        f"get_template_list for business {biz} ({len(templates)} templates)",
                    )
                )
            except BKError as exc:
                results.append(_CheckLine("bk-sops", False, str(exc)))
    return results


if __name__ == "__main__":
    sys.exit(main())
