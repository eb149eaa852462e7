"""The object log: one row per object seen, and its attribute index.

``object_log`` holds each ``ObjectSeen`` as reported (``attributes`` JSON,
``image`` a data-dir-relative crop path or a pushed URL) and an optional
``embedding`` (BLOB/BYTEA) kept for face search. Searches by time, channel
and type read ``ix_object_log_at``, ``ix_object_log_chid_at`` or
``ix_object_log_type_at`` in time order.

``object_tag`` holds one row per search tag of an entry (``face.gender=male``,
``human.top.color=red``, ``vehicle.vehicleType=bus``), keyed by
(tag, at_ms, object_id) and carrying ``chid``: a filtered search reads one
tag's postings in time order and checks the other tags by primary-key
lookups (a covering index: the primary key of a WITHOUT ROWID table on
SQLite, INCLUDE columns on PostgreSQL). ``ix_object_tag_object`` serves
retention, which deletes by entry id.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "object_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.Column("chid", sa.Integer(), nullable=False),
        sa.Column("obj_id", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("likelihood", sa.Float(), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_object_log"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_object_log_at", "object_log", ["at_ms"])
    op.create_index("ix_object_log_type_at", "object_log", ["type", "at_ms"])
    op.create_index("ix_object_log_chid_at", "object_log", ["chid", "at_ms"])
    if pg:
        op.execute(
            "CREATE TABLE object_tag (tag VARCHAR(48) NOT NULL, at_ms BIGINT NOT NULL, "
            "object_id INTEGER NOT NULL, chid INTEGER NOT NULL, "
            "CONSTRAINT pk_object_tag PRIMARY KEY (tag, at_ms, object_id) INCLUDE (chid))"
        )
    else:
        op.create_table(
            "object_tag",
            sa.Column("tag", sa.String(48), nullable=False),
            sa.Column("at_ms", sa.BigInteger(), nullable=False),
            sa.Column("object_id", sa.Integer(), nullable=False),
            sa.Column("chid", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("tag", "at_ms", "object_id", name="pk_object_tag"),
            sqlite_with_rowid=False,
        )
    op.create_index("ix_object_tag_object", "object_tag", ["object_id"])


def downgrade() -> None:
    op.drop_index("ix_object_tag_object", table_name="object_tag")
    op.drop_table("object_tag")
    op.drop_index("ix_object_log_chid_at", table_name="object_log")
    op.drop_index("ix_object_log_type_at", table_name="object_log")
    op.drop_index("ix_object_log_at", table_name="object_log")
    op.drop_table("object_log")
