"""LPR sources, emergency-call devices, parking lots and the vehicle-number log.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lpr_sources",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("linked", sa.Text(), nullable=False),
        sa.Column("tag", sa.String(16), nullable=False),
        sa.Column("zone", sa.Text(), nullable=True),
        sa.Column("parking_entrance", sa.Integer(), nullable=True),
        sa.Column("parking_exit", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lpr_sources"),
        sa.UniqueConstraint("code", name="uq_lpr_sources_code"),
    )
    op.create_table(
        "emergency_calls",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("linked", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_emergency_calls"),
        sa.UniqueConstraint("code", name="uq_emergency_calls_code"),
    )
    op.create_table(
        "parking_lots",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("max_count", sa.Integer(), nullable=False),
        sa.Column("members", sa.Text(), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parking_lots"),
    )
    op.create_table(
        "lpr_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("when_ms", sa.BigInteger(), nullable=False),
        sa.Column("time_begin_ms", sa.BigInteger(), nullable=False),
        sa.Column("src_id", sa.Integer(), nullable=True),
        sa.Column("src_code", sa.String(64), nullable=False),
        sa.Column("src_name", sa.String(255), nullable=False),
        sa.Column("chid", sa.Integer(), nullable=True),
        sa.Column("linked", sa.Text(), nullable=False),
        sa.Column("plate_no", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("roi", sa.Text(), nullable=True),
        sa.Column("direction", sa.String(8), nullable=True),
        sa.Column("parking_entrance", sa.Integer(), nullable=True),
        sa.Column("parking_exit", sa.Integer(), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_lpr_log"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_lpr_log_when", "lpr_log", ["when_ms"])
    op.create_index("ix_lpr_log_plate_when", "lpr_log", ["plate_no", "when_ms"])


def downgrade() -> None:
    op.drop_index("ix_lpr_log_plate_when", table_name="lpr_log")
    op.drop_index("ix_lpr_log_when", table_name="lpr_log")
    op.drop_table("lpr_log")
    op.drop_table("parking_lots")
    op.drop_table("emergency_calls")
    op.drop_table("lpr_sources")
