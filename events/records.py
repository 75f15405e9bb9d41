"""The canonical bytes of a stored event, hashed into the tamper-evident log (stdlib only).

A leaf covers the whole stored record — position, aggregate id, version, topic and the exact state
bytes the store holds — so changing, moving or re-numbering any of them changes the leaf. Each
field is length-prefixed, so no two different records share an encoding. An offline verifier
copies this function with the exported records; it must never change for records already hashed
(a new encoding would need a new version tag).
"""

from __future__ import annotations

import hashlib
from uuid import UUID

VERSION_TAG = b"hoso-log-record-v1"


def canonical_record(position: int, originator_id: UUID | str, version: int, topic: str,
                     state: bytes) -> bytes:
    """The encoding hashed for the event stored at notification id ``position``."""
    fields = (VERSION_TAG, str(position).encode(), str(originator_id).encode(),
              str(version).encode(), topic.encode(), bytes(state))
    return b"".join(len(field).to_bytes(4, "big") + field for field in fields)


def record_leaf_hash(position: int, originator_id: UUID | str, version: int, topic: str,
                     state: bytes) -> bytes:
    """RFC 6962 leaf hash, SHA-256(0x00 ‖ canonical record)."""
    return hashlib.sha256(
        b"\x00" + canonical_record(position, originator_id, version, topic, state)).digest()
