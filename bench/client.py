"""Benchmark: get_job_instance_status calls/s through JobClient vs raw httpx, same server, one run.

The sandbox is served by `bkbot sandbox` in its own process. Both sides use one
``httpx.AsyncClient`` with the same pool and run the same number of concurrent workers for the
same time; rounds alternate (raw, client, raw, client, …) so drift affects both equally. Besides
throughput, the CPU time this process spends per call is reported: that is where the client's
own overhead (auth params, envelope checks, model parsing) shows.

    .venv/bin/python bench/client.py [--seconds 5] [--rounds 3] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bot.clients._http import Credentials, Transport
from bot.clients.bk_job import JobClient

APP_CODE, APP_SECRET = "bkchatops", "sandbox-secret"
INSTANCE = 20000123456  # a seeded, finished job instance (bk-job §5.14 example)
PATH = "/api/c/compapi/v2/job/get_job_instance_status/"


@dataclass
class Round:
    kind: str
    calls: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    @property
    def cpu_us_per_call(self) -> float:
        return self.cpu_seconds / self.calls * 1e6


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _start_sandbox(port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BKBOT_LOG_LEVEL": "WARNING"}
    for name in ("BK_COMPONENT_API_URL", "BK_SOPS_APIGW_URL", "BK_APP_CODE", "BK_APP_SECRET"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_sandbox/healthz", timeout=1).is_success:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("sandbox did not start")


async def _measure(
    kind: str, call: Callable[[], Awaitable[object]], seconds: float, concurrency: int
) -> Round:
    count = 0
    stop = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal count
        while time.perf_counter() < stop:
            await call()
            count += 1

    cpu0, t0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Round(kind, count, time.perf_counter() - t0, time.process_time() - cpu0)


async def _run(url: str, seconds: float, rounds: int, concurrency: int) -> list[Round]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    body = {
        "bk_app_code": APP_CODE,
        "bk_app_secret": APP_SECRET,
        "bk_username": "admin",
        "bk_biz_id": 2,
        "bk_scope_type": "biz",
        "bk_scope_id": "2",
        "job_instance_id": INSTANCE,
    }
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as http:
        job = JobClient(Transport(http, Credentials(APP_CODE, APP_SECRET)), base_url=url)

        async def raw() -> object:
            response = await http.post(PATH, json=body)
            response.raise_for_status()
            data = response.json()
            assert data["result"] is True
            return data

        async def client() -> object:
            status = await job.get_job_instance_status(
                bk_biz_id=2, job_instance_id=INSTANCE, bk_username="admin"
            )
            assert status.is_finished is True
            return status

        await _measure("warmup", raw, 1.0, concurrency)
        await _measure("warmup", client, 1.0, concurrency)
        results: list[Round] = []
        for _ in range(rounds):
            results.append(await _measure("raw httpx", raw, seconds, concurrency))
            results.append(await _measure("JobClient", client, seconds, concurrency))
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    port = _free_port()
    proc = _start_sandbox(port)
    try:
        results = asyncio.run(
            _run(f"http://127.0.0.1:{port}", args.seconds, args.rounds, args.concurrency)
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    print(
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    print(f"{args.rounds} rounds x {args.seconds}s, concurrency {args.concurrency}")
    print(f"{'side':<10} {'round':>5} {'calls':>7} {'calls/s':>9} {'cpu us/call':>12}")
    for i, r in enumerate(results):
        print(
            f"{r.kind:<10} {i // 2 + 1:>5} {r.calls:>7} {r.rate:>9.1f} {r.cpu_us_per_call:>12.1f}"
        )
    raw = statistics.median(r.rate for r in results if r.kind == "raw httpx")
    cli = statistics.median(r.rate for r in results if r.kind == "JobClient")
    raw_cpu = statistics.median(r.cpu_us_per_call for r in results if r.kind == "raw httpx")
    cli_cpu = statistics.median(r.cpu_us_per_call for r in results if r.kind == "JobClient")
    print(f"median calls/s: raw httpx {raw:.1f}, JobClient {cli:.1f}")
    print(f"ratio JobClient / raw httpx = {cli / raw:.3f} (goal >= 0.8)")
    print(
        f"client-side CPU per call: raw {raw_cpu:.0f} us, JobClient {cli_cpu:.0f} us "
        f"(+{cli_cpu - raw_cpu:.0f} us)"
    )


if __name__ == "__main__":
    main()
