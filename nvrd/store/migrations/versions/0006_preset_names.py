"""Preset names kept by the server for ONVIF cameras.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "preset_names",
        sa.Column("chid", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(128), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.PrimaryKeyConstraint("chid", "token", name="pk_preset_names"),
    )


def downgrade() -> None:
    op.drop_table("preset_names")
