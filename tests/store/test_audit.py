"""The audit trail: entries with a canonical parameters hash, newest first."""

from __future__ import annotations

from datetime import timedelta

from bot.store import AuditResult, AuditStore, JsonObject, hash_params
from tests.store.conftest import T0, FakeClock


async def test_recorded_action_is_stored_with_the_hash_of_its_parameters(
    audit: AuditStore,
) -> None:
    params: JsonObject = {"plan": 1000, "vars": {"version": "1.2"}, "password": "***"}
    entry = await audit.record(
        slack_user="U01",
        bk_username="ann",
        action="job.run",
        params=params,
        result=AuditResult.OK,
        biz=2,
        bk_request_id="a1b2c3",
    )
    assert entry.id > 0
    assert entry.at == T0
    assert entry.params == params
    assert entry.params_hash == hash_params(params)
    assert await audit.recent(10) == [entry]


def test_parameter_hash_ignores_key_order_but_not_values() -> None:
    one: JsonObject = {"a": 1, "b": [1, 2]}
    assert hash_params(one) == hash_params({"b": [1, 2], "a": 1})
    assert hash_params({"a": 1}) != hash_params({"a": 2})
    assert len(hash_params({})) == 64


async def test_an_approval_hash_given_by_the_caller_is_kept(audit: AuditStore) -> None:
    entry = await audit.record(
        slack_user="U01",
        bk_username=None,
        action="sops.revoke",
        params={"task": 41},
        result=AuditResult.DENIED,
        params_hash="f" * 64,
        detail="not an approver",
    )
    assert (entry.params_hash, entry.bk_username, entry.detail) == (
        "f" * 64,
        None,
        "not an approver",
    )


async def test_recent_lists_newest_entries_first(audit: AuditStore, clock: FakeClock) -> None:
    for n in range(3):
        await audit.record(
            slack_user="U01",
            bk_username="ann",
            action=f"job.step.{n}",
            params={},
            result=AuditResult.FAILED,
        )
        clock.advance(1)
    entries = await audit.recent(2)
    assert [e.action for e in entries] == ["job.step.2", "job.step.1"]
    assert entries[0].at == T0 + timedelta(seconds=2)
