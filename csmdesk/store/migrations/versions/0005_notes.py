"""notes and reviews: note revisions, QBR/EBR records

Revision ID: 0005_notes
Revises: 0004_rhythm
Create Date: 2026-12-06 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_notes"
down_revision = "0004_rhythm"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "noterevision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.String(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["note.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_noterevision_note_id", "noterevision", ["note_id"])
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=3), nullable=False),
        sa.Column("period", sa.String(length=20), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        *(
            sa.Column(name, sa.String(), nullable=False)
            for name in (
                "attendees", "goals", "value", "usage", "roadmap", "risks", "expansion",
                "next_steps",
            )
        ),  # fmt: skip
        sa.Column("touchpoint_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["touchpoint_id"], ["touchpoint.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uid"),
        sa.UniqueConstraint("account_id", "kind", "period", name="uq_review_account_period"),
    )
    op.create_index("ix_review_account_id", "review", ["account_id"])
    op.create_index("ix_review_touchpoint_id", "review", ["touchpoint_id"])


def downgrade() -> None:
    op.drop_index("ix_review_touchpoint_id", table_name="review")
    op.drop_index("ix_review_account_id", table_name="review")
    op.drop_table("review")
    op.drop_index("ix_noterevision_note_id", table_name="noterevision")
    op.drop_table("noterevision")
