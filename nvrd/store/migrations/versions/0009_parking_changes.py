"""Parking count changes made outside the server (``nvrd parking-lot set-count``).

An outbox: the command line writes one row in the same transaction as the
count; the running server publishes ``parkingCount`` for it and deletes it.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parking_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("lot_id", sa.Integer(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parking_changes"),
    )


def downgrade() -> None:
    op.drop_table("parking_changes")
