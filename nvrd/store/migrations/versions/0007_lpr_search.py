"""Vehicle-number log search: the plate's search key, a bigram index, distinct plates.

``lpr_log.plate_key`` is the plate in its search form (upper case, no spaces,
dashes or dots); ``time_end_ms`` the end of a parked car's stay.
``lpr_gram`` holds one row per distinct bigram of each entry's key, ordered
by (gram, when_ms, log_id) and carrying ``src_id`` and ``plate_key`` so that
a keyword search reads only the postings of its rarest bigram (a covering
index: the primary key of a WITHOUT ROWID table on SQLite, INCLUDE columns
on PostgreSQL). ``lpr_gram_stats`` counts each bigram's postings;
``lpr_plates`` lists the distinct plates for the similar-plate search.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _key(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch not in " -.·" and not ch.isspace())


def upgrade() -> None:
    bind = op.get_bind()
    pg = bind.dialect.name == "postgresql"
    with op.batch_alter_table("lpr_log") as batch:
        batch.add_column(sa.Column("plate_key", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("time_end_ms", sa.BigInteger(), nullable=True))
    op.create_index("ix_lpr_log_src_when", "lpr_log", ["src_id", "when_ms"])
    if pg:
        op.execute(
            "CREATE TABLE lpr_gram (gram VARCHAR(2) NOT NULL, when_ms BIGINT NOT NULL, "
            "log_id INTEGER NOT NULL, src_id INTEGER, plate_key VARCHAR(64) NOT NULL, "
            "CONSTRAINT pk_lpr_gram PRIMARY KEY (gram, when_ms, log_id) "
            "INCLUDE (src_id, plate_key))"
        )
    else:
        op.create_table(
            "lpr_gram",
            sa.Column("gram", sa.String(2), nullable=False),
            sa.Column("when_ms", sa.BigInteger(), nullable=False),
            sa.Column("log_id", sa.Integer(), nullable=False),
            sa.Column("src_id", sa.Integer(), nullable=True),
            sa.Column("plate_key", sa.String(64), nullable=False),
            sa.PrimaryKeyConstraint("gram", "when_ms", "log_id", name="pk_lpr_gram"),
            sqlite_with_rowid=False,
        )
    op.create_index("ix_lpr_gram_log", "lpr_gram", ["log_id"])
    op.create_table(
        "lpr_gram_stats",
        sa.Column("gram", sa.String(2), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("gram", name="pk_lpr_gram_stats"),
    )
    op.create_table(
        "lpr_plates",
        sa.Column("plate_key", sa.String(64), nullable=False),
        sa.Column("fold", sa.String(64), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.Column("last_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("plate_key", name="pk_lpr_plates"),
    )
    op.create_index("ix_lpr_plates_last", "lpr_plates", ["last_ms"])
    _backfill(bind)


def _backfill(bind: sa.Connection) -> None:
    """Index the entries written before this revision (pushed plates)."""
    from nvrd.store.lprindex import index_rows

    log = sa.table(
        "lpr_log",
        sa.column("id", sa.Integer),
        sa.column("plate_no", sa.String),
        sa.column("plate_key", sa.String),
        sa.column("when_ms", sa.BigInteger),
        sa.column("src_id", sa.Integer),
    )
    rows = bind.execute(sa.select(log.c.id, log.c.plate_no, log.c.when_ms, log.c.src_id)).all()
    for r in rows:
        bind.execute(sa.update(log).where(log.c.id == r.id).values(plate_key=_key(r.plate_no)))
    index_rows(bind, [(r.id, _key(r.plate_no), r.when_ms, r.src_id) for r in rows])


def downgrade() -> None:
    op.drop_index("ix_lpr_plates_last", table_name="lpr_plates")
    op.drop_table("lpr_plates")
    op.drop_table("lpr_gram_stats")
    op.drop_index("ix_lpr_gram_log", table_name="lpr_gram")
    op.drop_table("lpr_gram")
    op.drop_index("ix_lpr_log_src_when", table_name="lpr_log")
    with op.batch_alter_table("lpr_log") as batch:
        batch.drop_column("time_end_ms")
        batch.drop_column("plate_key")
