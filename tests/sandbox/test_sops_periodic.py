"""BK-SOPS periodic tasks: creation rules, enabling, schedules and constants, read back."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Bk

NIGHTLY = {
    "minute": "0",
    "hour": "2",
    "day_of_week": "*",
    "day_of_month": "*",
    "month_of_year": "*",
}


async def test_created_periodic_tasks_are_disabled_and_read_back(bk: Bk) -> None:
    data = await bk.sops_data(
        "create_periodic_task",
        42,
        2,
        body={
            "name": "nightly nginx restart",
            "cron": NIGHTLY,
            "constants": {"${ip_list}": "10.0.0.11", "${wait_seconds}": "60"},
        },
    )
    assert data["id"] > 100
    assert data["enabled"] is False
    assert data["cron"] == "0 2 * * * (m/h/d/dM/MY) Asia/Shanghai"
    assert data["template_id"] == "42"
    assert data["template_source"] == "project"
    assert data["last_run_at"] == ""
    assert data["form"]["${wait_seconds}"]["value"] == "60"
    assert "${job_inst_id}" not in data["form"]
    listed = await bk.sops_data("get_periodic_task_list", 2)
    assert listed[0]["id"] == data["id"]  # newest first
    info = await bk.sops_data("get_periodic_task_info", data["id"], 2)
    assert info["pipeline_tree"] == data["pipeline_tree"]


async def test_periodic_task_in_a_utc_project_reports_utc(bk: Bk) -> None:
    data = await bk.sops_data(
        "create_periodic_task", 70, 3, body={"name": "hourly canary", "cron": {"minute": "15"}}
    )
    assert data["cron"] == "15 * * * * (m/h/d/dM/MY) UTC"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"cron": NIGHTLY}, 3540000),
        ({"name": "x" * 51, "cron": NIGHTLY}, 3540000),
        ({"name": "no cron"}, 3540000),
        ({"name": "bad cron", "cron": "0 2 * * *"}, 3540000),
        ({"name": "bad minute", "cron": {"minute": "61"}}, 3599999),
        ({"name": "bad weekday", "cron": {"day_of_week": "8"}}, 3599999),
        ({"name": "bad step", "cron": {"hour": "*/0"}}, 3599999),
        (
            {
                "name": "not optional",
                "cron": NIGHTLY,
                "exclude_task_nodes_id": ["nodecfc5725adaa2485a86a44f9b2df3"],
            },
            3599999,
        ),
    ],
)
async def test_create_periodic_task_rejects_bad_requests(
    bk: Bk, body: dict[str, Any], code: int
) -> None:
    assert (await bk.sops("create_periodic_task", 42, 2, body=body))["code"] == code


async def test_create_periodic_task_needs_an_existing_template(bk: Bk) -> None:
    body = {"name": "x", "cron": NIGHTLY}
    assert (await bk.sops("create_periodic_task", 4040, 2, body=body))["code"] == 3540400


async def test_a_project_holds_at_most_fifty_periodic_tasks(bk: Bk) -> None:
    for n in range(48):  # two are seeded
        body = {"name": f"p{n}", "cron": NIGHTLY}
        assert (await bk.sops("create_periodic_task", 57, 2, body=body))["result"] is True
    refused = await bk.sops(
        "create_periodic_task", 57, 2, body={"name": "one more", "cron": NIGHTLY}
    )
    assert refused["code"] == 3545000
    assert "50" in refused["message"]


async def test_set_periodic_task_enabled_defaults_to_disabling(bk: Bk) -> None:
    on = await bk.sops_data("set_periodic_task_enabled", 5, 2, body={"enabled": True})
    assert on == {"enabled": True}
    assert (await bk.sops_data("get_periodic_task_info", 5, 2))["enabled"] is True
    off = await bk.sops_data("set_periodic_task_enabled", 5, 2, body={})
    assert off == {"enabled": False}
    assert (await bk.sops("set_periodic_task_enabled", 404, 2, body={}))["code"] == 3540400


async def test_modify_cron_defaults_missing_fields_to_star(bk: Bk) -> None:
    data = await bk.sops_data(
        "modify_cron_for_periodic_task",
        7,
        2,
        body={"cron": {"minute": "30", "hour": "1", "day_of_week": "1-5"}},
    )
    assert data == {"cron": "30 1 1-5 * * (m/h/d/dM/MY) Asia/Shanghai"}
    every_minute = await bk.sops_data("modify_cron_for_periodic_task", 7, 2, body={})
    assert every_minute == {"cron": "* * * * * (m/h/d/dM/MY) Asia/Shanghai"}
    listed = await bk.sops_data("get_periodic_task_list", 2)
    assert listed[0]["cron"] == "* * * * * (m/h/d/dM/MY) Asia/Shanghai"


async def test_modify_cron_rejects_invalid_fields(bk: Bk) -> None:
    body = await bk.sops("modify_cron_for_periodic_task", 7, 2, body={"cron": {"hour": "25"}})
    assert body["code"] == 3599999


async def test_modify_constants_returns_the_full_constants_map(bk: Bk) -> None:
    data = await bk.sops_data(
        "modify_constants_for_periodic_task",
        7,
        2,
        body={"constants": {"${wait_seconds}": "90", "${nope}": "x"}},
    )
    assert list(data) == ["${ip_list}", "${script_content}", "${wait_seconds}", "${job_inst_id}"]
    assert data["${wait_seconds}"]["value"] == "90"
    info = await bk.sops_data("get_periodic_task_info", 7, 2)
    assert info["form"]["${wait_seconds}"]["value"] == "90"


async def test_modify_constants_rejects_a_non_object(bk: Bk) -> None:
    body = await bk.sops("modify_constants_for_periodic_task", 7, 2, body={"constants": [1]})
    assert body["code"] == 3599999


async def test_periodic_calls_work_through_esb_too(bk: Bk) -> None:
    data = await bk.esb_sops("set_periodic_task_enabled", task_id=7, enabled=False)
    assert data["data"] == {"enabled": False}
    info = await bk.esb_sops("get_periodic_task_info", method="GET", task_id="7")
    assert info["data"]["enabled"] is False
