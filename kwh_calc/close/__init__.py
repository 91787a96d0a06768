"""Stage 6 of the flow: the annual close, every document for every corporation.

- :mod:`kwh_calc.close.run`: results once, papermill per corporation and document, render,
  manifest -> ``run_close``
- :mod:`kwh_calc.close.monitor`: the monitor during the year, HTML dashboards per corporation and
  contractor through the same machinery -> ``run_monitor``
"""
