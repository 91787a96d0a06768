"""Vega-Lite helpers for the tests of the views that build chart specs as plain dicts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from altair.vegalite.v6.schema.core import TopLevelSpec


def validated(spec: dict[str, Any]) -> dict[str, Any]:
    """``spec`` after validating it against the Vega-Lite JSON schema that Altair ships
    (raises ``jsonschema.ValidationError``): :func:`kwh_calc.presentation.present.chart`
    skips validation, so a malformed spec must fail here."""
    TopLevelSpec.validate(spec)
    return spec


def data_rows(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every inline data row of a spec: its own and its layers' (``data.values``)."""
    for part in [spec, *spec.get("layer", []), *spec.get("spec", {}).get("layer", [])]:
        yield from part.get("data", {}).get("values", [])
