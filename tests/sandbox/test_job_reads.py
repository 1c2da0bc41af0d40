"""BK-Job read operations: plans, scripts, accounts, crons and request checking."""

from __future__ import annotations

import pytest

from .conftest import Bk


async def test_scope_is_required_on_every_call_but_public_scripts(bk: Bk) -> None:
    body = (await bk.job_raw("get_job_list")).json()
    assert body["code"] == 1240003
    assert "bk_scope" in body["message"]
    public = (await bk.job_raw("get_public_script_list")).json()
    assert public["result"] is True


async def test_unknown_business_answers_1243049(bk: Bk) -> None:
    assert (await bk.job("get_job_list", bk_biz_id=99))["code"] == 1243049


async def test_business_set_scope_answers_1243051(bk: Bk) -> None:
    body = await bk.job("get_job_list", bk_biz_id=None, bk_scope_type="biz_set", bk_scope_id="9")
    assert body["code"] == 1243051


async def test_scope_fields_win_over_bk_biz_id(bk: Bk) -> None:
    data = await bk.job_data("get_job_list", bk_biz_id=2, bk_scope_type="biz", bk_scope_id="3")
    assert {row["bk_biz_id"] for row in data} == {3}


async def test_bad_scope_type_answers_1240003(bk: Bk) -> None:
    body = await bk.job("get_job_list", bk_scope_type="tenant", bk_scope_id="2")
    assert body["code"] == 1240003


async def test_get_job_list_returns_every_plan_without_length(bk: Bk) -> None:
    data = await bk.job_data("get_job_list")
    assert [row["bk_job_id"] for row in data] == [1000123, 1000124, 1000125, 1000126, 1000127]
    assert data[0] == {
        "bk_biz_id": 2,
        "bk_scope_type": "biz",
        "bk_scope_id": "2",
        "bk_job_id": 1000123,
        "name": "deploy-web (prod)",
        "creator": "alice",
        "create_time": "2024-05-20 10:12:31",
        "last_modify_user": "bob",
        "last_modify_time": "2025-01-08 17:40:02",
    }


async def test_get_job_list_filters_and_pages(bk: Bk) -> None:
    assert [r["bk_job_id"] for r in await bk.job_data("get_job_list", name="DEPLOY")] == [1000123]
    assert [r["bk_job_id"] for r in await bk.job_data("get_job_list", creator="bob")] == [
        1000124,
        1000126,
    ]
    paged = await bk.job_data("get_job_list", start=1, length=2)
    assert [r["bk_job_id"] for r in paged] == [1000124, 1000125]
    recent = await bk.job_data("get_job_list", create_time_start="2025-01-01")
    assert [r["bk_job_id"] for r in recent] == [1000126, 1000127]
    # bk-job §5.1: the end date is midnight of that day.
    early = await bk.job_data("get_job_list", create_time_end="2024-05-21")
    assert [r["bk_job_id"] for r in early] == [1000123]


async def test_get_job_list_rejects_a_malformed_date(bk: Bk) -> None:
    assert (await bk.job("get_job_list", create_time_start="20-01-2025"))["code"] == 1241005


async def test_get_job_detail_matches_the_reference_example(bk: Bk) -> None:
    data = await bk.job_data("get_job_detail", bk_job_id=1000123)
    assert data["template_id"] == 1000045
    stop, push, confirm = data["steps"]
    assert stop["step_id"] == 2000501
    assert stop["type"] == 1
    assert stop["script_content"] == "#!/bin/bash\nsystemctl stop web\n"
    assert stop["ip_list"] == [{"bk_host_id": 301, "bk_cloud_id": 0, "ip": "10.0.0.11"}]
    assert stop["account"] == "root"
    assert stop["account_id"] == 3
    assert push["type"] == 2
    assert push["file_target_path"] == "/data/release/"
    assert push["file_source"][0]["files"] == ["/data/pkg/web-1.4.2.tar.gz"]
    assert push["script_content"] is None
    assert confirm["type"] == 3
    assert confirm["confirm_message"] == "Please confirm the restart of web"
    version, hosts = data["global_vars"]
    assert version["value"] == "1.4.2"
    assert hosts["category"] == 3
    assert hosts["ip_list"] == [{"bk_host_id": 301, "bk_cloud_id": 0, "ip": "10.0.0.11"}]
    assert '"hostId":301' in hosts["value"]


async def test_get_job_detail_returns_password_variables_in_plain_text(bk: Bk) -> None:
    data = await bk.job_data("get_job_detail", bk_job_id=1000124)
    by_name = {v["name"]: v for v in data["global_vars"]}
    assert by_name["db_password"]["category"] == 4
    assert by_name["db_password"]["value"] == "S3cr3t-Sandbox!"
    assert by_name["db_name"]["category"] == 2


@pytest.mark.parametrize(("plan_id", "code"), [(0, 1241007), (999, 1243009), (1000200, 1243009)])
async def test_get_job_detail_rejects_bad_or_unknown_plans(bk: Bk, plan_id: int, code: int) -> None:
    assert (await bk.job("get_job_detail", bk_job_id=plan_id))["code"] == code


async def test_get_script_list_matches_the_reference_example(bk: Bk) -> None:
    data = await bk.job_data(
        "get_script_list", script_name="disk", script_type=1, start=0, length=10
    )
    assert data["start"] == 0
    assert data["page_size"] == 10
    assert data["total_record_size"] == 2
    first, second = data["data"]
    assert first == {
        "id": 6862,
        "name": "check_disk.sh",
        "version": "v1.2",
        "tag": None,
        "type": 1,
        "public": False,
        "bk_biz_id": 2,
        "bk_scope_type": "biz",
        "bk_scope_id": "2",
        "creator": "alice",
        "create_time": "2024-06-27 09:23:06",
        "last_modify_user": "alice",
        "last_modify_time": "2024-07-01 02:11:45",
        "content": None,
    }
    assert second["id"] == 7010


async def test_get_script_list_returns_everything_without_length_and_hides_offline(
    bk: Bk,
) -> None:
    data = await bk.job_data("get_script_list", return_script_content=True)
    ids = [row["id"] for row in data["data"]]
    assert ids == [6862, 7010, 7020, 7030, 7040]  # 7011 (disabled v2) is not listed
    assert data["page_size"] == 5
    assert data["data"][0]["content"].startswith("#!/bin/bash")
    types = {row["type"] for row in data["data"]}
    assert {1, 3, 4, 6} <= types


async def test_get_script_list_lists_public_scripts_with_is_public(bk: Bk) -> None:
    data = await bk.job_data("get_script_list", is_public=True)
    assert [row["id"] for row in data["data"]] == [36, 37]


async def test_get_script_list_rejects_unknown_script_types(bk: Bk) -> None:
    assert (await bk.job("get_script_list", script_type=9))["code"] == 1241007


async def test_empty_script_page_reports_page_size_10(bk: Bk) -> None:
    data = await bk.job_data("get_script_list", script_name="no-such-script")
    assert data == {"start": 0, "page_size": 10, "total_record_size": 0, "data": []}


async def test_get_public_script_list_matches_the_reference_example(bk: Bk) -> None:
    data = await bk.job_data(
        "get_public_script_list", bk_biz_id=None, script_name="ping", start=0, length=5
    )
    assert data["page_size"] == 5
    assert data["data"] == [
        {
            "id": 36,
            "name": "net_ping_check",
            "version": "v1.0",
            "tag": None,
            "type": 4,
            "public": True,
            "bk_biz_id": None,
            "bk_scope_type": None,
            "bk_scope_id": None,
            "creator": "admin",
            "create_time": "2023-07-23 07:45:37",
            "last_modify_user": "admin",
            "last_modify_time": "2023-07-23 09:24:17",
            "content": None,
        }
    ]


async def test_get_public_script_list_rejects_script_type_zero(bk: Bk) -> None:
    assert (await bk.job("get_public_script_list", script_type=0))["code"] == 1241007


async def test_get_script_detail_leaves_content_null(bk: Bk) -> None:
    data = await bk.job_data("get_script_detail", id=6862)
    assert data["name"] == "check_disk.sh"
    assert data["content"] is None
    public = await bk.job_data("get_script_detail", id=36)
    assert public["public"] is True


@pytest.mark.parametrize(
    ("script_id", "biz", "code"), [(0, 2, 1241007), (5, 2, 1243047), (7100, 2, 1243004)]
)
async def test_get_script_detail_rejects_bad_ids(
    bk: Bk, script_id: int, biz: int, code: int
) -> None:
    assert (await bk.job("get_script_detail", id=script_id, bk_biz_id=biz))["code"] == code


async def test_get_script_detail_needs_a_scope_even_for_public_scripts(bk: Bk) -> None:
    assert (await bk.job_raw("get_script_detail", id=36)).json()["code"] == 1240003


async def test_get_os_account_matches_the_reference_example(bk: Bk) -> None:
    data = await bk.job_data("get_os_account")
    assert [(a["id"], a["account"], a["alias"], a["os"]) for a in data] == [
        (3, "root", "root", "Linux"),
        (2, "Administrator", "Administrator", "Windows"),
        (19, "deploy", "deploy-user", "Linux"),
    ]
    assert data[2]["create_time"] == "2024-08-10 03:49:20"


async def test_get_os_account_needs_a_scope(bk: Bk) -> None:
    assert (await bk.job_raw("get_os_account")).json()["code"] == 1240003


async def test_get_own_db_account_list_filters_by_grantee_and_ignores_paging(bk: Bk) -> None:
    alice = await bk.job_data("get_own_db_account_list", user="alice", start=0, length=1)
    assert [a["db_account_id"] for a in alice] == [1000]
    assert alice[0]["db_alias"] == "mysql-readonly"
    admin = await bk.job_data("get_own_db_account_list", user="admin", start=5, length=1)
    assert [a["db_account_id"] for a in admin] == [1000, 1001]


async def test_get_own_db_account_list_rejects_a_non_numeric_business(bk: Bk) -> None:
    assert (await bk.job("get_own_db_account_list", bk_biz_id="two"))["code"] == 1240003


async def test_get_cron_list_matches_the_reference_example(bk: Bk) -> None:
    data = await bk.job_data("get_cron_list", cron_status=1, start=0, length=50)
    assert data == [
        {
            "bk_biz_id": 2,
            "bk_scope_type": "biz",
            "bk_scope_id": "2",
            "bk_job_id": 1000123,
            "cron_id": 1000066,
            "cron_name": "nightly cleanup",
            "cron_status": 1,
            "cron_expression": "30 2 * * *",
            "creator": "alice",
            "create_time": "2024-11-02 10:20:00",
            "last_modify_user": "alice",
            "last_modify_time": "2024-11-02 10:21:15",
        }
    ]


async def test_get_cron_list_defaults_to_ten_rows(bk: Bk, sandbox: object) -> None:
    for n in range(12):
        body = await bk.job(
            "save_cron", bk_job_id=1000123, cron_name=f"c{n}", cron_expression="0 * * * *"
        )
        assert body["result"] is True
    assert len(await bk.job_data("get_cron_list")) == 10
    assert len(await bk.job_data("get_cron_list", length=100)) == 14


async def test_get_cron_list_by_id_ignores_other_filters(bk: Bk) -> None:
    data = await bk.job_data("get_cron_list", cron_id=1000067, cron_status=1)
    assert [c["cron_id"] for c in data] == [1000067]
    assert await bk.job_data("get_cron_list", cron_id=5) == [None]


async def test_get_cron_list_rejects_a_non_numeric_cron_id(bk: Bk) -> None:
    assert (await bk.job("get_cron_list", cron_id="abc"))["code"] == 1241020
