"""Reads the codes on a photo a phone sent: for counters and couriers without a barcode gun.

The photo is written to a temporary folder that is removed once it is read (an ID card's photo
is a citizen's identity), decoded with ``scanning.images`` and ``scanning.barcodes`` (the one
module that imports zxing-cpp), and only the codes' texts come back.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from werkzeug.datastructures import FileStorage

from scanning.barcodes import read_barcodes
from scanning.errors import BadPage
from scanning.images import load_pages

MAX_PHOTO = 8 * 1024 * 1024
"""Bytes read of a photo: a phone's full-size JPEG fits."""


def codes_on(photo: FileStorage) -> list[str]:
    """The texts of the Code 128 and QR symbols on the first page of ``photo``, in reading
    order; none when it is too large, not an image, or shows no readable code."""
    with tempfile.TemporaryDirectory(prefix="hoso-photo-") as folder:
        path = Path(folder) / "photo"
        data = photo.stream.read(MAX_PHOTO + 1)
        if len(data) > MAX_PHOTO:
            return []
        path.write_bytes(data)
        try:
            pages = load_pages(path)
        except BadPage:
            return []
    return [symbol.text for page in pages[:1] for symbol in read_barcodes(page.pixels)]
