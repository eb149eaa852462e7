"""The database schema (SQLAlchemy Core), one definition for SQLite and PostgreSQL.

Times are stored as integer milliseconds since the Unix epoch (UTC): exact,
portable across both engines, and sortable. Migrations under
``migrations/versions`` create and change these tables; this module is the
current shape that queries are written against.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

#: Sign-in accounts. ``rights`` is the comma-separated ``accessRights2`` names.
users = Table(
    "users",
    metadata,
    Column("uid", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("rights", String(255), nullable=False),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("created_ms", BigInteger, nullable=False),
)

#: Browser sessions. Only a SHA-256 of the cookie value is stored.
sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("uid", String(64), ForeignKey("users.uid", ondelete="CASCADE"), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("last_seen_ms", BigInteger, nullable=False, index=True),
)

#: Channels. ``source`` is a JSON document (the guide's add-channel body, minus
#: nothing: credentials are stored so that the recorder can connect).
channels = Table(
    "channels",
    metadata,
    Column("chid", Integer, primary_key=True, autoincrement=False),
    Column("title", String(255), nullable=False, default=""),
    Column("source", Text, nullable=False, default="{}"),
    Column("origin", String(16), nullable=False, default="api"),
    Column("created_ms", BigInteger, nullable=False),
)
