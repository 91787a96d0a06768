"""The project's set-up files agree with each other (pins, conda vs pip, lock)."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def pyproject_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = project["dependencies"] + project["optional-dependencies"]["dev"]
    return dict(p.split("==") for p in pins)


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_dependency_is_pinned_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.+-]*", requirement), requirement


def test_environment_yml_has_the_same_packages_plus_quarto():
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    pip_pins = dict(p.split("==") for p in pip if "==" in p)
    assert "quarto" in conda
    assert {normalise(k): v for k, v in pip_pins.items()} == {normalise(k): v for k, v in pyproject_pins().items()}


def test_lock_contains_every_direct_dependency_at_its_pin():
    lock = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("==")
            lock[normalise(name)] = version.strip()
    for name, version in pyproject_pins().items():
        assert lock.get(normalise(name)) == version, name


def test_committed_notebooks_carry_no_outputs():
    import json

    for path in (ROOT / "notebooks").glob("*.ipynb"):
        notebook = json.loads(path.read_text())
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert not cell.get("outputs"), f"{path.name} carries outputs"
                assert not cell.get("execution_count"), f"{path.name} carries outputs"
