"""signals: remember the severity a signal was muted at

Revision ID: 0003_signals
Revises: 0002_health
Create Date: 2026-11-25 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_signals"
down_revision = "0002_health"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A muted risk signal speaks again when it fires at a higher severity than this.
    op.add_column(
        "dismissedsignal",
        sa.Column("severity", sa.String(length=10), nullable=False, server_default=""),
    )
    op.create_index("ix_risk_status", "risk", ["status"])


def downgrade() -> None:
    op.drop_index("ix_risk_status", table_name="risk")
    with op.batch_alter_table("dismissedsignal") as batch:
        batch.drop_column("severity")
