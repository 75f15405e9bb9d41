"""Types of events.store._leafscan, the C hot loop of ``audit verify`` (its source: _leafscan.c)."""

from typing_extensions import Buffer

def hash_pairs(level: Buffer, /) -> bytes:
    """SHA-256(0x01 ‖ pair) of each 64-byte pair of ``level``, concatenated (releases the GIL).

    Raises ValueError unless ``len(level)`` is a multiple of 64.
    """

def scan_sqlite(path: str, sql: str, params: tuple[int, ...], first_leaf: int,
                count: int) -> tuple[bool, int, int, bytes]:
    """Read ``sql``'s rows from the SQLite file ``path`` (read-only, GIL released) and check them.

    Returns ``(True, first_position, last_position, leaf hashes)`` when the rows are exactly the
    ``count`` clean leaves from ``first_leaf``, else ``(False, -1, -1, b"")``. RuntimeError for an
    SQLite error, ValueError for sql of the wrong shape.
    """

def check_copy(events: Buffer, leaves: Buffer, leaves_at: int, after: int,
               /) -> tuple[int, int, int, bytes, bool]:
    """Check PostgreSQL binary COPY tuples of events against the leaves COPY, in C (GIL released).

    ``events`` holds (position int8, originator_id uuid, version int4/int8, topic text, state
    bytea) tuples from a tuple boundary, perhaps ending inside one or at the trailer; ``leaves``
    the whole (position int8, 32-byte leaf_hash) COPY with its trailer, the next tuple at
    ``leaves_at``. Each complete event needs the next leaf, of the same position, strictly above
    ``after`` and the one before, and holding the event's recomputed leaf hash. Returns
    ``(events_consumed, leaves_at, last_position, leaf_hashes, ok)``; when ok is False the rest
    is meaningless. ValueError for ``leaves_at`` outside ``[0, len(leaves)]``, OverflowError for
    ``after`` outside int64, TypeError for an argument that is not bytes-like.
    """
