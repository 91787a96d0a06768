"""Stage 6 of the flow: the annual close, every document for every corporation.

- :mod:`kwh_calc.close.run`: results once, papermill per corporation and document, render,
  manifest -> ``run_close``
"""
