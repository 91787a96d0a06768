--[[
Pandoc Lua filter shared by both render engines (built-in: kwh_calc.render; Quarto: the
`filters` of _quarto.yml).

A pipe table with a line longer than pandoc's column limit (any table with some longer
text) would get relative column widths from its dash counts: short numeric columns then
overflow. This filter gives every table automatic column widths, so Typst sizes the columns
to their content and wraps only the long text columns.
]]

function Table(tbl)
  for i, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = { spec[1], pandoc.ColWidthDefault }
  end
  return tbl
end
