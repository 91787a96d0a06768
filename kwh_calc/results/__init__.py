"""Stage 3 of the flow: the year's results, computed once over the national data.

- :mod:`kwh_calc.results.year`: every results table of a close, in one pass -> ``YearResults``
- :mod:`kwh_calc.results.monitor`: the monitor's tables of the year to date (``compute_monitor_results``,
  ``MonitorResults``)
"""
