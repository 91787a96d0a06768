"""Stage 1 of the flow: what comes in, checked against its contract.

- :mod:`kwh_calc.intake.dataset`: the research dataset contract, loading and validation
- :mod:`kwh_calc.intake.rules`: the versioned rule set (``params/rules.yml``)
- :mod:`kwh_calc.intake.demo`: the synthetic national demo dataset
- :mod:`kwh_calc.intake.delivery_files`: validation of corporations' tenant delivery files
"""
