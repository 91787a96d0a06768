"""The package installs from a non-editable wheel: every subpackage, py.typed, both entry points."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    (built,) = out.glob("kwh_workbench-*.whl")
    return built


def test_wheel_holds_every_subpackage_and_the_typing_marker(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(str(p.parent.relative_to(ROOT)) for p in (ROOT / "kwh_calc").rglob("__init__.py"))
    assert len(packages) >= 9
    for package in packages:
        assert f"{package}/__init__.py" in names
    assert "kwh_calc/py.typed" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "kwh = kwh_calc.cli:main" in text
    assert "kwh-kept-kernel = kwh_calc.rendering.papermill_plugin:KeptKernelPlugin" in text


def test_installed_wheel_imports_every_module_outside_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    probe = (
        "import importlib, pkgutil, kwh_calc; "
        "mods = [m.name for m in pkgutil.walk_packages(kwh_calc.__path__, 'kwh_calc.')]; "
        "[importlib.import_module(m) for m in mods]; "
        "print(kwh_calc.__file__); print(len(mods))"
    )
    env = {**os.environ, "PYTHONPATH": str(target), "KWH_PROJECT_ROOT": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    location, count = done.stdout.split()
    assert Path(location).is_relative_to(target)
    assert int(count) >= 40
