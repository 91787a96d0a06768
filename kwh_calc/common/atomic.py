"""Atomic file output: no half-written file ever carries its final name.

Every output of the workbench (CSV, Excel, JSON, PDF, Parquet) is written to a temporary file
in the target's folder and renamed over the target only when complete (``os.replace`` is
atomic within one file system). A failure leaves the previous file, if any, untouched and no
temporary behind. Files get the ordinary permissions of the user's umask (``mkstemp`` alone
would make them 0600).

Every target is checked before anything is written (:func:`check_output_target`), with
symlinks resolved: an existing target must be a regular file (never a directory, device,
FIFO or socket: the rename would silently replace a device such as ``/dev/null`` by a regular
file when run as root), and it must not be one of the running command's inputs (registered by
the command layer with :func:`protect_inputs`; compared by resolved path and by inode, so a
hard link is caught too). A refused target raises :class:`OutputRefused` naming the path; so
does any operating-system error while writing (``/proc/x.csv``, a read-only folder).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "OutputRefused",
    "atomic_path",
    "check_output_target",
    "clear_protected_inputs",
    "csv_ready",
    "protect_inputs",
    "write_bytes_atomic",
    "write_text_atomic",
]

# The running command's inputs: resolved paths and (device, inode) pairs. Process-wide on
# purpose: the command layer registers what it read, every writer below consults it.
_protected_paths: set[str] = set()
_protected_inodes: set[tuple[int, int]] = set()


class OutputRefused(OSError):
    """An output target that must not be written: an input, a device, a folder, unwritable."""

    def __init__(self, target: str | Path, reason: str):
        self.target = str(target)
        self.reason = reason
        super().__init__(f"Output {self.target or '(empty path)'} refused: {reason}")

    def __str__(self) -> str:
        return self.args[0]


def protect_inputs(*paths: str | Path | None) -> None:
    """Register files (existing or not) that no output of this process may replace."""
    for path in paths:
        if path is None or str(path) == "":
            continue
        _protected_paths.add(os.path.realpath(path))
        try:
            info = os.stat(path)
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            _protected_inodes.add((info.st_dev, info.st_ino))


def clear_protected_inputs() -> None:
    """Forget the registered inputs (start of a new command in the same process, tests)."""
    _protected_paths.clear()
    _protected_inodes.clear()


def check_output_target(target: str | Path) -> Path:
    """The resolved path to write ``target`` to; raises :class:`OutputRefused` when unsafe.

    Symlinks are followed (the link keeps pointing at the new file). Refused: an empty path,
    an existing target that is not a regular file, a target whose folder is not a folder, and
    any registered input.
    """
    if str(target).strip() == "":
        raise OutputRefused(target, "no file name given")
    resolved = Path(os.path.realpath(target))
    try:
        info = os.stat(resolved)
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise OutputRefused(target, error.strerror or str(error)) from None
    if info is not None:
        if stat.S_ISDIR(info.st_mode):
            raise OutputRefused(target, "is a folder, not a file")
        if not stat.S_ISREG(info.st_mode):
            raise OutputRefused(
                target, "exists and is not a regular file (device, pipe or socket); it is never replaced"
            )
        if (info.st_dev, info.st_ino) in _protected_inodes:
            raise OutputRefused(target, "is an input of this command; choose another output path")
    if str(resolved) in _protected_paths:
        raise OutputRefused(target, "is an input of this command; choose another output path")
    parent = resolved.parent
    if parent.exists() and not parent.is_dir():
        raise OutputRefused(target, f"{parent} is not a folder")
    return resolved


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
    requested = target
    target = check_output_target(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as error:
        raise OutputRefused(requested, f"cannot be written: {error.strerror or error}") from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, 0o666 & ~_umask())
        # Checked again just before the rename: the target may have appeared meanwhile.
        check_output_target(requested)
        try:
            os.replace(temporary, target)
        except OSError as error:
            raise OutputRefused(requested, f"cannot be written: {error.strerror or error}") from None
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
    """A copy for CSV in the docs/data-contract.md §1 style: ISO dates, booleans ``true``/``false``."""
    import pandas as pd  # here: a close's worker process writes files but needs no pandas

    text = frame.copy()
    for column in text.columns:
        if pd.api.types.is_datetime64_any_dtype(text[column]):
            text[column] = text[column].dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(text[column]):
            text[column] = text[column].map({True: "true", False: "false"})
    return text
