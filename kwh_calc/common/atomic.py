"""Atomic file output: no half-written file ever carries its final name.

Every output of the workbench (CSV, Excel, JSON, PDF, Parquet) is written to a temporary file
in the target's folder and renamed over the target only when complete (``os.replace`` is
atomic within one file system). A failure leaves the previous file, if any, untouched and no
temporary behind. Files get the ordinary permissions of the user's umask (``mkstemp`` alone
would make them 0600).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

__all__ = ["atomic_path", "csv_ready", "write_bytes_atomic", "write_text_atomic"]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    >>> with atomic_path("out.csv") as temporary:
    ...     frame.to_csv(temporary)
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def write_bytes_atomic(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically; returns ``target``."""
    with atomic_path(target) as temporary:
        temporary.write_bytes(data)
    return Path(target)


def write_text_atomic(target: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``target`` atomically; returns ``target``."""
    return write_bytes_atomic(target, text.encode("utf-8"))


def csv_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for CSV in the DATA.md style: ISO dates, booleans ``true``/``false``."""
    text = frame.copy()
    for column in text.columns:
        if pd.api.types.is_datetime64_any_dtype(text[column]):
            text[column] = text[column].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(text[column]):
            text[column] = text[column].map({True: "true", False: "false"})
    return text
