"""Owns the HTTP exchange: authentication, envelope → data, error mapping, retries for reads."""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar, overload

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from bot.clients._envelope import Envelope
from bot.clients._retry import RetryPolicy, decide
from bot.clients.errors import (
    BKAPIError,
    BKConnectionError,
    BKError,
    BKHTTPStatusError,
    BKMalformedResponse,
    BKRateLimited,
    BKRequestInvalid,
    BKServerError,
    BKTimeout,
    BKTransportError,
    api_error_for,
)

__all__ = [
    "AuthStyle",
    "Call",
    "Credentials",
    "Requester",
    "Transport",
    "build_request",
    "decode",
    "default_timeout",
    "dump_request",
]

log = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]

_EXCERPT = 300


class Requester(Protocol):
    """What Transport sends through: an ``httpx.AsyncClient`` or a ``PoolSet`` of them."""

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = ...,
        json: Any = ...,
        headers: Mapping[str, str] | None = ...,
    ) -> httpx.Response: ...


class AuthStyle(enum.Enum):
    """Where app and user credentials go."""

    # ESB: bk_app_code / bk_app_secret / bk_username as ordinary parameters (bk-job §2.1).
    PARAMS = "params"
    # API gateway: a JSON ``X-Bkapi-Authorization`` header only (bk-sops §1.2).
    HEADER = "header"


@dataclass(frozen=True, slots=True)
class Credentials:
    """The bot's BlueKing app identity."""

    app_code: str
    app_secret: str


@dataclass(frozen=True, slots=True)
class Call:
    """One BlueKing API call, fully described, before authentication is added."""

    system: Literal["bk_job", "bk_sops"]
    operation: str
    method: Literal["GET", "POST"]
    url: str
    # Query parameters for GET, JSON body for POST; values must be JSON-ready.
    params: Mapping[str, object]
    # Only reads may be retried: a call that starts or changes work is sent exactly once.
    read: bool
    auth: AuthStyle = AuthStyle.PARAMS


def default_timeout(total: float = 30.0) -> httpx.Timeout:
    """Explicit per-phase timeouts; ``total`` bounds the read of a slow answer."""
    return httpx.Timeout(connect=5.0, read=total, write=10.0, pool=5.0)


def build_request(model: type[ModelT], *, system: str, operation: str, **fields: object) -> ModelT:
    """Validate a request model, turning validation failures into BKRequestInvalid."""
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        bad = [".".join(str(p) for p in err["loc"]) for err in exc.errors()]
        detail = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'request'}: {err['msg']}"
            for err in exc.errors()
        )
        raise BKRequestInvalid(
            f"invalid request: {detail}", system=system, operation=operation, fields=bad
        ) from exc


def dump_request(model: BaseModel) -> dict[str, object]:
    """Serialize a request model to JSON-ready params, leaving out unset optional fields."""
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


_adapters: dict[object, TypeAdapter[Any]] = {}


@overload
def decode(envelope: Envelope, shape: type[ModelT], call: Call) -> ModelT: ...
@overload
def decode(envelope: Envelope, shape: TypeAdapter[T], call: Call) -> T: ...
def decode(envelope: Envelope, shape: type[BaseModel] | TypeAdapter[Any], call: Call) -> Any:
    """Parse ``envelope.data`` into a response model; a misfit is a BKMalformedResponse."""
    adapter = shape if isinstance(shape, TypeAdapter) else _adapter_for(shape)
    try:
        return adapter.validate_python(envelope.data)
    except ValidationError as exc:
        raise BKMalformedResponse(
            f"response data does not match the expected shape: {exc.errors()[0]['msg']}"
            f" at {'.'.join(str(p) for p in exc.errors()[0]['loc'])}",
            system=call.system,
            operation=call.operation,
            body_excerpt=json.dumps(envelope.data, default=str)[:_EXCERPT],
            request_id=envelope.request_id or envelope.job_request_id or envelope.trace_id,
        ) from exc


def _adapter_for(model: type[BaseModel]) -> TypeAdapter[Any]:
    adapter = _adapters.get(model)
    if adapter is None:
        adapter = _adapters[model] = TypeAdapter(model)
    return adapter


def _query_value(value: object) -> str:
    # GET parameters are strings: booleans as BlueKing parses them (bk-sops §1.5), nested
    # values as JSON text (e.g. ``subprocess_stack``).
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


class Transport:
    """Sends Calls over one shared connection pool and returns the success envelope."""

    def __init__(
        self,
        http: Requester,
        credentials: Credentials,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._retry = retry or RetryPolicy()
        self._sleep = sleep

    @property
    def http(self) -> Requester:
        """The shared connection pool."""
        return self._http

    async def call(self, call: Call, *, bk_username: str) -> Envelope:
        """Send ``call`` as ``bk_username``; retry reads on transient failures; raise BKError."""
        attempt = 1
        while True:
            try:
                return await self._once(call, bk_username)
            except BKError as exc:
                delay = decide(exc, attempt, self._retry) if call.read else None
                if delay is None:
                    raise
                log.warning(
                    "retrying BlueKing read",
                    extra={
                        "system": call.system,
                        "operation": call.operation,
                        "attempt": attempt,
                        "delay": round(delay, 3),
                        "error": str(exc),
                    },
                )
                await self._sleep(delay)
                attempt += 1

    def _prepare(
        self, call: Call, bk_username: str
    ) -> tuple[dict[str, str], dict[str, str] | None, dict[str, object] | None]:
        headers = {"Accept": "application/json"}
        params: dict[str, object] = {k: v for k, v in call.params.items() if v is not None}
        if call.auth is AuthStyle.HEADER:
            headers["X-Bkapi-Authorization"] = json.dumps(
                {
                    "bk_app_code": self._credentials.app_code,
                    "bk_app_secret": self._credentials.app_secret,
                    "bk_username": bk_username,
                }
            )
        else:
            params = {
                "bk_app_code": self._credentials.app_code,
                "bk_app_secret": self._credentials.app_secret,
                "bk_username": bk_username,
                **params,
            }
        if call.method == "GET":
            return headers, {k: _query_value(v) for k, v in params.items()}, None
        return headers, None, params

    async def _once(self, call: Call, bk_username: str) -> Envelope:
        headers, query, body = self._prepare(call, bk_username)
        started = time.perf_counter()
        try:
            response = await self._http.request(
                call.method, call.url, params=query, json=body, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise BKTimeout(
                f"timed out ({type(exc).__name__})", system=call.system, operation=call.operation
            ) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError) as exc:
            raise BKConnectionError(
                f"connection failed: {exc}", system=call.system, operation=call.operation
            ) from exc
        except httpx.TransportError as exc:
            raise BKTransportError(
                f"transport error: {exc}", system=call.system, operation=call.operation
            ) from exc
        envelope = self._envelope(call, response)
        log.debug(
            "BlueKing call",
            extra={
                "system": call.system,
                "operation": call.operation,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 1),
                "request_id": envelope.request_id,
                "job_request_id": envelope.job_request_id,
                "trace_id": envelope.trace_id,
            },
        )
        if not envelope.result:
            raise self._api_error(call, envelope, response.status_code)
        return envelope

    def _envelope(self, call: Call, response: httpx.Response) -> Envelope:
        status = response.status_code
        gateway_request_id = response.headers.get("X-Bkapi-Request-Id")
        text = response.text
        try:
            payload: object = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            payload = None
        if status == 429:
            raise BKRateLimited(
                "rate limited (HTTP 429)",
                system=call.system,
                operation=call.operation,
                retry_after=_retry_after(response),
                body_excerpt=text[:_EXCERPT],
                code=_code_of(payload),
                request_id=gateway_request_id,
            )
        if status >= 500:
            raise BKServerError(
                f"server error (HTTP {status})",
                system=call.system,
                operation=call.operation,
                status_code=status,
                body_excerpt=text[:_EXCERPT],
                code=_code_of(payload),
                request_id=gateway_request_id,
            )
        if not 200 <= status < 300:
            code = _code_of(payload)
            if code is not None and isinstance(payload, dict):
                # A gateway error body (bk-sops §6.2): classify it like any API error.
                message = str(payload.get("message") or payload.get("code_name") or "")
                kind = api_error_for(code, message)
                raise kind(
                    message or f"HTTP {status}",
                    system=call.system,
                    operation=call.operation,
                    code=code,
                    request_id=gateway_request_id,
                    http_status=status,
                )
            raise BKHTTPStatusError(
                f"unexpected HTTP {status}",
                system=call.system,
                operation=call.operation,
                status_code=status,
                body_excerpt=text[:_EXCERPT],
                request_id=gateway_request_id,
            )
        if not isinstance(payload, dict) or "result" not in payload:
            raise BKMalformedResponse(
                "answer is not a BlueKing JSON envelope",
                system=call.system,
                operation=call.operation,
                body_excerpt=text[:_EXCERPT],
                request_id=gateway_request_id,
            )
        try:
            envelope = Envelope.model_validate(payload)
        except ValidationError as exc:
            raise BKMalformedResponse(
                f"envelope fields have unexpected types: {exc.errors()[0]['msg']}",
                system=call.system,
                operation=call.operation,
                body_excerpt=text[:_EXCERPT],
                request_id=gateway_request_id,
            ) from exc
        if envelope.request_id is None and gateway_request_id:
            envelope.request_id = gateway_request_id
        return envelope

    @staticmethod
    def _api_error(call: Call, envelope: Envelope, status: int) -> BKAPIError:
        message = envelope.message or f"BlueKing error {envelope.code}"
        kind = api_error_for(envelope.code, message)
        return kind(
            message,
            system=call.system,
            operation=call.operation,
            code=envelope.code,
            request_id=envelope.request_id,
            job_request_id=envelope.job_request_id,
            trace_id=envelope.trace_id,
            permission=envelope.permission,
            http_status=status,
        )


def _code_of(payload: object) -> int | None:
    if isinstance(payload, dict):
        code = payload.get("code")
        if isinstance(code, int) and not isinstance(code, bool):
            return code
        if isinstance(code, str) and code.isdigit():
            return int(code)
    return None


def _retry_after(response: httpx.Response) -> float | None:
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None  # an HTTP-date; fall back to our own backoff
