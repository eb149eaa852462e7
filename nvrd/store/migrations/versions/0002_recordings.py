"""The recording index.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("file_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chid", sa.Integer(), nullable=False),
        sa.Column("root", sa.String(1024), nullable=False),
        sa.Column("rel_path", sa.String(1024), nullable=False),
        sa.Column("start_ms", sa.BigInteger(), nullable=False),
        sa.Column("end_ms", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("codec", sa.String(32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("state", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("file_id", name="pk_recordings"),
        sa.UniqueConstraint("root", "rel_path", name="uq_recordings_root_rel_path"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_recordings_chid_start", "recordings", ["chid", "start_ms"])
    op.create_index("ix_recordings_root_start", "recordings", ["root", "start_ms"])


def downgrade() -> None:
    op.drop_index("ix_recordings_root_start", table_name="recordings")
    op.drop_index("ix_recordings_chid_start", table_name="recordings")
    op.drop_table("recordings")
