"""HTTP layer: ESB and gateway routing, credentials, envelopes, faults and control routes."""

from __future__ import annotations

import asyncio
import json
import logging
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from ._clock import ManualClock
from ._common import ApiError, JSONObj, as_int
from ._faults import Fault, FaultKind
from ._job_api import JOB_OPERATIONS
from ._sops_api import SOPS_OPERATIONS, SopsRequest

if TYPE_CHECKING:
    from ._sandbox import Sandbox

__all__ = ["Call", "SandboxDisconnect", "build_app"]

log = logging.getLogger(__name__)

CREDENTIAL_KEYS = frozenset(
    {
        "bk_app_code",
        "app_code",
        "bk_app_secret",
        "app_secret",
        "bk_username",
        "username",
        "bk_token",
        "access_token",
        "bk_signature",
    }
)
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
_HTTP_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


class Call(NamedTuple):
    """One request that reached an operation (faulted ones included)."""

    operation: str
    bk_username: str | None


class SandboxDisconnect(httpx.RemoteProtocolError):
    """Raised mid-response by the DISCONNECT fault: clients see a transport error."""


class _DroppedResponse(Response):
    """Starts a response, sends part of the body, then drops the connection."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send(
            {
                "type": "http.response.body",
                "body": b'{"result": true, "code": 0, "data": {',
                "more_body": True,
            }
        )
        raise SandboxDisconnect("connection dropped by the sandbox (injected fault)")


class _Gateway:
    """Request handlers bound to one Sandbox."""

    def __init__(self, sb: Sandbox[Any]) -> None:
        self.sb = sb

    # ---- envelopes ---------------------------------------------------------------------

    def _rid(self) -> str:
        return self.sb.ids.hex(32)

    def _esb_error(self, code: int, message: str) -> JSONResponse:
        # bk-job §7.2: ESB's own errors carry request_id only, never job_request_id.
        body = {
            "result": False,
            "code": code,
            "message": message,
            "data": None,
            "request_id": self._rid(),
        }
        return JSONResponse(body)

    def _job_response(self, data: Any = None, error: ApiError | None = None) -> JSONResponse:
        body: JSONObj = {
            "result": error is None,
            "code": 0 if error is None else error.code,
            "message": "" if error is None else error.message,
            "data": data if error is None else None,
            "job_request_id": self.sb.ids.hex(16),
        }
        if error is not None and error.permission is not None:
            body["permission"] = error.permission
        body["request_id"] = self._rid()
        return JSONResponse(body)

    def _sops_response(
        self,
        body: JSONObj,
        *,
        esb: bool,
        trace: bool = True,
        status: int = 200,
    ) -> JSONResponse:
        headers: dict[str, str] = {}
        body = dict(body)
        if trace:
            trace_id = self.sb.ids.hex(32)
            body["trace_id"] = trace_id
            headers["Sops-Trace-Id"] = trace_id
        if esb:
            body["request_id"] = self._rid()
        else:
            headers["X-Bkapi-Request-Id"] = self._rid()
        return JSONResponse(body, status_code=status, headers=headers)

    def _sops_error(self, error: ApiError, *, esb: bool) -> JSONResponse:
        body: JSONObj = {"result": False, "code": error.code, "message": error.message}
        if error.with_data:
            body["data"] = None
        return self._sops_response(body, esb=esb, trace=error.trace)

    def _gateway_error(self, status: int, code: int, code_name: str, message: str) -> JSONResponse:
        # bk-sops §6.2: the gateway's own errors, with X-Bkapi-Error-* headers.
        body = {
            "code": code,
            "code_name": code_name,
            "message": message,
            "result": False,
            "data": None,
        }
        headers = {
            "X-Bkapi-Request-Id": self._rid(),
            "X-Bkapi-Error-Code": str(code),
            "X-Bkapi-Error-Message": message.encode("ascii", "replace").decode(),
        }
        return JSONResponse(body, status_code=status, headers=headers)

    # ---- shared request plumbing -----------------------------------------------------------

    @staticmethod
    async def _body(request: Request) -> tuple[JSONObj, bool]:
        if request.method in ("GET", "HEAD"):
            return {}, True
        raw = await request.body()
        if not raw.strip():
            return {}, True
        try:
            parsed = json.loads(raw)
        except ValueError:
            return {}, False
        return (parsed, True) if isinstance(parsed, dict) else ({}, False)

    @staticmethod
    def _header(request: Request) -> tuple[JSONObj | None, bool]:
        raw = request.headers.get("x-bkapi-authorization")
        if raw is None:
            return None, True
        try:
            parsed = json.loads(raw)
        except ValueError:
            return None, False
        return (parsed, True) if isinstance(parsed, dict) else (None, False)

    @staticmethod
    def _pick(source: JSONObj, *names: str) -> str | None:
        for name in names:
            value = source.get(name)
            if isinstance(value, str) and value:
                return value
        return None

    async def _faults(self, operation: str, system: str, esb: bool) -> Response | None:
        delays, fault = self.sb.faults.take(operation)
        for delay in delays:
            await asyncio.sleep(delay.seconds)
        if fault is None:
            return None
        log.info("fault fired", extra={"operation": operation, "kind": fault.kind.value})
        return self._fault_response(fault, system, esb)

    def _fault_response(self, fault: Fault, system: str, esb: bool) -> Response:
        if fault.kind is FaultKind.HTTP_STATUS:
            reason = _HTTP_REASONS.get(fault.status, "Error")
            html = (
                f"<html>\r\n<head><title>{fault.status} {reason}</title></head>\r\n<body>\r\n"
                f"<center><h1>{fault.status} {reason}</h1></center>\r\n<hr><center>nginx</center>"
                "\r\n</body>\r\n</html>\r\n"
            )
            return Response(html, status_code=fault.status, media_type="text/html")
        if fault.kind is FaultKind.BK_ERROR:
            error = ApiError(fault.code, fault.message)
            if system == "job":
                return self._job_response(error=error)
            return self._sops_error(error, esb=esb)
        if fault.kind is FaultKind.MALFORMED:
            return Response(
                '{"result": true, "code": 0, "message": "", "data": {"job_instance_id": ',
                status_code=200,
                media_type="application/json",
            )
        if fault.kind is FaultKind.RATE_LIMIT:
            retry_after = str(max(math.ceil(fault.retry_after), 0))
            if esb:
                response = self._esb_error(1306429, "Request is rate limited, try again later")
            else:
                response = self._gateway_error(
                    429, 1642902, "RATE_LIMIT_RESTRICTION", "Request has been rate limited"
                )
            response.status_code = 429
            response.headers["Retry-After"] = retry_after
            return response
        return _DroppedResponse()

    # ---- ESB: /api/c/compapi/... -----------------------------------------------------------

    async def esb(self, request: Request) -> Response:
        parts = [p for p in request.path_params["rest"].split("/") if p]
        known = (JOB_OPERATIONS, SOPS_OPERATIONS)
        if (
            len(parts) != 3
            or parts[0] != "v2"
            or parts[1] not in ("job", "sops")
            or parts[2] not in known[0 if parts[1] == "job" else 1]
        ):
            # bk-job §1.1: e.g. v2 `change_cron_status` is not a registered component.
            return self._esb_error(1306404, f"Component [{request.url.path}] not found")
        system, name = parts[1], parts[2]
        query: JSONObj = dict(request.query_params)
        body, body_ok = await self._body(request)
        params = {**query, **body}
        header, header_ok = self._header(request)
        creds = {**params, **(header or {})}
        user = self._pick(creds, "bk_username", "username")
        self.sb.calls.append(Call(name, user))
        faulted = await self._faults(name, system, esb=True)
        if faulted is not None:
            return faulted
        if not header_ok:
            return self._esb_error(1306406, "Parameter error: X-Bkapi-Authorization is not JSON")
        denied = self._esb_auth(creds, user)
        if denied is not None:
            return denied
        assert user is not None
        clean = {k: v for k, v in params.items() if k not in CREDENTIAL_KEYS}
        now = self.sb.clock.now()
        if system == "job":
            return self._job(name, clean, user, now, body_ok)
        return self._sops(name, clean, user, now, body_ok, esb=True, query=query, ids=None)

    def _esb_auth(self, creds: JSONObj, user: str | None) -> Response | None:
        code = self._pick(creds, "bk_app_code", "app_code")
        secret = self._pick(creds, "bk_app_secret", "app_secret")
        if code is None:
            return self._esb_error(1306000, "APP code [bk_app_code] cannot be empty")
        if code != self.sb.app_code:
            return self._esb_error(1306000, f"APP [{code}] does not exist or is not registered")
        if secret != self.sb.app_secret:
            return self._esb_error(1306000, "APP secret is invalid")
        if user is None:
            if self._pick(creds, "bk_token", "access_token"):
                return self._esb_error(1306000, "User authentication failed: token is invalid")
            return self._esb_error(1306401, "Current operator must be given: bk_username")
        return None

    def _job(self, name: str, params: JSONObj, user: str, now: datetime, body_ok: bool) -> Response:
        if not body_ok:
            return self._job_response(error=ApiError(1241022, "Request body is not valid JSON"))
        try:
            data = self.sb.job_api.handle(name, params, user, now)
        except ApiError as exc:
            log.debug("job error", extra={"operation": name, "code": exc.code})
            return self._job_response(error=exc)
        return self._job_response(data)

    def _sops(
        self,
        name: str,
        params: JSONObj,
        user: str,
        now: datetime,
        body_ok: bool,
        *,
        esb: bool,
        query: JSONObj,
        ids: dict[str, int] | None,
    ) -> Response:
        if not self.sb.world.directory.exists(user):
            if esb:
                return self._esb_error(1306000, f"User [{user}] authentication failed")
            return self._gateway_error(
                400, 1640001, "INVALID_ARGS", f"User [{user}] authentication failed"
            )
        if not body_ok:
            # bk-sops §1.5: a non-JSON POST body; an early error, so no trace_id.
            error = ApiError(3540000, "invalid json format", trace=False)
            return self._sops_error(error, esb=esb)
        op = SOPS_OPERATIONS[name]
        if ids is None:
            ids = {}
            for key in op.path_ids:
                value = as_int(params.get(key))
                if value is None:
                    return self._esb_error(
                        1306406, f"Parameter error: {key} is required and must be an integer"
                    )
                ids[key] = value
        rest = {k: v for k, v in query.items() if k not in CREDENTIAL_KEYS}
        cache_key = (
            "esb" if esb else "gateway",
            name,
            tuple(sorted(ids.items())),
            user,
            json.dumps(rest, sort_keys=True, default=str),
        )
        req = SopsRequest(name, user, ids, params, now, cache_key)
        try:
            body = self.sb.sops_api.handle(req)
        except ApiError as exc:
            log.debug("sops error", extra={"operation": name, "code": exc.code})
            return self._sops_error(exc, esb=esb)
        return self._sops_response(body, esb=esb)

    # ---- BK-SOPS gateway: /api/bk-sops/prod/... ----------------------------------------------

    async def gateway(self, request: Request) -> Response:
        parts = [p for p in request.path_params["rest"].split("/") if p]
        op = SOPS_OPERATIONS.get(parts[0]) if parts else None
        if (
            op is None
            or not op.on_gateway
            or request.method != op.method
            or len(parts) - 1 != len(op.path_ids)
            or not all(p.isdigit() for p in parts[1:])
        ):
            # bk-sops §3.10, §6.2: query_task_count is not a gateway resource.
            return self._gateway_error(404, 1640401, "API_NOT_FOUND", "API not found")
        name = parts[0]
        ids = {key: int(value) for key, value in zip(op.path_ids, parts[1:], strict=True)}
        header, header_ok = self._header(request)
        user = self._pick(header or {}, "bk_username")
        self.sb.calls.append(Call(name, user))
        faulted = await self._faults(name, "sops", esb=False)
        if faulted is not None:
            if not isinstance(faulted, _DroppedResponse):
                faulted.headers.setdefault("X-Bkapi-Request-Id", self._rid())
            return faulted
        # bk-sops §1.2: credentials come only from the X-Bkapi-Authorization header.
        problem = None
        if header is None:
            problem = (
                "X-Bkapi-Authorization is missing"
                if header_ok
                else "X-Bkapi-Authorization is not JSON"
            )
        elif self._pick(header, "bk_app_code") != self.sb.app_code:
            problem = "app code is invalid or missing"
        elif self._pick(header, "bk_app_secret") != self.sb.app_secret:
            problem = "bk_app_code or bk_app_secret is incorrect"
        elif user is None:
            problem = "user authentication failed, please provide a valid user identity"
        if problem is not None:
            return self._gateway_error(400, 1640001, "INVALID_ARGS", problem)
        assert user is not None
        query: JSONObj = dict(request.query_params)
        if op.method == "POST":
            params, body_ok = await self._body(request)
        else:
            params, body_ok = dict(query), True
        now = self.sb.clock.now()
        return self._sops(name, params, user, now, body_ok, esb=False, query=query, ids=ids)

    # ---- control routes (/_sandbox/...) ---------------------------------------------------

    async def healthz(self, request: Request) -> Response:
        clock = self.sb.clock
        return JSONResponse(
            {
                "ok": True,
                "clock": "manual" if isinstance(clock, ManualClock) else "real",
                "now": clock.now().isoformat(),
            }
        )

    async def add_fault(self, request: Request) -> Response:
        try:
            spec = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "body must be JSON"}, status_code=400)
        if not isinstance(spec, dict) or not isinstance(spec.get("operation"), str):
            return JSONResponse({"error": "operation (string) is required"}, status_code=400)
        allowed = {"status", "seconds", "code", "message", "retry_after", "times"}
        extra = {k: v for k, v in spec.items() if k in allowed and v is not None}
        try:
            fault = self.sb.faults.inject(
                spec["operation"], FaultKind(str(spec.get("kind"))), **extra
            )
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"fault": fault.to_json()}, status_code=201)

    async def list_faults(self, request: Request) -> Response:
        return JSONResponse({"faults": [f.to_json() for f in self.sb.faults.active()]})

    async def clear_faults(self, request: Request) -> Response:
        self.sb.faults.clear()
        return JSONResponse({"cleared": True})

    async def advance_clock(self, request: Request) -> Response:
        clock = self.sb.clock
        if not isinstance(clock, ManualClock):
            return JSONResponse({"error": "the clock is not manual"}, status_code=409)
        try:
            spec = json.loads(await request.body())
            seconds = float(spec["seconds"])
            now = clock.advance(seconds)
        except (ValueError, KeyError, TypeError) as exc:
            return JSONResponse({"error": f"seconds (>= 0) is required: {exc}"}, status_code=400)
        return JSONResponse({"now": now.isoformat()})

    async def list_calls(self, request: Request) -> Response:
        return JSONResponse(
            {
                "calls": [
                    {"operation": c.operation, "bk_username": c.bk_username} for c in self.sb.calls
                ]
            }
        )

    async def clear_calls(self, request: Request) -> Response:
        self.sb.calls.clear()
        return JSONResponse({"cleared": True})

    async def delete_job_instance(self, request: Request) -> Response:
        ident = as_int(request.path_params["ident"])
        if ident is None or not self.sb.world.delete_job_instance(ident):
            return JSONResponse({"error": "no such job instance"}, status_code=404)
        return JSONResponse({"deleted": ident})

    async def delete_task(self, request: Request) -> Response:
        ident = as_int(request.path_params["ident"])
        if ident is None or not self.sb.world.delete_task(ident):
            return JSONResponse({"error": "no such task"}, status_code=404)
        return JSONResponse({"deleted": ident})

    async def expire_task(self, request: Request) -> Response:
        ident = as_int(request.path_params["ident"])
        if ident is None or not self.sb.world.expire_task(ident):
            return JSONResponse({"error": "no such task"}, status_code=404)
        return JSONResponse({"expired": ident})


def build_app(sb: Sandbox[Any]) -> Starlette:
    """The Starlette app serving ESB paths at the root and the BK-SOPS gateway form."""
    h = _Gateway(sb)
    routes = [
        Route("/_sandbox/healthz", h.healthz, methods=["GET"]),
        Route("/_sandbox/faults", h.add_fault, methods=["POST"]),
        Route("/_sandbox/faults", h.list_faults, methods=["GET"]),
        Route("/_sandbox/faults", h.clear_faults, methods=["DELETE"]),
        Route("/_sandbox/clock/advance", h.advance_clock, methods=["POST"]),
        Route("/_sandbox/calls", h.list_calls, methods=["GET"]),
        Route("/_sandbox/calls", h.clear_calls, methods=["DELETE"]),
        Route("/_sandbox/job_instances/{ident}", h.delete_job_instance, methods=["DELETE"]),
        Route("/_sandbox/tasks/{ident}", h.delete_task, methods=["DELETE"]),
        Route("/_sandbox/tasks/{ident}/expire", h.expire_task, methods=["POST"]),
        Route("/api/c/compapi/{rest:path}", h.esb, methods=["GET", "POST"]),
        Route("/api/bk-sops/prod/{rest:path}", h.gateway, methods=_ALL_METHODS),
    ]
    return Starlette(routes=routes)
