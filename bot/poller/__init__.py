"""The background poller: leased watches, one read per run, transitions posted exactly once."""

from bot.poller._pace import PollerConfig, error_delay, next_poll
from bot.poller._poller import NOTE, Poller, TickReport, default_owner
from bot.poller._read import Look, RunReader

__all__ = [
    "NOTE",
    "Look",
    "Poller",
    "PollerConfig",
    "RunReader",
    "TickReport",
    "default_owner",
    "error_delay",
    "next_poll",
]
