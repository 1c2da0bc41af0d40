"""Seeded users and their rights, and the IAM denial payloads both platforms return."""

from __future__ import annotations

from dataclasses import dataclass

from ._common import JSONObj

__all__ = [
    "JOB_ACTION_NAMES",
    "JOB_READ_ACTIONS",
    "SOPS_READ_ACTIONS",
    "Directory",
    "UserRights",
    "job_permission",
]

# bk-job §3: the action ids the `permission` object names.
JOB_ACTION_NAMES: dict[str, str] = {
    "access_business": "业务访问",
    "view_job_plan": "查看执行方案",
    "view_script": "查看脚本",
    "view_history": "查看执行历史",
    "quick_execute_script": "快速执行脚本",
    "quick_transfer_file": "快速分发文件",
    "execute_script": "执行脚本",
    "execute_public_script": "执行公共脚本",
    "launch_job_plan": "执行方案",
    "create_cron": "新建定时任务",
    "manage_cron": "管理定时任务",
    "use_account": "使用账号",
}

JOB_READ_ACTIONS = frozenset(
    {"access_business", "view_job_plan", "view_script", "view_history"},
)

# bk-sops §1.2: the view-side actions; everything else changes state.
SOPS_READ_ACTIONS = frozenset(
    {
        "project_view",
        "flow_view",
        "common_flow_view",
        "task_view",
        "periodic_task_view",
    },
)


@dataclass(frozen=True)
class UserRights:
    """What one user may do: in which businesses, and whether only reading."""

    name: str
    businesses: frozenset[int] | None  # None = every business
    read_only: bool = False

    def allowed(self, biz_id: int, action: str) -> bool:
        if self.businesses is not None and biz_id not in self.businesses:
            return False
        if self.read_only:
            return action in JOB_READ_ACTIONS or action in SOPS_READ_ACTIONS
        return True


class Directory:
    """The sandbox's user directory (CMDB/IAM stand-in)."""

    def __init__(self) -> None:
        full = frozenset({2, 3})
        self.users: dict[str, UserRights] = {
            "admin": UserRights("admin", full),
            "alice": UserRights("alice", full),
            "bob": UserRights("bob", full),
            "carol": UserRights("carol", None, read_only=True),
            "dave": UserRights("dave", frozenset({3})),
        }

    def exists(self, name: str) -> bool:
        return name in self.users

    def allowed(self, user: str, biz_id: int, action: str) -> bool:
        rights = self.users.get(user)
        return rights is not None and rights.allowed(biz_id, action)


def job_permission(action: str, biz_id: int, biz_name: str, resource: JSONObj | None) -> JSONObj:
    """bk-job §3: the `permission` object attached to a 9900403 answer."""
    biz_instance = {"id": str(biz_id), "type": "biz", "type_name": "业务", "name": biz_name}
    if resource is None:
        related = {
            "system_id": "bk_cmdb",
            "system_name": "配置平台",
            "type": "biz",
            "type_name": "业务",
            "instances": [[biz_instance]],
        }
    else:
        related = {
            "system_id": "bk_job",
            "system_name": "作业平台",
            "type": resource["type"],
            "type_name": resource["type_name"],
            "instances": [[biz_instance, resource]],
        }
    return {
        "system_id": "bk_job",
        "system_name": "作业平台",
        "actions": [
            {
                "id": action,
                "name": JOB_ACTION_NAMES.get(action, action),
                "related_resource_types": [related],
            },
        ],
    }
