"""Fault injection: per-operation latency, HTTP errors, BlueKing errors and broken bodies."""

from __future__ import annotations

import enum
import logging
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Fault", "FaultKind", "Faults"]

log = logging.getLogger(__name__)


class FaultKind(enum.StrEnum):
    """The kinds of fault a test can switch on for an operation."""

    LATENCY = "latency"
    HTTP_STATUS = "http_status"
    BK_ERROR = "bk_error"
    MALFORMED = "malformed"
    RATE_LIMIT = "rate_limit"
    DISCONNECT = "disconnect"


@dataclass
class Fault:
    """One injected fault; `times=None` keeps it active until cleared."""

    operation: str
    kind: FaultKind
    status: int = 503
    seconds: float = 1.0
    code: int = 1240002
    message: str = "sandbox injected error"
    retry_after: float = 1.0
    times: int | None = None
    fired: int = field(default=0)

    def matches(self, operation: str) -> bool:
        if self.times is not None and self.times <= 0:
            return False
        return self.operation in ("*", operation)

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "kind": self.kind.value,
            "status": self.status,
            "seconds": self.seconds,
            "code": self.code,
            "message": self.message,
            "retry_after": self.retry_after,
            "times": self.times,
            "fired": self.fired,
        }


class Faults:
    """The ordered list of injected faults; the app asks it which ones apply to a request."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def inject(
        self,
        operation: str,
        kind: FaultKind | str,
        *,
        status: int = 503,
        seconds: float = 1.0,
        code: int = 1240002,
        message: str = "sandbox injected error",
        retry_after: float = 1.0,
        times: int | None = None,
    ) -> Fault:
        kind = FaultKind(kind)
        if kind is FaultKind.HTTP_STATUS and not 400 <= status <= 599:
            raise ValueError("an injected HTTP status must be 4xx or 5xx")
        if seconds < 0 or retry_after < 0:
            raise ValueError("durations must not be negative")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for 'until cleared')")
        fault = Fault(
            operation=operation,
            kind=kind,
            status=status,
            seconds=seconds,
            code=code,
            message=message,
            retry_after=retry_after,
            times=times,
        )
        with self._lock:
            self._faults.append(fault)
        log.info("fault injected", extra={"operation": operation, "kind": kind.value})
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if f.times is None or f.times > 0]

    def take(self, operation: str) -> tuple[list[Fault], Fault | None]:
        """Consume the faults that fire for one request.

        Returns every matching latency fault (they all apply, in injection order) and the
        first matching terminal fault, if any; only those have their remaining count reduced.
        """
        delays: list[Fault] = []
        terminal: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if not fault.matches(operation):
                    continue
                if fault.kind is FaultKind.LATENCY:
                    delays.append(self._consume(fault))
                elif terminal is None:
                    terminal = self._consume(fault)
        return delays, terminal

    @staticmethod
    def _consume(fault: Fault) -> Fault:
        fault.fired += 1
        if fault.times is not None:
            fault.times -= 1
        return fault

    def __len__(self) -> int:
        return len(self.active())
