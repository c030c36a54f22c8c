"""rhythm: cadence and review overrides, renewals with a checklist, Today's snoozes

Revision ID: 0004_rhythm
Revises: 0003_signals
Create Date: 2026-11-25 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_rhythm"
down_revision = "0003_signals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("cadence_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("review_kind", sa.String(length=3), nullable=True))
    op.create_table(
        "renewal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("renewal_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("checklist", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("arr_event_id", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["arr_event_id"], ["arrevent.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
        sa.UniqueConstraint("account_id", "renewal_date", name="uq_renewal_account_date"),
    )
    op.create_index("ix_renewal_account_id", "renewal", ["account_id"])
    op.create_table(
        "todaystate",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("todaystate")
    op.drop_index("ix_renewal_account_id", table_name="renewal")
    op.drop_table("renewal")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("review_kind")
        batch.drop_column("cadence_days")
