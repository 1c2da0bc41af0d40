"""The BlueKing response envelope and the IAM ``permission`` object shared by both APIs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Envelope",
    "Permission",
    "PermissionAction",
    "PermissionInstance",
    "PermissionResourceType",
]


class _Tolerant(BaseModel):
    """Response-side model: unknown fields are kept, never rejected."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)


class PermissionInstance(_Tolerant):
    """One resource instance the user lacks access to (bk-job §3 ``instances``)."""

    id: str | int | None = None
    type: str | None = None
    type_name: str | None = None
    name: str | None = None


class PermissionResourceType(_Tolerant):
    """A resource type related to a missing action."""

    system_id: str | None = None
    system_name: str | None = None
    type: str | None = None
    type_name: str | None = None
    instances: list[list[PermissionInstance]] = Field(default_factory=list)


class PermissionAction(_Tolerant):
    """One IAM action the user is missing, e.g. ``launch_job_plan``."""

    id: str
    name: str | None = None
    related_resource_types: list[PermissionResourceType] = Field(default_factory=list)


class Permission(_Tolerant):
    """The ``permission`` object returned with code 9900403 (bk-job §3)."""

    system_id: str | None = None
    system_name: str | None = None
    actions: list[PermissionAction] = Field(default_factory=list)

    def describe(self) -> str:
        """A one-line summary such as ``作业平台: launch_job_plan (执行方案 deploy-web)``."""
        parts: list[str] = []
        for action in self.actions:
            label = action.name or action.id
            names = [
                inst.name or str(inst.id)
                for rtype in action.related_resource_types
                for chain in rtype.instances
                for inst in chain
                if inst.name or inst.id is not None
            ]
            parts.append(f"{label} [{action.id}]" + (f" on {', '.join(names)}" if names else ""))
        system = self.system_name or self.system_id or "BlueKing"
        return f"{system}: {'; '.join(parts)}" if parts else system


class Envelope(_Tolerant):
    """``{result, code, message, data, …}`` as sent by ESB, BK-Job, BK-SOPS and the gateway.

    ``code`` is an int on v2/v3 (v1 used the string ``"00"``); ``message`` and ``data`` are
    optional (bk-sops §1.6). Request ids: ``request_id`` (ESB, or gateway header),
    ``job_request_id`` (BK-Job), ``trace_id`` (BK-SOPS).
    """

    result: bool
    code: int = 0
    message: str | None = None
    data: object = None
    request_id: str | None = None
    job_request_id: str | None = None
    trace_id: str | None = None
    permission: Permission | None = None
    # start_task repeats task_url at the top level (bk-sops §3.4)
    task_url: str | None = None
