"""CRM sync: the outbox, conflicts, runs and per-provider state; the synced values of links

Revision ID: 0007_sync
Revises: 0006_kpi_indexes
Create Date: 2026-12-08 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sync"
down_revision = "0006_kpi_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("externalref") as batch:
        batch.add_column(sa.Column("synced", sa.String(), nullable=True))
    op.create_table(
        "syncoutbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("fields", sa.String(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("next_try_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider", "entity", "entity_id", name="uq_syncoutbox_record"),
    )
    op.create_table(
        "syncconflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("local_value", sa.String(), nullable=True),
        sa.Column("remote_value", sa.String(), nullable=True),
        sa.Column("remote_id", sa.String(length=100), nullable=False),
        sa.Column("remote_changed_at", sa.DateTime(), nullable=True),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.String(length=10), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_syncconflict_entity_id", "syncconflict", ["entity_id"])
    op.create_table(
        "syncrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("full", sa.Boolean(), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False)
          for name in ("pulled", "pushed", "conflicts", "failed", "requests")),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("details", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )  # fmt: skip
    op.create_index("ix_syncrun_provider", "syncrun", ["provider"])
    op.create_table(
        "syncstate",
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("provider", "name"),
    )


def downgrade() -> None:
    op.drop_table("syncstate")
    op.drop_index("ix_syncrun_provider", table_name="syncrun")
    op.drop_table("syncrun")
    op.drop_index("ix_syncconflict_entity_id", table_name="syncconflict")
    op.drop_table("syncconflict")
    op.drop_table("syncoutbox")
    with op.batch_alter_table("externalref") as batch:
        batch.drop_column("synced")
