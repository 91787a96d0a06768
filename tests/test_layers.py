"""The package's folders are layers of the flow; imports go one way (docs/architecture.md §4.2).

A module may import from its own layer and from layers below it, never from a layer above:
a calculation that imported a view, or a view that imported the renderer, is what made the
old import circles.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "kwh_calc"

#: Rank of each layer: a module may import layers of equal or lower rank.
LAYERS = {
    "common": 0,
    "intake": 1,
    "calculations": 2,
    "results": 3,
    "exports": 3,
    "presentation": 4,
    "rendering": 5,
    "close": 6,
    "bench": 7,
    "cli": 8,
}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "kwh_calc" and parts[1] in LAYERS else None


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.stem != "__init__")


def test_every_module_lives_in_a_known_layer():
    for path in MODULES:
        module = "kwh_calc." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        assert layer_of(module) is not None, f"{module}: put it in one of {sorted(LAYERS)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_go_down_the_flow_only(path):
    module = "kwh_calc." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
    own = LAYERS[layer_of(module)]
    upward = sorted(m for m in imported_modules(path) if layer_of(m) and LAYERS[layer_of(m)] > own)
    assert not upward, f"{module} (layer {layer_of(module)}) imports a higher layer: {upward}"


def test_the_check_catches_an_upward_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("from kwh_calc.presentation.present import table\n")
    assert LAYERS[layer_of("kwh_calc.presentation.present")] > LAYERS["calculations"]
    assert "kwh_calc.presentation.present" in imported_modules(sample)


def test_a_documents_kernel_imports_no_validation_or_test_statistics():
    """What a document's kernel imports (the views and the results tables) leaves out the
    dataset contract's pandera, scipy.stats and statsmodels: each kernel of the close would
    carry them (≈60 MB and ≈1 s of start-up; issue 13)."""
    from imports import loaded_after

    code = (
        "import kwh_calc.presentation.aedes_views, kwh_calc.presentation.ckv_views\n"
        "import kwh_calc.presentation.removal_views, kwh_calc.presentation.representativeness_views\n"
        "import kwh_calc.presentation.results_views, kwh_calc.results.year\n"
    )
    assert loaded_after(code, ("pandera", "scipy.stats", "statsmodels"))[1] == []
    # The top level still offers its entry points (imported when first used).
    import kwh_calc
    from kwh_calc.intake.dataset import load_dataset

    assert kwh_calc.load_dataset is load_dataset
    with pytest.raises(AttributeError):
        _ = kwh_calc.no_such_name
