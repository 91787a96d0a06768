"""Stage 4 of the flow: what the notebooks show, in Dutch; computes nothing itself.

- :mod:`kwh_calc.presentation.present`: tables, charts and text cells for notebooks
- :mod:`kwh_calc.presentation.results_views`: the results overview (``resultaten``)
- :mod:`kwh_calc.presentation.ckv_views`: the CKV dossier and the national CKV overview
- :mod:`kwh_calc.presentation.aedes_views`: the Aedes Huurdersoordeel report
- :mod:`kwh_calc.presentation.representativeness_views`: the representativeness report
- :mod:`kwh_calc.presentation.delivery_views`: the validatieverslag of a tenant delivery file
- :mod:`kwh_calc.presentation.monitor_views`: the monitor dashboards (``show_dashboard``,
  ``show_contractor_dashboard``): HTML sections and interactive Vega-Lite charts
"""
