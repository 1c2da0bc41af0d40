"""Seeded users and IAM: read-only carol, business-3-only dave, strangers."""

from __future__ import annotations

from .conftest import Bk, b64, ips


async def test_carol_can_read_job_plans_scripts_and_history(bk: Bk) -> None:
    assert (await bk.job("get_job_detail", user="carol", bk_job_id=1000123))["result"] is True
    assert (await bk.job("get_job_instance_status", user="carol", job_instance_id=20000123456))[
        "result"
    ] is True
    listed = await bk.job("get_script_list", user="carol", return_script_content=True)
    assert listed["result"] is True


async def test_carol_cannot_launch_a_plan_and_gets_a_permission_object(bk: Bk) -> None:
    body = await bk.job("execute_job", user="carol", bk_job_id=1000123)
    assert body["code"] == 9900403
    assert body["data"] is None
    permission = body["permission"]
    assert permission["system_id"] == "bk_job"
    action = permission["actions"][0]
    assert action["id"] == "launch_job_plan"
    related = action["related_resource_types"][0]
    assert related["type"] == "job_plan"
    assert {
        "id": "1000123",
        "type": "job_plan",
        "type_name": "执行方案",
        "name": "deploy-web (prod)",
    } in related["instances"][0]


async def test_carol_cannot_run_scripts_manage_crons_or_operate_runs(bk: Bk) -> None:
    fast = await bk.job(
        "fast_execute_script",
        user="carol",
        script_content=b64("uptime"),
        script_type=1,
        account="root",
        target_server=ips("10.0.0.11"),
    )
    assert fast["code"] == 9900403
    assert fast["permission"]["actions"][0]["id"] == "quick_execute_script"
    cron = await bk.job("update_cron_status", user="carol", cron_id=1000066, cron_status=2)
    assert cron["permission"]["actions"][0]["id"] == "manage_cron"
    create = await bk.job(
        "save_cron", user="carol", bk_job_id=1000123, cron_name="x", cron_expression="0 * * * *"
    )
    assert create["permission"]["actions"][0]["id"] == "create_cron"
    stop = await bk.job(
        "operate_step_instance",
        user="carol",
        job_instance_id=20000123500,
        step_instance_id=20000234600,
        operation_code=2,
    )
    assert stop["code"] == 9900403


async def test_validation_errors_come_before_permission_denials(bk: Bk) -> None:
    body = await bk.job(
        "fast_execute_script",
        user="carol",
        script_content=b64("uptime"),
        script_type=1,
        account="nobody",
        target_server=ips("10.0.0.11"),
    )
    assert body["code"] == 1244003


async def test_dave_is_denied_business_2_but_works_in_business_3(bk: Bk) -> None:
    denied = await bk.job("get_job_list", user="dave")
    assert denied["code"] == 9900403
    assert denied["permission"]["actions"][0]["id"] == "access_business"
    assert denied["permission"]["actions"][0]["related_resource_types"][0]["instances"] == [
        [{"id": "2", "type": "biz", "type_name": "业务", "name": "demo-biz"}]
    ]
    rows = await bk.job_data("get_job_list", user="dave", bk_biz_id=3)
    assert [r["bk_job_id"] for r in rows] == [1000200]
    started = await bk.job_data("execute_job", user="dave", bk_biz_id=3, bk_job_id=1000200)
    assert started["job_instance_name"] == "payments canary restart"
    bk.advance(30)
    status = await bk.job_data(
        "get_job_instance_status",
        user="dave",
        bk_biz_id=3,
        job_instance_id=started["job_instance_id"],
    )
    assert status["job_instance"]["status"] == 3


async def test_public_scripts_need_no_business_access(bk: Bk) -> None:
    assert (await bk.job("get_public_script_list", user="dave"))["result"] is True


async def test_carol_can_read_sops_but_not_create_or_operate(bk: Bk) -> None:
    assert (await bk.sops("get_template_list", 2, user="carol"))["result"] is True
    assert (await bk.sops("get_task_status", 1087, 2, user="carol"))["result"] is True
    rows = await bk.sops_data("get_template_list", 2, user="carol")
    assert rows[0]["auth_actions"] == ["flow_view"]
    created = await bk.sops("create_task", 42, 2, user="carol", body={"name": "x"})
    assert created["code"] == 3599999
    assert created["message"] == (
        "iam authentication exception, please check, action:flow_create_task"
    )
    assert "trace_id" in created
    operate = await bk.sops("operate_task", 1087, 2, user="carol", body={"action": "pause"})
    assert operate["message"].endswith("action:task_operate")
    edit = await bk.sops("set_periodic_task_enabled", 7, 2, user="carol", body={})
    assert edit["message"].endswith("action:periodic_task_edit")
    periodic = await bk.sops_data("get_periodic_task_list", 2, user="carol")
    assert periodic[0]["auth_actions"] == ["periodic_task_view"]


async def test_dave_is_denied_sops_project_3_but_not_project_4(bk: Bk) -> None:
    body = await bk.sops("get_template_list", 2, user="dave")
    assert body["code"] == 3599999
    assert body["message"].endswith("action:project_view")
    assert (await bk.sops("get_template_list", 3, user="dave"))["result"] is True


async def test_strangers_are_refused_by_every_entry_point(bk: Bk) -> None:
    assert (await bk.job("get_job_list", user="eve"))["code"] == 1247001
    assert (await bk.esb_sops("get_template_list", user="eve", method="GET"))["code"] == 1306000
    assert (await bk.gw("get_template_list", 2, user="eve")).status_code == 400
