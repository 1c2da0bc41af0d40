"""The policy file (BKBOT_POLICY_FILE): Slack → BlueKing user table and roles (product.md §6)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import ConfigError

__all__ = ["Policy", "load_policy"]


class Policy(BaseModel):
    """Identity and roles. Rules and approvals are read by the approval engine."""

    # Unknown top-level keys (rules, approvals) belong to other readers of the same file.
    model_config = ConfigDict(extra="allow", frozen=True)

    # Slack user ID (or console login) → BlueKing user name.
    users: dict[str, str] = Field(default_factory=dict)
    # Role name → Slack user IDs or user-group IDs.
    roles: dict[str, list[str]] = Field(default_factory=dict)
    # In sandbox mode everyone acts as this BlueKing user unless ``users`` says otherwise.
    sandbox_user: str = "admin"

    def roles_of(self, user_id: str, groups: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Role names whose members include the user or one of their groups."""
        ids = {user_id, *groups}
        return tuple(sorted(r for r, members in self.roles.items() if ids & set(members)))


def load_policy(path: Path | None) -> Policy:
    """Read and validate the policy file; built-in defaults when there is none."""
    if path is None:
        return Policy()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"Cannot read the policy file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"The policy file {path} is not valid YAML: {exc}") from exc
    try:
        return Policy.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"The policy file {path} is invalid at {where}: {first['msg']}") from exc
