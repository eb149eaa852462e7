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
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
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

#: The recording index: one row per finished segment file.
#: ``file_id`` is the guide's ``fileId``: unique and increasing, never reused
#: (AUTOINCREMENT on SQLite, an identity column on PostgreSQL).
#: ``root`` is the storage path as configured, ``rel_path`` the file below it
#: (UTC in the path, so names never collide across DST changes).
#: ``start_ms``/``end_ms`` are wall-clock UTC milliseconds of the media inside.
#: ``state`` is 0 for a normal row, 1 while retention is deleting the file.
recordings = Table(
    "recordings",
    metadata,
    Column("file_id", Integer, primary_key=True, autoincrement=True),
    Column("chid", Integer, nullable=False),
    Column("root", String(1024), nullable=False),
    Column("rel_path", String(1024), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("codec", String(32), nullable=False, default=""),
    Column("width", Integer, nullable=False, default=0),
    Column("height", Integer, nullable=False, default=0),
    Column("state", Integer, nullable=False, default=0),
    Index("ix_recordings_chid_start", "chid", "start_ms"),
    Index("ix_recordings_root_start", "root", "start_ms"),
    UniqueConstraint("root", "rel_path", name="uq_recordings_root_rel_path"),
    sqlite_autoincrement=True,
)

#: The event log (the guide's "Search event log"). ``type``/``code`` come from
#: ``nvrd.core.eventtypes``. ``begin_ms`` is when it happened; ``end_ms`` is set
#: when an event that lasts (a camera lost) is over, and stays NULL until then
#: or for instant events. ``param`` is a JSON object; ``comment`` is optional.
event_log = Table(
    "event_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("type", Integer, nullable=False),
    Column("code", Integer, nullable=False),
    Column("begin_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=True),
    Column("chid", Integer, nullable=True),
    Column("param", Text, nullable=False, default="{}"),
    Column("comment", Text, nullable=True),
    Index("ix_event_log_begin", "begin_ms"),
    Index("ix_event_log_type_begin", "type", "begin_ms"),
    sqlite_autoincrement=True,
)
