"""Backend-neutral domain: identity, error translation, ports and the services container."""

from dataclasses import dataclass

from bot.clients.bk_job import JobClient
from bot.clients.bk_sops import SopsClient
from bot.services.bk_errors import to_bot_error
from bot.services.identity import Actor, Identity, MappedBy
from bot.services.memory import MemoryChannelSettings, MemoryRunRegistry
from bot.services.policy import Policy, load_policy
from bot.services.ports import (
    CardTarget,
    ChannelBusy,
    ChannelSettings,
    Clock,
    DeliveryError,
    KnownRun,
    Notifier,
    RetryLater,
    RunRegistry,
    ThreadPost,
    Undeliverable,
    UserDirectory,
    UserProfile,
)

__all__ = [
    "Actor",
    "CardTarget",
    "ChannelBusy",
    "ChannelSettings",
    "Clock",
    "DeliveryError",
    "Identity",
    "KnownRun",
    "MappedBy",
    "MemoryChannelSettings",
    "MemoryRunRegistry",
    "Notifier",
    "Policy",
    "RetryLater",
    "RunRegistry",
    "Services",
    "ThreadPost",
    "Undeliverable",
    "UserDirectory",
    "UserProfile",
    "load_policy",
    "to_bot_error",
]


@dataclass
class Services:
    """Everything a command handler may use, built once by the runtime."""

    job: JobClient
    sops: SopsClient
    identity: Identity
    channels: ChannelSettings
    # Runs whose cards were posted (pending, and later the poller, read it).
    runs: RunRegistry
    # Business used when neither --biz nor the channel names one.
    default_biz: int | None
    # The slash command name, for help texts (e.g. "/bk").
    command: str
    # True on the embedded sandbox (mentioned in whoami and help).
    sandbox: bool
