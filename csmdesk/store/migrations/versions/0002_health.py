"""health: score cache, manual overrides, risk history, dismissed signals

Revision ID: 0002_health
Revises: 0001_initial
Create Date: 2026-11-25 11:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_health"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "healthscore",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("on", sa.Date(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=True),
        sa.Column("band", sa.String(length=10), nullable=True),
        sa.Column("effective_band", sa.String(length=10), nullable=True),
        sa.Column("trend", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "healthoverride",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("band", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("set_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("cleared_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
    )
    with op.batch_alter_table("healthoverride", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_healthoverride_account_id"), ["account_id"], unique=False
        )
    op.create_table(
        "riskevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("risk_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["risk_id"], ["risk.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("riskevent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_riskevent_risk_id"), ["risk_id"], unique=False)
    op.create_table(
        "dismissedsignal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("dismissed_on", sa.Date(), nullable=False),
        sa.Column("until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id", "kind", name="uq_dismissedsignal"),
    )
    with op.batch_alter_table("dismissedsignal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dismissedsignal_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("dismissedsignal")
    op.drop_table("riskevent")
    op.drop_table("healthoverride")
    op.drop_table("healthscore")
