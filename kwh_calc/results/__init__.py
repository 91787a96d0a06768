"""Stage 3 of the flow: the year's results, computed once over the national data.

- :mod:`kwh_calc.results.year`: every results table of a close, in one pass -> ``YearResults``
"""
