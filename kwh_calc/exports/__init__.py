"""Files made for others from the calculations: Aedes submission, databank, signal lists.

- :mod:`kwh_calc.exports.aedes_submission`: the national submission to Aedes
- :mod:`kwh_calc.exports.databank`: the anonymised answers of one corporation
- :mod:`kwh_calc.exports.signals`: the signal list (respondents who consented)
"""
