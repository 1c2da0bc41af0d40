"""Benchmark: Slack ack latency of the bot's HTTP endpoint vs a bare Bolt app that only acks.

Both servers run the same adapter (Bolt's Starlette handler under uvicorn, access log off) in
processes of their own, behind the fake Slack Web API (tests/fakes) in a third process. The
benchmark signs every request exactly as Slack does and alternates rounds (bot, bare, bot, …)
at a fixed concurrency; each request is a slash command or a button click (half each). The
bot then does the real work after its ack (user lookup, command, reply to the response_url),
so its acks compete with that work; the bare app does nothing after acking.

    .venv/bin/python bench/ack.py [--seconds 5] [--rounds 3] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.signing import (  # noqa: E402 - the repository root is put on the path first
    block_actions_body,
    signed_headers,
    slash_command_body,
)

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
COMMAND = "whoami"  # no BlueKing call: the measured work is the adapter's, not the sandbox's


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ---- the two servers (run in child processes) ----------------------------------------------


def _serve_bot(port: int, api_url: str) -> None:
    from bot._logging import configure_logging
    from bot.config import Settings
    from bot.slack import build_slack_bot, serve

    configure_logging("WARNING")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        SLACK_BOT_TOKEN=TOKEN,
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_APP_TOKEN=None,
        SLACK_API_URL=api_url,
        BK_COMPONENT_API_URL=None,
        BK_SOPS_APIGW_URL=None,
        BKBOT_HTTP_HOST="127.0.0.1",
        BKBOT_HTTP_PORT=port,
    )

    async def run() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await serve(build_slack_bot(settings), stop)

    asyncio.run(run())


def _serve_bare(port: int, api_url: str) -> None:
    import uvicorn
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncAck, AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    app = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=api_url),
        signing_secret=SECRET,
        process_before_response=False,
    )

    @app.command("/bk")
    async def command(ack: AsyncAck) -> None:
        await ack()

    @app.action(re.compile(r"^bk\.cmd\.\d+$"))
    async def button(ack: AsyncAck) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    asgi = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    uvicorn.run(asgi, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# ---- processes -----------------------------------------------------------------------------


def _start(args: list[str], ready: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(ready, timeout=1).status_code < 500:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{args} did not start")


def _start_fake() -> tuple[subprocess.Popen[bytes], str]:
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.slack_api", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().decode().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit("the fake Slack did not start")
    return proc, url


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


# ---- measuring -----------------------------------------------------------------------------


@dataclass
class Round:
    side: str
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def _body(n: int, response_url: str) -> str:
    if n % 2:
        return block_actions_body(
            "bk.cmd.0", COMMAND, response_url=response_url, message_ts="1700000000.000100"
        )
    return slash_command_body("/bk", COMMAND, response_url=response_url)


async def _round(side: str, url: str, response_url: str, seconds: float, concurrency: int) -> Round:
    result = Round(side)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as http:
        stop = time.perf_counter() + seconds
        counter = iter(range(10**9))

        async def worker() -> None:
            while time.perf_counter() < stop:
                body = _body(next(counter), response_url)
                headers = signed_headers(SECRET, body)
                started = time.perf_counter()
                response = await http.post(f"{url}/slack/events", content=body, headers=headers)
                if response.status_code == 200:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.errors += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        result.seconds = time.perf_counter() - t0
    return result


async def _run(
    sides: dict[str, str], fake: str, seconds: float, rounds: int, concurrency: int
) -> list[Round]:
    response_url = f"{fake}/response/bench"
    for side, url in sides.items():
        await _round(side, url, response_url, 1.0, concurrency)  # warm-up (auth.test, caches)
    results: list[Round] = []
    async with httpx.AsyncClient() as control:
        for _ in range(rounds):
            for side, url in sides.items():
                await control.post(f"{fake}/_fake/reset", content=json.dumps({}))
                results.append(await _round(side, url, response_url, seconds, concurrency))
                await asyncio.sleep(0.5)  # let the bot finish its replies before the next side
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--serve", choices=["bot", "bare"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--api-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "bot":
        _serve_bot(args.port, args.api_url)
        return
    if args.serve == "bare":
        _serve_bare(args.port, args.api_url)
        return

    fake, fake_url = _start_fake()
    api_url = f"{fake_url}/api/"
    procs = [fake]
    sides: dict[str, str] = {}
    try:
        for side in ("bot", "bare Bolt"):
            port = _free_port()
            serve = "bot" if side == "bot" else "bare"
            url = f"http://127.0.0.1:{port}"
            ready = f"{url}/healthz" if side == "bot" else f"{url}/slack/events"
            command = ["bench/ack.py", "--serve", serve, "--port", str(port), "--api-url", api_url]
            procs.append(_start(command, ready))
            sides[side] = url
        results = asyncio.run(_run(sides, fake_url, args.seconds, args.rounds, args.concurrency))
    finally:
        for proc in reversed(procs):
            _stop(proc)

    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(
        f"{args.rounds} rounds x {args.seconds}s, concurrency {args.concurrency}, "
        f"half slash commands and half button clicks (`{COMMAND}`)"
    )
    header = ("side", "round", "acks", "acks/s", "p50 ms", "p99 ms", "errors")
    print("{:<10} {:>5} {:>7} {:>8} {:>8} {:>8} {:>7}".format(*header))
    for i, r in enumerate(results):
        print(
            f"{r.side:<10} {i // 2 + 1:>5} {len(r.latencies):>7} {r.rate:>8.1f} "
            f"{r.percentile(50):>8.1f} {r.percentile(99):>8.1f} {r.errors:>7}"
        )
    for side in sides:
        mine = [r for r in results if r.side == side]
        print(
            f"median {side:<10} acks/s {statistics.median(r.rate for r in mine):8.1f}  "
            f"p50 {statistics.median(r.percentile(50) for r in mine):6.1f} ms  "
            f"p99 {statistics.median(r.percentile(99) for r in mine):6.1f} ms"
        )


if __name__ == "__main__":
    main()
