"""BK-Job crons: save_cron rules, update_cron_status, and reading changes back."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Bk


async def test_save_cron_creates_a_paused_cron_that_lists_back(bk: Bk) -> None:
    created = await bk.job_data(
        "save_cron",
        user="alice",
        bk_job_id=1000123,
        cron_name="nightly cleanup",
        cron_expression="30 2 * * *",
    )
    assert created["cron_id"] > 1000100
    assert created["cron_status"] == 2
    assert created["creator"] == "alice"
    assert created["cron_expression"] == "30 2 * * *"
    assert created["create_time"] == "2026-08-20 10:02:15"
    listed = await bk.job_data("get_cron_list", cron_id=created["cron_id"])
    assert listed == [created]


async def test_a_v2_update_pauses_the_cron_again(bk: Bk) -> None:
    assert (await bk.job_data("get_cron_list", cron_id=1000066))[0]["cron_status"] == 1
    bk.advance(60)
    updated = await bk.job_data(
        "save_cron",
        user="bob",
        cron_id=1000066,
        cron_name="nightly cleanup v2",
        cron_expression="0 3 * * *",
    )
    assert updated["cron_status"] == 2
    assert updated["cron_name"] == "nightly cleanup v2"
    assert updated["last_modify_user"] == "bob"
    assert updated["creator"] == "alice"
    listed = await bk.job_data("get_cron_list", cron_name="v2")
    assert [(c["cron_id"], c["cron_expression"]) for c in listed] == [(1000066, "0 3 * * *")]


async def test_update_cron_status_returns_only_the_cron_id(bk: Bk) -> None:
    data = await bk.job_data("update_cron_status", cron_id=1000067, cron_status=1)
    assert data["cron_id"] == 1000067
    assert all(value is None for key, value in data.items() if key != "cron_id")
    assert set(data) >= {"cron_name", "cron_status", "bk_job_id", "cron_expression"}
    enabled = await bk.job_data("get_cron_list", cron_status=1)
    assert [c["cron_id"] for c in enabled] == [1000066, 1000067]
    await bk.job_data("update_cron_status", cron_id=1000066, cron_status=2)
    paused = await bk.job_data("get_cron_list", cron_status=2)
    assert [c["cron_id"] for c in paused] == [1000066]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cron_id": 1000066, "cron_status": 3}, 1241002),
        ({"cron_id": 0, "cron_status": 1}, 1241002),
        ({"cron_status": 1}, 1241002),
        ({"cron_id": 4444, "cron_status": 1}, 1245001),
        ({"cron_id": 1000070, "cron_status": 1}, 1245001),  # belongs to business 3
    ],
)
async def test_update_cron_status_rejects_bad_requests(
    bk: Bk, params: dict[str, Any], code: int
) -> None:
    assert (await bk.job("update_cron_status", **params))["code"] == code


@pytest.mark.parametrize(
    ("params", "code", "names"),
    [
        ({"cron_name": "x", "cron_expression": "0 * * * *"}, 1241010, "bk_job_id"),
        ({"bk_job_id": 1000123, "cron_expression": "0 * * * *"}, 1241010, "cron_name"),
        (
            {"bk_job_id": 1000123, "cron_name": "  ", "cron_expression": "0 * * * *"},
            1241010,
            "cron_name",
        ),
        ({"bk_job_id": 1000123, "cron_name": "x"}, 1241010, "expression"),
        (
            {"bk_job_id": 1000123, "cron_name": "x", "cron_expression": "0 0 ? * *"},
            1241010,
            "expression",
        ),
        (
            {"bk_job_id": 1000123, "cron_name": "x", "cron_expression": "0 0 12 * * ?"},
            1241010,
            "expression",
        ),
        (
            {"bk_job_id": 1000123, "cron_name": "x", "cron_expression": "61 * * * *"},
            1241010,
            "expression",
        ),
        ({"bk_job_id": 31337, "cron_name": "x", "cron_expression": "0 * * * *"}, 1243009, ""),
        ({"cron_id": 0, "cron_name": "x"}, 1241010, "id"),
        ({"cron_id": 1000066}, 1241010, ""),
        ({"cron_id": 5555, "cron_name": "x"}, 1245001, ""),
    ],
)
async def test_save_cron_rejects_bad_requests(
    bk: Bk, params: dict[str, Any], code: int, names: str
) -> None:
    body = await bk.job("save_cron", **params)
    assert body["code"] == code
    assert names in body["message"]


@pytest.mark.parametrize(
    "expression", ["0/5 * * * *", "*/15 9-18 * * 1-5", "0 9 * * MON-FRI", "5,35 2 1,15 jan *"]
)
async def test_save_cron_accepts_linux_crontab_forms(bk: Bk, expression: str) -> None:
    data = await bk.job_data(
        "save_cron", bk_job_id=1000124, cron_name="x", cron_expression=expression
    )
    assert data["cron_expression"] == expression
