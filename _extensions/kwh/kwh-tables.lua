--[[
Pandoc Lua filter shared by both render engines (built-in: kwh_calc.render through
kwh-builtin.lua; Quarto: through kwh-quarto-pre.lua).

A pipe table with a line longer than pandoc's column limit (any table with some longer
text) would get relative column widths from its dash counts: short numeric columns then
overflow. This filter gives every table automatic column widths, so Typst sizes the columns
to their content and wraps only the long text columns.

The file returns the function; the filters that load it (dofile) apply it to every Table.
]]

return function(tbl)
  for i, spec in ipairs(tbl.colspecs) do
    tbl.colspecs[i] = { spec[1], pandoc.ColWidthDefault }
  end
  return tbl
end
