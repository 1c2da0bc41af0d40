"""Every example request of the two references passes the sandbox's request validation.

Credentials in the examples are placeholders (``chatops-bot`` / ``xxxxxxxx``); they are replaced
by the sandbox's own. Each example runs against a fresh seeded sandbox so that examples which
change state (a callback, a cron update) do not affect the others.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.sandbox import ManualClock, Sandbox

FIXTURES = Path(__file__).parent.parent / "fixtures"
MANIFEST: list[dict[str, Any]] = json.loads((FIXTURES / "manifest.json").read_text())
APP_CODE, APP_SECRET = "bkchatops", "sandbox-secret"

# Codes meaning "your request is malformed" (bk-job §7, bk-sops §6, ESB §7.2). A business
# refusal (e.g. terminating an already finished job) is fine: the request itself was valid.
PARAMETER_ERRORS = {
    1240003, 1241001, 1241002, 1241004, 1241005, 1241006, 1241007, 1241010, 1241012,
    1241020, 1241022, 1306406, 3540000,
}  # fmt: skip
AUTH_FIELDS = {"bk_app_code", "bk_app_secret", "bk_username", "app_code", "app_secret"}
# bk-sops §0: ids in the gateway path, in this order, per operation.
SOPS_PATH_IDS = {
    "get_template_list": ("bk_biz_id",),
    "get_periodic_task_list": ("bk_biz_id",),
    "get_template_info": ("template_id", "bk_biz_id"),
    "create_task": ("template_id", "bk_biz_id"),
    "create_periodic_task": ("template_id", "bk_biz_id"),
    "query_task_count": ("bk_biz_id",),
}


def _requests(system: str) -> list[dict[str, Any]]:
    return [e for e in MANIFEST if e["system"] == system and e["kind"] == "request"]


def _id(entry: dict[str, Any]) -> str:
    return Path(entry["file"]).name.removesuffix(".request.json")


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    sandbox = Sandbox(app_code=APP_CODE, app_secret=APP_SECRET, clock=ManualClock())
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox") as http:
        yield http


def _check(entry: dict[str, Any], response: httpx.Response) -> None:
    assert response.status_code == 200, response.text[:300]
    body = response.json()
    assert body.get("code") not in PARAMETER_ERRORS, f"{_id(entry)} rejected: {body}"
    if entry["read_only"]:
        assert body["result"] is True, f"{_id(entry)} failed: {body}"


def test_manifest_covers_every_operation() -> None:
    job_ops = {e["operation"] for e in _requests("bk_job")}
    sops_ops = {e["operation"] for e in _requests("bk_sops")}
    assert len(job_ops) == 18  # change_cron_status is served as update_cron_status
    assert len(sops_ops) == 16


@pytest.mark.parametrize("entry", _requests("bk_job"), ids=_id)
async def test_bk_job_example_request_is_valid(
    client: httpx.AsyncClient, entry: dict[str, Any]
) -> None:
    body = json.loads((FIXTURES / entry["file"]).read_text())
    body.update(bk_app_code=APP_CODE, bk_app_secret=APP_SECRET)
    path = f"/api/c/compapi/v2/job/{entry['operation']}/"
    _check(entry, await client.post(path, json=body))


def _sops_parts(entry: dict[str, Any]) -> tuple[str, str, dict[str, str], dict[str, Any] | None]:
    spec = json.loads((FIXTURES / entry["file"]).read_text())
    return spec["method"], spec["path"], dict(spec["query"] or {}), spec["body"]


def _path_ids(operation: str, path: str) -> dict[str, int]:
    numbers = [int(n) for n in re.findall(r"/(\d+)", path)]
    names = SOPS_PATH_IDS.get(operation, ("task_id", "bk_biz_id"))
    assert len(numbers) == len(names), path
    return dict(zip(names, numbers, strict=True))


@pytest.mark.parametrize(
    "entry",
    [e for e in _requests("bk_sops") if e["operation"] != "query_task_count"],
    ids=_id,
)
async def test_bk_sops_example_request_is_valid_on_the_gateway(
    client: httpx.AsyncClient, entry: dict[str, Any]
) -> None:
    method, path, query, body = _sops_parts(entry)
    auth = json.dumps(
        {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "alice"}
    )
    response = await client.request(
        method,
        f"/api/bk-sops/prod{path}",
        params=query,
        json=body if method == "POST" else None,
        headers={"X-Bkapi-Authorization": auth},
    )
    _check(entry, response)


@pytest.mark.parametrize("entry", _requests("bk_sops"), ids=_id)
async def test_bk_sops_example_request_is_valid_on_esb(
    client: httpx.AsyncClient, entry: dict[str, Any]
) -> None:
    method, path, query, body = _sops_parts(entry)
    params: dict[str, Any] = {
        "bk_app_code": APP_CODE,
        "bk_app_secret": APP_SECRET,
        "bk_username": "alice",
        **_path_ids(entry["operation"], path),
    }
    url = f"/api/c/compapi/v2/sops/{entry['operation']}/"
    if method == "GET":
        response = await client.get(url, params={**params, **query})
    else:
        response = await client.post(url, json={**params, **(body or {})})
    _check(entry, response)


async def test_query_task_count_is_not_a_gateway_resource(client: httpx.AsyncClient) -> None:
    # bk-sops §3.10: not declared on the gateway, so the gateway answers API_NOT_FOUND.
    auth = json.dumps(
        {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "alice"}
    )
    response = await client.post(
        "/api/bk-sops/prod/query_task_count/2/",
        json={"group_by": "status"},
        headers={"X-Bkapi-Authorization": auth},
    )
    assert response.status_code == 404
    assert response.json()["code"] == 1640401
