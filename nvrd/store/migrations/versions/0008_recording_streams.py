"""Recordings of a camera's sub stream: ``recordings.stream`` (``main`` or ``sub``).

Rows written before this revision are of the main stream. The sub stream is
recorded only with ``[recording] substream = true``; its files live under
``ch<N>sub/`` and its rows are found only by searches that ask for it.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "recordings",
        sa.Column("stream", sa.String(8), nullable=False, server_default="main"),
    )


def downgrade() -> None:
    with op.batch_alter_table("recordings") as batch:
        batch.drop_column("stream")
