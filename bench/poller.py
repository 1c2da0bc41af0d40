"""Benchmark: the poller with N watched runs — BlueKing calls per run per interval, notification
lag, and the bot process's CPU and peak memory.

Three processes: the sandbox (``bkbot sandbox``, real clock), the bot (``bkbot run`` in Slack
HTTP mode with a SQLite or PostgreSQL store) and this one, which starts the runs, writes the
watches into the bot's database, serves a minimal Slack Web API (it stamps every
``chat.postMessage`` with its arrival time) and measures. Per N, everything is fresh:

1. Start ``N - K`` BK-Job fast scripts ``sleep 3600`` (running for the whole case) and then
   ``K`` whose ``sleep`` makes them end one after another after the calls window; watch all N
   through ``WatchStore.watch`` (the store API the bot's own card hook uses), cards spread over
   ``N / 10`` channels.
2. Start the bot; after a warm-up, count the sandbox's calls (``/_sandbox/calls``) over a
   window in which all N runs are running: calls / N / (window / interval).
3. The K runs end; the lag of each is the arrival of the first thread post after its end
   minus the end. The end is exact in this process's clock: the sandbox starts a fast script
   0.5 s after the request that created it and reports ``total_time`` (end - start) in ms, so
   end = (when the request was sent) + 0.5 + total_time, early by at most that request's round
   trip (the lag is over-, never under-estimated).

K = min(100, N / 2). Ten cards per channel keep Slack's pace of one post per second per channel
out of the way: an ending run's two posts (its step, its summary) rarely share a channel with
another run's. CPU columns are percent of one core from ``/proc/<pid>/stat`` over the window;
"other" is every other process on the machine; the bot's peak memory is ``VmHWM``. A fixed
pure-Python loop is timed before each case: this VM's speed drifts from hour to hour.

    .venv/bin/python bench/poller.py [--n 100 1000 5000] [--interval 5] [--window 60]
        [--database sqlite|postgresql] [--keep]

Diagnostics only: ``BENCH_BOT_ENV="NAME=VALUE …"`` adds variables to the bot's environment and
``BENCH_BOT_ARGV`` replaces its command line (e.g. a profiler in front of it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from bot.clients._http import Credentials, Transport
from bot.clients.bk_job import JobClient
from bot.clients.bk_job.enums import ScriptType
from bot.clients.bk_job.models import IP, TargetServer
from bot.store import Database, WatchStore
from bot.views import RunKind, RunRef

APP_CODE, APP_SECRET = "bkchatops", "sandbox-secret"
BIZ, USER = 2, "admin"
STATUS_PATH = "/api/c/compapi/v2/job/get_job_instance_status/"
# The sandbox starts a BK-Job instance this long after the request that created it.
START_DELAY = 0.5
# How long the bot may take from its launch to its first tick (process start, migrations,
# auth.test); the K ending runs are timed to end after it, the warm-up and the window.
BOT_START_BUDGET = 15.0
TICK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------- fake Slack


@dataclass
class Post:
    at: float  # time.monotonic() when the request arrived
    channel: str
    thread_ts: str | None
    text: str


@dataclass
class FakeSlack:
    """Just enough Slack Web API for the bot: auth.test, chat.postMessage, chat.update."""

    posts: list[Post] = field(default_factory=list)
    updates: list[float] = field(default_factory=list)
    _seq: int = 0

    def reset(self) -> None:
        self.posts.clear()
        self.updates.clear()

    async def handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        method = request.match_info["method"]
        data: dict[str, Any]
        if request.content_type == "application/json":
            data = await request.json()
        else:
            data = dict(await request.post())
        if method == "auth.test":
            body: dict[str, Any] = {
                "ok": True,
                "url": "https://bench.slack.com/",
                "team": "bench",
                "user": "bkbot",
                "team_id": "TBENCH",
                "user_id": "UBOT",
                "bot_id": "BBOT",
            }
        elif method == "chat.postMessage":
            channel = str(data.get("channel"))
            thread = data.get("thread_ts")
            self.posts.append(Post(arrived, channel, thread, str(data.get("text", ""))))
            self._seq += 1
            body = {"ok": True, "channel": channel, "ts": f"{2_000_000_000 + self._seq}.000000"}
        elif method == "chat.update":
            self.updates.append(arrived)
            body = {"ok": True, "channel": data.get("channel"), "ts": data.get("ts")}
        else:
            body = {"ok": True}
        return web.json_response(body)

    async def serve(self, port: int) -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/api/{method}", self.handle)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner


# ---------------------------------------------------------------------------- processes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _clean_env() -> dict[str, str]:
    prefixes = ("BK_", "BKBOT_", "SLACK_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return (int(fields[11]) + int(fields[12])) / TICK


def _calibrate() -> float:
    """Seconds of CPU for a fixed pure-Python loop: this VM's speed drifts by tens of percent
    from hour to hour, so each case says how fast the machine was while it ran."""
    start = time.process_time()
    total = 0
    for i in range(5_000_000):
        total += i
    return time.process_time() - start


def _machine_cpu_seconds() -> float:
    """CPU time spent by the whole machine (every core, every process, the kernel)."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, f.readline().split()[1:9]
        )
    return (user + nice + system + irq + softirq + steal) / TICK


def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return math.nan


async def _wait_http(url: str, seconds: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=1) as http:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"{proc.args} exited with {proc.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(url)).is_success:
                    return
            await asyncio.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {seconds}s")


def _start_sandbox(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**_clean_env(), "BKBOT_LOG_LEVEL": "WARNING"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "sandbox", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=out,
        )


def _start_bot(
    *, workdir: Path, sandbox: str, slack: str, database_url: str, interval: float, port: int
) -> subprocess.Popen[bytes]:
    env = {
        **_clean_env(),
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": "bench-secret",
        "SLACK_API_URL": slack,
        "BK_COMPONENT_API_URL": sandbox,
        "BK_APP_CODE": APP_CODE,
        "BK_APP_SECRET": APP_SECRET,
        "BKBOT_DATABASE_URL": database_url,
        "BKBOT_POLL_INTERVAL": str(interval),
        "BKBOT_HTTP_HOST": "127.0.0.1",
        "BKBOT_HTTP_PORT": str(port),
    }
    # Diagnostics only: extra variables ("NAME=VALUE ...") and another command for the bot
    # (e.g. a profiler in front of it).
    extra = os.environ.get("BENCH_BOT_ENV")
    if extra:
        env.update(kv.split("=", 1) for kv in extra.split())
    argv = os.environ.get("BENCH_BOT_ARGV", f"{sys.executable} -m bot run").split()
    with (workdir / "bot.log").open("ab") as out:
        # cwd: a scratch directory, so that no .env of the checkout leaks into the bot.
        return subprocess.Popen(argv, env=env, cwd=workdir, stdout=out, stderr=out)


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM, grace: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------------------- databases


PG_DATABASE = "bkbot_bench_poller"


async def _pg_admin(pg_url: str, *statements: str) -> str:
    """Run statements on the server's ``postgres`` database; the server part of the URL."""
    import asyncpg  # the PostgreSQL variant only

    server = pg_url.replace("postgresql+asyncpg://", "postgresql://").rpartition("/")[0]
    conn = await asyncpg.connect(f"{server}/postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()
    return server.removeprefix("postgresql://")


async def _fresh_database(kind: str, workdir: Path, pg_url: str) -> str:
    """A URL of an empty database for one case."""
    if kind == "sqlite":
        return f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    server = await _pg_admin(
        pg_url,
        f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)",
        f"CREATE DATABASE {PG_DATABASE}",
    )
    return f"postgresql+asyncpg://{server}/{PG_DATABASE}"


# ---------------------------------------------------------------------------- one case


@dataclass
class Ending:
    """A run timed to end during the lag phase."""

    job_id: int
    channel: str
    card_ts: str
    sent: float  # monotonic, just before the request that created it
    round_trip: float
    end: float = math.nan  # monotonic, derived from the sandbox's total_time
    lag: float = math.nan  # first thread post after the end
    summary_lag: float = math.nan  # the last post of that thread (the run's summary)


@dataclass
class Result:
    n: int
    channels: int
    start_seconds: float
    window: float
    calls: dict[str, int]
    calls_per_run_interval: float
    lags: list[float]
    summary_lags: list[float]
    missing: int
    max_round_trip: float
    bot_cpu_pct: float
    bot_cpu_seconds: float
    bot_rss_mb: float
    sandbox_cpu_pct: float
    # Everything else on the machine in the window (other processes), this benchmark excluded.
    other_cpu_pct: float
    calibration: float
    posts: int
    card_edits: int
    bot_errors: int
    interval: float

    @property
    def cpu_ms_per_call(self) -> tuple[float, float]:
        """CPU of the bot and of the sandbox per BlueKing call in the window."""
        per_second = sum(self.calls.values()) / self.window
        if not per_second:
            return math.nan, math.nan
        return 10 * self.bot_cpu_pct / per_second, 10 * self.sandbox_cpu_pct / per_second

    def pct(self, q: float, values: list[float]) -> float:
        if not values:
            return math.nan
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]

    @property
    def p95(self) -> float:
        # Runs whose post never came count as infinitely late.
        return self.pct(0.95, self.lags + [math.inf] * self.missing)

    @property
    def meets(self) -> tuple[bool, bool]:
        return (
            self.calls_per_run_interval <= 1.05,
            self.p95 <= self.interval + 1.0,
        )


async def _start_runs(
    job: JobClient, sleeps: list[float], concurrency: int
) -> list[tuple[int, float, float]]:
    """Start one fast script per sleep; (job id, sent, round trip) each, in order."""
    target = TargetServer(ip_list=[IP(bk_cloud_id=0, ip="10.0.0.11")])
    gate = asyncio.Semaphore(concurrency)

    async def one(seconds: float) -> tuple[int, float, float]:
        async with gate:
            sent = time.monotonic()
            launch = await job.fast_execute_script(
                bk_biz_id=BIZ,
                account="root",
                target_server=target,
                bk_username=USER,
                script_content=f"echo bench\nsleep {seconds:.3f}\n",
                script_type=ScriptType.SHELL,
                task_name="bench",
            )
            return launch.job_instance_id, sent, time.monotonic() - sent

    return list(await asyncio.gather(*(one(s) for s in sleeps)))


async def _watch_all(url: str, runs: list[tuple[int, str, str]]) -> None:
    db = await Database.open(url)
    try:
        await db.migrate()
        store = WatchStore(db)
        for job_id, channel, card_ts in runs:
            await store.watch(
                RunRef(kind=RunKind.JOB, id=job_id, biz=BIZ),
                channel=channel,
                card_ts=card_ts,
                started_by=USER,
                bk_username=USER,
            )
    finally:
        await db.aclose()


async def _calls(http: httpx.AsyncClient, *, clear: bool = False) -> dict[str, int]:
    if clear:
        (await http.delete("/_sandbox/calls")).raise_for_status()
        return {}
    response = await http.get("/_sandbox/calls")
    response.raise_for_status()
    counts: dict[str, int] = {}
    for call in response.json()["calls"]:
        counts[call["operation"]] = counts.get(call["operation"], 0) + 1
    return counts


async def run_case(n: int, args: argparse.Namespace, slack: FakeSlack, slack_url: str) -> Result:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-poller-{n}-"))
    calibration = _calibrate()
    interval: float = args.interval
    k = min(args.ending, n // 2)
    channels = max(1, n // 10)
    sb_port, bot_port = _free_port(), _free_port()
    sandbox_url = f"http://127.0.0.1:{sb_port}"
    sandbox = _start_sandbox(sb_port, workdir / "sandbox.log")
    bot: subprocess.Popen[bytes] | None = None
    slack.reset()
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    try:
        await _wait_http(f"{sandbox_url}/_sandbox/healthz", 20, sandbox)
        async with httpx.AsyncClient(base_url=sandbox_url, limits=limits, timeout=60) as http:
            job = JobClient(
                Transport(http, Credentials(APP_CODE, APP_SECRET)), base_url=sandbox_url
            )
            database_url = await _fresh_database(args.database, workdir, args.pg_url)

            # 1. N - K runs that stay running, then K that end after the window.
            t0 = time.monotonic()
            long_runs = await _start_runs(job, [3600.0] * (n - k), concurrency=16)
            start_seconds = time.monotonic() - t0
            watched = [
                (job_id, f"C{i % channels:05d}", f"1700000000.{i:06d}")
                for i, (job_id, _, _) in enumerate(long_runs)
            ]
            await _watch_all(database_url, watched)
            first_end = BOT_START_BUDGET + args.warmup + args.window + 5.0
            sleeps = [first_end + args.spread * j / max(k - 1, 1) for j in range(k)]
            # One at a time, so each start's round trip (the end's uncertainty) stays short.
            started = await _start_runs(job, sleeps, concurrency=1)
            endings = [
                Ending(job_id, f"C{j % channels:05d}", f"1800000000.{j:06d}", sent, rtt)
                for j, (job_id, sent, rtt) in enumerate(started)
            ]
            await _watch_all(database_url, [(e.job_id, e.channel, e.card_ts) for e in endings])
            # The earliest any of them can end: start delay + host delay + shortest step.
            earliest_end = min(
                e.sent + START_DELAY + 0.2 + 2.5 + s for e, s in zip(endings, sleeps, strict=True)
            )

            # 2. The bot; warm-up; the calls window (all N running).
            bot = _start_bot(
                workdir=workdir,
                sandbox=sandbox_url,
                slack=slack_url,
                database_url=database_url,
                interval=interval,
                port=bot_port,
            )
            await _wait_http(f"http://127.0.0.1:{bot_port}/readyz", BOT_START_BUDGET, bot)
            await asyncio.sleep(args.warmup)
            await _calls(http, clear=True)
            w0, bot_cpu0, sb_cpu0, all0 = (
                time.monotonic(),
                _cpu_seconds(bot.pid),
                _cpu_seconds(sandbox.pid),
                _machine_cpu_seconds() - _cpu_seconds(os.getpid()),
            )
            await asyncio.sleep(max(5.0, min(args.window, earliest_end - 1.0 - w0)))
            calls = await _calls(http)
            w1, bot_cpu1, sb_cpu1, all1 = (
                time.monotonic(),
                _cpu_seconds(bot.pid),
                _cpu_seconds(sandbox.pid),
                _machine_cpu_seconds() - _cpu_seconds(os.getpid()),
            )
            if w1 > earliest_end:
                print(f"  warning: the window overran the first end by {w1 - earliest_end:.1f}s")
            window = w1 - w0

            # 3. The K runs end; wait for their posts.
            last_end = max(
                e.sent + e.round_trip + START_DELAY + 0.8 + 6.0 + s
                for e, s in zip(endings, sleeps, strict=True)
            )
            await asyncio.sleep(max(0.0, last_end + 0.5 - time.monotonic()))
            await _read_ends(http, endings)
            await _drain(slack, endings, args.drain)
            await asyncio.sleep(2.0)  # the summaries come a post or two after the first
            rss = _peak_rss_mb(bot.pid)
            bot_cpu_total = _cpu_seconds(bot.pid)
    finally:
        if bot is not None:
            _stop(bot)
        _stop(sandbox, signal.SIGINT)
        if args.database == "postgresql" and not args.keep:
            await _pg_admin(args.pg_url, f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    _lags(slack, endings)
    log = (workdir / "bot.log").read_text(errors="replace")
    errors = sum(1 for line in log.splitlines() if " WARNING " in line or " ERROR " in line)
    if not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        posts = [[p.at, p.channel, p.thread_ts, p.text[:80]] for p in slack.posts]
        (workdir / "posts.json").write_text(json.dumps(posts))
        ends = [[e.job_id, e.card_ts, e.sent, e.end, e.lag] for e in endings]
        (workdir / "endings.json").write_text(json.dumps(ends))
        print(f"  kept {workdir}")
    total = sum(calls.values())
    lags = [e.lag for e in endings if not math.isnan(e.lag)]
    return Result(
        n=n,
        channels=channels,
        start_seconds=start_seconds,
        window=window,
        calls=calls,
        calls_per_run_interval=total / n / (window / interval),
        lags=lags,
        summary_lags=[e.summary_lag for e in endings if not math.isnan(e.summary_lag)],
        missing=sum(1 for e in endings if math.isnan(e.lag)),
        max_round_trip=max(e.round_trip for e in endings),
        bot_cpu_pct=100 * (bot_cpu1 - bot_cpu0) / window,
        bot_cpu_seconds=bot_cpu_total,
        bot_rss_mb=rss,
        sandbox_cpu_pct=100 * (sb_cpu1 - sb_cpu0) / window,
        calibration=calibration,
        other_cpu_pct=100 * ((all1 - all0) - (bot_cpu1 - bot_cpu0) - (sb_cpu1 - sb_cpu0)) / window,
        posts=len(slack.posts),
        card_edits=len(slack.updates),
        bot_errors=errors,
        interval=interval,
    )


async def _read_ends(http: httpx.AsyncClient, endings: list[Ending]) -> None:
    """Each ending run's end in this process's clock: sent + start delay + total_time."""
    for e in endings:
        response = await http.post(
            STATUS_PATH,
            json={
                "bk_app_code": APP_CODE,
                "bk_app_secret": APP_SECRET,
                "bk_username": USER,
                "bk_biz_id": BIZ,
                "job_instance_id": e.job_id,
            },
        )
        instance = response.json()["data"]["job_instance"]
        if instance["status"] == 3 and instance["total_time"] is not None:
            e.end = e.sent + START_DELAY + float(instance["total_time"])


def _after_end(slack: FakeSlack, e: Ending) -> list[Post]:
    # Posts in the run's thread after its end; the "started" replay of the first poll
    # came long before (the runs sleep for minutes).
    return [p for p in slack.posts if p.thread_ts == e.card_ts and p.at >= e.end]


async def _drain(slack: FakeSlack, endings: list[Ending], seconds: float) -> None:
    """Wait up to ``seconds`` until every ending run has a post after its end."""
    deadline = time.monotonic() + seconds
    for _ in range(math.ceil(seconds / 0.5)):
        if time.monotonic() >= deadline:
            return
        if all(not math.isnan(e.end) and _after_end(slack, e) for e in endings):
            return
        await asyncio.sleep(0.5)


def _lags(slack: FakeSlack, endings: list[Ending]) -> None:
    for e in endings:
        if math.isnan(e.end):
            continue
        after = _after_end(slack, e)
        if after:
            e.lag = after[0].at - e.end
            e.summary_lag = after[-1].at - e.end


# ---------------------------------------------------------------------------- report


def _machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    return (
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores ({model}), "
        f"{mem_kb / 2**20:.0f} GiB, Python {platform.python_version()}"
    )


def _fmt(x: float) -> str:
    return "-" if math.isnan(x) else ("inf" if math.isinf(x) else f"{x:.2f}")


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(_machine())
    print(
        f"interval {args.interval}s, warm-up {args.warmup}s, calls window {args.window}s, "
        f"{args.database} store; goals: calls/run/interval <= 1.05, "
        f"lag p95 <= {args.interval + 1:.0f}s"
    )
    head = (
        f"{'N':>5} {'chan':>4} {'calls/run/iv':>12} {'lag n':>5} {'p50 s':>6} {'p95 s':>6} "
        f"{'max s':>6} {'sum p95':>7} {'bot cpu%':>8} {'bot cpu s':>9} {'rss MB':>7} "
        f"{'sbx cpu%':>8} {'other%':>6} {'goals':>5}"
    )
    print(head)
    for r in results:
        calls_ok, lag_ok = r.meets
        lags = r.lags + [math.inf] * r.missing
        print(
            f"{r.n:>5} {r.channels:>4} {r.calls_per_run_interval:>12.3f} {len(lags):>5} "
            f"{_fmt(statistics.median(lags) if lags else math.nan):>6} {_fmt(r.p95):>6} "
            f"{_fmt(max(lags) if lags else math.nan):>6} "
            f"{_fmt(r.pct(0.95, r.summary_lags)):>7} {r.bot_cpu_pct:>8.1f} "
            f"{r.bot_cpu_seconds:>9.1f} {r.bot_rss_mb:>7.1f} {r.sandbox_cpu_pct:>8.1f} "
            f"{r.other_cpu_pct:>6.1f} "
            f"{'ok' if calls_ok and lag_ok else 'FAIL':>5}"
        )
    for r in results:
        bot_ms, sandbox_ms = r.cpu_ms_per_call
        print(
            f"N={r.n}: window {r.window:.1f}s, calls {json.dumps(r.calls, sort_keys=True)}, "
            f"{r.missing} ending runs without a post, start round trip <= "
            f"{r.max_round_trip * 1000:.0f} ms, {r.posts} posts, {r.card_edits} card edits, "
            f"{r.bot_errors} bot warnings/errors, {r.start_seconds:.0f}s to start the runs, "
            f"CPU per call: bot {bot_ms:.1f} ms, sandbox {sandbox_ms:.1f} ms, "
            f"calibration loop {r.calibration:.2f}s"
        )
    passing = [r.n for r in results if all(r.meets)]
    print(f"largest N meeting both goals: {max(passing) if passing else 'none'}")


async def amain(args: argparse.Namespace) -> list[Result]:
    slack = FakeSlack()
    port = _free_port()
    runner = await slack.serve(port)
    results = []
    try:
        for n in args.n:
            print(f"N={n} ...", flush=True)
            result = await run_case(n, args, slack, f"http://127.0.0.1:{port}/api/")
            print(
                f"  calls/run/interval {result.calls_per_run_interval:.3f}, "
                f"lag p95 {_fmt(result.p95)}s, bot cpu {result.bot_cpu_pct:.0f}%",
                flush=True,
            )
            results.append(result)
    finally:
        await runner.cleanup()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument("--interval", type=float, default=5.0, help="BKBOT_POLL_INTERVAL")
    parser.add_argument("--warmup", type=float, default=30.0)
    parser.add_argument("--window", type=float, default=60.0, help="the calls window")
    parser.add_argument("--ending", type=int, default=100, help="runs that end (K, <= N/2)")
    parser.add_argument("--spread", type=float, default=60.0, help="their ends spread over")
    parser.add_argument("--drain", type=float, default=60.0, help="wait for late posts")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-url",
        default="postgresql+asyncpg://postgres@127.0.0.1:5432/test",
        help="the server for --database postgresql (a database bkbot_bench_poller is made)",
    )
    parser.add_argument("--keep", action="store_true", help="keep each case's logs and database")
    args = parser.parse_args()
    report(asyncio.run(amain(args)), args)


if __name__ == "__main__":
    main()
