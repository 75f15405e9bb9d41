"""The canonical bytes of a stored event, hashed into the tamper-evident log (stdlib only).

A leaf covers the whole stored record — position, aggregate id, version, topic and the exact state
bytes the store holds — so changing, moving or re-numbering any of them changes the leaf. Each
field is length-prefixed, so no two different records share an encoding. A UUID aggregate id is
encoded as its 32 hex digits (the form SQLite stores, so verification needs no conversion). An
offline verifier copies this function with the exported records; it must never change for
records already hashed (a new encoding would need a new version tag).
"""

from __future__ import annotations

import hashlib
from uuid import UUID

VERSION_TAG = b"hoso-log-record-v1"
_LENGTHS = [n.to_bytes(4, "big") for n in range(256)]
_PREFIX = b"\x00" + _LENGTHS[len(VERSION_TAG)] + VERSION_TAG


def _length(field: bytes) -> bytes:
    size = len(field)
    return _LENGTHS[size] if size < 256 else size.to_bytes(4, "big")


def canonical_record(position: int, originator_id: UUID | str, version: int, topic: str,
                     state: bytes) -> bytes:
    """The encoding hashed for the event stored at notification id ``position``."""
    return _encode(position, originator_id, version, topic, state)[1:]


def _encode(position: int, originator_id: UUID | str, version: int, topic: str,
            state: bytes) -> bytes:
    """0x00 ‖ canonical record: the exact bytes a leaf hash covers."""
    oid = (originator_id.hex if isinstance(originator_id, UUID) else originator_id).encode()
    pos, ver, top = str(position).encode(), str(version).encode(), topic.encode()
    state = bytes(state)
    return b"".join((_PREFIX, _length(pos), pos, _length(oid), oid, _length(ver), ver,
                     _length(top), top, _length(state), state))


def record_leaf_hash(position: int, originator_id: UUID | str, version: int, topic: str,
                     state: bytes) -> bytes:
    """RFC 6962 leaf hash, SHA-256(0x00 ‖ canonical record)."""
    return hashlib.sha256(_encode(position, originator_id, version, topic, state)).digest()

