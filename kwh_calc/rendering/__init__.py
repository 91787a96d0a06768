"""Stage 5 of the flow: executed notebooks to PDF, and the kernels that execute them.

- :mod:`kwh_calc.rendering.render`: the built-in Typst engine and the Quarto engine
- :mod:`kwh_calc.rendering.kernels`: the kept-kernel papermill engine
- :mod:`kwh_calc.rendering.html`: executed dashboard notebook -> one self-contained HTML file
  (``render_html``, ``render_dashboard``, ``vega_bundle_path``)
"""
