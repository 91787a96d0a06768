"""Byte-reproducible ``.xlsx`` files: the same workbook gives the same bytes on every run.

openpyxl stamps the current time twice: in ``docProps/core.xml`` (``dcterms:modified``, set
by ``save`` whatever the workbook says) and in the zip entries' modification times. Both are
replaced here by one fixed stamp (a date that belongs to the content, such as the freeze date
of the Aedes-benchmark), so a re-run on the same inputs reproduces the file byte for byte,
like the PDFs of the close.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

__all__ = ["DEFAULT_STAMP", "save_reproducible"]

DEFAULT_STAMP = datetime(1980, 1, 1)  # the earliest time a zip entry can carry
_CORE = "docProps/core.xml"
_W3CDTF = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def save_reproducible(workbook: Workbook, target: str | Path, stamp: date | datetime | None = None) -> Path:
    """Save ``workbook`` to ``target`` with every timestamp set to ``stamp`` (midnight for a date).

    ``target`` is written directly: callers pass the temporary path of an atomic write.
    """
    moment = (
        stamp
        if isinstance(stamp, datetime)
        else datetime.combine(stamp, datetime.min.time())
        if stamp
        else DEFAULT_STAMP
    )
    moment = max(moment.replace(tzinfo=None, microsecond=0), DEFAULT_STAMP)
    buffer = io.BytesIO()
    workbook.save(buffer)
    iso = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as result,
    ):
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == _CORE:
                data = _W3CDTF.sub(lambda m: m.group(1) + iso + m.group(3), data)
            info = zipfile.ZipInfo(entry.filename, date_time=moment.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = entry.external_attr
            result.writestr(info, data)
    return Path(target)
