"""The Sandbox object: one simulated BlueKing (world, clock, faults, call log) and its app."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Generic, overload

from starlette.applications import Starlette

from ._app import Call, build_app
from ._clock import Clock, RealClock
from ._common import IdSource
from ._faults import Faults
from ._job_api import JobApi
from ._sops_api import SopsApi
from ._world import World

__all__ = ["Sandbox"]

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    # Type checkers only: a default lets `Sandbox` be written without arguments while
    # `Sandbox(clock=ManualClock())` still types `.clock` as a ManualClock.
    from typing_extensions import TypeVar

    ClockT = TypeVar("ClockT", bound=Clock, covariant=True, default=Clock)
else:
    from typing import TypeVar

    ClockT = TypeVar("ClockT", bound=Clock, covariant=True)


class Sandbox(Generic[ClockT]):
    """An in-process BK-Job + BK-SOPS server.

    `app` is the ASGI app; drive it with `httpx.ASGITransport` or serve it with uvicorn.
    """

    @overload
    def __init__(
        self: Sandbox[RealClock],
        app_code: str = ...,
        app_secret: str = ...,
        clock: None = ...,
        seed: int = ...,
    ) -> None: ...

    @overload
    def __init__(
        self,
        app_code: str = ...,
        app_secret: str = ...,
        *,
        clock: ClockT,
        seed: int = ...,
    ) -> None: ...

    def __init__(
        self,
        app_code: str = "bkchatops",
        app_secret: str = "sandbox-secret",
        clock: Any = None,
        seed: int = 0,
    ) -> None:
        self.app_code = app_code
        self.app_secret = app_secret
        # The overloads tie ClockT to the argument (RealClock when omitted).
        self.clock: ClockT = clock if clock is not None else RealClock(1.0)  # type: ignore[assignment]
        self.seed = seed
        self.ids = IdSource(seed)
        self.faults = Faults()
        self.calls: list[Call] = []
        self.world = World(seed)
        self.job_api = JobApi(self.world.job, self.world.directory)
        self.sops_api = SopsApi(self.world.sops, self.world.directory)
        self.app: Starlette = build_app(self)
        log.debug("sandbox ready", extra={"app_code": app_code, "seed": seed})

    def __repr__(self) -> str:
        return f"Sandbox(app_code={self.app_code!r}, clock={self.clock!r}, seed={self.seed})"
