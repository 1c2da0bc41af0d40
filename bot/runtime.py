"""Composition root: builds clients (real or embedded sandbox), services, commands, renderer."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

from bot.clients._http import Credentials, Transport, default_timeout
from bot.clients._pools import PoolSet
from bot.clients.bk_job import JobClient
from bot.clients.bk_sops import SopsClient
from bot.commands import Dispatcher, build_registry
from bot.config import Backend, Settings
from bot.errors import BotError, ConfigError
from bot.poller import Poller, PollerConfig, RunReader
from bot.rendering import Renderer
from bot.sandbox import Clock, Sandbox
from bot.services import (
    ChannelSettings,
    Identity,
    MemoryChannelSettings,
    MemoryRunRegistry,
    RunRegistry,
    Services,
    UserDirectory,
    load_policy,
)
from bot.services.ports import Clock as WallClock
from bot.services.ports import Notifier
from bot.store import ChannelStore, Database, StoreError, SystemClock, WatchStore

__all__ = [
    "SANDBOX_BASE_URL",
    "BlueKing",
    "Runtime",
    "Stores",
    "build_blueking",
    "build_poller",
    "build_runtime",
    "open_stores",
]

# The embedded sandbox is reached in-process; the host name only appears in logs and URLs.
SANDBOX_BASE_URL = "http://sandbox.local"

# One set of pools for every BlueKing call; the poller and many users share it. Four small
# pools rather than one large one: see PoolSet (the poller keeps 16 calls in flight).
_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0)
_POOLS = 4


@dataclass
class BlueKing:
    """The BlueKing side of the bot: both clients over one set of connection pools."""

    job: JobClient
    sops: SopsClient
    http: PoolSet
    backend: Backend
    sandbox: Sandbox[Clock] | None = None
    # The ESB root the clients call (the shared pool has no base URL of its own).
    url: str | None = None

    def describe(self) -> str:
        """One line for startup logs, e.g. ``embedded sandbox`` or the ESB URL."""
        if self.sandbox is not None:
            return "embedded sandbox (no BK_COMPONENT_API_URL / BK_SOPS_APIGW_URL set)"
        return f"BlueKing at {self.url or 'configured URLs'}"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    async def __aenter__(self) -> BlueKing:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def build_blueking(settings: Settings, *, sandbox: Sandbox[Clock] | None = None) -> BlueKing:
    """Build clients for the configured backend; the embedded sandbox when none is configured."""
    credentials = Credentials(settings.app_code, settings.app_secret.get_secret_value())
    timeout = default_timeout(settings.bk_timeout)
    if settings.backend is Backend.SANDBOX:
        sandbox = sandbox or Sandbox(
            app_code=credentials.app_code, app_secret=credentials.app_secret
        )
        # In-process: no connections, so no pool to split.
        http = PoolSet(
            [
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=sandbox.app),
                    base_url=SANDBOX_BASE_URL,
                    timeout=timeout,
                )
            ]
        )
        transport = Transport(http, credentials)
        return BlueKing(
            job=JobClient(transport, base_url=SANDBOX_BASE_URL),
            sops=SopsClient(transport, esb_url=SANDBOX_BASE_URL),
            http=http,
            backend=Backend.SANDBOX,
            sandbox=sandbox,
        )
    http = PoolSet.build(
        _POOLS,
        limits=_LIMITS,
        make=lambda limits: httpx.AsyncClient(timeout=timeout, limits=limits),
    )
    transport = Transport(http, credentials)
    component = settings.component_url()
    if component is None:  # Settings refuses a real backend without ESB; keep mypy honest
        raise ValueError("BK_COMPONENT_API_URL is required with a real BlueKing backend")
    return BlueKing(
        job=JobClient(transport, base_url=component),
        sops=SopsClient(transport, esb_url=component, gateway_url=settings.sops_gateway_url()),
        http=http,
        backend=Backend.BLUEKING,
        url=component,
    )


@dataclass
class Runtime:
    """The whole bot minus its chat adapter: clients, services, commands, renderer."""

    settings: Settings
    blueking: BlueKing
    services: Services
    dispatcher: Dispatcher
    renderer: Renderer
    # "store sqlite (…)" / "store in memory (…)", for startup lines.
    store: str = "store in memory"

    def describe(self) -> str:
        """The startup line's backend part."""
        return self.blueking.describe()

    async def aclose(self) -> None:
        """Release connections."""
        await self.blueking.aclose()


def build_runtime(
    settings: Settings,
    *,
    directory: UserDirectory | None = None,
    channels: ChannelSettings | None = None,
    runs: RunRegistry | None = None,
    sandbox: Sandbox[Clock] | None = None,
    templates_dir: Path | None = None,
    store: str = "store in memory",
) -> Runtime:
    """Wire clients, identity, services, the command registry and the renderer."""
    blueking = build_blueking(settings, sandbox=sandbox)
    try:
        policy = load_policy(settings.policy_file)
    except BotError:
        # The pool is open already; do not leak it when the policy file is unusable.
        _close_soon(blueking)
        raise
    services = Services(
        job=blueking.job,
        sops=blueking.sops,
        identity=Identity(policy, sandbox=blueking.sandbox is not None, directory=directory),
        channels=channels or MemoryChannelSettings(),
        runs=runs or MemoryRunRegistry(),
        default_biz=settings.default_biz,
        command=settings.command,
        sandbox=blueking.sandbox is not None,
    )
    return Runtime(
        settings=settings,
        blueking=blueking,
        services=services,
        dispatcher=Dispatcher(build_registry(), services),
        renderer=Renderer(templates_dir or settings.templates_dir),
        store=store,
    )


def _close_soon(blueking: BlueKing) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    loop.create_task(blueking.aclose())  # noqa: RUF006 - fire and forget on an error path


@dataclass
class Stores:
    """Where channel settings and watched runs live: a database (temporary on the sandbox)."""

    channels: ChannelSettings
    watches: WatchStore
    database: Database
    # The directory of a throwaway database, removed on close; None for a configured one.
    scratch: Path | None = None

    @property
    def runs(self) -> RunRegistry:
        """The watches, as the run registry the commands know."""
        return self.watches

    def describe(self) -> str:
        """The startup line's store part."""
        if self.scratch is not None:
            return "store in memory (embedded sandbox; set BKBOT_DATABASE_URL to keep it)"
        return f"store {self.database.describe()}"

    async def aclose(self) -> None:
        """Close the database connections (and remove a throwaway database)."""
        try:
            await self.database.aclose()
        finally:
            if self.scratch is not None:
                shutil.rmtree(self.scratch, ignore_errors=True)


async def open_stores(settings: Settings) -> Stores:
    """Open and migrate the database (alembic, at start).

    On the embedded sandbox without BKBOT_DATABASE_URL the database is a SQLite file in a
    temporary directory, removed at exit: the sandbox's runs vanish with the process, yet the
    poller works exactly as it does on a real store.
    """
    url = settings.store_url
    scratch = None
    if url is None:
        scratch = Path(tempfile.mkdtemp(prefix="bkbot-"))
        url = f"sqlite+aiosqlite:///{scratch / 'bkbot.db'}"
    try:
        database = await Database.open(url)
    except StoreError as exc:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
        raise ConfigError(f"Cannot open the database: {exc}") from exc
    stores = Stores(ChannelStore(database), WatchStore(database), database, scratch)
    try:
        await database.migrate()
    except BaseException:
        await stores.aclose()
        raise
    return stores


def build_poller(
    runtime: Runtime,
    stores: Stores,
    notifier: Notifier,
    *,
    clock: WallClock | None = None,
    config: PollerConfig | None = None,
) -> Poller:
    """The background poller over the runtime's clients and the store's watches."""
    settings = runtime.settings
    config = config or PollerConfig(
        interval=settings.poll_interval, lease_seconds=settings.lease_seconds
    )
    reader = RunReader(
        runtime.blueking.job,
        runtime.blueking.sops,
        concurrency=config.concurrency,
        call_timeout=config.call_timeout,
    )
    return Poller(stores.watches, reader, notifier, clock=clock or SystemClock(), config=config)
