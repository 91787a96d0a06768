"""Stage 2 of the flow: pure functions on a validated dataset and a rule set.

- :mod:`kwh_calc.calculations.scores`: onderdeelscore, % tevreden, breakdowns, suppression, peers
- :mod:`kwh_calc.calculations.response`: approached, online, telephone, response percentage
- :mod:`kwh_calc.calculations.coverage`: quarterly coverage of the deliveries
- :mod:`kwh_calc.calculations.label`: the KWH-Kwaliteitslabel advice
- :mod:`kwh_calc.calculations.decisions`: the CKV decisions register against the advice
- :mod:`kwh_calc.calculations.aedes`: Aedes-benchmark sub-scores and letters
- :mod:`kwh_calc.calculations.representativeness`: margins, intervals, sample sizes, quotas
- :mod:`kwh_calc.calculations.checkvraag`: the Reparaties check question
- :mod:`kwh_calc.calculations.fieldwork`: delivery deadlines and fieldwork dates
- :mod:`kwh_calc.calculations.forecast`: the label forecast during the year (``forecast_label``) and its
  ``backtest`` (``brier_score``, ``calibration_table``)
- :mod:`kwh_calc.calculations.open_answers`: masking of personal data in open answers (``mask_text``,
  ``open_answer_table``)
"""
