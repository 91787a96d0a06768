import os
import stat

import pandas as pd
import pytest

from kwh_calc.common.atomic import (
    atomic_path,
    csv_ready,
    write_bytes_atomic,
    write_text_atomic,
)


def test_success_replaces_the_target_with_ordinary_permissions(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    write_text_atomic(target, "één")
    assert target.read_text(encoding="utf-8") == "één"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "out.bin"
    target.write_bytes(b"old")

    def interrupted_write():
        with atomic_path(target) as temporary:
            temporary.write_bytes(b"half")
            raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        interrupted_write()
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.bin"]


def test_failing_rename_leaves_no_temporary(tmp_path, monkeypatch):
    def broken_replace(source, destination):
        raise OSError("disk full")

    monkeypatch.setattr("kwh_calc.common.atomic.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_bytes_atomic(tmp_path / "x.pdf", b"%PDF")
    assert list(tmp_path.iterdir()) == []


def test_csv_ready_writes_iso_dates_and_lowercase_booleans():
    frame = pd.DataFrame({"d": pd.to_datetime(["2025-03-01"]), "b": [True], "n": [1]})
    ready = csv_ready(frame)
    assert ready.iloc[0].tolist() == ["2025-03-01", "true", 1]
    assert frame["b"].dtype == bool  # the input is not modified
