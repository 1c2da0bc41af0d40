"""Serve a sandbox over HTTP with uvicorn (used by `bkbot sandbox`)."""

from __future__ import annotations

import logging

import uvicorn

from ._clock import RealClock
from ._sandbox import Sandbox

__all__ = ["serve"]

log = logging.getLogger(__name__)


def serve(
    host: str,
    port: int,
    *,
    app_code: str,
    app_secret: str,
    speed: float = 1.0,
) -> None:
    """Run the sandbox until interrupted: ESB paths at the root, the BK-SOPS gateway form
    under /api/bk-sops/prod, control routes under /_sandbox."""
    sandbox = Sandbox(app_code=app_code, app_secret=app_secret, clock=RealClock(speed))
    log.info(
        "serving the BlueKing sandbox",
        extra={"host": host, "port": port, "app_code": app_code, "speed": speed},
    )
    # log_config=None keeps the process's own logging setup; per-request access lines would
    # drown the console and slow every call down.
    uvicorn.run(sandbox.app, host=host, port=port, log_config=None, access_log=False)
