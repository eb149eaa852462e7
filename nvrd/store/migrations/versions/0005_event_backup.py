"""Event backup: triggered events and their clips.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_backups",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("event_ms", sa.BigInteger(), nullable=False),
        sa.Column("chid", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("uid", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_event_backups"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_event_backups_event_ms", "event_backups", ["event_ms"])
    op.create_table(
        "event_clips",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("chid", sa.Integer(), nullable=False),
        sa.Column("rel_path", sa.String(255), nullable=False),
        sa.Column("begin_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["event_backups.id"],
            name="fk_event_clips_event_id_event_backups",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_event_clips"),
        sa.UniqueConstraint("rel_path", name="uq_event_clips_rel_path"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_event_clips_event_id", "event_clips", ["event_id"])
    op.create_index("ix_event_clips_state", "event_clips", ["state"])


def downgrade() -> None:
    op.drop_index("ix_event_clips_state", table_name="event_clips")
    op.drop_index("ix_event_clips_event_id", table_name="event_clips")
    op.drop_table("event_clips")
    op.drop_index("ix_event_backups_event_ms", table_name="event_backups")
    op.drop_table("event_backups")
