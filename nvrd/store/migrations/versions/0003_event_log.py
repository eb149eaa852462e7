"""The event log.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("type", sa.Integer(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("begin_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=True),
        sa.Column("chid", sa.Integer(), nullable=True),
        sa.Column("param", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_event_log"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_event_log_begin", "event_log", ["begin_ms"])
    op.create_index("ix_event_log_type_begin", "event_log", ["type", "begin_ms"])


def downgrade() -> None:
    op.drop_index("ix_event_log_type_begin", table_name="event_log")
    op.drop_index("ix_event_log_begin", table_name="event_log")
    op.drop_table("event_log")
