"""Keeping the vehicle-number log's keyword index and its distinct-plate list.

Written in the transaction that adds the entries (and by migration 0007 for
older entries), on a synchronous connection (``AsyncConnection.run_sync``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.dialects import postgresql, sqlite

from nvrd.core.platesim import fold
from nvrd.store.schema import lpr_gram, lpr_gram_stats, lpr_plates

#: (log id, plate key, when_ms, src_id)
IndexRow = tuple[int, str, int, int | None]


def bigrams(key: str) -> list[str]:
    """The distinct bigrams of ``key``, in order of first appearance."""
    return list(dict.fromkeys(key[i : i + 2] for i in range(len(key) - 1)))


def _upsert(conn: Connection, table: Any, rows: list[dict[str, Any]], key: str) -> None:
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    sets: dict[str, Any] = {"n": table.c.n + stmt.excluded.n}
    if "last_ms" in rows[0]:
        from sqlalchemy import func

        sets["last_ms"] = (
            func.greatest(table.c.last_ms, stmt.excluded.last_ms)
            if dialect is postgresql
            else func.max(table.c.last_ms, stmt.excluded.last_ms)
        )
    conn.execute(stmt.on_conflict_do_update(index_elements=[key], set_=sets), rows)


def index_rows(conn: Connection, rows: Sequence[IndexRow]) -> None:
    grams: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    plates: dict[str, dict[str, Any]] = {}
    for log_id, key, when_ms, src_id in rows:
        for g in bigrams(key):
            grams.append(
                {
                    "gram": g,
                    "when_ms": when_ms,
                    "log_id": log_id,
                    "src_id": src_id,
                    "plate_key": key,
                }
            )
            counts[g] += 1
        if key:
            p = plates.setdefault(
                key, {"plate_key": key, "fold": fold(key), "n": 0, "last_ms": when_ms}
            )
            p["n"] += 1
            p["last_ms"] = max(p["last_ms"], when_ms)
    if grams:
        conn.execute(insert(lpr_gram), grams)
    _upsert(conn, lpr_gram_stats, [{"gram": g, "n": n} for g, n in sorted(counts.items())], "gram")
    _upsert(conn, lpr_plates, [plates[k] for k in sorted(plates)], "plate_key")
