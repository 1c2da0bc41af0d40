"""Initial schema: channel settings, watches, the notification outbox, audit."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Frozen copies of the column types at this revision (see bot/store/_types.py).
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def _ts(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "channel_settings",
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("biz", sa.BigInteger(), nullable=False),
        sa.Column("set_by", sa.String(255), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("channel", name="pk_channel_settings"),
    )
    op.create_table(
        "watches",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("biz", sa.BigInteger(), nullable=False),
        sa.Column("bk_username", sa.String(255), nullable=True),
        sa.Column("started_by", sa.String(255), nullable=True),
        sa.Column("channel", sa.String(64), nullable=True),
        sa.Column("card_ts", sa.String(64), nullable=True),
        sa.Column("thread_ts", sa.String(64), nullable=True),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("last_snapshot", JSON, nullable=True),
        sa.Column("log_cursors", JSON, nullable=False),
        _ts("next_poll_at"),
        sa.Column("lease_owner", sa.String(255), nullable=True),
        _ts("lease_expires_at", nullable=True),
        _ts("card_posted_at"),
        _ts("created_at"),
        _ts("updated_at"),
        _ts("ended_at", nullable=True),
        sa.Column("end_reason", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_watches"),
        sa.UniqueConstraint("kind", "run_id", "biz", name="uq_watches_kind_run_id_biz"),
        sa.CheckConstraint("kind IN ('job', 'sops')", name="ck_watches_kind"),
        sa.CheckConstraint("status IN ('active', 'ended')", name="ck_watches_status"),
    )
    op.create_index("ix_watches_due", "watches", ["status", "next_poll_at"])
    op.create_index("ix_watches_recent", "watches", ["status", "card_posted_at"])
    op.create_table(
        "notifications",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("watch_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _ts("created_at"),
        _ts("next_attempt_at"),
        _ts("sent_at", nullable=True),
        sa.Column("slack_ts", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_notifications"),
        sa.ForeignKeyConstraint(
            ["watch_id"],
            ["watches.id"],
            name="fk_notifications_watch_id_watches",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("watch_id", "key", name="uq_notifications_watch_id_key"),
        sa.CheckConstraint("state IN ('pending', 'sent', 'failed')", name="ck_notifications_state"),
    )
    op.create_index("ix_notifications_watch", "notifications", ["watch_id", "state", "id"])
    op.create_table(
        "audit",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        _ts("at"),
        sa.Column("slack_user", sa.String(64), nullable=False),
        sa.Column("bk_username", sa.String(255), nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("biz", sa.BigInteger(), nullable=True),
        sa.Column("params_hash", sa.String(64), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("bk_request_id", sa.String(255), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit"),
    )
    op.create_index("ix_audit_at", "audit", ["at"])


def downgrade() -> None:
    op.drop_table("audit")
    op.drop_table("notifications")
    op.drop_table("watches")
    op.drop_table("channel_settings")
