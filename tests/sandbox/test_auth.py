"""ESB and gateway authentication, envelopes and routing errors."""

from __future__ import annotations

import json
import re

import httpx

from .conftest import APP_CODE, APP_SECRET, GATEWAY, Bk

HEX32 = re.compile(r"^[0-9a-f]{32}$")
HEX16 = re.compile(r"^[0-9a-f]{16}$")
JOB_URL = "/api/c/compapi/v2/job/get_job_list/"


async def test_esb_accepts_credentials_in_the_query_string(http: httpx.AsyncClient) -> None:
    params = {
        "bk_app_code": APP_CODE,
        "bk_app_secret": APP_SECRET,
        "bk_username": "alice",
        "bk_biz_id": "2",
    }
    body = (await http.get(JOB_URL, params=params)).json()
    assert body["result"] is True
    assert body["code"] == 0
    assert body["message"] == ""
    assert HEX32.match(body["request_id"])
    assert HEX16.match(body["job_request_id"])


async def test_esb_accepts_legacy_credential_aliases(http: httpx.AsyncClient) -> None:
    params = {"app_code": APP_CODE, "app_secret": APP_SECRET, "username": "bob", "bk_biz_id": 2}
    body = (await http.post(JOB_URL, json=params)).json()
    assert body["result"] is True


async def test_esb_reads_the_authorization_header_before_parameters(
    http: httpx.AsyncClient,
) -> None:
    header = json.dumps(
        {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "alice"}
    )
    # The body's wrong secret loses against the header.
    body = {"bk_app_secret": "wrong", "bk_biz_id": 2}
    answer = (await http.post(JOB_URL, json=body, headers={"X-Bkapi-Authorization": header})).json()
    assert answer["result"] is True


async def test_esb_rejects_a_wrong_secret_with_1306000_and_no_job_request_id(
    http: httpx.AsyncClient,
) -> None:
    params = {
        "bk_app_code": APP_CODE,
        "bk_app_secret": "nope",
        "bk_username": "alice",
        "bk_biz_id": 2,
    }
    response = await http.post(JOB_URL, json=params)
    assert response.status_code == 200
    body = response.json()
    assert body["result"] is False
    assert body["code"] == 1306000
    assert body["data"] is None
    assert "job_request_id" not in body
    assert HEX32.match(body["request_id"])


async def test_esb_rejects_an_unknown_app_code(http: httpx.AsyncClient) -> None:
    params = {"bk_app_code": "other", "bk_app_secret": APP_SECRET, "bk_username": "alice"}
    assert (await http.post(JOB_URL, json=params)).json()["code"] == 1306000


async def test_esb_without_a_user_answers_1306401(http: httpx.AsyncClient) -> None:
    params = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_biz_id": 2}
    assert (await http.post(JOB_URL, json=params)).json()["code"] == 1306401


async def test_esb_header_that_is_not_json_answers_1306406(http: httpx.AsyncClient) -> None:
    response = await http.get(JOB_URL, headers={"X-Bkapi-Authorization": "{not json"})
    assert response.json()["code"] == 1306406


async def test_unknown_component_answers_1306404(bk: Bk) -> None:
    body = (await bk.job_raw("no_such_component")).json()
    assert body["code"] == 1306404
    assert "job_request_id" not in body


async def test_change_cron_status_is_not_a_v2_component(bk: Bk) -> None:
    body = (await bk.job_raw("change_cron_status", bk_biz_id=2, cron_id=1000066)).json()
    assert body["code"] == 1306404


async def test_v1_job_paths_are_not_served(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/c/compapi/job/change_cron_status/", json={})
    assert response.json()["code"] == 1306404


async def test_job_answers_1247001_for_a_user_it_does_not_know(bk: Bk) -> None:
    body = await bk.job("get_job_list", user="mallory")
    assert body["code"] == 1247001
    assert HEX16.match(body["job_request_id"])


async def test_job_post_body_that_is_not_json_answers_1241022(http: httpx.AsyncClient) -> None:
    header = json.dumps(
        {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"}
    )
    response = await http.post(
        JOB_URL, content=b"bk_biz_id=2", headers={"X-Bkapi-Authorization": header}
    )
    assert response.json()["code"] == 1241022


async def test_sops_esb_answers_with_request_id_and_trace_id(bk: Bk) -> None:
    body = await bk.esb_sops("get_template_list", method="GET")
    assert body["result"] is True
    assert HEX32.match(body["request_id"])
    assert HEX32.match(body["trace_id"])


async def test_sops_esb_refuses_an_unknown_user_with_1306000(bk: Bk) -> None:
    body = await bk.esb_sops("get_template_list", user="mallory", method="GET")
    assert body["code"] == 1306000


async def test_sops_esb_needs_the_path_ids_as_integers(bk: Bk) -> None:
    body = await bk.esb_sops("get_task_status", method="GET", task_id="abc")
    assert body["code"] == 1306406


async def test_sops_post_body_that_is_not_json_answers_3540000_without_trace(
    http: httpx.AsyncClient,
) -> None:
    header = json.dumps(
        {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"}
    )
    response = await http.post(
        f"{GATEWAY}/operate_task/1087/2/",
        content=b"action=pause",
        headers={"X-Bkapi-Authorization": header},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 3540000
    assert "trace_id" not in body
    assert "Sops-Trace-Id" not in response.headers


async def test_gateway_reads_credentials_from_the_header_only(http: httpx.AsyncClient) -> None:
    params = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "admin"}
    response = await http.get(f"{GATEWAY}/get_template_list/2/", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 1640001
    assert body["code_name"] == "INVALID_ARGS"
    assert body["result"] is False
    assert response.headers["X-Bkapi-Error-Code"] == "1640001"
    assert response.headers["X-Bkapi-Error-Message"]
    assert HEX32.match(response.headers["X-Bkapi-Request-Id"])


async def test_gateway_rejects_a_wrong_secret_with_400(http: httpx.AsyncClient) -> None:
    header = json.dumps({"bk_app_code": APP_CODE, "bk_app_secret": "x", "bk_username": "admin"})
    response = await http.get(
        f"{GATEWAY}/get_template_list/2/", headers={"X-Bkapi-Authorization": header}
    )
    assert response.status_code == 400
    assert response.json()["code"] == 1640001


async def test_gateway_rejects_unknown_users_and_missing_users(
    bk: Bk, http: httpx.AsyncClient
) -> None:
    assert (await bk.gw("get_template_list", 2, user="mallory")).status_code == 400
    header = json.dumps({"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET})
    response = await http.get(
        f"{GATEWAY}/get_template_list/2/", headers={"X-Bkapi-Authorization": header}
    )
    assert response.status_code == 400


async def test_gateway_answers_404_for_unknown_paths_and_wrong_methods(bk: Bk) -> None:
    unknown = await bk.gw("no_such_api", 2)
    assert unknown.status_code == 404
    assert unknown.json()["code"] == 1640401
    assert unknown.json()["code_name"] == "API_NOT_FOUND"
    wrong_method = await bk.gw("get_task_status", 1087, 2, method="POST", body={})
    assert wrong_method.status_code == 404
    not_numeric = await bk.gw("get_task_status", "abc", 2)  # type: ignore[arg-type]
    assert not_numeric.status_code == 404


async def test_gateway_success_carries_request_and_trace_headers(bk: Bk) -> None:
    response = await bk.gw("get_task_status", 1087, 2)
    assert response.status_code == 200
    assert HEX32.match(response.headers["X-Bkapi-Request-Id"])
    assert response.headers["Sops-Trace-Id"] == response.json()["trace_id"]
    assert "request_id" not in response.json()


async def test_query_task_count_is_not_a_gateway_resource_but_works_on_esb(bk: Bk) -> None:
    response = await bk.gw("query_task_count", 2, body={"group_by": "status"})
    assert response.status_code == 404
    assert response.json()["code"] == 1640401
    body = await bk.esb_sops("query_task_count", group_by="status")
    assert body["result"] is True
