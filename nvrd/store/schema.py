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
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
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
#: ``stream`` is ``main``, or ``sub`` for a camera's recorded sub stream.
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
    Column("stream", String(8), nullable=False, default="main", server_default="main"),
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

#: Vehicle-number recognition sources (``/api/enum?what=lprSrc``). ``linked`` is
#: a JSON list of channel ids, ``zone`` a JSON object or NULL; ``origin`` is
#: ``config`` (re-applied from the configuration file at every start) or ``cli``.
lpr_sources = Table(
    "lpr_sources",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(64), nullable=False),
    Column("name", String(255), nullable=False, default=""),
    Column("linked", Text, nullable=False, default="[]"),
    Column("tag", String(16), nullable=False, default="Normal"),
    Column("zone", Text, nullable=True),
    Column("parking_entrance", Integer, nullable=True),
    Column("parking_exit", Integer, nullable=True),
    Column("origin", String(16), nullable=False, default="cli"),
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("code", name="uq_lpr_sources_code"),
)

#: Emergency-call devices (``/api/enum?what=emergencyCall``); ``code`` is the location code.
emergency_calls = Table(
    "emergency_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(64), nullable=False),
    Column("name", String(255), nullable=False, default=""),
    Column("linked", Text, nullable=False, default="[]"),
    Column("origin", String(16), nullable=False, default="cli"),
    Column("created_ms", BigInteger, nullable=False),
    UniqueConstraint("code", name="uq_emergency_calls_code"),
)

#: Parking lots: counters (``kind = "counter"``, with their own ``count``) and
#: groups (``kind = "group"``: ``members`` is a JSON list of counter ids; their
#: count and maximum are the members' sums, computed when read).
parking_lots = Table(
    "parking_lots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("name", String(255), nullable=False, default=""),
    Column("kind", String(16), nullable=False, default="counter"),
    Column("count", Integer, nullable=False, default=0),
    Column("max_count", Integer, nullable=False, default=0),
    Column("members", Text, nullable=False, default="[]"),
    Column("origin", String(16), nullable=False, default="cli"),
    Column("created_ms", BigInteger, nullable=False),
)

#: Parking count changes made outside the server (``nvrd parking-lot set-count``),
#: written in the same transaction as the count: the running server publishes
#: ``parkingCount`` for each and deletes it (an outbox, read by polling).
parking_changes = Table(
    "parking_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lot_id", Integer, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
)

#: The vehicle-number log: one row per recognised plate. ``chid`` is the
#: recognition channel, ``linked`` every channel involved (JSON list), ``roi``
#: ``{"offset": [x, y], "size": [w, h]}`` or NULL, ``image`` a JSON list of
#: image URLs/paths or NULL. Source code and name are copied, so the log
#: outlives a source that is removed. ``plate_key`` is the plate's search form;
#: ``time_end_ms`` the end of a parked car's stay (NULL: ``when_ms`` ends it).
lpr_log = Table(
    "lpr_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("when_ms", BigInteger, nullable=False),
    Column("time_begin_ms", BigInteger, nullable=False),
    Column("src_id", Integer, nullable=True),
    Column("src_code", String(64), nullable=False),
    Column("src_name", String(255), nullable=False, default=""),
    Column("chid", Integer, nullable=True),
    Column("linked", Text, nullable=False, default="[]"),
    Column("plate_no", String(64), nullable=False),
    Column("score", Float, nullable=True),
    Column("roi", Text, nullable=True),
    Column("direction", String(8), nullable=True),
    Column("parking_entrance", Integer, nullable=True),
    Column("parking_exit", Integer, nullable=True),
    Column("image", Text, nullable=True),
    Column("plate_key", String(64), nullable=False, server_default=""),
    Column("time_end_ms", BigInteger, nullable=True),
    Index("ix_lpr_log_when", "when_ms"),
    Index("ix_lpr_log_plate_when", "plate_no", "when_ms"),
    Index("ix_lpr_log_src_when", "src_id", "when_ms"),
    sqlite_autoincrement=True,
)

#: Event backup (``PUT /api/event-videos/trigger``): one row per triggered event.
event_backups = Table(
    "event_backups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("event_ms", BigInteger, nullable=False),
    Column("chid", Integer, nullable=False),
    Column("title", Text, nullable=False),
    Column("comment", Text, nullable=False),
    Column("uid", String(64), nullable=False),
    Index("ix_event_backups_event_ms", "event_ms"),
    sqlite_autoincrement=True,
)

#: The clips of an event, one per channel: its file under the event storage (unique, so
#: a name is never given twice), the range it covers, and its state (0 pending, 1 saved,
#: 2 nothing recorded, 3 failed).
event_clips = Table(
    "event_clips",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Integer, ForeignKey("event_backups.id", ondelete="CASCADE"), nullable=False),
    Column("chid", Integer, nullable=False),
    Column("rel_path", String(255), nullable=False, unique=True),
    Column("begin_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=False),
    Column("state", Integer, nullable=False, default=0),
    Column("size", BigInteger, nullable=False, default=0),
    Index("ix_event_clips_event_id", "event_id"),
    Index("ix_event_clips_state", "state"),
    sqlite_autoincrement=True,
)

#: Preset names kept by the server (any text; cameras accept few characters).
#: A camera preset without a row here shows the camera's own name.
preset_names = Table(
    "preset_names",
    metadata,
    Column("chid", Integer, primary_key=True, autoincrement=False),
    Column("token", String(128), primary_key=True),
    Column("name", String(255), nullable=False),
)

#: The keyword index of the vehicle-number log: one row per distinct bigram of
#: each entry's ``plate_key`` (see migration 0007 and ``lprindex.py``).
lpr_gram = Table(
    "lpr_gram",
    metadata,
    Column("gram", String(2), primary_key=True),
    Column("when_ms", BigInteger, primary_key=True),
    Column("log_id", Integer, primary_key=True, autoincrement=False),
    Column("src_id", Integer, nullable=True),
    Column("plate_key", String(64), nullable=False),
    Index("ix_lpr_gram_log", "log_id"),
    sqlite_with_rowid=False,
)

#: How many entries each bigram indexes (the search reads the rarest one's postings).
lpr_gram_stats = Table(
    "lpr_gram_stats",
    metadata,
    Column("gram", String(2), primary_key=True),
    Column("n", BigInteger, nullable=False),
)

#: The distinct plates of the log (``fold``: look-alikes folded) for similar-plate search.
lpr_plates = Table(
    "lpr_plates",
    metadata,
    Column("plate_key", String(64), primary_key=True),
    Column("fold", String(64), nullable=False),
    Column("n", BigInteger, nullable=False),
    Column("last_ms", BigInteger, nullable=False),
    Index("ix_lpr_plates_last", "last_ms"),
)

#: The object log (``/api/find?what=object``): one row per object seen (``ObjectSeen``),
#: by nvrd's detection or pushed. ``attributes`` is the guide's JSON object as reported;
#: ``image`` the crop: a path relative to the data dir (``objects/<chid>/<date>/...``) or
#: a pushed absolute URL. ``embedding``: a detected face's embedding (``core.faces``:
#: 128 float32, 512 bytes) for ``/api/searchFace``; NULL for other objects, pushed ones
#: and channels with ``[objects] face_embeddings_off``.
object_log = Table(
    "object_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("chid", Integer, nullable=False),
    Column("obj_id", BigInteger, nullable=False),
    Column("type", String(16), nullable=False),
    Column("parent_id", BigInteger, nullable=True),
    Column("likelihood", Float, nullable=True),
    Column("attributes", Text, nullable=False, default="{}"),
    Column("image", Text, nullable=True),
    Column("embedding", LargeBinary, nullable=True),
    Index("ix_object_log_at", "at_ms"),
    Index("ix_object_log_type_at", "type", "at_ms"),
    Index("ix_object_log_chid_at", "chid", "at_ms"),
    sqlite_autoincrement=True,
)

#: The attribute index of the object log: one row per search tag of an object
#: (``face.gender=male``, ``human.top.color=red``: ``core/objects.py`` ``object_tags``),
#: ordered by (tag, at_ms, object_id) and carrying ``chid``, so that a filtered search
#: reads one tag's postings in time order (see migration 0009).
object_tag = Table(
    "object_tag",
    metadata,
    Column("tag", String(48), primary_key=True),
    Column("at_ms", BigInteger, primary_key=True),
    Column("object_id", Integer, primary_key=True, autoincrement=False),
    Column("chid", Integer, nullable=False),
    Index("ix_object_tag_object", "object_id"),
    sqlite_with_rowid=False,
)
