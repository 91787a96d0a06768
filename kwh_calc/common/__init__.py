"""Foundations every layer uses: atomic file output, Dutch numbers and dates, project paths.

- :mod:`kwh_calc.common.atomic`: outputs written whole or not at all
- :mod:`kwh_calc.common.memo`: results of pure functions of a DataFrame, keyed on its content
- :mod:`kwh_calc.common.numbers`: exact threshold arithmetic, half-up display, Dutch formats
- :mod:`kwh_calc.common.paths`: the project root (``$KWH_PROJECT_ROOT``) and its folders
"""
