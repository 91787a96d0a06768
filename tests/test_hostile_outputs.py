"""Hostile outputs: no command writes over an input, a folder, a device or a non-regular file.

Every case: exit code 3 (kwh_calc/cli/guard.py), a message naming the path, the inputs
byte-unchanged, no traceback.
"""

from __future__ import annotations

import os

import pytest
from hostile import assert_refused, invoke, snapshot, tiny_tables

from kwh_calc.common.atomic import (
    OutputRefused,
    check_output_target,
    clear_protected_inputs,
    protect_inputs,
    write_text_atomic,
)
from kwh_calc.intake.dataset import write_dataset

ANALYSES = [
    ("scores", []),
    ("label", []),
    ("representativeness", []),
    ("aedes", []),
]


@pytest.fixture(scope="module", params=["csv", "parquet"])
def dataset(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"tiny-{request.param}") / "data"
    write_dataset(tiny_tables(), folder, fmt=request.param)
    return folder, request.param


@pytest.mark.parametrize("command", [c for c, _ in ANALYSES])
def test_an_analysis_never_writes_over_its_own_table(dataset, command):
    folder, fmt = dataset
    before = snapshot(folder)
    for table in ("answers", "respondents"):
        target = folder / f"{table}.{fmt}"
        result = invoke(command, folder, "--year", 2025, "--out", target)
        assert_refused(result, 3, str(target), "input")
    assert snapshot(folder) == before


def test_the_other_format_of_a_table_is_protected_too(dataset):
    # answers.csv beside answers.parquet would make the folder ambiguous.
    folder, fmt = dataset
    other = "csv" if fmt == "parquet" else "parquet"
    before = snapshot(folder)
    assert_refused(invoke("scores", folder, "--year", 2025, "--out", folder / f"answers.{other}"), 3, "input")
    assert snapshot(folder) == before


def test_a_symlink_or_hard_link_to_an_input_is_refused(dataset, tmp_path):
    folder, fmt = dataset
    before = snapshot(folder)
    link = tmp_path / "link.csv"
    link.symlink_to(folder / f"answers.{fmt}")
    hard = tmp_path / "hard.csv"
    os.link(folder / f"answers.{fmt}", hard)
    for target in (link, hard):
        assert_refused(invoke("scores", folder, "--year", 2025, "--out", target), 3, str(target))
    assert snapshot(folder) == before


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.mkdir(), "folder"),
        (lambda p: os.mkfifo(p), "not a regular file"),
    ],
)
def test_folders_and_special_files_are_never_replaced(dataset, tmp_path, make, reason):
    folder, _ = dataset
    target = tmp_path / "target"
    make(target)
    mode = target.lstat().st_mode
    assert_refused(invoke("scores", folder, "--year", 2025, "--out", target), 3, reason)
    assert target.lstat().st_mode == mode  # still a folder / FIFO, not a regular file


def test_a_device_is_never_replaced():
    # As root, os.replace would turn /dev/null into a regular file; refused before any rename.
    with pytest.raises(OutputRefused, match="not a regular file"):
        check_output_target("/dev/null")


@pytest.mark.parametrize("target", ["", "/proc/kwh-nope.csv"])
def test_empty_and_unwritable_paths(dataset, target):
    folder, _ = dataset
    result = invoke("scores", folder, "--year", 2025, "--out", target)
    assert_refused(result, 3, "refused")


def test_two_options_naming_one_file(dataset, tmp_path):
    folder, _ = dataset
    same = tmp_path / "same.csv"
    result = invoke("label", folder, "--year", 2025, "--out", same, "--components", same)
    assert_refused(result, 3, "--out", "--components")
    assert not same.exists()


def test_demo_data_keeps_an_existing_dataset_unless_forced(dataset, tmp_path):
    folder, _ = dataset
    before = snapshot(folder)
    assert_refused(invoke("demo-data", folder, "--corporations", 5), 1, "already holds a dataset", "--force")
    assert snapshot(folder) == before
    file = tmp_path / "file"
    file.write_text("x")
    assert_refused(invoke("demo-data", file, "--corporations", 5), 3, "not a folder")


def test_the_atomic_writer_refuses_registered_inputs(tmp_path):
    source = tmp_path / "input.csv"
    source.write_text("a\n1\n")
    try:
        protect_inputs(source)
        with pytest.raises(OutputRefused, match="input"):
            write_text_atomic(source, "gone")
        assert source.read_text() == "a\n1\n"
        assert [p.name for p in tmp_path.iterdir()] == ["input.csv"]  # no temporary left
    finally:
        clear_protected_inputs()
    write_text_atomic(source, "b\n")  # outside a command it is an ordinary file again
    assert source.read_text() == "b\n"


def test_writing_through_a_symlink_keeps_the_link(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_text_atomic(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"
