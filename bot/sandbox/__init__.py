"""Embedded BK-Job + BK-SOPS simulator (ASGI); imports nothing from bot.clients."""

from ._app import Call, SandboxDisconnect
from ._clock import Clock, ManualClock, RealClock
from ._faults import Fault, FaultKind, Faults
from ._sandbox import Sandbox
from ._serve import serve
from ._world import World

__all__ = [
    "Call",
    "Clock",
    "Fault",
    "FaultKind",
    "Faults",
    "ManualClock",
    "RealClock",
    "Sandbox",
    "SandboxDisconnect",
    "World",
    "serve",
]
