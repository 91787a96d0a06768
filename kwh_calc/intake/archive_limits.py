"""Limits for untrusted zip archives (``.xlsx`` delivery files), checked before any parsing.

A delivery file comes from outside. An ``.xlsx`` is a zip archive, and a 3 MB archive can
unpack to gigabytes (a "zip bomb"): the probe of issue 11 took 31 s and 3,4 GB of memory on
such a file, and accepted it. :func:`check_archive` reads only the zip's central directory
(sizes as declared by the archive) and refuses, before a single part is decompressed:

- more than :data:`MAX_ENTRIES` parts (a real workbook has a few dozen);
- more than :data:`MAX_TOTAL_UNCOMPRESSED` bytes unpacked in all (a 100.000-tenant delivery
  unpacks to about 40 MB);
- a part larger than :data:`RATIO_FLOOR` bytes unpacked that is more than
  :data:`MAX_RATIO` times its packed size (spreadsheet XML packs 5–20 times; a bomb 1.000
  times and more).

Declared sizes cannot be used to sneak more through: Python's ``zipfile`` stops
decompressing a part at its declared size (and then fails its CRC check), so the checked
sizes bound what the parser will ever see, and with it the memory used.
"""

from __future__ import annotations

import zipfile

__all__ = ["MAX_ENTRIES", "MAX_RATIO", "MAX_TOTAL_UNCOMPRESSED", "RATIO_FLOOR", "ArchiveRefused", "check_archive"]

MAX_ENTRIES = 2_000
MAX_TOTAL_UNCOMPRESSED = 256 * 1024 * 1024  # bytes
MAX_RATIO = 200  # unpacked / packed size of one part
RATIO_FLOOR = 4 * 1024 * 1024  # bytes: small parts may pack as well as they like


class ArchiveRefused(ValueError):
    """The archive exceeds a limit; ``reason`` is one Dutch sentence for the supplier."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.0f} MB".replace(",", ".")


def check_archive(archive: zipfile.ZipFile) -> None:
    """Raise :class:`ArchiveRefused` when ``archive``'s directory exceeds a limit.

    Only the central directory is read (no decompression): milliseconds, whatever the
    archive claims to hold.
    """
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise ArchiveRefused(
            f"het bestand bevat {len(entries):,} onderdelen (grens {MAX_ENTRIES:,}); "
            "dit is geen gewone Excel-werkmap".replace(",", ".")
        )
    total = sum(entry.file_size for entry in entries)
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise ArchiveRefused(
            f"het bestand pakt uit tot {_mb(total)} (grens {_mb(MAX_TOTAL_UNCOMPRESSED)}); "
            "lever een kleiner bestand aan of splits de levering"
        )
    for entry in entries:
        if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            ratio = entry.file_size / max(entry.compress_size, 1)
            raise ArchiveRefused(
                f"onderdeel {entry.filename} pakt {ratio:,.0f} keer zo groot uit (grens {MAX_RATIO}); "
                "dit is geen gewone Excel-werkmap".replace(",", ".")
            )
