"""The BKError tree: every way a BlueKing call can fail, as one hierarchy.

::

    BKError                     any failure of a BlueKing call
    ├── BKRequestInvalid        the request failed model validation; nothing was sent
    ├── BKTransportError        no usable HTTP answer
    │   ├── BKTimeout           connect/read/write/pool timeout
    │   └── BKConnectionError   refused, reset, DNS, TLS …
    ├── BKHTTPStatusError       a non-2xx answer (status, body excerpt, gateway code if any)
    │   ├── BKRateLimited       HTTP 429; carries retry_after
    │   └── BKServerError       HTTP 5xx
    ├── BKMalformedResponse     2xx but not JSON, not an envelope, or data that fits no model
    └── BKAPIError              an error envelope (``result: false``) or a gateway error body
        ├── BKAuthError         app/user authentication failed (ESB 1306000, gateway 1640001 …)
        ├── BKPermissionDenied  IAM says no (9900403 + ``permission``; SOPS ``iam …``)
        ├── BKNotFound          the plan/script/instance/cron/template/task does not exist
        ├── BKInvalidParameter  the server rejected a field (1240003, 1241xxx, 3540000 …)
        ├── BKInvalidOperation  not allowed in the current state (1241003, 3545000, engine)
        └── BKEndpointNotFound  component/resource not published (ESB 1306404, gw 1640401)

Every error names the ``system`` (``bk_job`` / ``bk_sops``) and ``operation`` it came from, and
API errors carry ``code``, ``message`` and whichever request ids the server sent.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.clients._envelope import Permission

__all__ = [
    "BKAPIError",
    "BKAuthError",
    "BKConnectionError",
    "BKEndpointNotFound",
    "BKError",
    "BKHTTPStatusError",
    "BKInvalidOperation",
    "BKInvalidParameter",
    "BKMalformedResponse",
    "BKNotFound",
    "BKPermissionDenied",
    "BKRateLimited",
    "BKRequestInvalid",
    "BKServerError",
    "BKTimeout",
    "BKTransportError",
    "api_error_for",
]


class BKError(Exception):
    """Base of every BlueKing client error."""

    def __init__(self, message: str, *, system: str = "", operation: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.system = system
        self.operation = operation

    def __str__(self) -> str:
        where = f"{self.system}.{self.operation}" if self.operation else self.system
        return f"{where}: {self.message}" if where else self.message


class BKRequestInvalid(BKError):
    """The request did not pass its model's validation, so it was never sent."""

    def __init__(
        self, message: str, *, system: str, operation: str, fields: Sequence[str] = ()
    ) -> None:
        super().__init__(message, system=system, operation=operation)
        self.fields = tuple(fields)


class BKTransportError(BKError):
    """The HTTP exchange itself failed: nothing usable came back."""


class BKTimeout(BKTransportError):
    """The call timed out (connect, read, write or waiting for a pooled connection)."""


class BKConnectionError(BKTransportError):
    """The connection could not be made or was dropped."""


class BKHTTPStatusError(BKError):
    """The server answered with a non-2xx HTTP status."""

    def __init__(
        self,
        message: str,
        *,
        system: str,
        operation: str,
        status_code: int,
        body_excerpt: str = "",
        code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, system=system, operation=operation)
        self.status_code = status_code
        self.body_excerpt = body_excerpt
        self.code = code
        self.request_id = request_id


class BKRateLimited(BKHTTPStatusError):
    """HTTP 429; ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one."""

    def __init__(
        self,
        message: str,
        *,
        system: str,
        operation: str,
        retry_after: float | None,
        body_excerpt: str = "",
        code: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            system=system,
            operation=operation,
            status_code=429,
            body_excerpt=body_excerpt,
            code=code,
            request_id=request_id,
        )
        self.retry_after = retry_after


class BKServerError(BKHTTPStatusError):
    """HTTP 5xx from the gateway, ESB or backend."""


class BKMalformedResponse(BKError):
    """A 2xx answer that is not JSON, not a BlueKing envelope, or whose data fits no model."""

    def __init__(
        self,
        message: str,
        *,
        system: str,
        operation: str,
        body_excerpt: str = "",
        request_id: str | None = None,
    ) -> None:
        super().__init__(message, system=system, operation=operation)
        self.body_excerpt = body_excerpt
        self.request_id = request_id


class BKAPIError(BKError):
    """BlueKing answered with an error envelope (``result: false``) or a gateway error body."""

    def __init__(
        self,
        message: str,
        *,
        system: str,
        operation: str,
        code: int,
        request_id: str | None = None,
        job_request_id: str | None = None,
        trace_id: str | None = None,
        permission: Permission | None = None,
        http_status: int = 200,
    ) -> None:
        super().__init__(message, system=system, operation=operation)
        self.code = code
        self.request_id = request_id
        self.job_request_id = job_request_id
        self.trace_id = trace_id
        self.permission = permission
        self.http_status = http_status

    def __str__(self) -> str:
        return f"{super().__str__()} (code {self.code})"


class BKAuthError(BKAPIError):
    """App or user authentication failed at ESB, the gateway or the backend."""


class BKPermissionDenied(BKAPIError):
    """The acting user lacks a BlueKing IAM permission; ``permission`` says which, when known."""


class BKNotFound(BKAPIError):
    """The addressed entity does not exist (or is not in this business)."""


class BKInvalidParameter(BKAPIError):
    """The server rejected a request field."""


class BKInvalidOperation(BKAPIError):
    """The operation is not allowed in the entity's current state."""


class BKEndpointNotFound(BKAPIError):
    """The component or gateway resource is not published on this deployment."""


# Codes from bk-job §7 and bk-sops §6, grouped by what the caller can do about them.
_AUTH = {1306000, 1306401, 1306403, 1306405, 1306406, 1240005, 1247001, 1247002, 1247004, 1640001}
_PERMISSION = {9900403, 1238001, 1244004, 1244016, 1247403, 1306402, 1640301, 1640302}
_NOT_FOUND = {
    1243001,
    1243004,
    1243009,
    1243047,
    1243049,
    1243051,
    1243052,
    1243053,
    1244003,
    1244006,
    1244007,
    1244008,
    1244012,
    1245001,
    3540400,
}
_INVALID_PARAMETER = {
    1240003,
    1241001,
    1241002,
    1241004,
    1241005,
    1241006,
    1241007,
    1241008,
    1241010,
    1241012,
    1241020,
    1241022,
    1244026,
    1244038,
    3540000,
    3546100,
}
_INVALID_OPERATION = {1241003, 1241015, 1244015, 3545000}
_ENDPOINT_NOT_FOUND = {1306404, 1640401}
# bk-sops §6.1: permission denials and engine refusals share 3599999; the message tells them apart.
_SOPS_UNKNOWN = 3599999
_IAM_PREFIX = "iam authentication exception"
_ENGINE_PREFIX = "fail:"


def api_error_for(code: int, message: str) -> type[BKAPIError]:
    """Pick the most specific BKAPIError subclass for a BlueKing error code and message."""
    if code == _SOPS_UNKNOWN:
        lowered = message.strip().lower()
        if lowered.startswith(_IAM_PREFIX):
            return BKPermissionDenied
        if lowered.startswith(_ENGINE_PREFIX):
            return BKInvalidOperation
        return BKAPIError
    for codes, kind in (
        (_AUTH, BKAuthError),
        (_PERMISSION, BKPermissionDenied),
        (_NOT_FOUND, BKNotFound),
        (_INVALID_PARAMETER, BKInvalidParameter),
        (_INVALID_OPERATION, BKInvalidOperation),
        (_ENDPOINT_NOT_FOUND, BKEndpointNotFound),
    ):
        if code in codes:
            return kind
    return BKAPIError
