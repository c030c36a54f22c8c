"""an index for the book's numbers: the ARR in force on a date

Revision ID: 0006_kpi_indexes
Revises: 0005_notes
Create Date: 2026-12-08 01:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0006_kpi_indexes"
down_revision = "0005_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each account's latest event on or before a date is one index probe per account.
    op.create_index("ix_arrevent_account_on", "arrevent", ["account_id", "on", "id"])


def downgrade() -> None:
    op.drop_index("ix_arrevent_account_on", table_name="arrevent")
